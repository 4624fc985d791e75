"""MAC addresses in text.

Choices made where the right answer is not obvious:

* Six hex pairs split by ``:`` or ``-`` (one separator throughout), six groups of one or two
  hex digits split by ``:`` as BSD and macOS print them (``0:1e:c2:a:b:c``), Cisco's
  ``0123.4567.89ab``; and, when a label says it is one, twelve bare hex digits, six pairs
  split by spaces or dots (``00 1a 2b 3c 4d 5e``, as some switch and DHCP logs print them)
  and two halves of six split by ``-`` or ``:`` (HP and Aruba switches' ``001a2b-3c4d5e``).
  The labels: ``mac``, ``mac address``, ``macaddr``, ``hwaddr``, ``HWaddr``, ``ether``,
  ``ethernet``, ``ether_addr``, ``link/ether``, ``lladdr``, ``chaddr``, followed by up to a
  few of ``:``, ``=``, spaces, quotes, the backslashes of escaped JSON and the end of an
  XML tag (``"mac": "001a2b3c4d5e"``, ``<mac>00 1a 2b 3c 4d 5e</mac>``). Unlabelled,
  these shapes are as likely a hash prefix, an id or a hex dump (``0000: 00 1a 2b 3c 4d 5e
  6f 70``), so they are left alone; a labelled run of pairs longer than six split by
  spaces or dots is a dump too. Split by colons after a label it is a link-layer header,
  masked whole: netfilter's ``MAC=00:1a:2b:3c:4d:5e:00:1a:2b:3c:4d:5f:08:00`` (destination,
  source, EtherType), which would otherwise read as an IPv6 address and a remainder.
"""

from __future__ import annotations

import itertools
import re

from sanitizer.detectors.base import Detector, Span, run_length_before, union

__all__ = ["DETECTORS"]

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


# Twelve bare hex digits after a label that says "MAC address". "mac" may end a word
# (src_mac, srcMac) but not follow a lower-case letter unless capitalised (so not "imac");
# the other labels must start a word.
_MAC_LABEL = (
    r"(?:(?:(?<![A-Za-z])[Mm]|(?<=[a-z])M)[Aa][Cc](?:[ _-]?[Aa][Dd][Dd][Rr](?:[Ee][Ss][Ss])?)?"
    r"|(?<![A-Za-z])(?:[Hh][Ww][ _-]?[Aa][Dd][Dd][Rr](?:[Ee][Ss][Ss])?"
    r"|[Ee][Tt][Hh][Ee][Rr](?:[Nn][Ee][Tt])?(?:[ _-]?[Aa][Dd][Dd][Rr](?:[Ee][Ss][Ss])?)?"
    r"|[Ll][Ll][Aa][Dd][Dd][Rr]|[Cc][Hh][Aa][Dd][Dd][Rr]))"
)
_MAC_BARE_RE = re.compile(
    rf"{_MAC_LABEL}[\s\\\"':=>]{{1,8}}+("
    r"[0-9A-Fa-f]{12}"
    # Pairs split by spaces or dots: not a seventh pair (a hex dump).
    rf"|{_HEX2}([ .]){_HEX2}(?:\2{_HEX2}){{4}}(?!\2{_HEX2})"
    r"|[0-9A-Fa-f]{6}[:-][0-9A-Fa-f]{6}"
    # A link-layer header: netfilter's LOG writes "MAC=" and the destination address, the
    # source address and the EtherType as one run of 14 pairs (more for other links).
    rf"|{_HEX2}(?::{_HEX2}){{6,}}+"
    r")(?![0-9A-Za-z_])"
)
_MAC_LABEL_HINT = re.compile(r"[Mm][Aa][Cc]|[Aa][Dd][Dd][Rr]|[Ee][Tt][Hh][Ee][Rr]")


def _find_labelled_bare_mac(text: str) -> list[Span]:
    """What ``_MAC_BARE_RE`` finds, tried only where a label can start: at each hint, or
    two or three characters before an "addr" (``chaddr``, ``hw_addr``)."""
    if len(text) < 15:
        return []
    lowered = text.lower()  # a precheck only: lower() may change the length
    if "mac" not in lowered and "addr" not in lowered and "ether" not in lowered:
        return []
    found: set[Span] = set()
    for hint in _MAC_LABEL_HINT.finditer(text):
        position = hint.start()
        starts = (position,) if text[position] not in "Aa" else (position - 2, position - 3)
        for start in starts:
            match = _MAC_BARE_RE.match(text, start) if start >= 0 else None
            if match is not None:
                found.add(match.span(1))
    return sorted(found)


# Six colon-separated groups of 1-2 hex digits (BSD and macOS arp drop leading zeros) hold
# ":g:g:g:g:", a hint that opens with a literal; the hex-and-colon run around it is the address.
_MAC_UNPADDED_HINT = re.compile(r":[0-9A-Fa-f]{1,2}:[0-9A-Fa-f]{1,2}:[0-9A-Fa-f]{1,2}:")
_MAC_UNPADDED_RE = re.compile(r"[0-9A-Fa-f]{1,2}(?::[0-9A-Fa-f]{1,2}){5}")
_HEX_COLON_RUN = re.compile(r"[0-9A-Fa-f:]*+")
_MAC_GLUED = re.compile(r"[0-9A-Za-z_.-]")


def _find_unpadded_mac(text: str) -> list[Span]:
    found = []
    hint = _MAC_UNPADDED_HINT.search(text)
    while hint is not None:
        position = hint.start()
        start = position - run_length_before(text, position, _HEX_COLON_RUN)
        run = _HEX_COLON_RUN.match(text, position)
        assert run is not None  # never None: the run may be empty
        end = run.end() - text.endswith(":", position, run.end())  # "…:5e: up"
        glued = (start and _MAC_GLUED.match(text, start - 1)) or _MAC_GLUED.match(text, end)
        if not glued and end - start < 17 and _MAC_UNPADDED_RE.fullmatch(text, start, end):
            found.append((start, end))  # (17 characters and more: padded, `_find_mac`'s)
        hint = _MAC_UNPADDED_HINT.search(text, end)
    return found


def _find_mac_any(text: str) -> list[Span]:
    bare = _find_labelled_bare_mac(text) + (_find_unpadded_mac(text) if ":" in text else [])
    separated = _find_mac(text)
    return union(bare + separated) if bare else separated


DETECTORS = (
    Detector(
        "mac",
        "[MAC]",
        _find_mac_any,
        "MAC addresses: colon, dash, Cisco dotted, and labelled bare (mac=001a2b3c4d5e)",
        anchors=(
            r"[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-]",
            r"\.[0-9A-Fa-f]{4}\.",
            _MAC_LABEL_HINT.pattern,
            _MAC_UNPADDED_HINT.pattern,
        ),
    ),
)
