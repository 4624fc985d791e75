"""What every detector shares: the span type, the detector record, and small helpers.

A detector is a function ``find(text) -> [(start, end), ...]`` returning ascending,
non-overlapping spans. Pure: no I/O, no state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = [
    "DIGIT",
    "Detector",
    "Finder",
    "Span",
    "case_blind",
    "literal",
    "run_length_before",
    "union",
]

Span = tuple[int, int]
Finder = Callable[[str], list[Span]]

DIGIT = re.compile(r"[0-9]")


@dataclass(frozen=True)
class Detector:
    """A built-in detector: its name in policies, the label that replaces a match, its finder.

    `replace`, when set, computes the replacement from the matched text instead of the fixed
    label (a keyed pseudonym that keeps part of the match readable); it must never return
    text the same detector finds again. `summary` is the one line `check` and the README
    show. `anchors` are RE2 patterns at least one of which matches every text `find` can
    find something in (see `prefilter`); none means the detector always runs.
    """

    name: str
    label: str
    find: Finder
    summary: str = ""
    replace: Callable[[str], str] | None = None
    anchors: tuple[str, ...] = ()


def literal(*texts: str) -> tuple[str, ...]:
    """RE2 anchors matching each of `texts` exactly as written."""
    return tuple(re.escape(text) for text in texts)


def case_blind(*words: str) -> tuple[str, ...]:
    """RE2 anchors matching each of `words` in any case, as Python's case-insensitive
    matching does: RE2 folds the Kelvin sign and the long s as Python does, but not the
    dotted and dotless i, so those are spelled out."""
    return tuple("(?i:" + re.escape(word).replace("i", "[i\u0131\u0130]") + ")" for word in words)


def union(spans: Iterable[Span]) -> list[Span]:
    """Sorted, merged spans (overlapping ones joined; touching ones kept apart)."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def run_length_before(text: str, position: int, run: re.Pattern[str]) -> int:
    """How many characters right before `position` `run` takes (0 where it does not match):
    it is matched on the text read backwards, in windows that grow fourfold, so the cost
    follows the run's length."""
    width = 64
    while True:
        low = max(0, position - width)
        match = run.match(text[low:position][::-1])
        length = 0 if match is None else match.end()
        if length < position - low or low == 0:
            return length
        width *= 4
