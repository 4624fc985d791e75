"""Payment card numbers in text.

Choices made where the right answer is not obvious:

* Card numbers: 13-19 digits, contiguous or in groups of 3-6 split by spaces or dashes, first
  digit 2-6 (every major network), Luhn-valid; the decimal text of a JSON number is found.
  Split by dots (``4111.1111.1111.1111``, as some exports and receipts print them) only in
  the printed groupings, 4-4-4-4 (to 4-4-4-7) and American Express's 4-6-5, not glued to
  more dotted digits: other dotted digit runs are versions, OIDs and addresses. Slashes and
  underscores are not read as separators (paths and ids use them).
  The 2-6 rule keeps epoch-millisecond (until 2286) and epoch-nanosecond (until 2033)
  timestamps, which start with 1, from being masked; compact ``YYYYmmddHHMMSS[fff]``
  timestamps are skipped too, and so are digits in a hex value (WWNs, hashes, ``0x...``).
  Grey zone: a 16-digit order id starting 2-6 is Luhn-valid one time in ten and is then
  masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

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


def _candidates(text: str, shape: bytes) -> Iterator[re.Match[str]]:
    """What ``_CARD_CANDIDATE_RE.finditer(text)`` finds that can hold a card.

    A candidate is made of digits, spaces and dashes only, so it lies inside one run of
    them, and the pattern's look-arounds see a character that is none of them at each end
    of the run: the runs can be searched one by one. A card needs a run whose shape holds
    one of the hints (`_find_credit_card`), so in ASCII text (where the shape's offsets are
    the text's) only those runs are searched: the pattern, which opens with a class, is
    tried at every digit of the runs searched, and a plugin output's other digits (times,
    counts, addresses) are spared. Each run is searched once."""
    if not text.isascii():
        yield from _CARD_CANDIDATE_RE.finditer(text)
        return
    # The next place of each hint, each looked for again only once passed: linear.
    nexts = [shape.find(hint) for hint in _CARD_HINTS]
    while True:
        found = [at for at in nexts if at >= 0]
        if not found:
            return
        at = min(found)
        end = shape.find(b"x", at)
        end = len(shape) if end < 0 else end
        yield from _CARD_CANDIDATE_RE.finditer(text, shape.rfind(b"x", 0, at) + 1, end)
        nexts = [
            shape.find(hint, end) if 0 <= next_at < end else next_at
            for hint, next_at in zip(_CARD_HINTS, nexts, strict=True)
        ]


# In `digit_shape`: a run of 13 digits, or two groups of 3 split by a space or a dash.
_CARD_HINTS = (b"000 000", b"0000000000000")
# Dotted groups as cards are printed; the shape shows each dot as "x".
_CARD_DOTTED_RE = re.compile(
    r"[2-6](?<![0-9.][2-6])[0-9]{3}\.(?:[0-9]{4}\.[0-9]{4}\.[0-9]{4,7}|[0-9]{6}\.[0-9]{5})"
    r"(?![0-9]|\.[0-9])"
)
_CARD_DOTTED_HINTS = (b"0000x0000x0000x0000", b"0000x000000x00000")


def _dotted_cards(text: str, shape: bytes) -> list[Span]:
    if not any(hint in shape for hint in _CARD_DOTTED_HINTS):
        return []
    found = []
    for match in _CARD_DOTTED_RE.finditer(text):
        digits = match.group().replace(".", "")
        if _luhn_ok(digits):
            found.append(match.span())
    return found


def _find_credit_card(text: str) -> list[Span]:
    # Every card has 13 digits or more; every candidate holds 13 digits in a row or two
    # groups of 3+ digits split by a space or a dash, which a translated copy shows at a
    # fraction of the cost of the search.
    if len(text) < 13:
        return []
    shape = digit_shape(text)
    spans = _dotted_cards(text, shape) if "." in text else []
    if b"000 000" not in shape and b"0000000000000" not in shape:  # `_CARD_HINTS`
        return [span for span in spans if not _in_hex(text, *span)]
    for match in _candidates(text, shape):
        digits = match.group()
        if digits.isdigit():
            if digits[0] in "23456" and _luhn_ok(digits):
                if not _COMPACT_TIMESTAMP_RE.fullmatch(digits):
                    spans.append(match.span())
        else:
            spans.extend(_cards_in_groups(digits, match.start()))
    return [span for span in sorted(spans) if not _in_hex(text, *span)]


# RE2 anchors for the scrubber's one-pass prefilter: every text a finder finds something in
# matches one of its anchors.
_CARD_ANCHORS = (
    "[0-9]{13}",
    "[0-9]{3}[ -][0-9]{3}",
    r"[0-9]{4}\.[0-9]{4}\.[0-9]{4}\.[0-9]{4}",
    r"[0-9]{4}\.[0-9]{6}\.[0-9]{5}",
)

DETECTORS = (
    Detector(
        "credit_card",
        "[CARD]",
        _find_credit_card,
        "payment card numbers (13-19 digits, Luhn-checked)",
        anchors=_CARD_ANCHORS,
    ),
)
