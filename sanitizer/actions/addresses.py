"""The `mask_ip` action: replace every IPv4 and IPv6 address inside text.

Modes:

fixed      every address becomes `replacement` (default ``[IP]``).
truncate   keep the first `ipv4_prefix` / `ipv6_prefix` bits and zero the rest; the result
           is an address of the same family in compressed form (``10.20.30.40`` ->
           ``10.20.30.0`` at /24). Leading-zero octets (``010``) are read as decimal.
pseudonym  keyed, prefix-preserving Crypto-PAn: the same address always gets the same
           pseudonym under one key, and addresses sharing a p-bit prefix get pseudonyms
           sharing a p-bit prefix, so subnets stay recognisable; no address is its own
           pseudonym (see `sanitizer.actions.cryptopan`).

Addresses are found by `sanitizer.detectors.network.find_ipv4_forms` / `find_ipv6_forms`,
whose spans cover the address only, so brackets, ``:port``, ``%zone`` and ``/prefix`` around
it are kept as written.

Addresses inside host names are masked too and, in truncate and pseudonym modes, written
back in the form they were found in, so a host name stays a host name:
``ip-10-1-2-3.ec2.internal`` → ``ip-10-1-2-0.ec2.internal`` (dashed),
``3.2.1.10.in-addr.arpa`` (10.1.2.3) → ``0.2.1.10.in-addr.arpa`` (reversed), and a full
``….ip6.arpa`` nibble name → the nibbles of the result, lowercase. In fixed mode the dashed
or reversed address becomes `replacement` like any other (``ip-[IP].ec2.internal``).

An IPv4-mapped IPv6 address (``::ffff:10.1.2.3``) is treated as the IPv4 address it carries:
in truncate mode its IPv4 part is cut to `ipv4_prefix`, in pseudonym mode its IPv4 part gets
the same pseudonym the bare IPv4 address would get; either way it is written back as
``::ffff:a.b.c.d``. A host therefore keeps one pseudonym whichever way it is logged.

Where an IPv4 and an IPv6 match partly overlap (only in malformed text such as
``::ffff:010.1.2.3``), the union of both is replaced with `replacement` in every mode: no
part of either may survive and there is no single address to transform.
"""

from __future__ import annotations

import functools
import ipaddress
import itertools
import operator
from collections import OrderedDict
from typing import Any

from sanitizer.actions.base import RewriteStrings, scan_numbers
from sanitizer.actions.cryptopan import CryptoPAn
from sanitizer.detectors.network import (
    DASHED,
    DOTTED,
    NIBBLES,
    REVERSE,
    TEXTUAL,
    find_address_forms,
)
from sanitizer.detectors.normalize import normalize
from sanitizer.errors import KeyLoadError, PolicyError
from sanitizer.policy.building import BuildContext, Options
from sanitizer.policy.effects import Effect
from sanitizer.policy.schema import RuleSpec

__all__ = ["MODES", "IpMasker", "build_mask_ip"]

MODES = ("fixed", "truncate", "pseudonym")
# What a rule or a caller leaves unsaid.
_MODE = "fixed"
_IPV4_PREFIX = 24
_IPV6_PREFIX = 48
_REPLACEMENT = "[IP]"
_KEY_BYTES = 32
_IPV4_FULL = (1 << 32) - 1
_IPV6_FULL = (1 << 128) - 1
_RECENT_LIMIT = 32_768  # holds a 20,000-address fleet; ~200 bytes an entry at most
_SHORT = 256  # texts up to this length have their results remembered
_CACHED_TEXTS = 4096
# The character between the octets of each IPv4 form.
_IPV4_SEPARATORS = {DOTTED: ".", DASHED: "-", REVERSE: "."}


def _earliest_then_longest(found: tuple[int, int, str]) -> tuple[int, int]:
    return found[0], -found[1]


