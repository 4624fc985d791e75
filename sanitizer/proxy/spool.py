"""The durable queue between the HTTP front and the delivery workers: one SQLite file in WAL mode.

Writes (appends and the delivery workers' state changes) go through ONE writer thread that
commits whatever is pending in a single transaction (group commit), so a burst of N requests
costs a handful of fsyncs instead of N. With `synchronous=FULL` a commit is on disk when it
returns, and no caller is answered before the commit that holds its write.

Connections, one per user, never shared without a lock:
  writer thread   appends, mark_delivered, mark_retry, dead_letter (async: they await the commit)
  reader          claim_due, on the event loop: one indexed SELECT, no fsync
  admin           open/schema, and the synchronous management calls the CLI uses

Queued bytes, queued rows and dead rows are kept in a one-row `stats` table by triggers, read
inside every write transaction. The in-memory counters therefore follow writes made by other
processes too (e.g. `sanitizer spool retry` while the proxy runs) at the next commit.

One delivering process per spool directory: claims live in memory, so two proxies sharing a
spool would both deliver every alert.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sanitizer.errors import Unavailable

log = logging.getLogger("sanitizer.spool")

DB_NAME = "spool.db"
LOCK_NAME = "owner.lock"
FULL_RETRY_AFTER = 5
BROKEN_RETRY_AFTER = 30
PROBE_INTERVAL = 2.0
_TEXT_LIMIT = 500  # longest reason / last_error stored; they are short codes, not documents

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue (
    id TEXT PRIMARY KEY,
    route TEXT NOT NULL,
    routing_key TEXT,
    body BLOB NOT NULL,
    size INTEGER NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at REAL NOT NULL,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS queue_due ON queue (next_attempt_at);
CREATE TABLE IF NOT EXISTS dead (
    id TEXT PRIMARY KEY,
    route TEXT NOT NULL,
    routing_key TEXT,
    body BLOB NOT NULL,
    size INTEGER NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    dead_at REAL NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_order ON dead (dead_at);
CREATE TABLE IF NOT EXISTS stats (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    queued_rows INTEGER NOT NULL,
    queued_bytes INTEGER NOT NULL,
    dead_rows INTEGER NOT NULL,
    probed_at REAL
);
CREATE TRIGGER IF NOT EXISTS queue_ins AFTER INSERT ON queue BEGIN
    UPDATE stats SET queued_rows = queued_rows + 1, queued_bytes = queued_bytes + NEW.size;
END;
CREATE TRIGGER IF NOT EXISTS queue_del AFTER DELETE ON queue BEGIN
    UPDATE stats SET queued_rows = queued_rows - 1, queued_bytes = queued_bytes - OLD.size;
END;
CREATE TRIGGER IF NOT EXISTS dead_ins AFTER INSERT ON dead BEGIN
    UPDATE stats SET dead_rows = dead_rows + 1;
END;
CREATE TRIGGER IF NOT EXISTS dead_del AFTER DELETE ON dead BEGIN
    UPDATE stats SET dead_rows = dead_rows - 1;
END;
"""

_RECOUNT = """
INSERT OR REPLACE INTO stats (one, queued_rows, queued_bytes, dead_rows) VALUES (
    1,
    (SELECT COUNT(*) FROM queue),
    (SELECT COALESCE(SUM(size), 0) FROM queue),
    (SELECT COUNT(*) FROM dead)
)
"""
_READ_STATS = "SELECT queued_rows, queued_bytes, dead_rows FROM stats WHERE one = 1"
_INSERT = (
    "INSERT INTO queue (id, route, routing_key, body, size, created_at, attempts,"
    " next_attempt_at, last_error) VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL)"
)
_DELETE = "DELETE FROM queue WHERE id = ?"
_RETRY = (
    "UPDATE queue SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?"
)
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
# ?2 / ?1: NULL selects every dead letter, else a JSON array of ids.
_DEAD_TO_QUEUE = (
    "INSERT INTO queue (id, route, routing_key, body, size, created_at, attempts,"
    " next_attempt_at, last_error) SELECT id, route, routing_key, body, size, created_at, 0,"
    " ?1, reason FROM dead WHERE ?2 IS NULL OR id IN (SELECT value FROM json_each(?2))"
)
_DELETE_DEAD = "DELETE FROM dead WHERE ?1 IS NULL OR id IN (SELECT value FROM json_each(?1))"


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
class _Append:
    id: str
    route: str
    routing_key: str | None
    body: bytes = field(repr=False)
    created_at: float


@dataclass(frozen=True)
class _Delivered:
    id: str


@dataclass(frozen=True)
class _Retry:
    id: str
    next_attempt_at: float
    error: str


@dataclass(frozen=True)
class _Dead:
    id: str
    reason: str
    dead_at: float


_Op = _Append | _Delivered | _Retry | _Dead
_STOP = object()


