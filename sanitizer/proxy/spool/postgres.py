"""The shared spool: the durable queue in a PostgreSQL database that several proxies use at once.

Same contract as the SQLite `Spool` (see `backend.SpoolBackend`), with these differences:
- Claims are rows, not memory: `SELECT … FOR UPDATE SKIP LOCKED` marks due rows with this
  proxy's token (`claimed_by`) and a lease (`claimed_until`). Any replica delivers any alert;
  a replica that dies leaves its claims to lapse, and the others deliver them once the lease has
  run out. A heartbeat renews the leases of alerts still being sent.
- `claim_due` stays synchronous (delivery calls it on the event loop): it hands out rows a
  background task already claimed, and asks that task for more (one poll later).
- Writes go through one writer task that commits whatever is pending in one transaction (group
  commit), as the SQLite writer thread does; the counters come from the `spool_stats` row, read
  in every write transaction and at every heartbeat, so they follow the other replicas too.
- On a lost or refused connection the writes fail (503 upstream of here, `writable()` False),
  and a probe every PROBE_INTERVAL reconnects and tries a tiny write until it succeeds.

Nothing here puts the DSN or a driver's message into a log or an error: only exception types.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Sequence

import asyncpg

from sanitizer.errors import Unavailable
from sanitizer.proxy.spool.operations import (
    Append,
    AppendAll,
    Dead,
    Defer,
    Delivered,
    Op,
    Retry,
    SpooledAlert,
)
from sanitizer.proxy.spool.pgschema import CHANGED, READ_STATS, connect, migrate
from sanitizer.proxy.spool.writes import QueuedWrites, check_room, not_running

__all__ = ["DEFAULT_LEASE", "PostgresSpool"]

log = logging.getLogger("sanitizer.spool")

DEFAULT_LEASE = 60.0
BROKEN_RETRY_AFTER = 30
PROBE_INTERVAL = 2.0

_INSERT = (
    "INSERT INTO spool_queue (id, route, routing_key, body, size, created_at, attempts,"
    " next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $6)"
)
_DELETE = "DELETE FROM spool_queue WHERE id = $1"
# Only the holder of the claim records a retry or a death: after a lapsed lease, another
# replica may hold the row now.
_RETRY = (
    "UPDATE spool_queue SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3,"
    " claimed_by = NULL, claimed_until = NULL WHERE id = $1 AND claimed_by = $4"
)
_DEFER = (
    "UPDATE spool_queue SET next_attempt_at = $2, claimed_by = NULL, claimed_until = NULL"
    " WHERE id = $1 AND claimed_by = $3"
)
_TO_DEAD = (
    "WITH gone AS (DELETE FROM spool_queue WHERE id = $1 AND claimed_by = $4 RETURNING *)"
    " INSERT INTO spool_dead (id, route, routing_key, body, size, created_at, attempts,"
    " next_attempt_at, last_error, dead_at, reason) SELECT id, route, routing_key, body, size,"
    " created_at, attempts + 1, next_attempt_at, last_error, $2, $3 FROM gone"
)
# The CTE is evaluated once: the rows it locked are exactly the rows updated.
_CLAIM = (
    "WITH due AS (SELECT id FROM spool_queue WHERE next_attempt_at <= $1"
    " AND (claimed_until IS NULL OR claimed_until < $1)"
    " ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)"
    " UPDATE spool_queue q SET claimed_by = $3, claimed_until = $1 + $4 FROM due"
    " WHERE q.id = due.id"
    " RETURNING q.id, q.route, q.routing_key, q.body, q.created_at, q.attempts,"
    " q.next_attempt_at"
)
_RENEW = "UPDATE spool_queue SET claimed_until = $1 WHERE claimed_by = $2 AND id = ANY($3::text[])"
_RELEASE = (
    "UPDATE spool_queue SET claimed_by = NULL, claimed_until = NULL"
    " WHERE claimed_by = $1 AND id = ANY($2::text[])"
)
_PROBE = "UPDATE spool_stats SET probed_at = $1 WHERE one = 1"
# Ids sort by arrival (a requeued dead letter keeps its own): one entry of the key's index.
_OLDEST = "SELECT created_at FROM spool_queue ORDER BY id LIMIT 1"
_STOP = object()


def _broken(exc: BaseException) -> Unavailable:
    return Unavailable(
        f"the spool database cannot be written ({type(exc).__name__}); retry later",
        retry_after=BROKEN_RETRY_AFTER,
    )


def _appended(op: Op) -> int:
    if isinstance(op, Append):
        return len(op.body)
    if isinstance(op, AppendAll):
        return op.size
    return 0


class PostgresSpool(QueuedWrites):
    """The shared durable queue; every method runs on the event loop that called start()."""

    def __init__(
        self,
        dsn: str,
        *,
        max_bytes: int,
        lease: float = DEFAULT_LEASE,
        batch_limit: int = 256,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_bytes < 1 or batch_limit < 1 or lease <= 0:
            raise ValueError("max_bytes, batch_limit and lease must be positive")
        self._dsn = dsn
        self.max_bytes = max_bytes
        self.lease = lease
        self.batch_limit = batch_limit
        self._clock = clock
        self.token = secrets.token_hex(8)  # this process's name on the rows it claims
        self.commits = 0

        self._queued_rows = 0
        self._queued_bytes = 0
        self._reserved = 0
        self._dead_rows = 0
        self._oldest: float | None = None  # as of the last heartbeat
        self._failed = False
        self._claim_failed = False

        self._claimed: set[str] = set()  # claimed by this process, not yet settled
        self._buffer: list[SpooledAlert] = []  # claimed, not yet handed to delivery
        self._demand = 0
        self._to_release: set[str] = set()
        self._releasing: set[asyncio.Task[None]] = set()

        self._writer: asyncpg.Connection | None = None
        self._claimer: asyncpg.Connection | None = None
        self._claimer_lock = asyncio.Lock()  # claimer loop and heartbeat share that connection
        self._changed = asyncio.Event()  # `sanitizer spool` changed the dead letters (CHANGED)
        self._listening: asyncpg.Connection | None = None  # the connection that LISTENs
        self._inbox: asyncio.Queue[object] | None = None
        self._want: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._running = False
        self._closed = False

    def describe(self) -> str:
        return "postgres"

    # ------------------------------------------------------------------ lifecycle

    def take_ownership(self) -> None:
        """Nothing to take: every replica may serve the shared spool (claims are leases)."""

    async def start(self) -> None:
        """Connect, create or migrate the tables, start the writer, claimer and heartbeat."""
        if self._running or self._closed:
            raise RuntimeError("PostgresSpool.start() called twice or after close()")
        try:
            self._writer = await connect(self._dsn)
            await migrate(self._writer)
            self._set_counts(await self._writer.fetchrow(READ_STATS), settled=0)
            self._oldest = await self._writer.fetchval(_OLDEST)
            self._claimer = await connect(self._dsn)
            await self._listen(self._claimer)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            await self._close_connections()
            raise Unavailable(
                f"the spool database cannot be opened ({type(exc).__name__}); check the"
                " spool dsn, that the database is up and that its user may create tables",
                retry_after=BROKEN_RETRY_AFTER,
            ) from None
        self._inbox = asyncio.Queue()
        self._want = asyncio.Event()
        self._running = True
        self._tasks = [
            asyncio.create_task(self._write_loop(), name="spool-writer"),
            asyncio.create_task(self._claim_loop(), name="spool-claimer"),
            asyncio.create_task(self._heartbeat(), name="spool-heartbeat"),
        ]

    async def close(self) -> None:
        """Commit what is pending, give back the claims not being sent, close. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._running:
            assert self._inbox is not None
            self._inbox.put_nowait(_STOP)
            writer, *others = self._tasks
            await asyncio.gather(writer, return_exceptions=True)
            others += list(self._releasing)
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            self._to_release.update(alert.id for alert in self._buffer)
            self._buffer.clear()
            await self._release_now()
        self._running = False
        await self._close_connections()

    async def _close_connections(self) -> None:
        for conn in (self._writer, self._claimer):
            if conn is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), timeout=5)
        self._writer = self._claimer = None

    # ------------------------------------------------------------------ writes

    def _reserve(self, size: int) -> None:
        self._check_running()
        check_room(self._queued_bytes + self._reserved, size, self.max_bytes)
        self._reserved += size

    def _check_running(self) -> None:
        if self._closed or not self._running or self._tasks[0].done():
            raise not_running()

    def _submit(self, op: Op) -> asyncio.Future[None]:
        self._check_running()
        assert self._inbox is not None
        future = asyncio.get_running_loop().create_future()
        self._inbox.put_nowait((op, future))
        return future

    async def _write_loop(self) -> None:
        assert self._inbox is not None
        inbox = self._inbox
        while True:
            try:
                async with asyncio.timeout(PROBE_INTERVAL if self._failed else None):
                    first = await inbox.get()
            except TimeoutError:
                await self._probe()
                continue
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self.batch_limit and not inbox.empty():
                item = inbox.get_nowait()
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            await self._write_batch(batch)  # type: ignore[arg-type]
            if stop:
                return

    async def _writer_connection(self) -> asyncpg.Connection:
        if self._writer is None or self._writer.is_closed():
            self._writer = None
            self._writer = await connect(self._dsn)
        return self._writer

    async def _write_batch(self, batch: list[tuple[Op, asyncio.Future[None]]]) -> None:
        appended = sum(_appended(op) for op, _ in batch)
        error: BaseException | None = None
        try:
            conn = await self._writer_connection()
            async with conn.transaction():
                inserts = [a for op, _ in batch for a in _appends(op)]
                if inserts:
                    await conn.executemany(
                        _INSERT,
                        [
                            (a.id, a.route, a.routing_key, a.body, len(a.body), a.created_at)
                            for a in inserts
                        ],
                    )
                for op, _ in batch:
                    await self._execute(conn, op)
                stats = await conn.fetchrow(READ_STATS)
        except Exception as exc:  # any failure fails the whole batch, never the task
            error = exc
            self._drop_broken_writer()
        if error is None:
            self.commits += 1
            self._set_counts(stats, settled=appended)
        else:
            self._reserved -= appended
            self._failed = True
            log.error(
                "spool commit failed (%s); %d writes refused",
                type(error).__name__,
                len(batch),
                extra={"count": len(batch)},
            )
        for op, future in batch:
            if error is None and not isinstance(op, Append | AppendAll):
                self._claimed.discard(op.id)
            if future.done():
                continue
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(_broken(error))

    async def _execute(self, conn: asyncpg.Connection, op: Op) -> None:
        if isinstance(op, Delivered):
            await conn.execute(_DELETE, op.id)
        elif isinstance(op, Retry):
            await conn.execute(_RETRY, op.id, op.next_attempt_at, op.error, self.token)
        elif isinstance(op, Defer):
            await conn.execute(_DEFER, op.id, op.next_attempt_at, self.token)
        elif isinstance(op, Dead):
            await conn.execute(_TO_DEAD, op.id, op.dead_at, op.reason, self.token)

    def _drop_broken_writer(self) -> None:
        conn, self._writer = self._writer, None
        if conn is not None and not conn.is_closed():
            conn.terminate()

    async def _probe(self) -> None:
        """After a failed commit: reconnect and try a tiny write, so writable() recovers."""
        try:
            conn = await self._writer_connection()
            async with conn.transaction():
                await conn.execute(_PROBE, self._clock())
                stats = await conn.fetchrow(READ_STATS)
        except Exception:
            self._drop_broken_writer()
            return
        self._set_counts(stats, settled=0)
        log.info("spool writable again")

    def _set_counts(self, stats: Sequence[int] | None, *, settled: int) -> None:
        if stats is not None:
            self._queued_rows, self._queued_bytes, self._dead_rows = (int(v) for v in stats)
        self._reserved -= settled
        self._failed = False

    # ------------------------------------------------------------------ claims

    def claim_due(self, limit: int) -> list[SpooledAlert]:
        """Up to `limit` alerts this proxy holds the lease of; asks the claimer for more.
        Raises Unavailable while the database refuses claims (delivery logs it once)."""
        if limit <= 0 or self._closed or not self._running:
            return []
        handed, self._buffer = self._buffer[:limit], self._buffer[limit:]
        self._demand = limit - len(handed)
        if self._demand > 0 and self._want is not None:
            self._want.set()
        if not handed and self._claim_failed:
            raise Unavailable("the spool database cannot be read; retry later")
        return handed

    def release(self, alert_id: str) -> None:
        """Give up a claim without changing the row: its lease is cleared in the background
        (or at close), so any replica may take it again."""
        if alert_id not in self._claimed:
            return
        self._claimed.discard(alert_id)
        self._to_release.add(alert_id)
        if self._running and not self._closed:
            task = asyncio.get_running_loop().create_task(self._release_now())
            self._releasing.add(task)
            task.add_done_callback(self._releasing.discard)

    async def _claimer_connection(self) -> asyncpg.Connection:
        if self._claimer is None or self._claimer.is_closed():
            self._claimer = None
            self._claimer = await connect(self._dsn)
        return self._claimer

    async def _claim_loop(self) -> None:
        assert self._want is not None
        while True:
            await self._want.wait()
            self._want.clear()
            wanted = self._demand - len(self._buffer)
            if wanted <= 0:
                continue
            try:
                claimed = await self.claim(wanted)
            except Exception as exc:
                if not self._claim_failed:
                    log.error("cannot claim due alerts (%s)", type(exc).__name__)
                self._claim_failed = True
                self._drop_broken_claimer()
                await asyncio.sleep(PROBE_INTERVAL)  # the next poll asks again
                continue
            self._claim_failed = False
            self._buffer.extend(claimed)  # after the await: claim_due may replace the list

    async def claim(self, limit: int) -> list[SpooledAlert]:
        """Claim up to `limit` due alerts in the database now, earliest due first: they are
        this proxy's until their outcome commits, release(), or the lease runs out."""
        now = self._clock()
        async with self._claimer_lock:
            conn = await self._claimer_connection()
            rows = await conn.fetch(_CLAIM, now, limit, self.token, self.lease)
        rows = sorted(rows, key=lambda row: (row["next_attempt_at"], row["id"]))
        self._claimed.update(row["id"] for row in rows)
        return [SpooledAlert(*tuple(row)[:6]) for row in rows]

    def _drop_broken_claimer(self) -> None:
        conn, self._claimer = self._claimer, None
        if conn is not None and not conn.is_closed():
            conn.terminate()

    async def _listen(self, conn: asyncpg.Connection) -> None:
        """LISTEN for CHANGED on `conn` (the claimer's, renewed when it reconnects)."""
        if conn is not self._listening:
            await conn.add_listener(CHANGED, self._on_changed)
            self._listening = conn

    def _on_changed(self, *_: object) -> None:
        self._changed.set()

    async def _heartbeat(self) -> None:
        """Renew this proxy's leases, give back released claims, refresh the counters: every
        lease / 4 seconds, and at once when `sanitizer spool` notifies CHANGED."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.lease / 4):
                    await self._changed.wait()
            self._changed.clear()
            try:
                async with self._claimer_lock:
                    conn = await self._claimer_connection()
                    await self._listen(conn)
                    held = list(self._claimed)
                    if held:
                        await conn.execute(_RENEW, self._clock() + self.lease, self.token, held)
                    await self._release_with(conn)
                    stats = await conn.fetchrow(READ_STATS)
                    self._oldest = await conn.fetchval(_OLDEST)
            except Exception as exc:
                log.warning("spool lease renewal failed (%s)", type(exc).__name__)
                self._drop_broken_claimer()
                continue
            if stats is not None and not self._failed:
                self._queued_rows, self._queued_bytes, self._dead_rows = (int(v) for v in stats)

    async def _release_now(self) -> None:
        """At close: clear the leases of claims not being sent, so others take them now."""
        try:
            async with self._claimer_lock:
                await self._release_with(await self._claimer_connection())
        except Exception as exc:  # the leases lapse by themselves
            log.warning("spool claims not given back (%s)", type(exc).__name__)

    async def _release_with(self, conn: asyncpg.Connection) -> None:
        if not self._to_release:
            return
        ids, self._to_release = list(self._to_release), set()
        try:
            await conn.execute(_RELEASE, self.token, ids)
        except BaseException:
            self._to_release.update(ids)
            raise

    # ------------------------------------------------------------------ figures

    def depth(self) -> int:
        return self._queued_rows

    def queued_bytes(self) -> int:
        return self._queued_bytes + self._reserved

    def dead_count(self) -> int:
        return self._dead_rows

    def oldest_created_at(self) -> float | None:
        """As of the last heartbeat (every lease / 4 seconds)."""
        return self._oldest

    def writable(self) -> bool:
        return self._running and not self._closed and not self._failed


def _appends(op: Op) -> tuple[Append, ...]:
    if isinstance(op, Append):
        return (op,)
    if isinstance(op, AppendAll):
        return op.appends
    return ()