def _check_prefix(name: str, value: object, bits: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= bits:
        raise PolicyError(f"{name} must be an integer from 0 to {bits}", field=name)
    return value


# Forms whose address text is its own entry among the recent ones.
_PLAIN_FORMS = frozenset((DOTTED, TEXTUAL))


def _entry(form: str, written: str) -> str:
    """An address's key among the recent ones: a dotted quad reads the same reversed or
    not, so the form is part of it."""
    return written if form in _PLAIN_FORMS else f"{form} {written}"


def _address_value(form: str, written: str) -> int:
    """The address an occurrence writes, as an integer: 32 bits for the IPv4 forms (a
    reverse-DNS name's octets put back in order), 128 for the others. Raises ValueError or
    IndexError for text that is no address."""
    separator = _IPV4_SEPARATORS.get(form)
    if separator is not None:
        octets = [int(part) for part in written.split(separator)]
        if form == REVERSE:
            octets.reverse()
        return (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]
    if form == NIBBLES:
        return int(written[::-1].replace(".", ""), 16)
    return int(ipaddress.IPv6Address(written))


# A text with this many addresses has those not recently seen anonymised in batches.
_PREFETCH_FROM = 16
# A text with this many addresses has each distinct one replaced once, in one join (at
# most _PREFETCH_FROM: the join's path is where the batches are made).
_JOIN_FROM = 8


class IpMasker:
    """A text transform that replaces every IPv4/IPv6 address according to `mode`."""

    def __init__(
        self,
        mode: str,
        *,
        key: bytes | None = None,
        ipv4_prefix: int = _IPV4_PREFIX,
        ipv6_prefix: int = _IPV6_PREFIX,
        replacement: str = _REPLACEMENT,
    ) -> None:
        if mode not in MODES:
            raise PolicyError(
                f"mode must be one of: {', '.join(MODES)} (got {mode!r})", field="mode"
            )
        self.mode = mode
        self.ipv4_prefix = _check_prefix("ipv4_prefix", ipv4_prefix, 32)
        self.ipv6_prefix = _check_prefix("ipv6_prefix", ipv6_prefix, 128)
        if not isinstance(replacement, str):
            raise PolicyError("replacement must be a string", field="replacement")
        self.replacement = replacement
        self._v4_keep = _IPV4_FULL ^ (_IPV4_FULL >> self.ipv4_prefix)
        self._v6_keep = _IPV6_FULL ^ (_IPV6_FULL >> self.ipv6_prefix)
        self._pan: CryptoPAn | None = None
        # Recent addresses and their replacements (in memory only): alerts repeat addresses.
        # When full, the least recently used entry goes, so a fleet larger than the cache
        # still hits on the addresses it repeats most.
        self._recent: OrderedDict[str, str] = OrderedDict()
        if mode == "pseudonym":
            if not isinstance(key, bytes | bytearray) or len(key) != _KEY_BYTES:
                got = f"{len(key)} bytes" if isinstance(key, bytes | bytearray) else "no key"
                raise KeyLoadError(
                    f"mode 'pseudonym' needs a key of exactly {_KEY_BYTES} bytes (got {got}); "
                    "generate one with `sanitizer keygen` and name it in the rule's 'key'",
                    field="key",
                )
            self._pan = CryptoPAn(bytes(key))
        elif key is not None:
            raise PolicyError(
                f"a key is only used by mode 'pseudonym', not {mode!r}; remove 'key' or "
                "switch the mode to 'pseudonym'",
                field="key",
            )
        # Alerts repeat their short texts (states, host names, ids) from one alert to the
        # next: their results are remembered, in memory only, least recently used first out.
        self._mask_short = functools.lru_cache(maxsize=_CACHED_TEXTS)(self._mask_text)

    def __repr__(self) -> str:
        return (
            f"IpMasker(mode={self.mode!r}, ipv4_prefix={self.ipv4_prefix}, "
            f"ipv6_prefix={self.ipv6_prefix}, replacement={self.replacement!r}"
            + (", key=<hidden>)" if self._pan is not None else ")")
        )

    def __call__(self, text: str) -> tuple[str, int]:
        """`text` with every address replaced, and the number of replacements.

        Addresses written with escapes (``2001%3Adb8%3A%3A1`` in a query string, ``\\u003a``
        in JSON inside a string) are found in the text's normal form and replaced, encoding
        and all, by the masked address written plainly.
        """
        if len(text) <= _SHORT:
            return self._mask_short(text)
        return self._mask_text(text)

    def _mask_text(self, text: str) -> tuple[str, int]:
        text, count = self._mask(text)
        normal = normalize(text)
        if normal is None:
            return text, count
        encoded: list[tuple[int, int, str]] = []
        for start, end, form in sorted(itertools.chain(*find_address_forms(normal.text))):
            begin, finish = normal.span_in_original(start, end)
            written = normal.text[start:end]
            if text[begin:finish] != written and (not encoded or begin >= encoded[-1][1]):
                encoded.append((begin, finish, self._replace(written, 0, len(written), form, 1)))
        if not encoded:
            return text, count
        pieces: list[str] = []
        position = 0
        for begin, finish, replacement in encoded:
            pieces += [text[position:begin], replacement]
            position = finish
        pieces.append(text[position:])
        return "".join(pieces), count + len(encoded)

    def _mask(self, text: str) -> tuple[str, int]:
        v4, v6 = find_address_forms(text)
        if not v4 and not v6:
            return text, 0
        # Each list is sorted by start; one holds no two spans with the same start.
        spans = sorted(v4 + v6, key=_earliest_then_longest) if v4 and v6 else v4 or v6
        if len(spans) < _JOIN_FROM:
            return self._mask_each(text, spans)
        # Alerts repeat lines, so a text repeats its addresses: each distinct one is looked
        # up (or anonymised) once, and the text rebuilt in one join.
        starts, ends, forms = zip(*spans, strict=True)
        overlapping = any(map(operator.lt, starts[1:], ends))
        if self.mode == "fixed":
            if overlapping:
                return self._mask_each(text, spans)
            replacements = [self.replacement] * len(spans)
        else:
            written = [text[start:end] for start, end, _ in spans]
            entries = (
                written if _PLAIN_FORMS.issuperset(forms) else list(map(_entry, forms, written))
            )
            distinct = dict(zip(entries, zip(forms, written, strict=True), strict=True))
            if self._pan is not None and len(spans) >= _PREFETCH_FROM:
                self._prefetch(distinct)
            if overlapping:
                return self._mask_each(text, spans)
            table = {entry: self._resolve(*found) for entry, found in distinct.items()}
            replacements = list(map(table.__getitem__, entries))
        joined: list[str] = [""] * (2 * len(spans) + 1)
        joined[0::2] = [text[a:b] for a, b in zip((0, *ends), (*starts, len(text)), strict=True)]
        joined[1::2] = replacements
        return "".join(joined), len(spans)

    def _mask_each(self, text: str, spans: list[tuple[int, int, str]]) -> tuple[str, int]:
        """`_mask`, one address at a time: for a few addresses, and where spans overlap (only
        malformed text has them: the union of overlapping spans becomes `replacement`)."""
        pieces: list[str] = []
        position = 0
        count = 0
        cluster: list[Any] = []  # start, end, form, number of spans merged in
        for start, end, form in spans:
            if cluster and start < cluster[1]:
                if end > cluster[1]:  # a partial overlap: no single address to transform
                    cluster[1], cluster[3] = end, cluster[3] + 1
                continue
            if cluster:
                pieces += [text[position : cluster[0]], self._replace(text, *cluster)]
                position = cluster[1]
                count += 1
            cluster = [start, end, form, 1]
        pieces += [text[position : cluster[0]], self._replace(text, *cluster), text[cluster[1] :]]
        return "".join(pieces), count + 1

    def _prefetch(self, distinct: dict[str, tuple[str, str]]) -> None:
        """Have Crypto-PAn anonymise the addresses of a text not recently seen in a few
        batches (see `CryptoPAn.prefetch`); `_transform` then finds them in its cache.
        `distinct` maps each address's entry among the recent ones to its form and text."""
        assert self._pan is not None
        inputs: dict[tuple[int, int], None] = {}  # an IPv4 and its IPv4-mapped form: once
        for entry, (form, written) in distinct.items():
            if entry not in self._recent:
                try:
                    value = _address_value(form, written)
                except (ValueError, IndexError):
                    continue  # not an address: `_transform` decides
                if form in _IPV4_SEPARATORS:
                    inputs[value, 32] = None
                elif value >> 32 == 0xFFFF:  # IPv4-mapped: `_ipv6` masks it as IPv4
                    inputs[value & _IPV4_FULL, 32] = None
                else:
                    inputs[value, 128] = None
        self._pan.prefetch(list(inputs))

    def _replace(self, text: str, start: int, end: int, form: str, merged: int) -> str:
        if self.mode == "fixed" or merged > 1:
            return self.replacement
        return self._resolve(form, text[start:end])

    def _resolve(self, form: str, written: str) -> str:
        """The replacement of an address in truncate or pseudonym mode, from the recent ones
        when it is there."""
        entry = _entry(form, written)
        recent = self._recent
        known = recent.get(entry)
        if known is not None:
            recent.move_to_end(entry)
            return known
        if len(recent) >= _RECENT_LIMIT:
            recent.popitem(last=False)
        known = recent[entry] = self._transform(form, written)
        return known

    def _transform(self, form: str, written: str) -> str:
        value = _address_value(form, written)
        separator = _IPV4_SEPARATORS.get(form)
        if separator is not None:
            masked = self._ipv4(value)
            result = [str(masked >> shift & 0xFF) for shift in (24, 16, 8, 0)]
            if form == REVERSE:
                result.reverse()
            return separator.join(result)
        if form == NIBBLES:
            return ".".join(reversed(f"{self._ipv6(value):032x}"))
        if value >> 32 == 0xFFFF:  # IPv4-mapped: written back in mixed notation
            return f"::ffff:{ipaddress.IPv4Address(self._ipv4(value & _IPV4_FULL))}"
        return ipaddress.IPv6Address(self._ipv6(value)).compressed

    def _ipv4(self, value: int) -> int:
        if self._pan is not None:
            return self._pan.anonymize_int(value, 32)
        return value & self._v4_keep

    def _ipv6(self, value: int) -> int:
        """The masked address; an IPv4-mapped one stays mapped, its IPv4 part masked as an
        IPv4 address."""
        if value >> 32 == 0xFFFF:
            return (0xFFFF << 32) | self._ipv4(value & _IPV4_FULL)
        if self._pan is not None:
            return self._pan.anonymize_int(value, 128)
        return value & self._v6_keep


def build_mask_ip(rule: RuleSpec, options: Options, context: BuildContext) -> Effect:
    """Options: mode (fixed | truncate | pseudonym, default fixed), key (pseudonym only),
    ipv4_prefix (0-32, default 24), ipv6_prefix (0-128, default 48), replacement."""
    mode = options.get("mode", str, _MODE, describe=f"one of: {', '.join(MODES)}")
    if mode not in MODES:
        raise options.error(f"must be one of: {', '.join(MODES)} (got {mode!r})", field="mode")
    key = None
    if mode == "pseudonym":
        key = context.key(options).material
    elif options.has("key"):
        raise options.error(
            f"is only used by mode 'pseudonym', not {mode!r}; remove it or change the mode",
            field="key",
        )
    ipv4_prefix = options.get_int("ipv4_prefix", _IPV4_PREFIX, 0, 32)
    ipv6_prefix = options.get_int("ipv6_prefix", _IPV6_PREFIX, 0, 128)
    replacement = options.get(
        "replacement", str, _REPLACEMENT, describe="the text that replaces an address"
    )
    options.finish()
    try:
        masker = IpMasker(
            mode,
            key=key,
            ipv4_prefix=ipv4_prefix,
            ipv6_prefix=ipv6_prefix,
            replacement=replacement,
        )
    except PolicyError as exc:
        raise exc.located(rule=rule.id) from None
    # Keys the policy names are policy text; those holding no address need no scan.
    unchanged = frozenset(key for key in context.policy_keys if not masker(key)[1])
    return RewriteStrings(masker, scalars=scan_numbers(masker), keys_too=True, skip_keys=unchanged)
