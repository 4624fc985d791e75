"""Contact details in text: e-mail addresses and phone numbers.

Choices made where the right answer is not obvious:

* E-mail local parts are letters and digits of any script plus ``!#$%&*+_.~-``, not the
  rarer ``'=/?^`{|}``, so ``user='bob@example.com'`` keeps ``user='``. The "@" may be
  URL-encoded once or twice (``bob%40example.com``, ``bob%2540example.com``); an encoded
  delimiter (``%3D``, ``%26``, ``%20``...) ends the local part, so ``q=email%3Dbob%40x.com``
  keeps ``email%3D``. The domain needs a dot and a top-level label of two characters or more
  that starts with a letter (any script; punycode too), so ``root@localhost``,
  ``nagios@db01``, ``lodash@4.17.21``, ``@mentions``, ``@Override`` and ``@types/node`` are
  left alone, as are image scales (``icon@2x.png``). ``git@github.com:org/repo`` *is* a user
  at a host and becomes ``[EMAIL]:org/repo``; so would a contrived version such as
  ``pkg@1.2.3-rc.final``.
* Phone numbers: an international prefix (``+CC`` or ``00CC``, 9-15 digits after it), or a
  national shape standing alone: no letter, digit, dot, comma, dash, slash or plus glued to
  it, and no digit group continuing it through a separator on either side, so it is never
  part of a longer number. The shapes: North American ``202-555-0143``, ``202.555.0143``,
  ``202 555 0143``, ``(202) 555-0143``, optionally after ``1``, area and exchange 2-9, one
  separator throughout; French ``01 23 45 67 89`` / ``06.12.34.56.78``; a trunk ``0`` and an
  area code (3-6 digits in all), then the subscriber number as one block (``030 1234567``,
  ``07700 900123``, ``030/1234567``, ``030 / 1234567``), in groups of 2-4 digits split by
  spaces or by dashes (``020 7946 0958``, ``020-7946-0958``, ``(030) 123 456 78``), or as
  DIN 5008 writes an extension (``030 1234-5678``, ``(030) 1234-5678``), 9-12 digits in
  all: the UK and German forms. A North American extension glued on (``x123``) is taken
  with its number. After a phone label (``phone``, ``tel``, ``telephone``, ``mobile``,
  ``msisdn``, ``fax``, also ending a camelCase or snake_case name: ``customerPhone``,
  ``mobile_phone``), a compact run of 7-15 digits (maybe after ``+``) is a number too:
  ``phone=4155550100``, ``"msisdn": "447700900123"``. Grey zone: three numbers shaped
  3-3-4 with the first two 2-9 (``ports 443 808 8080``, a version ``234.567.1999``) and
  zero-led ids of those shapes (``0123-456789``) are masked; unlabelled compact national
  numbers (``07700900123``) and ``00``-prefixed ones (``004930123456``), a number followed
  by another digit group (``0151 23456789 12:30``) and the text of a JSON number (no ``+``,
  no label) are not found. Byte counts (``1 234 567``), money (``EUR 1 234,56``),
  timestamps, durations, versions, perfdata, IP addresses and OIDs do not have these shapes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sanitizer.detectors.base import DIGIT, Detector, Span, run_length_before, union
from sanitizer.detectors.personal.shapes import ALONE_AFTER

__all__ = ["DETECTORS"]

# --- E-mail -----------------------------------------------------------------------------------

_EMAIL_LOCAL = r"[\w!#$%&*+.~-]"
_EMAIL_LOCAL_RUN = re.compile(f"{_EMAIL_LOCAL}*+")
_EMAIL_LOCAL_CHAR = re.compile(_EMAIL_LOCAL)
_ENCODED_AT_RE = re.compile("%(?:2540|40)")  # as fast as one `in` check
_AT_RE = re.compile("@|%(?:2540|40)")
# A label: letters and digits of any script, inner hyphens (and underscores, seen in
# internal names); the top-level label starts with a letter and has two characters or more.
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_EMAIL_DOMAIN_RE = re.compile(
    rf"(?:@|%(?:25)?40)((?:{_LABEL}\.)+[^\W\d_](?:[\w-]{{0,61}}[^\W_]))(?![^\W_]|-)"
)
# Image scales (icon@2x.png) are not domains.
_NOT_A_DOMAIN_RE = re.compile(r"[1-4](?:\.5)?x\.(?i:png|jpe?g|gif|webp|svg|avif|ico|bmp)(?![\w.-])")
# A URL-encoded delimiter (space " & ' ( ) , / : ; < = > ? [ ] |, once or twice encoded)
# cannot be part of a local part.
_ENCODED_DELIMITER_RE = re.compile(r"%(?:25)?(?:2[0236789CcFf]|3[A-Fa-f]|5[BbDd]|7[Cc])")


def _email_start(text: str, at: int) -> int:
    """Where the local part before the "@" at `at` starts: the whole run of local-part
    characters, after the last URL-encoded delimiter in it."""
    start = at - run_length_before(text, at, _EMAIL_LOCAL_RUN)
    if text.find("%", start, at) >= 0:
        for delimiter in _ENCODED_DELIMITER_RE.finditer(text, start, at):
            start = delimiter.end()
    return start


def _positions(text: str, char: str) -> Iterator[int]:
    at = text.find(char)
    while at >= 0:
        yield at
        at = text.find(char, at + 1)


def _at_signs(text: str) -> Iterator[int]:
    return (match.start() for match in _AT_RE.finditer(text))


def _find_email(text: str) -> list[Span]:
    """Every "@" (or encoded "@") with a local part before it and a domain after it.

    A match holds exactly one "@" and its local part is the run of local-part characters
    before it, so each "@" is tried once, at the start that run gives; one whose local part
    starts inside the previous match is left to the scrubber's next round, when that match
    is a label.
    """
    encoded = "%" in text and _ENCODED_AT_RE.search(text) is not None
    if not encoded and "@" not in text:
        return []
    spans = []
    end = 0
    for at in _at_signs(text) if encoded else _positions(text, "@"):
        if at <= end or _EMAIL_LOCAL_CHAR.match(text, at - 1) is None:
            continue
        domain = _EMAIL_DOMAIN_RE.match(text, at)  # fails fast where there is none
        if domain is None or _NOT_A_DOMAIN_RE.match(text, domain.start(1)):
            continue
        start = _email_start(text, at)
        if start >= end and start < at:
            end = domain.end()
            spans.append((start, end))
    return spans


# --- Phone numbers ----------------------------------------------------------------------------

_PHONE_GROUP = r"(?:[ .-]?\([0-9]{1,4}\)|(?:[ .-]|(?<=\)))[0-9]{1,12}+)"
_PHONE_PLUS_RE = re.compile(
    rf"\+(?<![\w+]\+)[1-9][0-9]{{0,2}}+(?:{_PHONE_GROUP}{{1,8}}+|[0-9]{{5,14}}+)(?![0-9])"
)
# "00" opens an international number, never a decimal's fraction ("0.001 2001-09-10").
_PHONE_00_RE = re.compile(
    rf"00(?<![\w+]00)(?<![0-9][.,]00)[1-9][0-9]{{0,2}}+{_PHONE_GROUP}{{1,8}}+(?![0-9])"
)
# A signed or zero-padded decimal ("+1.234567890", an NTP offset) is not a phone number, nor
# is Cisco's dotted MAC address when its hex digits happen to be decimal (0011.2233.4455).
_PHONE_DECIMAL_RE = re.compile(r"(?:\+|00)[0-9]+\.[0-9]+|00[0-9]{2}\.[0-9]{4}\.[0-9]{4}")

# National shapes stand alone: nothing glued before them but a space, a colon or an opening
# bracket or quote, and no digit group continuing them through a separator on either side
# (`ALONE_AFTER`).
_NANP = r"[2-9][0-9]{2}"
# North America: 1-202-555-0143, 1 (202) 555-0143, 202.555.0143, (202) 555-0143. The first
# character is read by a class and the branches look back at it: a pattern that opens with a
# class is only tried where that class matches.
_PHONE_NANP_RE = re.compile(
    r"[0-9(](?<![\w.,+/-][0-9(])(?<![0-9][ .,:/-][0-9])(?:"
    rf"(?<=1)([ .-]){_NANP}\1{_NANP}\1[0-9]{{4}}"
    rf"|(?<=1)[ .-]?\({_NANP}\)[ .-]?{_NANP}[ .-][0-9]{{4}}"
    rf"|(?<=[2-9])[0-9]{{2}}([ .-]){_NANP}\2[0-9]{{4}}"
    rf"|(?<=\(){_NANP}\)[ .-]?{_NANP}[ .-][0-9]{{4}}"
    # An extension glued on (415-555-0100x123) is taken with the number.
    rf")(?:x[0-9]{{1,6}}+)?{ALONE_AFTER}"
)
# A subscriber number: one block, or groups of 2-4 digits split by spaces; or (DIN 5008) a
# block, a dash and an extension (1234-5678, 12345-67).
_SUBSCRIBER = "(?:[0-9]{3,8}+|[0-9]{2,4}+(?: [0-9]{2,4}+){1,3}+)"
_SUBSCRIBER_DASHED = "[0-9]{2,8}+-[0-9]{1,5}+"
# Numbers dialled with a trunk 0, anchored on that 0 (a literal opening: the fastest search).
# France: 01 23 45 67 89, 06.12.34.56.78. Elsewhere (UK, Germany...): an area code of 3-6
# digits and the subscriber number, one block or groups of 2-4 digits: 030 1234567,
# 030/1234567, 07700 900123, 020 7946 0958, (030) 123 456 78.
_PHONE_TRUNK_RE = re.compile(
    r"0[1-9](?<![\w.,+/-]0[1-9])(?<![0-9][ .,:/-]0[1-9])(?:"
    r"([ .-])[0-9]{2}(?:\1[0-9]{2}){3}"
    rf"|[0-9]{{1,4}}+(?:[ /-][0-9]{{3,8}}+|(?: [0-9]{{2,4}}+){{2,4}}+| {_SUBSCRIBER_DASHED}"
    rf"|(?:-[0-9]{{2,4}}+){{2,3}}+| / {_SUBSCRIBER})"
    r"|(?<=\(0[1-9])(?<![\w.,+/-]\(0[1-9])[0-9]{1,4}+\)"
    rf"(?: ?{_SUBSCRIBER}| ?{_SUBSCRIBER_DASHED})"
    rf"){ALONE_AFTER}"
)
# For finding candidates on bytes: ASCII digits become "0", spaces, slashes and dashes " ",
# dots and brackets stay, the rest is "x".
_PHONE_SHAPE = bytes.maketrans(
    bytes(range(256)),
    bytes(
        ord("0") if 48 <= b <= 57 else ord(" ") if b in b" /-" else b if b in b".()" else 120
        for b in range(256)
    ),
)
# Where a North American number has its exchange and line numbers, in that shape.
_NANP_HINTS = (b"000 0000", b"000.0000")


def _digit_count(text: str) -> int:
    return sum(char.isdigit() for char in text)


def _nanp_phones(text: str, shape: bytes) -> list[Span]:
    """North American numbers: the pattern opens with a class, slow to search for, so in
    ASCII text (where the shape's offsets are the text's) it is only tried around the
    exchange and line numbers the shape shows."""
    if not text.isascii():
        return [match.span() for match in _PHONE_NANP_RE.finditer(text)]
    spans = []
    for hint in _NANP_HINTS:
        at = shape.find(hint)
        while at >= 0:
            # "1 (202) " is the longest text before the exchange; the pattern reads an
            # extension of up to seven characters and looks two characters past it.
            window = _PHONE_NANP_RE.finditer(text, max(0, at - 8), at + len(hint) + 10)
            spans += [match.span() for match in window]
            at = shape.find(hint, at + 1)
    return union(spans)


def _national_phones(text: str) -> list[Span]:
    spans = _nanp_phones(text, text.encode("utf-8", "surrogatepass").translate(_PHONE_SHAPE))
    for match in _PHONE_TRUNK_RE.finditer(text):
        if 9 <= _digit_count(match.group()) <= 12:
            opened = ")" in match.group()  # "(030) 123 456 78" starts at the "("
            spans.append((match.start() - opened, match.end()))
    return spans


# A UUID's middle groups can read as a dialled number (…-0045-4619-8176-…): never a phone.
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
# What every UUID holds, opening with a literal: the search for it skips ahead to each "-",
# where `_UUID_RE` is tried at every position (measured 0.5 against 7 µs, 470 characters).
_UUID_HINT = re.compile(r"-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-")


def _outside_uuids(text: str, spans: list[Span]) -> list[Span]:
    if not spans or "-" not in text or not _UUID_HINT.search(text):
        return spans
    uuids = [match.span() for match in _UUID_RE.finditer(text)]
    if not uuids:
        return spans
    return [(a, b) for a, b in spans if not any(u < b and a < v for u, v in uuids)]


def _find_phone(text: str) -> list[Span]:
    if len(text) < 10 or not DIGIT.search(text):  # the shortest number is +123456789
        return []
    spans = []
    for marker, pattern, prefix_digits in (("+", _PHONE_PLUS_RE, 0), ("00", _PHONE_00_RE, 2)):
        if marker not in text:
            continue
        for match in pattern.finditer(text):
            digits = _digit_count(match.group()) - prefix_digits
            if 9 <= digits <= 15 and not _PHONE_DECIMAL_RE.fullmatch(match.group()):
                spans.append(match.span())
    spans += _labelled_phones(text)
    return union(_outside_uuids(text, spans + _national_phones(text)))


# A compact number (7-15 digits, maybe after "+") right after a label that says "phone":
# ``phone=4155550100``, ``"msisdn": "447700900123"``, ``Tel.: 0301234567``,
# ``customerPhone: 07700900123``. Unlabelled, such a run is as likely a count or an id.
_PHONE_LABELLED_RE = re.compile(
    r"(?:(?ai:(?<![a-z])(?:phone|tel(?:ephone)?|mobile|msisdn|fax))"
    r"|(?<=[a-z])(?:Phone|Tel|Telephone|Mobile|Msisdn|Fax))"
    r"(?ai:[ _-]?(?:number|num|nr|no))?\.?(?![A-Za-z])"
    r"[\s\"'\\:=#>(]{0,12}+"
    r"(\+?[0-9]{7,15}+)(?![\w])(?![.,][0-9])"
)
_PHONE_LABELS = ("phone", "tel", "mobile", "msisdn", "fax")


def _labelled_phones(text: str) -> list[Span]:
    lowered = text.lower()  # a precheck only: lower() may change the length
    if not any(label in lowered for label in _PHONE_LABELS):
        return []
    return [match.span(1) for match in _PHONE_LABELLED_RE.finditer(text)]


# RE2 anchors for the scrubber's one-pass prefilter: every text a finder finds something in
# matches one of its anchors.
_EMAIL_ANCHORS = ("@", "%(?:25)?40")
_PHONE_ANCHORS = (
    r"\+[1-9]",
    "00[1-9]",
    "[0-9]{3}[ .-][0-9]{4}",  # North American exchange and line
    "0[1-9][0-9]{1,4}[ /-][0-9]{2}",  # trunk 0 and area code
    "0[1-9][ .-][0-9]{2}[ .-][0-9]{2}",  # France
    r"\(0[1-9]",
    "0[1-9][0-9]{1,4} / [0-9]",  # trunk 0 and area code, DIN 5008 slash
    # A compact number after a phone label (`_PHONE_LABELLED_RE`, ASCII letters only).
    r"(?i:phone|tel|mobile|msisdn|fax)[^0-9]{0,24}[0-9]{7}",
)

DETECTORS = (
    Detector(
        "email",
        "[EMAIL]",
        _find_email,
        "e-mail addresses, also URL-encoded and internationalised",
        anchors=_EMAIL_ANCHORS,
    ),
    Detector(
        "phone",
        "[PHONE]",
        _find_phone,
        "phone numbers: international (+CC, 00CC), North American, UK, German, French forms,"
        " and compact ones after a phone label",
        anchors=_PHONE_ANCHORS,
    ),
)
