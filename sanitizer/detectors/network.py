"""Network identifiers in text: IPv4 and IPv6 addresses (MAC addresses: `mac`).

Choices made where the right answer is not obvious:

* IPv4: a dotted quad of octets 0-255 not glued to other digits (letters may touch it, so
  ``host10.0.0.1`` yields ``10.0.0.1``). Leading zeros (``010``) are accepted on purpose:
  masking an address-looking thing is cheaper than leaking one. ``1.2.3.4.5`` yields
  ``1.2.3.4`` (the first quad wins), so an address in ``a.b.c.d.port`` notation (tcpdump)
  is not missed; six or more dotted numbers (an SNMP OID such as
  ``.1.3.6.1.4.1.2021.10.1.3.1``, a long version) are not addresses.
* A quad right after a version marker is a version, not an address: ``v2.19.5.57`` (the
  ``v`` not ending a word, so ``srv10.0.0.1`` is still an address), ``version 2.19.5.57``,
  ``ver:``, ``release``, ``build``, ``rev``, ``firmware``, ``fw``, ``chart``, ``image``,
  ``tag``, ``package``, ``upgraded`` and the like, also as JSON keys and camelCase
  (``"appVersion": "1.2.3.4"``), or a package version operator (``foo==1.2.3.4``). An
  unlabelled ``2.19.5.57`` is masked (details: `sanitizer.detectors.versions`).
* IPv4 inside host names: four dashed octets (0-255, leading zeros allowed, exactly four:
  not glued to a digit or to a fifth ``-octet``) count when the text says "host name": right
  after ``ip-`` (``ip-10-1-2-3``, ``ip-10-1-2-3.ec2.internal``; the ``ip`` not glued to a
  letter or digit), as a whole first label followed by a ``.`` and a letter
  (``10-1-2-3.nip.io``, ``10-1-2-3.ns.pod.cluster.local``), or ending a first label after a
  word and a dash, followed by a ``.`` and a letter, without leading zeros
  (``ec2-203-0-113-25.compute-1.amazonaws.com``, ``host-10-1-2-3.example.net``; the word
  ends in a letter or in a letter and one digit, so ``a-5-1-2-3-4.x`` is not four octets).
  Dates never qualify: a year is over 255, a month or day has a leading zero, and
  ``24-10-01-12`` alone (no ``ip-``, no following label) is left alone. Grey zone: a dashed
  version in a file name (``release-1-2-3-4.tar.gz``) is masked. The span covers the four
  octets only, so ``ip-`` and the domain stay readable.
* Reverse DNS: ``3.2.1.10.in-addr.arpa`` is 10.1.2.3 written backwards; its quad is found
  like any other and `find_ipv4_forms` marks it "reverse" so `mask_ip` can write the result
  back reversed. A full nibble name (32 hex digits, ``….ip6.arpa``) is an IPv6 address and
  belongs to `ipv6`; no dotted quad inside any nibble run before ``ip6.arpa`` is an IPv4
  address. Partial reverse zones (``2.1.10.in-addr.arpa``, fewer than 32 nibbles) name a
  network, not a host, and are left as written.
* IPv6: spans cover the address only: never the ``[ ]``, the ``:port``, the ``%zone`` or a
  ``/prefix``. The address must not touch ``[0-9A-Za-z_]`` on either side, so ``std::cerr``
  and ``Foo::Bar`` are left alone, but a whole token made only of hex digits and colons
  (``dead::beef``, an 8-group WWN ``20:00:00:25:b5:00:00:0f``) is a valid address and is
  masked. A bare ``::`` is never reported. It may start right after a single ``:`` so
  ``addr:2001:db8::1`` is found, and may be followed by ``:`` (``a:b:c:d:e:f:g:h:443``),
  but never touches a ``::`` it is not part of: ``1::2::3`` is junk and yields nothing.
  Ten or more colon-separated groups without a ``::`` hold no address: they are a
  link-layer header (netfilter's ``MAC=`` field, 14 pairs, which `mac` masks whole) or a
  fingerprint (``43:51:43:a1:…``, 16 or 20 pairs), never an address and more.
* MAC addresses: `sanitizer.detectors.mac`.

`find_ipv4` / `find_ipv6` keep reporting what they always did (dotted quads; textual IPv6
addresses), so their spans parse as addresses. `find_ipv4_forms` / `find_ipv6_forms` add the
host-name forms and say which form each span is; the `ipv4` and `ipv6` detectors use them.
"""

