"""A bounded in-memory memo for the compiled policy's frozen objects.

In-memory memo, not state: it remembers answers a frozen object would compute the same way
again (alerts of one kind repeat their keys and paths), so dropping any entry at any time
changes no result. That is why a frozen, shareable `Policy` may hold one: the memo is the
one explicitly mutable part, threads sharing it at worst compute an answer twice, and it is
cleared whole when it outgrows its bound.
"""

from __future__ import annotations

from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Memo(Generic[K, V]):
    """Remembered answers by question. Hot paths read `entries` directly (a plain dict, for
    speed) and store through `remember`, which keeps the bound."""

    __slots__ = ("entries", "limit")

    def __init__(self, limit: int) -> None:
        self.entries: dict[K, V] = {}
        self.limit = limit

    def __repr__(self) -> str:
        return f"Memo({len(self.entries)}/{self.limit})"

    def remember(self, key: K, value: V) -> V:
        entries = self.entries
        if len(entries) > self.limit:
            entries.clear()
        entries[key] = value
        return value
