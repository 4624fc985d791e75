"""Personal identifiers in text: US social security numbers and IBANs.

Choices made where the right answer is not obvious:

* SSNs: ``123-45-6789`` or ``123 45 6789`` within the issued ranges (area not 000, 666 or
  900-999, group not 00, serial not 0000); nine plain digits, or dotted (``123.45.6789``),
  only after an SSN label (``ssn=``, ``"ssn": "``, ``SSN:``, ``customerSsn``, ``social
  security number``), and then in any range, since the label says what it is. Only the
  number is replaced. A JSON number under an ``ssn`` key reaches a detector without its
  key: select such fields by key.
* IBANs: a country code with its ISO 13616 length and a valid mod-97 check, compact or in
  groups of four split by single spaces, dots or dashes (``DE89-3704-0044-0532-0130-00``,
  ``NL91.ABNA.0417.1643.00``, one separator throughout), any case, not glued to letters or
  digits. The country code may be split from the check digits by the groups' separator
  (``DE 89 3704 …``, ``GB-82-WEST-…``) or, before a compact rest, by a space
  (``DE 89370400440532013000``). Grey zone: an
  alphanumeric token of exactly a country's length that starts with its code and two
  digits (a 24-character hex id starting ``ad12``) passes the check once in 97 times.
"""

from __future__ import annotations

import re

from sanitizer.detectors.base import Detector, Span, union
from sanitizer.detectors.personal.shapes import ALONE_AFTER, digit_shape, matches, starts

__all__ = ["DETECTORS"]

# --- US social security numbers ---------------------------------------------------------------

_SSN_SHAPED_RE = re.compile(
    r"[0-8](?<![\w.,+/-][0-8])(?<![0-9][ .,:/-][0-8])[0-9]{2}(?<!000)(?<!666)"
    rf"([ -])(?!00)[0-9]{{2}}\1(?!0000)[0-9]{{4}}{ALONE_AFTER}"
)
# A label, then at most a few quotes, escapes, colons, equals signs, brackets or spaces
# (PostgreSQL's "Key (ssn)=(123456789)").
_SSN_LABELLED_RE = re.compile(
    r"(?:(?i:(?<![a-z])ssn|social[ _-]?security)|(?<=[a-z])S(?:SN|sn))"
    r"(?i:[ _-]?(?:number|num|nr|no)\.?)?(?![A-Za-z])"
    r"[\s\"'\\:=#>()]{0,12}+"
    r"([0-9]{3}([ .-]?)[0-9]{2}\2[0-9]{4})(?![\w])(?![.,][0-9])"
)
_SSN_LABELS = ("ssn", "social")


def _find_ssn(text: str) -> list[Span]:
    if len(text) < 9:
        return []
    shape = digit_shape(text)
    spans = []
    shaped = b"000 00 0000" in shape
    if shaped:
        spans += [m.span() for m in matches(_SSN_SHAPED_RE, text, shape, b"000 00 0000")]
    if shaped or b"000000000" in shape or b"000x00x0000" in shape:
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
# The country code and check digits, maybe split by a space, dot or dash ("GB 82", as some
# forms print it); then the rest compact, or in groups of four split by spaces, dots or
# dashes (one separator throughout, the one after the country code if there is one), the
# last group shorter maybe. The groups are bounded (9 hold the longest IBAN), so a long run
# of them costs little per start; what the table does not allow is cut off afterwards.
_IBAN_RE = re.compile(
    r"[A-Za-z](?<![A-Za-z0-9][A-Za-z])[A-Za-z]([ .-]?)[0-9]{2}"
    rf"(?:[A-Za-z0-9]{{{_IBAN_MIN - 4},{_IBAN_MAX - 4}}}+(?![A-Za-z0-9])"
    r"|([ .-])[A-Za-z0-9]{1,4}+(?![A-Za-z0-9])(?:\2[A-Za-z0-9]{1,4}+(?![A-Za-z0-9])){1,8}+)"
)
# For a precheck on bytes: ASCII letters become "a", digits "0", the rest "x".
_LETTERS_AND_DIGITS = bytes.maketrans(
    bytes(range(256)),
    bytes(
        ord("0") if 48 <= b <= 57 else ord("a") if chr(b).isascii() and chr(b).isalpha() else 120
        for b in range(256)
    ),
)
_IBAN_START_RE = re.compile(r"[A-Za-z](?<![A-Za-z0-9][A-Za-z])[A-Za-z][ .-]?[0-9]{2}")
_LETTER_VALUES = str.maketrans({chr(c): str(c - 55) for c in range(ord("A"), ord("Z") + 1)})