from __future__ import annotations

import functools
import ipaddress
import re

from sanitizer.detectors import mac
from sanitizer.detectors.base import Detector, Span, run_length_before, union
from sanitizer.detectors.versions import VERSION_WORDS, is_version, may_be_version_after

__all__ = [
    "DASHED",
    "DETECTORS",
    "DOTTED",
    "NIBBLES",
    "REVERSE",
    "TEXTUAL",
    "VERSION_WORDS",
    "find_address_forms",
    "find_ipv4",
    "find_ipv4_forms",
    "find_ipv6",
    "find_ipv6_forms",
]

# How a found address is written (the third item of a `find_ipv4_forms` /
# `find_ipv6_forms` entry): what `mask_ip` needs to write its result back the same way.
DOTTED = "dotted"  # 10.1.2.3
DASHED = "dashed"  # the 10-1-2-3 of ip-10-1-2-3.ec2.internal
REVERSE = "reverse"  # the 3.2.1.10 of 3.2.1.10.in-addr.arpa
TEXTUAL = "textual"  # any form `ipaddress` reads: 2001:db8::1, ::ffff:1.2.3.4, ...
NIBBLES = "nibbles"  # the 32 dotted nibbles before .ip6.arpa

Found = tuple[int, int, str]

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
    """Spans of IPv4 dotted quads (octets 0-255, leading zeros allowed), none inside a
    nibble run before ``ip6.arpa`` and none right after a version marker."""
    return _find_ipv4(text, None)


def _find_ipv4(text: str, arpa: bool | None) -> list[Span]:
    """`find_ipv4`; `arpa` is `_mentions_arpa(text)` where the caller knows it."""
    if not _IPV4_HINT.search(text):
        return []
    # The version check's first step reads the four characters before a quad: asked of the
    # cache of `may_be_version_after` here, without a call of its own per match.
    spans = [
        (start, m.end(k))
        for m in _IPV4_RE.finditer(text)
        for k in (m.lastindex,)  # never None: each alternative of _IPV4_RE is one group
        if k is not None
        and (
            ((start := m.start() - k) >= 4 and not may_be_version_after(text[start - 4 : start]))
            or not is_version(text, start)
        )
    ]
    if spans and (_mentions_arpa(text) if arpa is None else arpa):
        runs = [(start, end) for start, end, _ in _nibble_runs(text)]
        spans = [span for span in spans if not any(a <= span[0] < b for a, b in runs)]
    if spans and _LONG_DOTTED_HINT.search(text):
        runs = [m.span() for m in _LONG_DOTTED.finditer(text)]
        spans = [span for span in spans if not any(a <= span[0] < b for a, b in runs)]
    return spans


# Six or more dotted numbers (an SNMP OID such as .1.3.6.1.4.1.2021.10.1.3.1, a long
# version) are not an address; an address with a port (tcpdump's a.b.c.d.port) has five.
_LONG_DOTTED = re.compile(r"(?<![0-9.])\.?[0-9]++(?:\.[0-9]++){5,}+")
# Written out, not as a repeated group: the engine then scans for the leading "." (measured
# 0.6 µs against 9.6 µs on a 350-character plugin output).
_LONG_DOTTED_HINT = re.compile(r"\.[0-9]++\.[0-9]++\.[0-9]++\.[0-9]++\.[0-9]")


