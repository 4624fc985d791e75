"""Find sensitive things inside free text: addresses, e-mails, phone numbers, secrets.

Every detector is a function ``find(text) -> [(start, end), ...]`` returning ascending,
non-overlapping spans; `Scrubber` replaces the union of what its detectors find with each
detector's label. Pure: no I/O, no state.

Regular expressions only *find candidates*; anything with a checkable structure is then
checked (IP addresses with `ipaddress`-compatible rules, card numbers with Luhn). Every
expression is built so that the work per starting position is bounded (bounded repeats,
possessive quantifiers, look-behinds), which keeps the whole scan linear; cheap prechecks
skip a detector when its text cannot match (no ``@``: no e-mail).

Choices made where the right answer is not obvious:

* IPv4: a dotted quad of octets 0-255 not glued to other digits (letters may touch it, so
  ``host10.0.0.1`` yields ``10.0.0.1``). Leading zeros (``010``) are accepted on purpose:
  masking an address-looking thing is cheaper than leaking one. ``1.2.3.4.5`` yields
  ``1.2.3.4`` (the first quad wins), so an SNMP OID is partly masked rather than an
  address left in ``a.b.c.d.port`` notation (tcpdump) being missed.
* IPv6: spans cover the address only: never the ``[ ]``, the ``:port``, the ``%zone`` or a
  ``/prefix``. The address must not touch ``[0-9A-Za-z_]`` on either side, so ``std::cerr``
  and ``Foo::Bar`` are left alone, but a whole token made only of hex digits and colons
  (``dead::beef``, an 8-group WWN ``20:00:00:25:b5:00:00:0f``) is a valid address and is
  masked. A bare ``::`` is never reported. It may start right after a single ``:`` so
  ``addr:2001:db8::1`` is found, and may be followed by ``:`` (``a:b:c:d:e:f:g:h:443``),
  but never touches a ``::`` it is not part of: ``1::2::3`` is junk and yields nothing.
* Phone numbers need an international prefix (``+CC`` or ``00CC``, 9-15 digits after it)
  or the North American ``(202) 555-0143`` / ``202-555-0143`` shapes, so timestamps, dates,
  durations, versions and perfdata never match; a signed decimal (``+1.234567890``, an NTP
  offset) is not a phone number either.
* Card numbers: 13-19 digits, contiguous or in groups of 3-6 split by spaces or dashes, first
  digit 2-6 (every major network), Luhn-valid. The 2-6 rule keeps epoch-millisecond (until
  2286) and epoch-nanosecond (until 2033) timestamps, which start with 1, from being
  masked; compact ``YYYYmmddHHMMSS[fff]`` timestamps are skipped too.
* url_credentials replaces the whole userinfo, with or without a password: a lone user
  part in ``https://TOKEN@host`` is often a token. Up to the last ``@`` of the authority,
  so a password containing ``@`` does not leak its tail.
* bearer replaces the value after ``Bearer`` (8+ characters) or after an
  ``Authorization:`` header name and its scheme; for Digest and AWS4 the rest of the line.
  aws_access_key also replaces the value after a ``secret_access_key`` style label.
* A PEM private-key block without its END line (a truncated alert) is masked to the end of
  the text.
* E-mail local parts are the usual characters (letters, digits, ``!#$%&*+_.~-``), not the
  rarer ``'=/?^`{|}`` ones, so ``user='bob@example.com'`` keeps ``user='``.
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
import re
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sanitizer.errors import PolicyError

__all__ = ["DETECTORS", "Detector", "Scrubber", "find_ipv4", "find_ipv6"]

Span = tuple[int, int]

_DIGIT = re.compile(r"[0-9]")

# --- IPv4 -----------------------------------------------------------------------------------

# Patterns here start by consuming one character from a class and only then look behind
# it (``[0-9](?<![0-9]{2})`` rather than ``(?<![0-9])[0-9]``): a pattern that opens with a
# character class lets the regex engine skip quickly to the next possible start.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])"
# The first octet, written as its first digit followed by what that digit allows.
_FIRST_OCTET = (
    r"[0-9](?<![0-9]{2})"
    r"(?:(?<=[01])[0-9]{0,2}|(?<=2)(?:5[0-5]|[0-4][0-9]|[0-9]?)|(?<=[3-9])[0-9]?)"
)
_IPV4_RE = re.compile(rf"{_FIRST_OCTET}\.(?:{_OCTET}\.){{2}}{_OCTET}(?![0-9])")


# Prechecks open with a literal, which the engine finds fastest of all.
_IPV4_HINT = re.compile(r"\.[0-9]{1,3}\.[0-9]{1,3}\.")


def find_ipv4(text: str) -> list[Span]:
    """Spans of IPv4 dotted quads (octets 0-255, leading zeros allowed)."""
    if not _IPV4_HINT.search(text):
        return []
    return [m.span() for m in _IPV4_RE.finditer(text)]


# --- IPv6 -----------------------------------------------------------------------------------

_H = "[0-9A-Fa-f]{1,4}"
# The dotted tail of a mixed address, as strict as `ipaddress` (no leading zeros).
_V4_STRICT_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_V4_TAIL = rf"{_V4_STRICT_OCTET}(?:\.{_V4_STRICT_OCTET}){{3}}"


def _right(groups: int) -> str:
    """What may follow ``::``: up to `groups` 16-bit groups, a dotted tail counting as two."""
    plain = f"(?:{_H}:){{0,{groups - 1}}}{_H}"
    if groups < 2:
        return plain
    return f"(?:(?:{_H}:){{0,{groups - 2}}}{_V4_TAIL}|{plain})"


def _ipv6_pattern() -> str:
    forms = [f"(?:{_H}:){{6}}{_V4_TAIL}", f"(?:{_H}:){{7}}{_H}"]
    for left in range(7, 0, -1):  # `left` groups before the "::"
        head = f"(?:{_H}:){{{left - 1}}}{_H}::"
        forms.append(head + (f"(?:{_right(7 - left)})?" if left < 7 else ""))
    forms.append(f"::(?:{_right(7)})?")
    return (
        # Not glued on the left; may follow a single ':' ("addr:2001:db8::1"), but never
        # start inside or right after a "::" (see the note on the right-hand side).
        r"(?<![0-9A-Za-z_])(?<!::)(?!(?<=:):)"
        # Cheap filter: a group or a colon must come within five characters.
        r"(?=[0-9A-Fa-f]{0,4}:)"
        rf"(?:{'|'.join(forms)})"
        # Not glued on the right, and not followed by "::". Touching "::" on either side
        # is junk ("1::2::3"); matching part of it would leave text that becomes a new
        # address once the match is replaced, so masking would not be idempotent.
        r"(?![0-9A-Za-z_]|::)(?!(?<=:):)"
    )


_IPV6_RE = re.compile(_ipv6_pattern())
# Every address without "::" has six colons inside one run of groups.
_IPV6_FULL_HINT = re.compile(r":(?:[0-9A-Fa-f]{1,4}:){5}")


def find_ipv6(text: str) -> list[Span]:
    """Spans of IPv6 addresses: the address only, without brackets, port, zone or prefix.

    Every form `ipaddress` accepts is found (compressed, full, mixed ``::ffff:1.2.3.4``);
    each candidate is still confirmed by `ipaddress` before it is reported.
    """
    if "::" not in text and not _IPV6_FULL_HINT.search(text):
        return []
    return [m.span() for m in _IPV6_RE.finditer(text) if _is_ipv6(m.group())]


@functools.lru_cache(maxsize=4096)
def _is_ipv6(candidate: str) -> bool:
    if candidate == "::":
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


# --- The other built-in detectors --------------------------------------------------------------

_EMAIL_LOCAL = r"[A-Za-z0-9!#$%&*+_.~-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL_RE = re.compile(
    rf"(?<!{_EMAIL_LOCAL}){_EMAIL_LOCAL}++@(?:{_LABEL}\.)+[A-Za-z](?:[A-Za-z0-9-]{{0,61}}"
    r"[A-Za-z0-9])(?![A-Za-z0-9-])"
)


def _find_email(text: str) -> list[Span]:
    if "@" not in text:
        return []
    return [m.span() for m in _EMAIL_RE.finditer(text)]


_HEX2 = "[0-9A-Fa-f]{2}"
_MAC_RE = re.compile(
    r"[0-9A-Fa-f](?<![0-9A-Za-z_:.-][0-9A-Fa-f])"
    rf"(?:[0-9A-Fa-f]([:-])(?:{_HEX2}\1){{4}}{_HEX2}"
    r"|[0-9A-Fa-f]{3}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})"
    r"(?![0-9A-Za-z_]|[:.-][0-9A-Fa-f])"
)


_MAC_HINT = re.compile(r"[:.-](?:[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-]|[0-9A-Fa-f]{4}\.)")


def _find_mac(text: str) -> list[Span]:
    if not _MAC_HINT.search(text):
        return []
    return [m.span() for m in _MAC_RE.finditer(text)]


_PHONE_GROUP = r"(?:[ .-]?\([0-9]{1,4}\)|(?:[ .-]|(?<=\)))[0-9]{1,12}+)"
_PHONE_PLUS_RE = re.compile(
    rf"\+(?<![\w+]\+)[1-9][0-9]{{0,2}}+(?:{_PHONE_GROUP}{{1,8}}+|[0-9]{{5,14}}+)(?![0-9])"
)
_PHONE_00_RE = re.compile(rf"00(?<![\w+]00)[1-9][0-9]{{0,2}}+{_PHONE_GROUP}{{1,8}}+(?![0-9])")
# A signed or zero-padded decimal ("+1.234567890", an NTP offset) is not a phone number.
_PHONE_DECIMAL_RE = re.compile(r"(?:\+|00)[0-9]+\.[0-9]+")
_PHONE_PAREN_RE = re.compile(r"\((?<![\w+.-]\()[2-9][0-9]{2}\)[ .-]?[0-9]{3}[ .-][0-9]{4}(?![\w-])")
_PHONE_DASHES_HINT = re.compile(r"-[0-9]{3}-[0-9]{4}")
_PHONE_DASHES_RE = re.compile(
    r"[1-9](?<![\w+.-][1-9])(?:(?<=1)[ -][2-9][0-9]{2}|(?<=[2-9])[0-9]{2})-[0-9]{3}-[0-9]{4}"
    r"(?![\w-])"
)


def _find_phone(text: str) -> list[Span]:
    if not _DIGIT.search(text):
        return []
    spans = []
    for marker, pattern, prefix_digits in (("+", _PHONE_PLUS_RE, 0), ("00", _PHONE_00_RE, 2)):
        if marker not in text:
            continue
        for match in pattern.finditer(text):
            digits = sum(c.isdigit() for c in match.group()) - prefix_digits
            if 9 <= digits <= 15 and not _PHONE_DECIMAL_RE.fullmatch(match.group()):
                spans.append(match.span())
    if "(" in text:
        spans.extend(m.span() for m in _PHONE_PAREN_RE.finditer(text))
    if _PHONE_DASHES_HINT.search(text):
        spans.extend(m.span() for m in _PHONE_DASHES_RE.finditer(text))
    return _union(spans)


_URL_CREDENTIALS_RE = re.compile(r"(?<=://)[^\s/?#\[\]@]++(?:@[^\s/?#\[\]@]*+)*(?=@)")


def _find_url_credentials(text: str) -> list[Span]:
    if "://" not in text:
        return []
    return [m.span() for m in _URL_CREDENTIALS_RE.finditer(text)]


_TOKEN68 = r"[A-Za-z0-9\-._~+/]++=*+"
_BEARER_RE = re.compile(rf"(?i)\bbearer\s++(?=[A-Za-z0-9\-._~+/]{{8}})({_TOKEN68})")
_SCHEMES = "basic|bearer|token|negotiate|ntlm|apikey"
_LISTED_SCHEMES = "digest|aws4-hmac-sha256"
_AUTHORIZATION_RE = re.compile(
    r"(?i)\b(?:proxy-)?authorization[\"']?\s*+[:=]\s*+[\"']?(?:"
    rf"(?:{_LISTED_SCHEMES})\s++([A-Za-z0-9\-._~+/=][^\r\n]*+)"
    rf"|(?:{_SCHEMES})\s++({_TOKEN68})"
    rf"|(?!(?:{_SCHEMES}|{_LISTED_SCHEMES})\b)({_TOKEN68}))"
)


def _find_bearer(text: str) -> list[Span]:
    lowered = text.lower()  # a precheck only: lower() may change lengths, so no spans from it
    if "bearer" not in lowered and "authorization" not in lowered:
        return []
    spans = [m.span(1) for m in _BEARER_RE.finditer(text)]
    for match in _AUTHORIZATION_RE.finditer(text):
        group = next(index for index in (1, 2, 3) if match.group(index) is not None)
        spans.append(match.span(group))
    return _union(spans)


_B64URL = "[A-Za-z0-9_-]"
_JWT_RE = re.compile(
    rf"(?<!{_B64URL})eyJ{_B64URL}++\.{_B64URL}++\.{_B64URL}*+(?:\.{_B64URL}++){{0,2}}+"
)


def _find_jwt(text: str) -> list[Span]:
    if "eyJ" not in text:
        return []
    return [m.span() for m in _JWT_RE.finditer(text)]


_AWS_KEY_ID_RE = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
_AWS_SECRET_RE = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?:aws[_-]?)?secret[_-]?access[_-]?key[\"']?\s*+[:=]\s*+[\"']?"
    r"([A-Za-z0-9/+]++=*+)"
)


def _find_aws_access_key(text: str) -> list[Span]:
    spans = []
    if "AKIA" in text or "ASIA" in text:
        spans.extend(m.span() for m in _AWS_KEY_ID_RE.finditer(text))
    if "secret" in text.lower():
        spans.extend(m.span(1) for m in _AWS_SECRET_RE.finditer(text))
    return _union(spans)


_PEM_BEGIN_RE = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_END_RE = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")


def _find_pem_private_key(text: str) -> list[Span]:
    if "PRIVATE KEY" not in text:
        return []
    ends = [m.span() for m in _PEM_END_RE.finditer(text)]
    end_starts = [start for start, _ in ends]
    spans: list[Span] = []
    for begin in _PEM_BEGIN_RE.finditer(text):
        if spans and begin.start() < spans[-1][1]:
            continue
        index = bisect.bisect_left(end_starts, begin.end())
        spans.append((begin.start(), ends[index][1] if index < len(ends) else len(text)))
        if index == len(ends):
            break
    return spans


# A run of 13-19 digits, or a run of 3-6 digit groups split by single spaces or dashes in
# which card numbers are then looked for, so a date or CVV printed right after the number
# does not hide it.
_CARD_CANDIDATE_RE = re.compile(
    r"[0-9](?<![0-9]{2})"
    r"(?:[0-9]{12,18}+|[0-9]{2,5}+(?:[ -][0-9]{3,6}+(?![0-9]))++)(?![0-9])"
)
_GROUP_RE = re.compile(r"[0-9]+")
# YYYYmmddHHMMSS[fff], years 2000-2199: no card network issues 14 or 17 digit numbers
# starting 20 or 21, and these are common in file names and ids.
_COMPACT_TIMESTAMP_RE = re.compile(
    r"2[01][0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])(?:[01][0-9]|2[0-3])"
    r"[0-5][0-9][0-5][0-9](?:[0-9]{3})?"
)


_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")  # digit sum of 2*d


def _luhn_ok(digits: str) -> bool:
    backwards = digits[::-1]
    kept, doubled = backwards[0::2], backwards[1::2].translate(_LUHN_DOUBLED)
    # The byte sum of ASCII digits is their digit sum plus 48 per digit.
    return (sum(kept.encode()) + sum(doubled.encode()) - 48 * len(digits)) % 10 == 0


def _cards_in_groups(run: str, offset: int) -> list[Span]:
    groups = [(m.start() + offset, m.end() + offset, m.group()) for m in _GROUP_RE.finditer(run)]
    spans = []
    i = 0
    while i < len(groups):
        found = None
        if groups[i][2][0] in "23456":
            digits = ""
            for j in range(i, min(i + 7, len(groups))):
                digits += groups[j][2]
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and j > i and _luhn_ok(digits):
                    found = j
        if found is None:
            i += 1
        else:
            spans.append((groups[i][0], groups[found][1]))
            i = found + 1
    return spans


def _find_credit_card(text: str) -> list[Span]:
    if not _DIGIT.search(text):
        return []
    spans = []
    for match in _CARD_CANDIDATE_RE.finditer(text):
        digits = match.group()
        if digits.isdigit():
            if digits[0] in "23456" and _luhn_ok(digits):
                if not _COMPACT_TIMESTAMP_RE.fullmatch(digits):
                    spans.append(match.span())
        else:
            spans.extend(_cards_in_groups(digits, match.start()))
    return spans


# --- Registry and scrubber ---------------------------------------------------------------------


@dataclass(frozen=True)
class Detector:
    name: str
    label: str
    find: Callable[[str], list[Span]]


DETECTORS: Mapping[str, Detector] = types.MappingProxyType(
    {
        d.name: d
        for d in (
            Detector("email", "[EMAIL]", _find_email),
            Detector("ipv4", "[IPV4]", find_ipv4),
            Detector("ipv6", "[IPV6]", find_ipv6),
            Detector("mac", "[MAC]", _find_mac),
            Detector("phone", "[PHONE]", _find_phone),
            Detector("url_credentials", "[CREDENTIALS]", _find_url_credentials),
            Detector("bearer", "[TOKEN]", _find_bearer),
            Detector("jwt", "[JWT]", _find_jwt),
            Detector("aws_access_key", "[AWS_KEY]", _find_aws_access_key),
            Detector("pem_private_key", "[PRIVATE_KEY]", _find_pem_private_key),
            Detector("credit_card", "[CARD]", _find_credit_card),
        )
    }
)


def _union(spans: Iterable[Span]) -> list[Span]:
    """Sorted, merged spans (overlapping ones joined; touching ones kept apart)."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _pattern_finder(pattern: re.Pattern[str]) -> Callable[[str], list[Span]]:
    def find(text: str) -> list[Span]:
        return [m.span() for m in pattern.finditer(text) if m.end() > m.start()]

    return find