def new_id() -> str:
    """32 hex digits: microseconds since the epoch, then 72 random bits (sorts by arrival)."""
    return f"{time.time_ns() // 1000:014x}{secrets.token_hex(9)}"


def _selection(ids: Sequence[str] | None) -> str | None:
    return None if ids is None else json.dumps(list(ids))


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5.0)
    try:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            raise sqlite3.OperationalError("WAL journal mode is not available here")
        conn.execute("PRAGMA synchronous=FULL")
        # The WAL is reused, not shrunk; after a burst, truncate it back to this size.
        conn.execute("PRAGMA journal_size_limit=67108864")
    except BaseException:
        conn.close()
        raise
    return conn


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open (SQLite rolls back by itself on some errors)."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            log.error("spool rollback failed (%s)", type(exc).__name__)


class SpoolFileReplaced(Exception):
    """spool.db on disk is no longer the file this process opened (deleted, moved or replaced):
    a commit would land in a file no later start reopens, so it is refused instead."""


def _broken(exc: BaseException) -> Unavailable:
    return Unavailable(
        f"the spool cannot be written ({type(exc).__name__}); retry later",
        retry_after=BROKEN_RETRY_AFTER,
    )


class Spool:
    """The durable queue. See the module docstring for threads and connections.

    Async (await the commit): start, close, append, mark_delivered, mark_retry, dead_letter.
    Synchronous, event-loop safe (no fsync): claim_due, release, depth, queued_bytes,
    dead_count, writable. Synchronous management (they commit; for the CLI, may run while the
    proxy is down or up): list_dead, retry_dead, purge_dead.
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        max_bytes: int,
        batch_limit: int = 256,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_bytes < 1 or batch_limit < 1:
            raise ValueError("max_bytes and batch_limit must be positive")
        self.path = Path(directory) / DB_NAME
        self._owner_lock: BinaryIO | None = None
        self.max_bytes = max_bytes
        self.batch_limit = batch_limit
        self._clock = clock
        self.commits = 0  # transactions the writer thread committed (group-commit evidence)

        self._counter_lock = threading.Lock()  # the counters below; writer thread vs. callers
        self._queued_rows = 0
        self._queued_bytes = 0  # committed, as of the last commit seen in this process
        self._reserved = 0  # appends accepted but not committed yet
        self._dead_rows = 0
        self._failed = False  # the last write transaction failed; cleared by the next success

        self._write_lock = threading.Lock()  # one write transaction + counter update at a time
        self._admin_lock = threading.Lock()
        self._reader_lock = threading.Lock()
        self._claimed: set[str] = set()  # event-loop thread only

        self._loop: asyncio.AbstractEventLoop | None = None
        self._inbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._writer: sqlite3.Connection | None = None
        self._closed = False

        try:
            Path(directory).mkdir(parents=True, exist_ok=True)
            self._admin = _connect(self.path)
        except (OSError, sqlite3.Error) as exc:
            raise Unavailable(
                f"the spool cannot be opened ({type(exc).__name__}); check the spool path"
                " is a writable directory",
                retry_after=BROKEN_RETRY_AFTER,
            ) from None
        try:
            self._admin.executescript(_SCHEMA)
            self._admin.execute(_RECOUNT)  # autocommit: counters start from SUM(size)
            self._set_counts(self._admin.execute(_READ_STATS).fetchone(), settled=0)
            self._reader = _connect(self.path)
            stat = self.path.stat()
        except (OSError, sqlite3.Error) as exc:
            self._admin.close()
            raise _broken(exc) from None
        self._file_identity = (stat.st_dev, stat.st_ino)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start the writer thread; call from inside the event loop that will use the spool."""
        if self._thread is not None or self._closed:
            raise RuntimeError("Spool.start() called twice or after close()")
        self._loop = asyncio.get_running_loop()
        self._lock_owner()
        try:
            self._writer = _connect(self.path)
        except sqlite3.Error as exc:
            raise _broken(exc) from None
        self._thread = threading.Thread(target=self._write_loop, name="spool-writer", daemon=True)
        self._thread.start()

    def _lock_owner(self) -> None:
        """Take the directory's owner lock: claims live in memory, so two running proxies on
        one spool would both deliver everything. Management commands do not take it."""
        try:
            handle = open(self.path.parent / LOCK_NAME, "a+b")  # held until close()
        except OSError as exc:
            raise _broken(exc) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise Unavailable(
                "another running proxy owns this spool directory; give each proxy its own "
                "spool path",
                retry_after=30,
            ) from None
        self._owner_lock = handle

    async def close(self) -> None:
        """Commit what is pending, stop the writer, close every connection. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._inbox.put(_STOP)
            await asyncio.to_thread(self._thread.join)
        if self._owner_lock is not None:
            self._owner_lock.close()
        with self._reader_lock:
            self._reader.close()
        with self._admin_lock:
            self._admin.close()

    # ------------------------------------------------------------------ writes through the writer

    async def append(self, route: str, body: bytes, *, routing_key: str | None = None) -> str:
        """Queue one sanitized alert; returns its id once the commit holding it is on disk."""
        self._check_running()
        size = len(body)
        with self._counter_lock:
            queued = self._queued_bytes + self._reserved
            if queued + size > self.max_bytes:
                raise Unavailable(
                    f"the spool is full ({queued} of {self.max_bytes} bytes queued); retry later",
                    retry_after=FULL_RETRY_AFTER,
                )
            self._reserved += size
        op = _Append(new_id(), route, routing_key, body, self._clock())
        # From here the writer settles the reservation, even if this await is cancelled.
        await self._submit(op)
        return op.id

    async def mark_delivered(self, alert_id: str) -> None:
        """Delete the alert; its claim is released once the delete is committed."""
        await self._submit(_Delivered(alert_id))

    async def mark_retry(self, alert_id: str, *, next_attempt_at: float, error: str) -> None:
        """attempts += 1, due again at `next_attempt_at`; the claim is released after commit."""
        await self._submit(_Retry(alert_id, next_attempt_at, error[:_TEXT_LIMIT]))

    async def dead_letter(self, alert_id: str, *, reason: str) -> None:
        """Move the alert to `dead`, counting the attempt that led here (attempts + 1)."""
        await self._submit(_Dead(alert_id, reason[:_TEXT_LIMIT], self._clock()))

    def _check_running(self) -> None:
        if self._closed or self._thread is None or not self._thread.is_alive():
            raise Unavailable("the spool is not running; retry later", retry_after=FULL_RETRY_AFTER)

    def _submit(self, op: _Op) -> asyncio.Future[None]:
        """Hand one write to the writer thread; the future resolves after its commit."""
        self._check_running()
        future = asyncio.get_running_loop().create_future()
        self._inbox.put((op, future))
        return future

    # ------------------------------------------------------------------ reads on the event loop

    def claim_due(self, limit: int) -> list[SpooledAlert]:
        """Up to `limit` due alerts not already claimed here; they stay claimed until a mark_*
        commits or release() is called. Claims are in memory: after a restart nothing is
        claimed and every due alert is delivered again (at-least-once)."""
        if limit <= 0 or self._closed:
            return []
        try:
            with self._reader_lock:
                rows = self._reader.execute(
                    _DUE, (self._clock(), limit + len(self._claimed))
                ).fetchall()
        except sqlite3.Error as exc:
            raise _broken(exc) from None
        alerts: list[SpooledAlert] = []
        for row in rows:
            if row[0] in self._claimed:
                continue
            self._claimed.add(row[0])
            alerts.append(SpooledAlert(*row))
            if len(alerts) == limit:
                break
        return alerts

    def release(self, alert_id: str) -> None:
        """Give up a claim without changing the row (a send abandoned at shutdown)."""
        self._claimed.discard(alert_id)

    def depth(self) -> int:
        """Alerts queued, as of the last commit."""
        return self._queued_rows

    def queued_bytes(self) -> int:
        """Bytes queued and not delivered, counting appends still waiting for their commit."""
        with self._counter_lock:
            return self._queued_bytes + self._reserved

    def dead_count(self) -> int:
        return self._dead_rows

    def writable(self) -> bool:
        """For /readyz: open, the last write committed, and spool.db is still the file we opened
        (a deleted or replaced spool would swallow alerts)."""
        if self._closed or self._failed:
            return False
        try:
            stat = self.path.stat()
        except OSError:
            return False
        return (stat.st_dev, stat.st_ino) == self._file_identity

    # ------------------------------------------------------------------ management (synchronous)

    def list_dead(self, limit: int = 100) -> list[dict]:
        """Dead letters, oldest first: id, route, created_at, dead_at, attempts, reason, size.
        Never the body."""
        with self._admin_lock:
            rows = self._admin.execute(
                "SELECT id, route, created_at, dead_at, attempts, reason, size FROM dead"
                " ORDER BY dead_at, id LIMIT ?",
                (limit,),
            ).fetchall()
        keys = ("id", "route", "created_at", "dead_at", "attempts", "reason", "size")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def retry_dead(self, ids: Sequence[str] | None = None) -> int:
        """Move dead letters (all if `ids` is None) back to the queue, attempts 0, due now.
        Not limited by max_bytes: an operator's decision. Returns how many moved."""
        selection = _selection(ids)
        now = self._clock()

        def move(conn: sqlite3.Connection) -> int:
            moved = conn.execute(_DEAD_TO_QUEUE, (now, selection)).rowcount
            conn.execute(_DELETE_DEAD, (selection,))
            return moved

        with self._admin_lock, self._write_lock:
            return self._admin_write(move)

    def purge_dead(self, ids: Sequence[str] | None = None) -> int:
        """Delete dead letters for good (all if `ids` is None). Returns how many."""
        selection = _selection(ids)
        with self._admin_lock, self._write_lock:
            return self._admin_write(lambda c: c.execute(_DELETE_DEAD, (selection,)).rowcount)

    def _admin_write(self, work: Callable[[sqlite3.Connection], int]) -> int:
        """One transaction on the admin connection; both admin and write locks held."""
        conn = self._admin
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = work(conn)
            stats = conn.execute(_READ_STATS).fetchone()
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(conn)
            raise _broken(exc) from None
        self._set_counts(stats, settled=0)
        return result

    # ------------------------------------------------------------------ the writer thread

    def _set_counts(self, stats: tuple[int, int, int], *, settled: int) -> None:
        with self._counter_lock:
            self._queued_rows, self._queued_bytes, self._dead_rows = stats
            self._reserved -= settled
            self._failed = False

    def _write_loop(self) -> None:
        assert self._writer is not None
        try:
            while True:
                try:
                    first = self._inbox.get(timeout=PROBE_INTERVAL if self._failed else None)
                except queue.Empty:
                    self._probe()
                    continue
                if first is _STOP:
                    return
                batch = [first]
                stop = False
                while len(batch) < self.batch_limit:
                    try:
                        item = self._inbox.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stop = True
                        break
                    batch.append(item)
                self._write_batch(batch)  # type: ignore[arg-type]
                if stop:
                    return
        finally:
            self._writer.close()

    def _write_batch(self, batch: list[tuple[_Op, asyncio.Future[None]]]) -> None:
        conn = self._writer
        assert conn is not None
        appended = sum(len(op.body) for op, _ in batch if isinstance(op, _Append))
        error: BaseException | None = None
        with self._write_lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
                for op, _ in batch:
                    if isinstance(op, _Append):
                        row = (op.id, op.route, op.routing_key, op.body, len(op.body))
                        conn.execute(_INSERT, (*row, op.created_at, op.created_at))
                    elif isinstance(op, _Delivered):
                        conn.execute(_DELETE, (op.id,))
                    elif isinstance(op, _Retry):
                        conn.execute(_RETRY, (op.next_attempt_at, op.error, op.id))
                    else:
                        conn.execute(_TO_DEAD, (op.dead_at, op.reason, op.id))
                        conn.execute(_DELETE, (op.id,))
                stats = conn.execute(_READ_STATS).fetchone()
                self._check_identity()
                conn.execute("COMMIT")
            except Exception as exc:  # any failure fails the whole batch, never the thread
                _rollback(conn)
                error = exc
            if error is None:
                self.commits += 1
                self._set_counts(stats, settled=appended)
            else:
                with self._counter_lock:
                    self._reserved -= appended
                    self._failed = True
        if error is not None:
            log.error(
                "spool commit failed (%s); %d writes refused",
                type(error).__name__,
                len(batch),
                extra={"count": len(batch)},
            )
        self._answer(batch, error)

    def _check_identity(self) -> None:
        """Raise SpoolFileReplaced unless spool.db is still the file opened at start. Checked
        inside every write transaction, just before COMMIT: an alert is answered 202 only if it
        went into the file a restart will open."""
        try:
            stat = self.path.stat()
        except OSError:
            raise SpoolFileReplaced() from None
        if (stat.st_dev, stat.st_ino) != self._file_identity:
            raise SpoolFileReplaced()

    def _probe(self) -> None:
        """After a failed commit, try a tiny write so writable() can recover without traffic."""
        conn = self._writer
        assert conn is not None
        with self._write_lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("UPDATE stats SET probed_at = ? WHERE one = 1", (self._clock(),))
                stats = conn.execute(_READ_STATS).fetchone()
                self._check_identity()
                conn.execute("COMMIT")
            except Exception:
                _rollback(conn)
                return
            self._set_counts(stats, settled=0)
        log.info("spool writable again")

    def _answer(
        self, batch: list[tuple[_Op, asyncio.Future[None]]], error: BaseException | None
    ) -> None:
        """Resolve every waiter of a batch with one callback on the loop."""
        loop = self._loop
        assert loop is not None
        try:
            loop.call_soon_threadsafe(self._resolve, batch, error)
        except RuntimeError:  # the loop is closed; nobody is waiting any more
            pass

    def _resolve(
        self, batch: list[tuple[_Op, asyncio.Future[None]]], error: BaseException | None
    ) -> None:
        for op, future in batch:
            if error is None and not isinstance(op, _Append):
                self._claimed.discard(op.id)  # committed: the row may be claimed again
            if future.done():  # the caller was cancelled; the write stands
                continue
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(_broken(error))
