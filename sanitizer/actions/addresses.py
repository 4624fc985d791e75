"""The `mask_ip` action: replace every IPv4 and IPv6 address inside text.

Modes:

fixed      every address becomes `replacement` (default ``[IP]``).
truncate   keep the first `ipv4_prefix` / `ipv6_prefix` bits and zero the rest; the result
           is an address of the same family in compressed form (``10.20.30.40`` ->
           ``10.20.30.0`` at /24). Leading-zero octets (``010``) are read as decimal.
pseudonym  keyed, prefix-preserving Crypto-PAn: the same address always gets the same
           pseudonym under one key, and addresses sharing a p-bit prefix get pseudonyms
           sharing a p-bit prefix, so subnets stay recognisable.

Addresses are found by `sanitizer.detectors.find_ipv4` / `find_ipv6`, whose spans cover the
address only, so brackets, ``:port``, ``%zone`` and ``/prefix`` around it are kept as written.

An IPv4-mapped IPv6 address (``::ffff:10.1.2.3``) is treated as the IPv4 address it carries:
in truncate mode its IPv4 part is cut to `ipv4_prefix`, in pseudonym mode its IPv4 part gets
the same pseudonym the bare IPv4 address would get; either way it is written back as
``::ffff:a.b.c.d``. A host therefore keeps one pseudonym whichever way it is logged.

Where an IPv4 and an IPv6 match partly overlap (only in malformed text such as
``::ffff:010.1.2.3``), the union of both is replaced with `replacement` in every mode: no
part of either may survive and there is no single address to transform.
"""

from __future__ import annotations

import ipaddress

from sanitizer.actions.base import BuildContext, Effect, Options, RewriteStrings
from sanitizer.cryptopan import CryptoPAn
from sanitizer.detectors import find_ipv4, find_ipv6
from sanitizer.errors import KeyLoadError, PolicyError
from sanitizer.policy.schema import RuleSpec

__all__ = ["MODES", "IpMasker", "build_mask_ip"]

MODES = ("fixed", "truncate", "pseudonym")
_KEY_BYTES = 32
_IPV4_FULL = (1 << 32) - 1
_IPV6_FULL = (1 << 128) - 1
_RECENT_LIMIT = 4096


def _check_prefix(name: str, value: object, bits: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= bits:
        raise PolicyError(f"{name} must be an integer from 0 to {bits}", field=name)
    return value


class IpMasker:
    """A text transform that replaces every IPv4/IPv6 address according to `mode`."""

    def __init__(
        self,
        mode: str,
        *,
        key: bytes | None = None,
        ipv4_prefix: int = 24,
        ipv6_prefix: int = 48,
        replacement: str = "[IP]",
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
        self._recent: dict[str, str] = {}
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

    def __repr__(self) -> str:
        return (
            f"IpMasker(mode={self.mode!r}, ipv4_prefix={self.ipv4_prefix}, "
            f"ipv6_prefix={self.ipv6_prefix}, replacement={self.replacement!r}"
            + (", key=<hidden>)" if self._pan is not None else ")")
        )

    def __call__(self, text: str) -> tuple[str, int]:
        """`text` with every address replaced, and the number of replacements."""
        v4 = find_ipv4(text)
        v6 = find_ipv6(text)
        if not v4 and not v6:
            return text, 0
        spans = sorted([(start, -end, 4) for start, end in v4] + [(s, -e, 6) for s, e in v6])
        pieces: list[str] = []
        position = 0
        count = 0
        cluster: list[int] = []  # start, end, version, number of spans merged in
        for start, negative_end, version in spans:
            end = -negative_end
            if cluster and start < cluster[1]:
                if end > cluster[1]:  # a partial overlap: no single address to transform
                    cluster[1], cluster[3] = end, cluster[3] + 1
                continue
            if cluster:
                pieces += [text[position : cluster[0]], self._replace(text, *cluster)]
                position = cluster[1]
                count += 1
            cluster = [start, end, version, 1]
        pieces += [text[position : cluster[0]], self._replace(text, *cluster), text[cluster[1] :]]
        return "".join(pieces), count + 1

    def _replace(self, text: str, start: int, end: int, version: int, merged: int) -> str:
        if self.mode == "fixed" or merged > 1:
            return self.replacement
        written = text[start:end]
        known = self._recent.get(written)
        if known is None:
            if len(self._recent) >= _RECENT_LIMIT:
                self._recent.clear()
            known = self._recent[written] = self._transform(written, version)
        return known

    def _transform(self, written: str, version: int) -> str:
        if version == 4:
            octets = [int(part) for part in written.split(".")]
            value = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]
            return str(self._ipv4(ipaddress.IPv4Address(value)))
        address = ipaddress.IPv6Address(written)
        mapped = address.ipv4_mapped
        if mapped is not None:
            return f"::ffff:{self._ipv4(mapped)}"
        if self._pan is not None:
            return self._pan.anonymize(address).compressed
        return ipaddress.IPv6Address(int(address) & self._v6_keep).compressed

    def _ipv4(self, address: ipaddress.IPv4Address) -> ipaddress.IPv4Address:
        if self._pan is not None:
            return self._pan.anonymize(address)
        return ipaddress.IPv4Address(int(address) & self._v4_keep)


def build_mask_ip(rule: RuleSpec, options: Options, context: BuildContext) -> Effect:
    """Options: mode (fixed | truncate | pseudonym, default fixed), key (pseudonym only),
    ipv4_prefix (0-32, default 24), ipv6_prefix (0-128, default 48), replacement."""
    mode = options.get("mode", str, "fixed", describe=f"one of: {', '.join(MODES)}")
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
    ipv4_prefix = options.get_int("ipv4_prefix", 24, 0, 32)
    ipv6_prefix = options.get_int("ipv6_prefix", 48, 0, 128)
    replacement = options.get(
        "replacement", str, "[IP]", describe="the text that replaces an address"
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
    return RewriteStrings(masker, keys_too=True)
