"""Payment card numbers in text.

Choices made where the right answer is not obvious:

* Card numbers: 13-19 digits, contiguous or in groups of 3-6 split by spaces or dashes, first
  digit 2-6 (every major network), Luhn-valid; the decimal text of a JSON number is found.
  The 2-6 rule keeps epoch-millisecond (until 2286) and epoch-nanosecond (until 2033)
  timestamps, which start with 1, from being masked; compact ``YYYYmmddHHMMSS[fff]``
  timestamps are skipped too, and so are digits in a hex value (WWNs, hashes, ``0x...``).
  Grey zone: a 16-digit order id starting 2-6 is Luhn-valid one time in ten and is then
  masked.
"""

from __future__ import annotations

import re

from sanitizer.detectors.base import Detector, Span
from sanitizer.detectors.personal.shapes import digit_shape

__all__ = ["DETECTORS"]

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
    shape = digit_shape(text)
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
_CARD_ANCHORS = ("[0-9]{13}", "[0-9]{3}[ -][0-9]{3}")

DETECTORS = (
    Detector(
        "credit_card",
        "[CARD]",
        _find_credit_card,
        "payment card numbers (13-19 digits, Luhn-checked)",
        anchors=_CARD_ANCHORS,
    ),
)