def _iban_ok(iban: str) -> bool:
    """`iban` (upper case, no spaces) has its country's length and a valid check."""
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban.isalnum():
        return False
    return int((iban[4:] + iban[:4]).translate(_LETTER_VALUES)) % 97 == 1


def _iban_in(match: re.Match[str]) -> int:
    """Length of the IBAN at the start of a candidate, or 0: a compact candidate must be one
    whole IBAN; a grouped one is cut after the groups its country's length needs, every
    group before the last holding four characters. A separator after the country code
    must be the groups' (or a space before a compact rest)."""
    found = match.group()
    length = _IBAN_LENGTHS.get(found[:2].upper())
    split, separator = match.group(1), match.group(2)
    if length is None or (split and separator not in (None, split)):
        return 0
    head = found[:2] + found[2 + len(split) : 4 + len(split)]
    rest = found[4 + len(split) :]
    if separator is None:
        if split not in ("", " "):
            return 0
        return len(found) if _iban_ok((head + rest).upper()) else 0
    groups = rest[1:].split(separator)
    if not split:
        groups[0:0] = [head]
    kept: list[str] = []
    count = 4 if split else 0
    for group in groups:
        if count >= length:
            break
        if kept and len(kept[-1]) != 4:
            return 0
        kept.append(group)
        count += len(group)
    iban = head + "".join(kept[0 if split else 1 :])
    if count != length or not _iban_ok(iban.upper()):
        return 0
    # Each kept group with the separator before it; the head ("GB 82") or, when the head is
    # the first group ("GB82"), no separator before it.
    return sum(len(group) + 1 for group in kept) + (4 + len(split) if split else -1)


def _find_iban(text: str) -> list[Span]:
    if len(text) < _IBAN_MIN:
        return []
    shape = text.encode("utf-8", "surrogatepass").translate(_LETTERS_AND_DIGITS)
    split = b"aax00" in shape
    if b"aa00" not in shape and not split:
        return []
    spans = []
    end = 0
    # A candidate that is no IBAN may hold one starting at a later group: every start is
    # tried, not only those after a failed candidate.
    found = starts(_IBAN_START_RE, text, shape, b"aa00")
    if split:
        found = iter(sorted({*found, *starts(_IBAN_START_RE, text, shape, b"aax00")}))
    for start in found:
        if start < end:
            continue
        match = _IBAN_RE.match(text, start)
        length = _iban_in(match) if match else 0
        if length:
            end = start + length
            spans.append((start, end))
    return spans


# RE2 anchors for the scrubber's one-pass prefilter: every text a finder finds something in
# matches one of its anchors.
_SSN_ANCHORS = ("[0-9]{3}[ .-][0-9]{2}[ .-][0-9]{4}", "[0-9]{9}")
# A candidate opens with a country's two letters (in any case) and two digits, no letter or
# digit before them: "[A-Za-z]{2}[0-9]{2}" alone also takes every hex run ("dd92").
_IBAN_ANCHORS = (
    "(?:^|[^A-Za-z0-9])(?:"
    + "|".join(
        f"[{code[0]}{code[0].lower()}][{code[1]}{code[1].lower()}]" for code in _IBAN_LENGTHS
    )
    + ")[ .-]?[0-9]{2}",
)

DETECTORS = (
    Detector(
        "ssn",
        "[SSN]",
        _find_ssn,
        "US social security numbers (123-45-6789; nine digits, or dotted, after an SSN label)",
        anchors=_SSN_ANCHORS,
    ),
    Detector(
        "iban",
        "[IBAN]",
        _find_iban,
        "IBANs, mod-97 checked, compact or in groups of four (spaces, dots or dashes)",
        anchors=_IBAN_ANCHORS,
    ),
)
