"""Replace what detectors and custom patterns find inside text with their labels."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from sanitizer.detectors.base import Detector, Finder, Span
from sanitizer.detectors.normalize import normalize
from sanitizer.detectors.prefilter import Prefilter
from sanitizer.detectors.registry import DETECTORS
from sanitizer.errors import PolicyError

__all__ = ["Scrubber"]


class TextPattern(Protocol):
    """A compiled custom pattern: `re.Pattern` or an RE2 pattern (same search API)."""

    def search(self, text: str, pos: int = ..., /) -> _Match | None: ...

    def finditer(self, text: str, pos: int = ..., /) -> Iterator[_Match]: ...


class _Match(Protocol):
    def start(self) -> int: ...

    def end(self) -> int: ...

    def span(self) -> tuple[int, int]: ...


Replacement = str | Callable[[str], str]


def _pattern_finder(pattern: TextPattern) -> Finder:
    def find(text: str) -> list[Span]:
        first = pattern.search(text)  # cheaper than an empty iteration; most texts have none
        if first is None:
            return []
        # The same matches as from 0: nothing starts before the first one.
        matches = pattern.finditer(text, first.start())
        return [m.span() for m in matches if m.end() > m.start()]

    return find


_ROUNDS = 4  # bounded: a custom pattern could match its own label
_SHORT = 256  # strings up to this length have their results cached
_CACHED_STRINGS = 4096
_VERIFIED_TEXTS = 1024


class _Verified:
    """Long texts that a scrubber's last round found nothing in, per set of detectors.

    A guard built from the same detectors as a policy's scrub would scan the scrub's output
    again, the longest strings of an alert included, to find what the scrub's last round
    already proved absent. Detectors are pure, so the same detectors on the same text give
    the same answer: the guard asks here first. A text the scrub found nothing in is its
    own output and is remembered too (a clean plugin output: 178 -> 168 µs per alert of
    rules/nagios.yaml). Bounded, oldest out; in memory only, and what it holds is scrubbed
    output.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._texts: dict[tuple[object, str], None] = {}

    def add(self, identity: object, text: str) -> None:
        texts = self._texts
        texts[(identity, text)] = None
        if len(texts) > self._size:
            try:
                del texts[next(iter(texts))]
            except (KeyError, RuntimeError, StopIteration):  # another thread got there
                pass

    def __contains__(self, key: tuple[object, str]) -> bool:
        return key in self._texts


_VERIFIED = _Verified(_VERIFIED_TEXTS)


def _replace(
    text: str, hits: list[tuple[int, int, int]], replacements: Sequence[Replacement]
) -> tuple[str, int]:
    """`text` with the merged spans of `hits` (see `Scrubber._hits`) replaced, and how many."""
    pieces: list[str] = []
    position = 0

    def replacement(start: int, end: int, which: int) -> str:
        chosen = replacements[which]
        return chosen if isinstance(chosen, str) else chosen(text[start:end])

    start, end, which = hits[0][0], -hits[0][1], hits[0][2]  # the span being merged
    for next_start, negative_end, next_which in hits[1:]:
        if next_start < end:
            end = max(end, -negative_end)
            continue
        pieces += [text[position:start], replacement(start, end, which)]
        position = end
        start, end, which = next_start, -negative_end, next_which
    pieces += [text[position:start], replacement(start, end, which), text[end:]]
    return "".join(pieces), len(pieces) // 2


def _as_field(name: str, value: str, quoted: bool) -> tuple[str, int]:
    """``"name": "value"`` as an object writes it (a number's text unquoted; single quotes
    when the value holds a double quote and no single one), and where the value starts.
    Nothing is escaped, so the value's characters are the text's from there on."""
    if not quoted:
        return f'"{name}": {value}', len(name) + 4
    quote = "'" if '"' in value and "'" not in value else '"'
    return f"{quote}{name}{quote}: {quote}{value}{quote}", len(name) + 5


