"""Personal data in text: e-mail addresses, phone numbers, US social security numbers, IBANs
and payment card numbers.

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
  ``07700 900123``, ``030/1234567``) or in groups of 2-4 digits (``020 7946 0958``,
  ``(030) 123 456 78``), 9-12 digits in all: the UK and German forms. Grey zone: three
  numbers shaped 3-3-4 with the first two 2-9 (``ports 443 808 8080``, a version
  ``234.567.1999``) and zero-led ids of those shapes (``0123-456789``) are masked; compact
  national numbers (``07700900123``), a number followed by another digit group
  (``0151 23456789 12:30``) and the text of a JSON number (no ``+``) are not found. Byte
  counts (``1 234 567``), money (``EUR 1 234,56``), timestamps, durations, versions, perfdata,
  IP addresses and OIDs do not have these shapes.
* SSNs: ``123-45-6789`` or ``123 45 6789`` within the issued ranges (area not 000, 666 or
  900-999, group not 00, serial not 0000); nine plain digits only after an SSN label
  (``ssn=``, ``"ssn": "``, ``SSN:``, ``customerSsn``, ``social security number``), and then
  in any range, since the label says what it is. Only the number is replaced. A JSON number
  under an ``ssn`` key reaches a detector without its key: select such fields by key.
* IBANs: a country code with its ISO 13616 length and a valid mod-97 check, compact or in
  groups of four split by single spaces, any case, not glued to letters or digits. Grey
  zone: an alphanumeric token of exactly a country's length that starts with its code and
  two digits (a 24-character hex id starting ``ad12``) passes the check once in 97 times.
* Card numbers: 13-19 digits, contiguous or in groups of 3-6 split by spaces or dashes, first
  digit 2-6 (every major network), Luhn-valid; the decimal text of a JSON number is found.
  The 2-6 rule keeps epoch-millisecond (until 2286) and epoch-nanosecond (until 2033)
  timestamps, which start with 1, from being masked; compact ``YYYYmmddHHMMSS[fff]``
  timestamps are skipped too, and so are digits in a hex value (WWNs, hashes, ``0x...``).
  Grey zone: a 16-digit order id starting 2-6 is Luhn-valid one time in ten and is then
  masked.

Patterns that open with a character class are slow to search for (every position where the
class matches is tried), so in ASCII text the slow ones are tried only where a "shape" of the
text (a `bytes.translate` copy: digits "0", separators " ") holds the literal every match
contains.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sanitizer.detectors.base import DIGIT, Detector, Span, run_length_before, union

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
_PHONE_00_RE = re.compile(rf"00(?<![\w+]00)[1-9][0-9]{{0,2}}+{_PHONE_GROUP}{{1,8}}+(?![0-9])")
# A signed or zero-padded decimal ("+1.234567890", an NTP offset) is not a phone number.
_PHONE_DECIMAL_RE = re.compile(r"(?:\+|00)[0-9]+\.[0-9]+")

# National shapes stand alone: nothing glued before them but a space, a colon or an opening
# bracket or quote, and no digit group continuing them through a separator on either side.
_ALONE_AFTER = r"(?![\w])(?![ .,:/-][0-9])(?!-[A-Fa-f])"
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
    rf"){_ALONE_AFTER}"
)
# Numbers dialled with a trunk 0, anchored on that 0 (a literal opening: the fastest search).
# France: 01 23 45 67 89, 06.12.34.56.78. Elsewhere (UK, Germany...): an area code of 3-6
# digits and the subscriber number, one block or groups of 2-4 digits: 030 1234567,
# 030/1234567, 07700 900123, 020 7946 0958, (030) 123 456 78.
_PHONE_TRUNK_RE = re.compile(
    r"0[1-9](?<![\w.,+/-]0[1-9])(?<![0-9][ .,:/-]0[1-9])(?:"
    r"([ .-])[0-9]{2}(?:\1[0-9]{2}){3}"
    r"|[0-9]{1,4}+(?:[ /-][0-9]{3,8}+|(?: [0-9]{2,4}+){2,4}+)"
    r"|(?<=\(0[1-9])(?<![\w.,+/-]\(0[1-9])[0-9]{1,4}+\)"
    r"(?: ?[0-9]{3,8}+| ?[0-9]{2,4}+(?: [0-9]{2,4}+){1,3}+)"
    rf"){_ALONE_AFTER}"
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
            # "1 (202) " is the longest text before the exchange; the pattern looks two
            # characters past the line number.
            window = _PHONE_NANP_RE.finditer(text, max(0, at - 8), at + len(hint) + 3)
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
    return union(spans + _national_phones(text))


def _starts(pattern: re.Pattern[str], text: str, shape: bytes, hint: bytes) -> Iterator[int]:
    """Where `pattern` matches in `text`, found as the places where `hint` occurs in the
    text's `shape`. A pattern that opens with a class is slow to search for; a literal is
    fast. The shape's offsets are the text's only in ASCII text, so other text is searched
    with `pattern`."""
    if not text.isascii():
        yield from (match.start() for match in pattern.finditer(text))
        return
    at = shape.find(hint)
    while at >= 0:
        yield at
        at = shape.find(hint, at + 1)


def _matches(pattern: re.Pattern[str], text: str, shape: bytes, hint: bytes) -> list[re.Match[str]]:
    """Non-overlapping matches of `pattern`, which starts where `hint` is in `shape`."""
    found: list[re.Match[str]] = []
    for start in _starts(pattern, text, shape, hint):
        if found and start < found[-1].end():
            continue
        match = pattern.match(text, start)
        if match is not None:
            found.append(match)
    return found


# --- Shapes of digit runs, for prechecks -------------------------------------------------------

# For a precheck on bytes: ASCII digits become "0", spaces and dashes " ", the rest "x"
# (characters outside ASCII become several bytes of 0x80 and above, so they stay "x").
_DIGITS_AND_GAPS = bytes.maketrans(
    bytes(range(256)),
    bytes(ord("0") if 48 <= b <= 57 else ord(" ") if b in b" -" else ord("x") for b in range(256)),
)


def _shape(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass").translate(_DIGITS_AND_GAPS)


# --- US social security numbers ---------------------------------------------------------------

_SSN_SHAPED_RE = re.compile(
    r"[0-8](?<![\w.,+/-][0-8])(?<![0-9][ .,:/-][0-8])[0-9]{2}(?<!000)(?<!666)"
    rf"([ -])(?!00)[0-9]{{2}}\1(?!0000)[0-9]{{4}}{_ALONE_AFTER}"
)
# A label, then at most a few quotes, escapes, colons, equals signs or spaces.
_SSN_LABELLED_RE = re.compile(
    r"(?:(?i:(?<![a-z])ssn|social[ _-]?security)|(?<=[a-z])S(?:SN|sn))"
    r"(?i:[ _-]?(?:number|num|nr|no)\.?)?(?![A-Za-z])"
    r"[\s\"'\\:=#>(]{0,12}+"
    r"([0-9]{3}([ -]?)[0-9]{2}\2[0-9]{4})(?![\w])(?![.,][0-9])"
)
_SSN_LABELS = ("ssn", "social")


def _find_ssn(text: str) -> list[Span]:
    if len(text) < 9:
        return []
    shape = _shape(text)
    spans = []
    shaped = b"000 00 0000" in shape
    if shaped:
        spans += [m.span() for m in _matches(_SSN_SHAPED_RE, text, shape, b"000 00 0000")]
    if shaped or b"000000000" in shape:
        lowered = text.lower()
        if any(label in lowered for label in _SSN_LABELS):
            spans += [m.span(1) for m in _SSN_LABELLED_RE.finditer(text)]
    return union(spans)


# --- IBANs ------------------------------------------------------------------------------------

# ISO 13616 (SWIFT IBAN registry, 2024): the length of an IBAN for each country code.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
_IBAN_MIN, _IBAN_MAX = min(_IBAN_LENGTHS.values()), max(_IBAN_LENGTHS.values())
# Compact, or the first four characters and groups of four, the last one shorter maybe.
# The groups are bounded (9 hold the longest IBAN), so a long run of them costs little per
# start; what the table does not allow is cut off afterwards.
_IBAN_RE = re.compile(
    r"[A-Za-z](?<![A-Za-z0-9][A-Za-z])[A-Za-z][0-9]{2}"
    rf"(?:[A-Za-z0-9]{{{_IBAN_MIN - 4},{_IBAN_MAX - 4}}}+(?![A-Za-z0-9])"
    r"|(?: [A-Za-z0-9]{1,4}+(?![A-Za-z0-9])){2,8}+)"
)
# For a precheck on bytes: ASCII letters become "a", digits "0", the rest "x".
_LETTERS_AND_DIGITS = bytes.maketrans(
    bytes(range(256)),
    bytes(
        ord("0") if 48 <= b <= 57 else ord("a") if chr(b).isascii() and chr(b).isalpha() else 120
        for b in range(256)
    ),
)
_IBAN_START_RE = re.compile(r"[A-Za-z](?<![A-Za-z0-9][A-Za-z])[A-Za-z][0-9]{2}")
_LETTER_VALUES = str.maketrans({chr(c): str(c - 55) for c in range(ord("A"), ord("Z") + 1)})


def _iban_ok(iban: str) -> bool:
    """`iban` (upper case, no spaces) has its country's length and a valid check."""
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban.isalnum():
        return False
    return int((iban[4:] + iban[:4]).translate(_LETTER_VALUES)) % 97 == 1


