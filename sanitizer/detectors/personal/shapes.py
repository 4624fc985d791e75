"""What the personal-data finders share: byte "shapes" of a text for cheap prechecks, and
searching a slow pattern only where its shape shows a hint.

Patterns that open with a character class are slow to search for (every position where the
class matches is tried), so in ASCII text the slow ones are tried only where a "shape" of the
text (a `bytes.translate` copy: digits "0", separators " ") holds the literal every match
contains.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["ALONE_AFTER", "digit_shape", "matches", "starts"]

# National numbers (phones, SSNs) stand alone: no letter, digit or underscore right after
# them, and no digit group continuing them through a separator.
ALONE_AFTER = r"(?![\w])(?![ .,:/-][0-9])(?!-[A-Fa-f])"

# For a precheck on bytes: ASCII digits become "0", spaces and dashes " ", the rest "x"
# (characters outside ASCII become several bytes of 0x80 and above, so they stay "x").
_DIGITS_AND_GAPS = bytes.maketrans(
    bytes(range(256)),
    bytes(ord("0") if 48 <= b <= 57 else ord(" ") if b in b" -" else ord("x") for b in range(256)),
)


def digit_shape(text: str) -> bytes:
    """The text's UTF-8 bytes as `_DIGITS_AND_GAPS` shapes them, for a precheck."""
    return text.encode("utf-8", "surrogatepass").translate(_DIGITS_AND_GAPS)


def starts(pattern: re.Pattern[str], text: str, shape: bytes, hint: bytes) -> Iterator[int]:
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


def matches(pattern: re.Pattern[str], text: str, shape: bytes, hint: bytes) -> list[re.Match[str]]:
    """Non-overlapping matches of `pattern`, which starts where `hint` is in `shape`."""
    found: list[re.Match[str]] = []
    for start in starts(pattern, text, shape, hint):
        if found and start < found[-1].end():
            continue
        match = pattern.match(text, start)
        if match is not None:
            found.append(match)
    return found