# Four dashed octets 0-255 (leading zeros allowed), exactly four.
_DASHED_OCTET = "(?:25[0-5]|2[0-4][0-9]|[01][0-9][0-9]|[0-9][0-9]?)"
_DASHED_QUAD = f"{_DASHED_OCTET}(?:-{_DASHED_OCTET}){{3}}"
_STRICT_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_STRICT_DASHED_QUAD = f"{_STRICT_OCTET}(?:-{_STRICT_OCTET}){{3}}"
_IPV4_DASHED_RE = re.compile(
    # After "ip-" (the "ip" not glued to a letter or digit), not followed by more octets.
    rf"(?<=[Ii][Pp]-)(?<![0-9A-Za-z][Ii][Pp]-)({_DASHED_QUAD})(?![0-9]|-[0-9])"
    # Or a whole first label of a host name: a "." and a letter follow.
    rf"|(?<![0-9A-Za-z_-])({_DASHED_QUAD})(?=\.[A-Za-z])"
    # Or ending a first label after a word and a dash (ec2-203-0-113-25.compute-1.amazonaws.com),
    # no leading zeros (app-24-01-02-03.log), the word not ending in a number (a-5-1-2-3-4.x).
    rf"|(?:(?<=[A-Za-z]-)|(?<=[A-Za-z][0-9]-))({_STRICT_DASHED_QUAD})(?=\.[A-Za-z])"
)
# Every dashed quad holds "-d-d-d" right after its first octet; the hint is zero-width after
# the dash so that every such dash is found, overlapping or not.
_IPV4_DASHED_HINT = re.compile(r"-(?=[0-9]{1,3}-[0-9]{1,3}-[0-9])")
_IN_ADDR = ".in-addr.arpa"
_DIGITS = frozenset("0123456789")


def _find_ipv4_dashed(text: str) -> list[Span]:
    """What ``_IPV4_DASHED_RE.finditer(text)`` finds, tried only at the start of the digit
    run before each dash that starts the shape of a dashed quad. Matches never overlap: a
    match is followed by neither a digit nor "-digit", or by "." and a letter."""
    found: list[Span] = []
    for hint in _IPV4_DASHED_HINT.finditer(text):
        dash = start = hint.start()
        while start > dash - 4 and start and text[start - 1] in _DIGITS:
            start -= 1
        # The first octet is the whole digit run before the dash: 1-3 digits.
        if start < dash < start + 4 and (match := _IPV4_DASHED_RE.match(text, start)):
            found.append(match.span(match.lastindex or 0))
    return found


def find_ipv4_forms(text: str) -> list[Found]:
    """Every IPv4 address with its form: dotted quads (a quad followed by ``.in-addr.arpa``
    is `REVERSE`) and dashed quads in host names (`DASHED`). Sorted by start; spans of
    different forms may overlap only in malformed text (``ip-1-2-3-4.5.6.7``)."""
    return _ipv4_forms(text, None)


def find_address_forms(text: str) -> tuple[list[Found], list[Found]]:
    """`find_ipv4_forms` and `find_ipv6_forms` of one text, which look for a reverse-DNS
    name once between them."""
    arpa = _mentions_arpa(text)
    return _ipv4_forms(text, arpa), _ipv6_forms(text, arpa)


def _ipv4_forms(text: str, arpa: bool | None) -> list[Found]:
    dotted = _find_ipv4(text, arpa)
    if dotted and (_mentions_arpa(text) if arpa is None else arpa):
        found = [
            (start, end, REVERSE if text[end : end + 13].lower() == _IN_ADDR else DOTTED)
            for start, end in dotted
        ]
    else:
        found = [(start, end, DOTTED) for start, end in dotted]
    if "-" in text:
        dashed = _find_ipv4_dashed(text)
        if dashed:
            found += [(start, end, DASHED) for start, end in dashed]
            found.sort()
    return found


def _find_ipv4_any(text: str) -> list[Span]:
    return union((start, end) for start, end, _ in find_ipv4_forms(text))


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
    if ":" not in text:
        return []
    hint = _IPV6_HINT.search(text)
    spans: list[Span] = []
    while hint is not None:
        # The run of address characters around the hint holds every match near it: the
        # expression is tried there only (its look-behinds still see the text before).
        position = hint.start()
        start = position - run_length_before(text, position, _ADDRESS_RUN)
        run = _ADDRESS_RUN.match(text, position)
        assert run is not None  # never None: _ADDRESS_RUN matches the empty string
        end = run.end()
        if text.count(":", start, end) < _MOST_COLONS or text.find("::", start, end) >= 0:
            matches = _IPV6_RE.finditer(text, start, min(len(text), end + 2))
            spans += [m.span() for m in matches if _is_ipv6(m.group())]
        hint = _IPV6_HINT.search(text, end)
    return spans


