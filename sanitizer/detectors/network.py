"""Network identifiers in text: IPv4 and IPv6 addresses, MAC addresses.

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
"""

from __future__ import annotations

import functools
import ipaddress
import itertools
import re

from sanitizer.detectors.base import Detector, Span

__all__ = ["DETECTORS", "find_ipv4", "find_ipv6"]

# --- IPv4 -----------------------------------------------------------------------------------

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


DETECTORS = (
    Detector("ipv4", "[IPV4]", find_ipv4),
    Detector("ipv6", "[IPV6]", find_ipv6),
    Detector("mac", "[MAC]", _find_mac),
)
