"""A copy of a text as detectors should read it, with a map back to the original.

Alerts hide secrets behind encodings a sender applied on the way: ``bob%40example.com`` in a
query string, ``{\\"password\\": \\"x\\"}`` in JSON carried inside a JSON string,
``\\u0040`` escapes, a non-breaking space between a label and its value, a zero-width space
pasted into a token. `normalize` undoes these for detection only; the scrubber then maps
every span found in the normal form back to the original text, so what is replaced is the
original characters, encodings included, and nothing else changes.

What is undone, in one left-to-right pass (repeated while it changes something, at most
`ROUNDS` times, for text escaped twice):

* JSON and C escapes: a run of backslashes ending in ``"``, ``'``, ``/``, ``b f n r t`` or
  ``uXXXX`` becomes the escaped character (``\\\\\\"`` and ``\\"`` both become ``"``), so
  text escaped once or twice reads as written. A run of backslashes ending otherwise is kept.
* Percent escapes of printable ASCII (``%40`` is ``@``, ``%3A`` is ``:``) and of UTF-8
  sequences (``%C3%B6`` is ``ö``); ``%25`` becomes ``%``, so a second round decodes
  double-encoded text.
* HTML and XML character references, as an XML or HTML alert body (SOAP, e-mail
  notifications, a web page quoted in a check's output) or a sender's escaping writes
  them: numeric ones (``&#64;``, ``&#x40;``) of printable characters, tab and newlines,
  and of the unusual spaces and invisible characters below (``&#160;``, ``&#8203;``),
  which read as those do; named ones for ASCII punctuation (``&commat;``, ``&period;``,
  ``&colon;``, ``&lt;``, ``&quot;``, ``&amp;``...; the five XML ones also in capitals) and
  ``&nbsp;``. ``&amp;`` becomes ``&``, so a second round decodes text escaped twice
  (``&amp;#64;``). The closing ``;`` is required, as XML requires it.
* Unicode spaces (no-break, en/em, thin, ideographic, ...) become a plain space; Unicode
  hyphens and dashes (non-breaking hyphen, figure and en dash, minus sign, fullwidth
  hyphen-minus) become ``-``; zero-width characters, the soft hyphen and the byte-order
  mark are removed.

Every step is a single scan with a pattern whose work per position is bounded (runs are
taken whole and possessively), so normalising stays linear in the text's length.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

__all__ = ["ROUNDS", "Normalized", "normalize"]

ROUNDS = 3

_SPACES = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_INVISIBLE = "\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff"
# Hyphens and dashes a word processor or a locale puts in numbers (a phone number with
# non-breaking hyphens, an en dash, the minus sign): each reads as "-".
_DASHES = "\u2010-\u2013\u2212\ufe63\uff0d"
# Named character references that stand for ASCII punctuation (HTML 5), and the no-break
# space; the five XML predefines also in capitals, as old HTML accepts them.
_NAMED = {
    "amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "nbsp": " ",
    "commat": "@", "period": ".", "colon": ":", "semi": ";", "comma": ",", "sol": "/",
    "bsol": "\\", "equals": "=", "plus": "+", "hyphen": "-", "dash": "-", "lowbar": "_",
    "percnt": "%", "num": "#", "excl": "!", "quest": "?", "lpar": "(", "rpar": ")",
    "lsqb": "[", "rsqb": "]", "lbrack": "[", "rbrack": "]", "lcub": "{", "rcub": "}",
    "lbrace": "{", "rbrace": "}", "verbar": "|", "vert": "|", "ast": "*", "dollar": "$",
    "grave": "`", "Hat": "^", "tilde": "~", "Tab": "\t", "NewLine": "\n",
}  # fmt: skip
_NAMED.update({name.upper(): _NAMED[name] for name in ("amp", "lt", "gt", "quot", "apos")})
_ENTITY = (
    r"&(?:#([0-9]{1,7}+)|#[xX]([0-9A-Fa-f]{1,6}+)|("
    + "|".join(sorted(_NAMED, key=len, reverse=True))
    + r"));"
)
_UNITS = re.compile(
    r"\\++(?:u([0-9A-Fa-f]{4})|([\"'/bfnrt]))?"
    r"|%([2-7][0-9A-Fa-f])"
    r"|(%[C-Fc-f][0-9A-Fa-f](?:%[89ABab][0-9A-Fa-f]){1,3})"
    rf"|([{_SPACES}])"
    rf"|([{_DASHES}])"
    rf"|[{_INVISIBLE}]"
    rf"|{_ENTITY}"
)
# Where the first unit that changes something can be: cheaper than the full pattern, and
# most texts have none (a "%" in "99.6%" is not one).
_FIRST_UNIT = re.compile(
    rf"\\[\\\"'/bfnrtu]|%[2-7C-Fc-f][0-9A-Fa-f]|[{_SPACES}{_DASHES}{_INVISIBLE}]|{_ENTITY}"
)
# The same for ASCII text, which holds no unusual space: twice as fast to search.
_FIRST_ASCII_UNIT = re.compile(rf"\\[\\\"'/bfnrtu]|%[2-7C-Fc-f][0-9A-Fa-f]|{_ENTITY}")
_TRIES_BEFORE_SEARCH = 8
_HIDDEN = re.compile(f"[{_SPACES}{_INVISIBLE}]")
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
_C_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


@dataclass(frozen=True)
class Normalized:
    """The normal form of a text and how to map its spans back to the original.

    `chunks` cover the normal form in order, each ``(start, end, origin, origin_end,
    unit)``: normal characters ``[start, end)`` came from original ``[origin,
    origin_end)``, one for one when `unit` is false, all from the whole stretch when it is a
    decoded unit (an escape, a percent sequence, a removed invisible character).
    """

    text: str
    chunks: tuple[tuple[int, int, int, int, bool], ...]
    _starts: tuple[int, ...]

    def span_in_original(self, start: int, end: int) -> tuple[int, int]:
        """The original span that holds every character of the normal span [start, end)."""
        return self.original_start(start), self.original_end(end)

    def original_start(self, index: int) -> int:
        begin, _, origin, _, unit = self.chunks[self._chunk(index)]
        return origin if unit else origin + index - begin

    def original_end(self, index: int) -> int:
        """Where the character before normal position `index` ends in the original."""
        begin, _, origin, origin_end, unit = self.chunks[self._chunk(index - 1)]
        return origin_end if unit else origin + index - begin

    def _chunk(self, index: int) -> int:
        # Zero-width chunks share their start with the chunk after them, which wins here.
        return bisect.bisect_right(self._starts, index) - 1


def _normalized(text: str, chunks: list[tuple[int, int, int, int, bool]]) -> Normalized:
    return Normalized(text, tuple(chunks), tuple(chunk[0] for chunk in chunks))


def _first_ascii_unit(text: str) -> int | None:
    """Where the first unit of an ASCII text starts: each "\\" and "%" found by `str.find`
    and tried there (a percent sign in "99.6%" costs one try, where a search with the
    pattern tries every position); after a few misses, one search takes the rest."""
    first = None
    for mark in ("\\", "%", "&"):
        at = text.find(mark)
        misses = 0
        while at >= 0 and (first is None or at < first):
            if misses == _TRIES_BEFORE_SEARCH:
                found = _FIRST_ASCII_UNIT.search(text, at)
                if found is not None and (first is None or found.start() < first):
                    first = found.start()
                break
            if _FIRST_ASCII_UNIT.match(text, at):
                first = at
                break
            misses += 1
            at = text.find(mark, at + 1)
    return first


def normalize(text: str) -> Normalized | None:
    """The normal form of `text`, or None when it reads the same (the common case)."""
    if text.isascii():
        start = _first_ascii_unit(text)
    else:
        first = _FIRST_UNIT.search(text)
        start = None if first is None else first.start()
    if start is None:
        return None
    current: Normalized | None = _one_round(text, start)
    for _ in range(ROUNDS - 1):
        if current is None:
            break
        found = _FIRST_UNIT.search(current.text)
        step = _one_round(current.text, found.start()) if found else None
        if step is None:
            break
        current = step if current is None else _compose(current, step)
    return current


def _one_round(text: str, start: int) -> Normalized | None:
    """Undo every unit once, scanning from `start` (no unit starts before it)."""
    pieces: list[str] = []
    chunks: list[tuple[int, int, int, int, bool]] = []
    copied = 0  # original position up to which text has been copied
    produced = 0  # length of the normal form so far
    for match in _UNITS.finditer(text, start):
        decoded = _decode(match)
        if decoded is None:
            continue
        begin, end = match.span()
        if begin > copied:
            pieces.append(text[copied:begin])
            chunks.append((produced, produced + begin - copied, copied, begin, False))
            produced += begin - copied
        pieces.append(decoded)
        chunks.append((produced, produced + len(decoded), begin, end, True))
        produced += len(decoded)
        copied = end
    if not chunks:
        return None
    if copied < len(text):
        pieces.append(text[copied:])
        chunks.append((produced, produced + len(text) - copied, copied, len(text), False))
    return _normalized("".join(pieces), chunks)


def _decode(match: re.Match[str]) -> str | None:
    """What one unit stands for, or None when it is kept as it is."""
    hex4, escaped, percent, utf8, space, dash, decimal, hexadecimal, named = match.groups()
    if match.string[match.start()] == "&":
        return _reference(decimal, hexadecimal, named)
    if match.string[match.start()] == "\\":
        if hex4 is not None:
            return chr(int(hex4, 16))
        if escaped is not None:
            return _C_ESCAPES.get(escaped, escaped)
        return None
    if percent is not None:
        character = chr(int(percent, 16))
        return character if character.isprintable() else None
    if utf8 is not None:
        try:
            decoded = bytes.fromhex(utf8.replace("%", "")).decode("utf-8")
        except UnicodeDecodeError:
            return None
        return decoded if decoded.isprintable() else None
    if space is not None:
        return " "
    if dash is not None:
        return "-"
    return ""  # an invisible character


def _reference(decimal: str | None, hexadecimal: str | None, named: str | None) -> str | None:
    """What a character reference stands for, or None when it is kept as it is."""
    if named is not None:
        return _NAMED[named]
    code = int(decimal, 10) if decimal is not None else int(hexadecimal or "0", 16)
    if code > 0x10FFFF:
        return None
    character = chr(code)
    if _HIDDEN.match(character):  # "&#8203;", "&#xA0;": as if written plainly
        return "" if _INVISIBLE_RE.match(character) else " "
    return character if character.isprintable() or character in "\t\n\r" else None


def _compose(outer: Normalized, inner: Normalized) -> Normalized:
    """One map from `inner`'s text (the normal form of `outer.text`) to the original."""
    chunks: list[tuple[int, int, int, int, bool]] = []
    for start, end, origin, origin_end, unit in inner.chunks:
        if unit:
            chunks.append(
                (start, end, outer.original_start(origin), outer.original_end(origin_end), True)
            )
            continue
        # A plain stretch of the second round: split it where the first round had chunks.
        position = origin
        while position < origin_end:
            index = outer._chunk(position)
            o_start, o_end, o_origin, o_origin_end, o_unit = outer.chunks[index]
            take = min(origin_end, o_end) - position
            normal = start + position - origin
            if o_unit:
                chunks.append((normal, normal + take, o_origin, o_origin_end, True))
            else:
                first = o_origin + position - o_start
                chunks.append((normal, normal + take, first, first + take, False))
            position += take
    return _normalized(inner.text, chunks)