def _iban_in(found: str) -> int:
    """Length of the IBAN at the start of a candidate `found`, or 0: a compact candidate must
    be one whole IBAN; a grouped one is cut after the groups its country's length needs,
    every group before the last holding four characters."""
    length = _IBAN_LENGTHS.get(found[:2].upper())
    if length is None:
        return 0
    if " " not in found:
        return len(found) if _iban_ok(found.upper()) else 0
    groups = found.split(" ")
    kept: list[str] = []
    count = 0
    for group in groups:
        if count >= length:
            break
        if kept and len(kept[-1]) != 4:
            return 0
        kept.append(group)
        count += len(group)
    if count != length or not _iban_ok("".join(kept).upper()):
        return 0
    return count + len(kept) - 1


def _find_iban(text: str) -> list[Span]:
    if len(text) < _IBAN_MIN:
        return []
    shape = text.encode("utf-8", "surrogatepass").translate(_LETTERS_AND_DIGITS)
    if b"aa00" not in shape:
        return []
    spans = []
    end = 0
    # A candidate that is no IBAN may hold one starting at a later group: every start is
    # tried, not only those after a failed candidate.
    for start in _starts(_IBAN_START_RE, text, shape, b"aa00"):
        if start < end:
            continue
        match = _IBAN_RE.match(text, start)
        length = _iban_in(match.group()) if match else 0
        if length:
            end = start + length
            spans.append((start, end))
    return spans


