"""What a rule's effect is to the engine, and what it must answer about itself.

An action (`sanitizer.actions`) builds one effect per rule. The engine calls it for every
alert with the places the rule selected; everything else asks the effect itself, never its
action's name or its settings: `footprint()` for what it does to the document's shape (static
analysis, upstream contracts), `describe()` for what a rule summary shows about it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

from sanitizer.policy.tree import Path

Report = Callable[[Path, int], None]
"""`report(path, count)`: an effect changed `count` things at `path` (for the audit)."""

UNKNOWN: Any = object()
"""`Footprint.value` when what is written depends on the alert."""

Removes = Literal["", "selected", "unselected"]


@dataclass(frozen=True)
class Footprint:
    """What an effect does to the document's shape, whatever the alert holds.

    removes        "unselected" (everything but its places: allow), "selected" (its places:
                   drop), or "" (it removes nothing for sure, it rewrites values in place)
    writes         the one path it writes and may create (`set`, a `rename` target), or None
    value          the constant written at `writes` (`set` `value:`), else `UNKNOWN`
    moves          the path it moves away from (a `rename` source), or None
    fills          whether it may write objects or lists at its places (`redact` with an object)
    rewrites_keys  whether, given no places (every string), it rewrites object keys too
    """

    removes: Removes = ""
    writes: Path | None = None
    value: Any = UNKNOWN
    moves: Path | None = None
    fills: bool = False
    rewrites_keys: bool = False


class Effect(Protocol):
    """A compiled action: built once per rule, called for every alert."""

    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        """Edit `doc` (a private copy) and return the new root; call `report` per change.

        `places` are what the rule selected, or None when it selects nothing explicitly:
        every string in the payload, or (`set`, `rename`) the path the effect holds itself.
        """

    def footprint(self) -> Footprint:
        """What this effect does to the document's shape (see `Footprint`)."""

    def describe(self) -> list[str]:
        """Lines a rule summary shows about this effect's settings (`detectors: email,
        ipv4`); empty when there is nothing to add to the action's name."""


@dataclass(frozen=True)
class Where:
    """What an effect fused with its rule's locator may read of that locator (`SelfFinding`).

    find      the locator's own `find`: the places of any document
    fields    the top-level keys it selects, as places (`select: [a, b]`), when that is all
              it selects; else None
    matching  with a `keys` regex and no `select`: the keys of one object the regex finds,
              in order (that object's own keys, not nested ones); else None
    """

    find: Callable[[Any], list[Path]]
    fields: tuple[Path, ...] | None
    matching: Callable[[dict[str, Any]], tuple[str, ...]] | None


class SelfFinding(Protocol):
    """What an effect may also offer (the engine looks for `finding`): the same effect fused
    with its rule's locator, for the rule shapes it has a quicker way to run.

    The fused effect is called with `places=None` and finds its own places; on every
    document it gives exactly what `effect(doc, where.find(doc), report)` gives (the same
    result, the same reports in the same order, the same errors), reading a top-level
    object's keys directly where the generic locator would build paths first.
    """

    def finding(self, where: Where) -> Effect | None:
        """The fused effect, or None when this locator has no quicker shape."""


class InertWithout(Protocol):
    """What an effect may also offer (the engine looks for `inert_without`): the top-level key
    without which it leaves an object as it is and reports nothing, or None. The engine skips
    a run of such unconditional rules at once when an object has none of their keys."""

    def inert_without(self) -> str | None:
        """That key, or None when there is no such key."""


E = TypeVar("E", bound=Effect)


@dataclass(frozen=True)
class Fused(Generic[E]):
    """Base of an effect fused with its rule's locator (what `SelfFinding.finding` returns):
    it answers `footprint` and `describe` as the effect it was made from, and `generic` runs
    that effect at the locator's places, for a document it has no quicker way through."""

    effect: E
    find: Callable[[Any], list[Path]] = field(repr=False)

    def footprint(self) -> Footprint:
        return self.effect.footprint()

    def describe(self) -> list[str]:
        return self.effect.describe()

    def generic(self, doc: Any, report: Report) -> Any:
        """What the effect does with the locator's own places."""
        return self.effect(doc, self.find(doc), report)
