"""The `Spool`: the durable queue's connections, in-memory counters and claims, and the one
writer thread that group-commits every write (see the package docstring)."""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from sanitizer.errors import Unavailable
from sanitizer.proxy.spool import deadletters
from sanitizer.proxy.spool.operations import (
    Append,
    AppendAll,
    Op,
    SpooledAlert,
    due_rows,
    execute,
)
from sanitizer.proxy.spool.ownership import (
    check_identity,
    file_identity,
    is_same_file,
    take_owner_lock,
)
from sanitizer.proxy.spool.schema import DB_NAME, READ_STATS, RECOUNT, SCHEMA, connect, rollback
from sanitizer.proxy.spool.writes import FULL_RETRY_AFTER, QueuedWrites, check_room, not_running

__all__ = ["BROKEN_RETRY_AFTER", "FULL_RETRY_AFTER", "PROBE_INTERVAL", "Spool"]

log = logging.getLogger("sanitizer.spool")

BROKEN_RETRY_AFTER = 30
PROBE_INTERVAL = 2.0
_STOP = object()
_OLDEST = "SELECT created_at FROM queue ORDER BY id LIMIT 1"


def _appended(op: Op) -> int:
    """Bytes `op` adds to the queue (what its caller reserved)."""
    if isinstance(op, Append):
        return len(op.body)
    if isinstance(op, AppendAll):
        return op.size
    return 0


def _broken(exc: BaseException) -> Unavailable:
    return Unavailable(
        f"the spool cannot be written ({type(exc).__name__}); retry later",
        retry_after=BROKEN_RETRY_AFTER,
    )


