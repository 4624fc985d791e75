"""`sanitizer spool list/retry/purge` on the shared PostgreSQL spool: the same answers as the
SQLite spool's management calls, each one connection and one transaction, synchronous.
A retry or purge notifies `pgschema.CHANGED` at its commit: running proxies read their figures
again at once (else at their next commit or heartbeat)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import asyncpg

from sanitizer.errors import Unavailable
from sanitizer.proxy.spool.pgschema import CHANGED, READ_STATS, connect, migrate

__all__ = ["PostgresAdmin"]

T = TypeVar("T")

_LISTED = ("id", "route", "created_at", "dead_at", "attempts", "reason", "size")
_LIST = (
    "SELECT id, route, created_at, dead_at, attempts, reason, size FROM spool_dead"
    " ORDER BY dead_at, id LIMIT $1"
)
# $2 NULL selects every dead letter, else an array of ids.
_DEAD_TO_QUEUE = (
    "WITH moved AS (DELETE FROM spool_dead WHERE $2::text[] IS NULL OR id = ANY($2::text[])"
    " RETURNING *) INSERT INTO spool_queue (id, route, routing_key, body, size, created_at,"
    " attempts, next_attempt_at, last_error) SELECT id, route, routing_key, body, size,"
    " created_at, 0, $1, reason FROM moved"
)
_DELETE_DEAD = "DELETE FROM spool_dead WHERE $1::text[] IS NULL OR id = ANY($1::text[])"
_PRESENT = "SELECT id FROM spool_dead WHERE id = ANY($1::text[]) ORDER BY id"
_NOTIFY = f"NOTIFY {CHANGED}"


class PostgresAdmin:
    def __init__(self, dsn: str, *, clock: Callable[[], float] = time.time) -> None:
        self._dsn = dsn
        self._clock = clock

    def _run(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        async def session() -> T:
            conn = await connect(self._dsn)
            try:
                await migrate(conn)
                async with conn.transaction():
                    return await work(conn)
            finally:
                await conn.close()

        try:
            return asyncio.run(session())
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            raise Unavailable(
                f"the spool database cannot be used ({type(exc).__name__}); check the spool"
                " dsn and that the database is up",
                retry_after=30,
            ) from None

    def _stats(self) -> tuple[int, int, int]:
        async def read(conn: asyncpg.Connection) -> tuple[int, int, int]:
            row = await conn.fetchrow(READ_STATS)
            return int(row[0]), int(row[1]), int(row[2])

        return self._run(read)

    def depth(self) -> int:
        return self._stats()[0]

    def dead_count(self) -> int:
        return self._stats()[2]

    def list_dead(self, limit: int = 100) -> list[dict]:
        """Dead letters, oldest first: never the body."""

        async def read(conn: asyncpg.Connection) -> list[dict]:
            rows = await conn.fetch(_LIST, limit)
            return [dict(zip(_LISTED, tuple(row), strict=True)) for row in rows]

        return self._run(read)

    def find_dead(self, ids: Sequence[str]) -> list[str]:
        """Which of `ids` are dead letters now, sorted."""

        async def read(conn: asyncpg.Connection) -> list[str]:
            return [row[0] for row in await conn.fetch(_PRESENT, list(ids))]

        return self._run(read)

    def retry_dead(self, ids: Sequence[str] | None = None) -> int:
        now = self._clock()
        selection = None if ids is None else list(ids)

        async def move(conn: asyncpg.Connection) -> int:
            status = await conn.execute(_DEAD_TO_QUEUE, now, selection)
            await conn.execute(_NOTIFY)
            return int(status.rsplit(" ", 1)[-1])

        return self._run(move)

    def purge_dead(self, ids: Sequence[str] | None = None) -> int:
        selection = None if ids is None else list(ids)

        async def purge(conn: asyncpg.Connection) -> int:
            status = await conn.execute(_DELETE_DEAD, selection)
            await conn.execute(_NOTIFY)
            return int(status.rsplit(" ", 1)[-1])

        return self._run(purge)