# --- Payment cards ----------------------------------------------------------------------------

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


_GLUED_RE = re.compile(r"[0-9A-Za-z]{0,16}")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _in_hex(text: str, start: int, end: int) -> bool:
    """The digits at `start:end` are part of a hexadecimal value (a WWN, a hash, ``0x...``):
    the letters and digits glued to them on one side (up to 16) are all hex digits."""
    piece = text[max(0, start - 16) : start]
    glued_before = _GLUED_RE.match(piece[::-1])
    glued_after = _GLUED_RE.match(text, end)
    # Never None: _GLUED_RE ({0,16}) matches the empty string.
    assert glued_before is not None and glued_after is not None
    before = piece[len(piece) - glued_before.end() :]
    after = glued_after.group()
    return (
        before[-2:] in ("0x", "0X")
        or (bool(before) and _HEX_DIGITS.issuperset(before))
        or (bool(after) and _HEX_DIGITS.issuperset(after))
    )


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
    # Every card has 13 digits or more; every candidate holds 13 digits in a row or two
    # groups of 3+ digits split by a space or a dash, which a translated copy shows at a
    # fraction of the cost of the search.
    if len(text) < 13:
        return []
    shape = _shape(text)
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
    return [span for span in spans if not _in_hex(text, *span)]


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
)
_SSN_ANCHORS = ("[0-9]{3}[ -][0-9]{2}[ -][0-9]{4}", "[0-9]{9}")
_IBAN_ANCHORS = ("[A-Za-z]{2}[0-9]{2}",)
_CARD_ANCHORS = ("[0-9]{13}", "[0-9]{3}[ -][0-9]{3}")

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
        "phone numbers: international (+CC, 00CC) and North American, UK, German, French forms",
        anchors=_PHONE_ANCHORS,
    ),
    Detector(
        "ssn",
        "[SSN]",
        _find_ssn,
        "US social security numbers (123-45-6789; nine digits after an SSN label)",
        anchors=_SSN_ANCHORS,
    ),
    Detector(
        "iban",
        "[IBAN]",
        _find_iban,
        "IBANs, mod-97 checked, compact or in groups of four",
        anchors=_IBAN_ANCHORS,
    ),
    Detector(
        "credit_card",
        "[CARD]",
        _find_credit_card,
        "payment card numbers (13-19 digits, Luhn-checked)",
        anchors=_CARD_ANCHORS,
    ),
)
