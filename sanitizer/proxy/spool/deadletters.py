"""Dead letters: alerts an upstream refused for good, kept in the `dead` table until an
operator lists, retries or purges them (`sanitizer spool`). Each function runs inside the
caller's transaction; a selection of `None` means every dead letter."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

__all__ = ["list_dead", "present", "purge", "requeue"]

_LISTED = ("id", "route", "created_at", "dead_at", "attempts", "reason", "size")
_LIST = (
    "SELECT id, route, created_at, dead_at, attempts, reason, size FROM dead"
    " ORDER BY dead_at, id LIMIT ?"
)
# ?2 / ?1: NULL selects every dead letter, else a JSON array of ids.
_DEAD_TO_QUEUE = (
    "INSERT INTO queue (id, route, routing_key, body, size, created_at, attempts,"
    " next_attempt_at, last_error) SELECT id, route, routing_key, body, size, created_at, 0,"
    " ?1, reason FROM dead WHERE ?2 IS NULL OR id IN (SELECT value FROM json_each(?2))"
)
_DELETE_DEAD = "DELETE FROM dead WHERE ?1 IS NULL OR id IN (SELECT value FROM json_each(?1))"
_PRESENT = "SELECT id FROM dead WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id"


def _selection(ids: Sequence[str] | None) -> str | None:
    return None if ids is None else json.dumps(list(ids))


def list_dead(conn: sqlite3.Connection, limit: int) -> list[dict]:
    """Dead letters, oldest first, as dicts of `_LISTED`: never the body."""
    rows = conn.execute(_LIST, (limit,)).fetchall()
    return [dict(zip(_LISTED, row, strict=True)) for row in rows]


def present(conn: sqlite3.Connection, ids: Sequence[str]) -> list[str]:
    """Which of `ids` are dead letters, sorted."""
    return [row[0] for row in conn.execute(_PRESENT, (json.dumps(list(ids)),))]


def requeue(conn: sqlite3.Connection, ids: Sequence[str] | None, now: float) -> int:
    """Move the selected dead letters back to the queue, attempts 0, due at `now`; returns
    how many moved."""
    selection = _selection(ids)
    moved = conn.execute(_DEAD_TO_QUEUE, (now, selection)).rowcount
    conn.execute(_DELETE_DEAD, (selection,))
    return moved


def purge(conn: sqlite3.Connection, ids: Sequence[str] | None) -> int:
    """Delete the selected dead letters for good; returns how many."""
    return conn.execute(_DELETE_DEAD, (_selection(ids),)).rowcount
