"""The spool's SQLite file: how a connection is opened (WAL, synchronous=FULL), the tables
and the triggers that keep the one-row `stats` table counting queued and dead rows."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

__all__ = ["DB_NAME", "READ_STATS", "RECOUNT", "SCHEMA", "connect", "rollback"]

log = logging.getLogger("sanitizer.spool")

DB_NAME = "spool.db"

SCHEMA = """
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

RECOUNT = """
INSERT OR REPLACE INTO stats (one, queued_rows, queued_bytes, dead_rows) VALUES (
    1,
    (SELECT COUNT(*) FROM queue),
    (SELECT COALESCE(SUM(size), 0) FROM queue),
    (SELECT COUNT(*) FROM dead)
)
"""
READ_STATS = "SELECT queued_rows, queued_bytes, dead_rows FROM stats WHERE one = 1"


def connect(path: Path) -> sqlite3.Connection:
    """A connection in WAL mode with synchronous=FULL, outside any implicit transaction:
    callers BEGIN and COMMIT themselves."""
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


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open (SQLite rolls back by itself on some errors)."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            log.error("spool rollback failed (%s)", type(exc).__name__)
