"""Find sensitive things inside free text: addresses, e-mails, phone numbers, secrets.

Every detector is a function ``find(text) -> [(start, end), ...]`` returning ascending,
non-overlapping spans; `Scrubber` replaces the union of what its detectors find with each
detector's label. Pure: no I/O, no state.

Regular expressions only *find candidates*; anything with a checkable structure is then
checked (IP addresses with `ipaddress`-compatible rules, card numbers with Luhn). Every
expression is built so that the work per starting position is bounded (bounded repeats,
possessive quantifiers, look-behinds), which keeps the whole scan linear; cheap prechecks
skip a detector when its text cannot match (no ``@``: no e-mail). Where every match holds a
rarer character at a known place (the ``@`` of an e-mail, the first separator of a MAC
address), the expression is only tried where that character puts a start, which finds
exactly what scanning every position would.

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
import itertools
import re
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sanitizer.errors import PolicyError

__all__ = ["DETECTORS", "Detector", "Scrubber", "find_ipv4", "find_ipv6"]

Span = tuple[int, int]

_DIGIT = re.compile(r"[0-9]")

# --- IPv4 -----------------------------------------------------------------------------------

# A search is fastest when the pattern opens with a literal (the engine jumps from one
# occurrence to the next), slower when it opens with a character class, and slowest when it
# opens with a look-behind or a case-insensitive letter (every position is tried). So the
# patterns here open with the rarest literal every match contains (the first dot of an
# address, the "@" of an e-mail) or a class followed by a look-behind
# (``[0-9](?<![0-9]{2})`` rather than ``(?<![0-9])[0-9]``).

# An octet: a whole run of 1-3 digits, at most 255 (leading zeros allowed).
_V4_OVER_255 = "(?:[3-9][0-9]{2}|2[6-9][0-9]|25[6-9])"
_OCTET = rf"[0-9]{{1,3}}+(?<!{_V4_OVER_255})"
_V4_REST = rf"(?:{_OCTET}\.){{2}}{_OCTET}(?![0-9])"
# Anchored on the first dot: the first octet, 1, 2 or 3 digits not glued to more, is checked
# behind it, one branch per length, so the number of the group that matched is that length
# and the address starts that far before the dot. A dot right after the last octet is taken
# too, so the next search starts past it: "1.2.3.4.5.6.7.8" yields 1.2.3.4 and 5.6.7.8,
# never 4.5.6.7.
_IPV4_RE = re.compile(
    r"\.(?<=[0-9]\.)(?:"
    rf"(?<![0-9]{{2}}\.)({_V4_REST})"
    rf"|(?<=[0-9]{{2}}\.)(?<![0-9]{{3}}\.)({_V4_REST})"
    rf"|(?<=[0-9]{{3}}\.)(?<![0-9]{{4}}\.)(?<!{_V4_OVER_255}\.)({_V4_REST})"
    r")\.?"
)


# Prechecks open with a literal, which the engine finds fastest of all.
_IPV4_HINT = re.compile(r"\.[0-9]{1,3}\.[0-9]{1,3}\.")


def find_ipv4(text: str) -> list[Span]:
    """Spans of IPv4 dotted quads (octets 0-255, leading zeros allowed)."""
    if not _IPV4_HINT.search(text):
        return []
    return [(m.start() - k, m.end(k)) for m in _IPV4_RE.finditer(text) for k in (m.lastindex,)]


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
# Every address has a "::" or, without one, six colons inside one run of groups.
_IPV6_HINT = re.compile(r":(?::|(?:[0-9A-Fa-f]{1,4}:){5})")


def find_ipv6(text: str) -> list[Span]:
    """Spans of IPv6 addresses: the address only, without brackets, port, zone or prefix.

    Every form `ipaddress` accepts is found (compressed, full, mixed ``::ffff:1.2.3.4``);
    each candidate is still confirmed by `ipaddress` before it is reported.
    """
    if ":" not in text or not _IPV6_HINT.search(text):
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


_EMAIL_LOCAL_RUN = re.compile(f"{_EMAIL_LOCAL}*+")


def _find_email(text: str) -> list[Span]:
    """What ``_EMAIL_RE.finditer(text)`` finds, trying it only where a match can start.

    A match holds exactly one "@", and its local part is the whole run of local-part
    characters before it (the pattern looks behind), so that run's start is the only place
    a match holding this "@" can start. It is tried unless the previous match already covers
    it, as the search would have passed it too; a look-behind sees the text before the
    position it is tried at, so the outcome there is the search's.
    """
    if "@" not in text:
        return []
    if text.count("@") > max(16, len(text) // 64):  # dense: one scan costs less than tries
        return [m.span() for m in _EMAIL_RE.finditer(text)]
    spans = []
    end = 0
    at = text.find("@")
    while at >= 0:
        start = at - _run_length_before(text, at, _EMAIL_LOCAL_RUN)
        if end <= start < at:
            match = _EMAIL_RE.match(text, start)
            if match:
                spans.append(match.span())
                end = match.end()
        at = text.find("@", at + 1)
    return spans


def _run_length_before(text: str, position: int, run: re.Pattern[str]) -> int:
    """How many characters right before `position` `run` takes: it is matched on the text
    read backwards, in windows that grow fourfold, so the cost follows the run's length."""
    width = 64
    while True:
        low = max(0, position - width)
        length = run.match(text[low:position][::-1]).end()
        if length < position - low or low == 0:
            return length
        width *= 4


