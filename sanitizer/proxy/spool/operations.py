"""What the queue holds and the writes the writer thread commits: a spooled alert, one
record per kind of write, and the SQL each runs."""

from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass, field

__all__ = [
    "TEXT_LIMIT",
    "Append",
    "AppendAll",
    "Dead",
    "Defer",
    "Delivered",
    "Op",
    "Retry",
    "SpooledAlert",
    "due_rows",
    "execute",
    "new_id",
]

TEXT_LIMIT = 500  # longest reason / last_error stored; they are short codes, not documents

_INSERT = (
    "INSERT INTO queue (id, route, routing_key, body, size, created_at, attempts,"
    " next_attempt_at, last_error) VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL)"
)
_DELETE = "DELETE FROM queue WHERE id = ?"
_RETRY = (
    "UPDATE queue SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?"
)
_DEFER = "UPDATE queue SET next_attempt_at = ? WHERE id = ?"
_TO_DEAD = (
    "INSERT INTO dead (id, route, routing_key, body, size, created_at, attempts,"
    " next_attempt_at, last_error, dead_at, reason)"
    " SELECT id, route, routing_key, body, size, created_at, attempts + 1,"
    " next_attempt_at, last_error, ?, ? FROM queue WHERE id = ?"
)
_DUE = (
    "SELECT id, route, routing_key, body, created_at, attempts FROM queue"
    " WHERE next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?"
)


@dataclass(frozen=True)
class SpooledAlert:
    """One queued, already sanitized alert. `body` is left out of repr so logs cannot show it."""

    id: str
    route: str
    routing_key: str | None
    body: bytes = field(repr=False)
    created_at: float
    attempts: int


@dataclass(frozen=True)
class Append:
    id: str
    route: str
    routing_key: str | None
    body: bytes = field(repr=False)
    created_at: float


@dataclass(frozen=True)
class AppendAll:
    """The alerts of one request body: committed together, in one transaction, or none."""

    appends: tuple[Append, ...]

    @property
    def size(self) -> int:
        return sum(len(append.body) for append in self.appends)


@dataclass(frozen=True)
class Delivered:
    id: str


@dataclass(frozen=True)
class Retry:
    id: str
    next_attempt_at: float
    error: str


@dataclass(frozen=True)
class Defer:
    """Not tried now, due again at `next_attempt_at`; no attempt is counted (pacing)."""

    id: str
    next_attempt_at: float


@dataclass(frozen=True)
class Dead:
    id: str
    reason: str
    dead_at: float


Op = Append | AppendAll | Delivered | Retry | Defer | Dead


def new_id() -> str:
    """32 hex digits: microseconds since the epoch, then 72 random bits (sorts by arrival)."""
    return f"{time.time_ns() // 1000:014x}{secrets.token_hex(9)}"


def execute(conn: sqlite3.Connection, op: Op) -> None:
    """Run one write inside the caller's transaction."""
    if isinstance(op, Append):
        row = (op.id, op.route, op.routing_key, op.body, len(op.body))
        conn.execute(_INSERT, (*row, op.created_at, op.created_at))
    elif isinstance(op, AppendAll):
        for append in op.appends:
            execute(conn, append)
    elif isinstance(op, Delivered):
        conn.execute(_DELETE, (op.id,))
    elif isinstance(op, Retry):
        conn.execute(_RETRY, (op.next_attempt_at, op.error, op.id))
    elif isinstance(op, Defer):
        conn.execute(_DEFER, (op.next_attempt_at, op.id))
    else:
        conn.execute(_TO_DEAD, (op.dead_at, op.reason, op.id))
        conn.execute(_DELETE, (op.id,))


def due_rows(conn: sqlite3.Connection, now: float, limit: int) -> list[tuple]:
    """Up to `limit` rows due at `now`, earliest first, as `SpooledAlert` fields."""
    return conn.execute(_DUE, (now, limit)).fetchall()