# Eight groups and a port have eight colons; a run of ten groups or more without a "::" is a
# link-layer header (netfilter's MAC=...:08:00) or a fingerprint, and holds no address.
_MOST_COLONS = 9
# What an address (with its dotted tail) is made of; a run of it is where one can lie.
_ADDRESS_RUN = re.compile(r"[0-9A-Fa-f:.]*+")


@functools.lru_cache(maxsize=4096)
def _is_ipv6(candidate: str) -> bool:
    if candidate == "::":
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


# --- IPv6 nibble names (…ip6.arpa) ----------------------------------------------------------

_IP6_ARPA = re.compile(r"[Ii][Pp]6\.[Aa][Rr][Pp][Aa]")


def _mentions_arpa(text: str) -> bool:
    """A precheck for reverse-DNS names, faster than any search with a case-blind letter."""
    return "arpa" in text.lower()


# Read backwards from just before "ip6.arpa": ".n" pairs, at most 32.
_NIBBLES_BACKWARDS = re.compile(r"(?:\.[0-9A-Fa-f]){0,32}+")
_NAME_CHAR = re.compile(r"[0-9A-Za-z_.-]")


def _nibble_runs(text: str) -> list[tuple[int, int, bool]]:
    """``(start, end, complete)`` of each run of dotted nibbles right before ``ip6.arpa``,
    its last dot excluded; `complete` when it is a whole address (32 nibbles, starting a
    name). Work per ``ip6.arpa`` is bounded: at most 64 characters are read back."""
    runs = []
    for hit in _IP6_ARPA.finditer(text):
        position = hit.start()
        if position and _NAME_CHAR.match(text, position - 1) and text[position - 1] != ".":
            continue  # "xip6.arpa": not the ip6.arpa label
        low = max(0, position - 64)
        nibbles = _NIBBLES_BACKWARDS.match(text[low:position][::-1])
        assert nibbles is not None  # never None: {0,32} matches the empty string
        length = nibbles.end()
        if not length:
            continue
        start = position - length
        complete = length == 64 and not (start and _NAME_CHAR.match(text, start - 1))
        after = hit.end()
        if after < len(text) and (text[after].isalnum() or text[after] in "_-"):
            continue  # "ip6.arpanet": not the ip6.arpa domain
        runs.append((start, position - 1, complete))
    return runs


def _nibbles_address(written: str) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address(int(written[::-1].replace(".", ""), 16))


def find_ipv6_forms(text: str) -> list[Found]:
    """Every IPv6 address with its form: what `find_ipv6` finds (`TEXTUAL`) and whole
    nibble names before ``ip6.arpa`` (`NIBBLES`, the span covering the 32 nibbles and the
    dots between them). Sorted by start, never overlapping."""
    return _ipv6_forms(text, _mentions_arpa(text))


def _ipv6_forms(text: str, arpa: bool) -> list[Found]:
    found = [(start, end, TEXTUAL) for start, end in find_ipv6(text)]
    if arpa:
        found += [(start, end, NIBBLES) for start, end, whole in _nibble_runs(text) if whole]
        found.sort()
    return found


def _find_ipv6_any(text: str) -> list[Span]:
    return [(start, end) for start, end, _ in find_ipv6_forms(text)]


DETECTORS = (
    Detector(
        "ipv4",
        "[IPV4]",
        _find_ipv4_any,
        "IPv4 addresses: dotted, dashed in host names (ip-10-1-2-3), reverse DNS (in-addr.arpa)",
        anchors=(_IPV4_HINT.pattern, r"-[0-9]{1,3}-[0-9]{1,3}-[0-9]"),
    ),
    Detector(
        "ipv6",
        "[IPV6]",
        _find_ipv6_any,
        "IPv6 addresses in every textual form, and full reverse-DNS nibble names (ip6.arpa)",
        anchors=(_IPV6_HINT.pattern, _IP6_ARPA.pattern),
    ),
    *mac.DETECTORS,
)