_HEX2 = "[0-9A-Fa-f]{2}"
_MAC_RE = re.compile(
    r"[0-9A-Fa-f](?<![0-9A-Za-z_:.-][0-9A-Fa-f])"
    rf"(?:[0-9A-Fa-f]([:-])(?:{_HEX2}\1){{4}}{_HEX2}"
    r"|[0-9A-Fa-f]{3}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})"
    r"(?![0-9A-Za-z_]|[:.-][0-9A-Fa-f])"
)


# The first separator of each form, and how far after the start of a match it is.
_MAC_HINTS = (
    (":", re.compile(r":(?=[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-])"), 2),
    ("-", re.compile(r"-(?=[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-])"), 2),
    (".", re.compile(r"\.(?=[0-9A-Fa-f]{4}\.)"), 4),
)


def _find_mac(text: str) -> list[Span]:
    """What ``_MAC_RE.finditer(text)`` finds, trying it only two characters before a ``:`` or
    ``-`` and four before a ``.`` that starts the shape of a MAC address.

    Matches cannot overlap (every character of one is a hex digit or a separator, so none of
    them can precede the start of another), so the search finds exactly the positions at
    which the pattern matches.
    """
    if len(text) < 14:  # the shortest address, 0123.4567.89ab
        return []
    most = max(16, len(text) // 32)  # more tries than that cost more than one scan
    starts: list[int] = []
    for separator, hint, offset in _MAC_HINTS:
        first = hint.search(text) if separator in text else None
        if first:
            found = itertools.islice(hint.finditer(text, first.start()), most + 1 - len(starts))
            starts += [m.start() - offset for m in found]
            if len(starts) > most:
                return [m.span() for m in _MAC_RE.finditer(text)]
    return [
        match.span()
        for start in sorted(set(starts))
        if start >= 0 and (match := _MAC_RE.match(text, start))
    ]


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
    if len(text) < 10 or not _DIGIT.search(text):  # the shortest number is +123456789
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
    if "/" not in text or "://" not in text:
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
    if "J" not in text or "eyJ" not in text:
        return []
    return [m.span() for m in _JWT_RE.finditer(text)]


_AWS_KEY_ID_RE = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
_AWS_SECRET_RE = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?:aws[_-]?)?secret[_-]?access[_-]?key[\"']?\s*+[:=]\s*+[\"']?"
    r"([A-Za-z0-9/+]++=*+)"
)


def _find_aws_access_key(text: str) -> list[Span]:
    spans = []
    if ("K" in text and "AKIA" in text) or ("S" in text and "ASIA" in text):
        spans.extend(m.span() for m in _AWS_KEY_ID_RE.finditer(text))
    if "secret" in text.lower():
        spans.extend(m.span(1) for m in _AWS_SECRET_RE.finditer(text))
    return _union(spans)


_PEM_BEGIN_RE = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_END_RE = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")


def _find_pem_private_key(text: str) -> list[Span]:
    if "K" not in text or "PRIVATE KEY" not in text:
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


# For a precheck on bytes: ASCII digits become "0", spaces and dashes " ", the rest "x"
# (characters outside ASCII become several bytes of 0x80 and above, so they stay "x").
_DIGITS_AND_GAPS = bytes.maketrans(
    bytes(range(256)),
    bytes(ord("0") if 48 <= b <= 57 else ord(" ") if b in b" -" else ord("x") for b in range(256)),
)


def _find_credit_card(text: str) -> list[Span]:
    # Every card has 13 digits or more; every candidate holds 13 digits in a row or two
    # groups of 3+ digits split by a space or a dash, which a translated copy shows at a
    # fraction of the cost of the search.
    if len(text) < 13:
        return []
    shape = text.encode("utf-8", "surrogatepass").translate(_DIGITS_AND_GAPS)
    if b"000 000" not in shape and b"0000000000000" not in shape:
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
        first = pattern.search(text)  # cheaper than an empty iteration; most texts have none
        if first is None:
            return []
        # The same matches as from 0: nothing starts before the first one.
        matches = pattern.finditer(text, first.start())
        return [m.span() for m in matches if m.end() > m.start()]

    return find


_ROUNDS = 4  # bounded: a custom pattern could match its own label


def _replace(text: str, hits: list[tuple[int, int, str]]) -> tuple[str, int]:
    """`text` with the merged spans of `hits` (see `Scrubber._hits`) replaced, and how many."""
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
            hits = self._hits(text)
            if not hits:
                break
            text, count = _replace(text, hits)
            total += count
        return text, total

    def _hits(self, text: str) -> list[tuple[int, int, str]]:
        """Every match as ``(start, -end, label)``, sorted: earliest first, longest on a tie."""
        hits = []
        for _, label, find in self._finders:
            spans = find(text)
            if spans:
                hits += [(start, -end, label) for start, end in spans]
        hits.sort()
        return hits

    def first_hit(self, text: str) -> str | None:
        """Name of the first configured detector (or "pattern") that matches, else None."""
        for name, _, find in self._finders:
            if find(text):
                return name
        return None