_ROUNDS = 4  # bounded: a custom pattern could match its own label


class Scrubber:
    """Replace everything the chosen detectors and custom patterns find with their labels."""

    def __init__(
        self, detectors: Sequence[str], patterns: Sequence[tuple[re.Pattern[str], str]] = ()
    ) -> None:
        finders: list[tuple[str, str, Callable[[str], list[Span]]]] = []
        seen = set()
        for name in detectors:
            detector = DETECTORS.get(name) if isinstance(name, str) else None
            if detector is None:
                raise PolicyError(f"unknown detector {name!r}; choose from: {', '.join(DETECTORS)}")
            if name not in seen:
                seen.add(name)
                finders.append((name, detector.label, detector.find))
        for pattern, label in patterns:
            if not isinstance(pattern, re.Pattern) or not isinstance(label, str):
                raise PolicyError(
                    "a custom pattern must be a compiled regular expression with a text label"
                )
            finders.append(("pattern", label, _pattern_finder(pattern)))
        self._finders = tuple(finders)

    def __repr__(self) -> str:
        return f"Scrubber({[name for name, _, _ in self._finders]!r})"

    def __call__(self, text: str) -> tuple[str, int]:
        """`text` with every match replaced, and how many replacements were made.

        Overlapping matches (from one or several detectors) are merged and the merged span
        takes the label of its earliest-starting match, the longest one on a tie.

        A replacement can free its neighbour: in ``x@a.b.c@d.com`` or ``...1111::37`` the
        text next to a match only stops matching because it touches that match. So a text
        that changed is scanned again (at most `_ROUNDS` times in all), which makes the
        output pass a guard built from the same detectors.
        """
        total = 0
        for _ in range(_ROUNDS):
            text, count = self._replace_once(text)
            total += count
            if not count:
                break
        return text, total

    def _replace_once(self, text: str) -> tuple[str, int]:
        hits = sorted(
            (start, -end, label) for _, label, find in self._finders for start, end in find(text)
        )
        if not hits:
            return text, 0
        pieces: list[str] = []
        position = 0
        start, end, label = hits[0][0], -hits[0][1], hits[0][2]  # the span being merged
        for next_start, negative_end, next_label in hits[1:]:
            if next_start < end:
                end = max(end, -negative_end)
                continue
            pieces += [text[position:start], label]
            position = end
            start, end, label = next_start, -negative_end, next_label
        pieces += [text[position:start], label, text[end:]]
        return "".join(pieces), len(pieces) // 2

    def first_hit(self, text: str) -> str | None:
        """Name of the first configured detector (or "pattern") that matches, else None."""
        for name, _, find in self._finders:
            if find(text):
                return name
        return None