class Spool(QueuedWrites):
    """The durable queue. See the package docstring for threads and connections.

    Async (await the commit): start, close, append, append_many, mark_delivered, mark_retry,
    dead_letter.
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
            self._admin = connect(self.path)
        except (OSError, sqlite3.Error) as exc:
            raise Unavailable(
                f"the spool cannot be opened ({type(exc).__name__}); check the spool path"
                " is a writable directory",
                retry_after=BROKEN_RETRY_AFTER,
            ) from None
        try:
            self._admin.executescript(SCHEMA)
            self._admin.execute(RECOUNT)  # autocommit: counters start from SUM(size)
            self._set_counts(self._admin.execute(READ_STATS).fetchone(), settled=0)
            self._reader = connect(self.path)
            self._file_identity = file_identity(self.path)
        except (OSError, sqlite3.Error) as exc:
            self._admin.close()
            raise _broken(exc) from None

    # ------------------------------------------------------------------ lifecycle

    def take_ownership(self) -> None:
        """Take the directory's owner lock (held until close()), unless already taken: before
        serving, so that a second proxy on this spool fails before it starts anything.
        Raises Unavailable naming the directory when another process owns it."""
        if self._owner_lock is not None:
            return
        try:
            self._owner_lock = take_owner_lock(self.path.parent)
        except OSError as exc:
            raise _broken(exc) from None

    async def start(self) -> None:
        """Start the writer thread; call from inside the event loop that will use the spool."""
        if self._thread is not None or self._closed:
            raise RuntimeError("Spool.start() called twice or after close()")
        self._loop = asyncio.get_running_loop()
        self.take_ownership()
        try:
            self._writer = connect(self.path)
        except sqlite3.Error as exc:
            raise _broken(exc) from None
        self._thread = threading.Thread(target=self._write_loop, name="spool-writer", daemon=True)
        self._thread.start()

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

    def _reserve(self, size: int) -> None:
        """Count `size` bytes as queued until their commit settles, or `Unavailable` (spool
        full) when they do not fit under `max_bytes`."""
        self._check_running()
        with self._counter_lock:
            check_room(self._queued_bytes + self._reserved, size, self.max_bytes)
            self._reserved += size

    def _check_running(self) -> None:
        if self._closed or self._thread is None or not self._thread.is_alive():
            raise not_running()

    def _submit(self, op: Op) -> asyncio.Future[None]:
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
                rows = due_rows(self._reader, self._clock(), limit + len(self._claimed))
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
        """Dead letters as the database holds them now, not as of this process's last commit:
        `sanitizer spool retry/purge` changes them from another process, and the gauge must
        show that at the next scrape even when no alert comes."""
        if self._closed:
            return self._dead_rows
        try:
            with self._reader_lock:
                row = self._reader.execute(READ_STATS).fetchone()
        except sqlite3.Error:  # the figure of the last commit; writable() reports the fault
            return self._dead_rows
        return self._dead_rows if row is None else int(row[2])

    def oldest_created_at(self) -> float | None:
        """When the oldest queued alert was queued. Ids sort by arrival (a requeued dead letter
        keeps its own), so this reads the first entry of the primary key's index, however long
        the queue."""
        if self._closed:
            return None
        try:
            with self._reader_lock:
                row = self._reader.execute(_OLDEST).fetchone()
        except sqlite3.Error:  # a scrape must still answer; writable() reports the fault
            return None
        return None if row is None else row[0]

    def describe(self) -> str:
        return f"sqlite {self.path.parent}"

    def writable(self) -> bool:
        """For /readyz: open, the last write committed, and spool.db is still the file we opened
        (a deleted or replaced spool would swallow alerts)."""
        if self._closed or self._failed:
            return False
        return is_same_file(self.path, self._file_identity)

    # ------------------------------------------------------------------ management (synchronous)

    def list_dead(self, limit: int = 100) -> list[dict]:
        """Dead letters, oldest first: id, route, created_at, dead_at, attempts, reason, size.
        Never the body."""
        with self._admin_lock:
            return deadletters.list_dead(self._admin, limit)

    def find_dead(self, ids: Sequence[str]) -> list[str]:
        """Which of `ids` are dead letters now, sorted."""
        with self._admin_lock:
            return deadletters.present(self._admin, ids)

    def retry_dead(self, ids: Sequence[str] | None = None) -> int:
        """Move dead letters (all if `ids` is None) back to the queue, attempts 0, due now.
        Not limited by max_bytes: an operator's decision. Returns how many moved."""
        now = self._clock()
        with self._admin_lock, self._write_lock:
            return self._admin_write(lambda conn: deadletters.requeue(conn, ids, now))

    def purge_dead(self, ids: Sequence[str] | None = None) -> int:
        """Delete dead letters for good (all if `ids` is None). Returns how many."""
        with self._admin_lock, self._write_lock:
            return self._admin_write(lambda conn: deadletters.purge(conn, ids))

    def _admin_write(self, work: Callable[[sqlite3.Connection], int]) -> int:
        """One transaction on the admin connection; both admin and write locks held."""
        conn = self._admin
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = work(conn)
            stats = conn.execute(READ_STATS).fetchone()
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            rollback(conn)
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

    def _write_batch(self, batch: list[tuple[Op, asyncio.Future[None]]]) -> None:
        conn = self._writer
        assert conn is not None
        appended = sum(_appended(op) for op, _ in batch)
        error: BaseException | None = None
        with self._write_lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
                for op, _ in batch:
                    execute(conn, op)
                stats = conn.execute(READ_STATS).fetchone()
                check_identity(self.path, self._file_identity)
                conn.execute("COMMIT")
            except Exception as exc:  # any failure fails the whole batch, never the thread
                rollback(conn)
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

    def _probe(self) -> None:
        """After a failed commit, try a tiny write so writable() can recover without traffic."""
        conn = self._writer
        assert conn is not None
        with self._write_lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("UPDATE stats SET probed_at = ? WHERE one = 1", (self._clock(),))
                stats = conn.execute(READ_STATS).fetchone()
                check_identity(self.path, self._file_identity)
                conn.execute("COMMIT")
            except Exception:
                rollback(conn)
                return
            self._set_counts(stats, settled=0)
        log.info("spool writable again")

    def _answer(
        self, batch: list[tuple[Op, asyncio.Future[None]]], error: BaseException | None
    ) -> None:
        """Resolve every waiter of a batch with one callback on the loop."""
        loop = self._loop
        assert loop is not None
        try:
            loop.call_soon_threadsafe(self._resolve, batch, error)
        except RuntimeError:  # the loop is closed; nobody is waiting any more
            pass

    def _resolve(
        self, batch: list[tuple[Op, asyncio.Future[None]]], error: BaseException | None
    ) -> None:
        for op, future in batch:
            if error is None and not isinstance(op, Append | AppendAll):
                self._claimed.discard(op.id)  # committed: the row may be claimed again
            if future.done():  # the caller was cancelled; the write stands
                continue
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(_broken(error))
