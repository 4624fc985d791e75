"""Personal data in text: e-mail addresses, phone numbers, payment card numbers.

Choices made where the right answer is not obvious:

  but never touches a ``::`` it is not part of: ``1::2::3`` is junk and yields nothing.
* Phone numbers need an international prefix (``+CC`` or ``00CC``, 9-15 digits after it)
  or the North American ``(202) 555-0143`` / ``202-555-0143`` shapes, so timestamps, dates,
  durations, versions and perfdata never match; a signed decimal (``+1.234567890``, an NTP
  offset) is not a phone number either.
* Card numbers: 13-19 digits, contiguous or in groups of 3-6 split by spaces or dashes, first
  digit 2-6 (every major network), Luhn-valid. The 2-6 rule keeps epoch-millisecond (until
  2286) and epoch-nanosecond (until 2033) timestamps, which start with 1, from being
* E-mail local parts are the usual characters (letters, digits, ``!#$%&*+_.~-``), not the
  rarer ``'=/?^`{|}`` ones, so ``user='bob@example.com'`` keeps ``user='``.
"""

from __future__ import annotations

import re

from sanitizer.detectors.base import DIGIT, Detector, Span, run_length_before, union

__all__ = ["DETECTORS"]

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
        start = at - run_length_before(text, at, _EMAIL_LOCAL_RUN)
        if end <= start < at:
            match = _EMAIL_RE.match(text, start)
            if match:
                spans.append(match.span())
                end = match.end()
        at = text.find("@", at + 1)
    return spans


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
    if len(text) < 10 or not DIGIT.search(text):  # the shortest number is +123456789
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
    return union(spans)


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


DETECTORS = (
    Detector("email", "[EMAIL]", _find_email),
    Detector("phone", "[PHONE]", _find_phone),
    Detector("credit_card", "[CARD]", _find_credit_card),
)
