"""One pass over a text decides which detectors can match in it at all.

Every detector may declare *anchors*: RE2 patterns of which at least one matches any text the
detector can find something in (``@`` or ``%40`` for e-mail, ``eyJ`` for a JWT). A
`Prefilter` compiles the anchors of all the detectors a scrubber runs into one RE2 set and
matches it once per text, in time linear in the text, and only the detectors whose anchors
matched (and those that declare none) run.

Chosen by measurement (bench/detectors.py --prefilter, 740-byte clean Nagios output, 54
anchors): Python ``in`` checks for each anchor 49 µs, one ``re`` alternation 650 µs, the
``regex`` module 313 µs, an RE2 alternation 4.3 µs, an RE2 set 3.5 µs, Hyperscan 1.6 µs.
RE2 is within 2x of Hyperscan, already a dependency (policy patterns), and ships wheels for
x86_64 and aarch64, where Hyperscan is x86 only.

An anchor that fails to hold for some match would hide it: so the property tests run every
detector through the full scrubber (prefilter included), and anything RE2 cannot take (text
that is not valid UTF-8, such as a lone surrogate) runs every detector instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import re2

__all__ = ["Prefilter"]


class Prefilter:
    """Which of a scrubber's finders can match in a text, by their anchors."""

    def __init__(self, anchors: Sequence[tuple[str, ...]]) -> None:
        """`anchors[i]` are finder i's anchors; an empty tuple means "always run"."""
        self._count = len(anchors)
        self._always = frozenset(i for i, own in enumerate(anchors) if not own)
        self._owner: list[int] = []
        self._set = None
        if any(anchors):
            options = re2.Options()
            options.never_capture = True
            rules = re2.Set.SearchSet(options)
            for finder, own in enumerate(anchors):
                for anchor in own:
                    rules.Add(anchor)
                    self._owner.append(finder)
            rules.Compile()
            self._set = rules

    def candidates(self, text: str) -> frozenset[int] | range:
        """Indexes of the finders worth running on `text`."""
        if self._set is None:
            return range(self._count)
        try:
            matched = self._set.Match(text)
        except (UnicodeError, TypeError):
            return range(self._count)
        if not matched:
            return self._always
        owner = self._owner
        return self._always | {owner[index] for index in matched}