class Scrubber:
    """Replace everything the chosen detectors and custom patterns find with their labels."""

    def __init__(
        self,
        detectors: Sequence[str | Detector],
        patterns: Sequence[tuple[TextPattern, str]] = (),
    ) -> None:
        """`detectors` are built-in names, or `Detector` records a policy configured itself
        (an `internal_hostname` that knows the policy's domains and key)."""
        finders: list[tuple[str, Replacement, Finder]] = []
        anchors: list[tuple[str, ...]] = []
        # What decides what this scrubber finds (a configured detector's anchors name its
        # domains), so two scrubbers with equal identities find the same things.
        identity: set[tuple[str, ...]] = set()
        seen = set()
        for item in detectors:
            detector = item if isinstance(item, Detector) else None
            if isinstance(item, str):
                detector = DETECTORS.get(item)
            if detector is None:
                raise PolicyError(f"unknown detector {item!r}; choose from: {', '.join(DETECTORS)}")
            if detector.name not in seen:
                seen.add(detector.name)
                finders.append((detector.name, detector.replace or detector.label, detector.find))
                anchors.append(detector.anchors)
                identity.add((detector.name, *detector.anchors))
        for pattern, label in patterns:
            if not hasattr(pattern, "finditer") or not isinstance(label, str):
                raise PolicyError(
                    "a custom pattern must be a compiled regular expression with a text label"
                )
            finders.append(("pattern", label, _pattern_finder(pattern)))
            anchors.append(())
            identity.add(("pattern", str(getattr(pattern, "pattern", id(pattern)))))
        self._finders = tuple(finders)
        self._patterns = frozenset(i for i, (name, _, _) in enumerate(finders) if name == "pattern")
        self._prefilter = Prefilter(anchors)
        self._identity = frozenset(identity)
        self._replacements = tuple(replacement for _, replacement, _ in finders)
        # Ties between equal spans go to the more specific detector (the registry's order).
        order = list(DETECTORS)
        self._ranks = tuple(
            order.index(name) if name in DETECTORS else len(order) for name, _, _ in finders
        )
        # Alerts repeat their short strings (keys, states, host names) from one alert to the
        # next: their results are remembered, in memory only, least recently used first out.
        self._scrub_short = functools.lru_cache(maxsize=_CACHED_STRINGS)(self._scrub)
        self._first_hit_short = functools.lru_cache(maxsize=_CACHED_STRINGS)(self._first_hit)
        self._in_field_short = functools.lru_cache(maxsize=_CACHED_STRINGS)(self._in_field)
        self._first_hit_in_field_short = functools.lru_cache(maxsize=_CACHED_STRINGS)(
            self._first_hit_in_field
        )

    def __repr__(self) -> str:
        return f"Scrubber({list(self.names)!r})"

    @property
    def names(self) -> tuple[str, ...]:
        """The detectors this scrubber runs, in order ("pattern" for each custom pattern)."""
        return tuple(name for name, _, _ in self._finders)

    def __call__(self, text: str) -> tuple[str, int]:
        """`text` with every match replaced, and how many replacements were made.

        Overlapping matches (from one or several detectors) are merged and the merged span
        takes the label of its earliest-starting match, the longest one on a tie. Detectors
        read the text as written and, when it holds escapes, percent-encoding or unusual
        spaces, also its normal form (`normalize`); matches there replace the original
        characters they came from.

        A replacement can free its neighbour: in ``x@a.b.c@d.com`` or ``...1111::37`` the
        text next to a match only stops matching because it touches that match. So a text
        that changed is scanned again (at most `_ROUNDS` times in all), which makes the
        output pass a guard built from the same detectors.
        """
        if len(text) <= _SHORT:
            return self._scrub_short(text)
        return self._scrub(text)

    def _scrub(self, text: str) -> tuple[str, int]:
        total = 0
        for _ in range(_ROUNDS):
            hits = self._hits(text)
            if not hits:
                if len(text) > _SHORT:  # changed or not: a guard need not scan it again
                    _VERIFIED.add(self._identity, text)
                break
            text, count = _replace(text, hits, self._replacements)
            total += count
        return text, total

    def _ordered(self, hits: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        """`hits` sorted: earliest first, longest on a tie, then the most specific detector."""
        ranks = self._ranks
        hits.sort(key=lambda hit: (hit[0], hit[1], ranks[hit[2]]))
        return hits

    def _hits(self, text: str) -> list[tuple[int, int, int]]:
        """Every match as ``(start, -end, finder index)``, sorted: earliest first, longest on
        a tie, then the most specific detector (`registry` order)."""
        hits = []
        finders = self._finders
        for which in self._prefilter.candidates(text):
            spans = finders[which][2](text)
            if spans:
                hits += [(start, -end, which) for start, end in spans]
        normal = normalize(text)
        if normal is not None:
            for which in self._prefilter.candidates(normal.text):
                for start, end in finders[which][2](normal.text):
                    begin, finish = normal.span_in_original(start, end)
                    hits.append((begin, -finish, which))
        return self._ordered(hits)

    def in_field(self, name: str, text: str, quoted: bool = True) -> tuple[str, int]:
        """`text` scrubbed as the value of the object field `name` (`quoted` false for a
        number's text): what `__call__` gives, and what detectors find only with the name
        before the value, as in a JSON object: ``"password": "two words"``, ``"ssn":
        123456789``, ``"mac": "001a2b3c4d5e"``. Matches inside the name are not replaced
        here (keys are scrubbed as keys). A value longer than `_SHORT` characters is a text
        of its own, scrubbed alone: a field's name says what a short value is."""
        if len(text) > _SHORT:
            return self._scrub(text)
        return self._in_field_short(name, text, quoted)

    def _in_field(self, name: str, text: str, quoted: bool) -> tuple[str, int]:
        total = 0
        for _ in range(_ROUNDS):
            hits = self._field_hits(name, text, quoted)
            if not hits:
                break
            text, count = _replace(text, hits, self._replacements)
            total += count
        return text, total

    def _field_hits(self, name: str, text: str, quoted: bool) -> list[tuple[int, int, int]]:
        """`_hits` of the built-in detectors in ``"name": "text"``, clipped to the value and
        placed in `text`, with those of custom patterns in `text` alone (an author's `^` or
        `$` means the value's start or end)."""
        whole, start = _as_field(name, text, quoted)
        end = start + len(text)
        patterns = self._patterns
        hits = []
        for begin, negative_end, which in self._hits(whole):
            finish = -negative_end
            if finish > start and begin < end and which not in patterns:
                hits.append((max(begin, start) - start, start - min(finish, end), which))
        if patterns:
            hits += [hit for hit in self._hits(text) if hit[2] in patterns]
        return self._ordered(hits)

    def first_hit_in_field(self, name: str, text: str, quoted: bool = True) -> str | None:
        """`first_hit` of `text` as the value of the field `name` (see `in_field`)."""
        if len(text) > _SHORT:
            return self.first_hit(text)
        return self._first_hit_in_field_short(name, text, quoted)

    def _first_hit_in_field(self, name: str, text: str, quoted: bool) -> str | None:
        hits = self._field_hits(name, text, quoted)
        return self._finders[hits[0][2]][0] if hits else None

    def first_hit(self, text: str) -> str | None:
        """Name of the first configured detector (or "pattern") that matches, else None."""
        if len(text) <= _SHORT:
            return self._first_hit_short(text)
        if (self._identity, text) in _VERIFIED:
            return None
        return self._first_hit(text)

    def _first_hit(self, text: str) -> str | None:
        hit = self._first_in(text)
        if hit is None and (normal := normalize(text)) is not None:
            hit = self._first_in(normal.text)
        return hit

    def _first_in(self, text: str) -> str | None:
        worth = self._prefilter.candidates(text)
        for which, (name, _, find) in enumerate(self._finders):
            if which in worth and find(text):
                return name
        return None
