"""The shared spool's PostgreSQL tables, created or migrated at start, and how a connection is
opened. Each migration runs once, in order, recorded in `spool_schema_version`, under an
advisory lock so replicas starting together do not race.

Tables mirror the SQLite spool's (`queue`, `dead`, `stats`) plus the claim columns:
`claimed_by` (a random token per running proxy) and `claimed_until` (the lease's end, epoch
seconds). A row whose lease ran out is due again for every replica.
"""

from __future__ import annotations

import asyncpg

from sanitizer.errors import Unavailable

__all__ = ["CHANGED", "MIGRATIONS", "READ_STATS", "connect", "migrate"]

# pg_advisory_xact_lock key: "spool" in ASCII, so it is recognisable in pg_locks.
_MIGRATION_LOCK = 0x73706F6F6C
CONNECT_TIMEOUT = 10.0
COMMAND_TIMEOUT = 15.0

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE spool_queue (
        id text PRIMARY KEY,
        route text NOT NULL,
        routing_key text,
        body bytea NOT NULL,
        size bigint NOT NULL,
        created_at double precision NOT NULL,
        attempts integer NOT NULL,
        next_attempt_at double precision NOT NULL,
        last_error text,
        claimed_by text,
        claimed_until double precision
    );
    CREATE INDEX spool_queue_due ON spool_queue (next_attempt_at);
    CREATE TABLE spool_dead (
        id text PRIMARY KEY,
        route text NOT NULL,
        routing_key text,
        body bytea NOT NULL,
        size bigint NOT NULL,
        created_at double precision NOT NULL,
        attempts integer NOT NULL,
        next_attempt_at double precision NOT NULL,
        last_error text,
        dead_at double precision NOT NULL,
        reason text NOT NULL
    );
    CREATE INDEX spool_dead_order ON spool_dead (dead_at);
    CREATE TABLE spool_stats (
        one integer PRIMARY KEY CHECK (one = 1),
        queued_rows bigint NOT NULL,
        queued_bytes bigint NOT NULL,
        dead_rows bigint NOT NULL,
        probed_at double precision
    );
    INSERT INTO spool_stats VALUES (1, 0, 0, 0, NULL);
    CREATE FUNCTION spool_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_TABLE_NAME = 'spool_queue' THEN
            IF TG_OP = 'INSERT' THEN
                UPDATE spool_stats SET queued_rows = queued_rows + 1,
                    queued_bytes = queued_bytes + NEW.size WHERE one = 1;
            ELSE
                UPDATE spool_stats SET queued_rows = queued_rows - 1,
                    queued_bytes = queued_bytes - OLD.size WHERE one = 1;
            END IF;
        ELSIF TG_OP = 'INSERT' THEN
            UPDATE spool_stats SET dead_rows = dead_rows + 1 WHERE one = 1;
        ELSE
            UPDATE spool_stats SET dead_rows = dead_rows - 1 WHERE one = 1;
        END IF;
        RETURN NULL;
    END $$;
    CREATE TRIGGER spool_queue_count AFTER INSERT OR DELETE ON spool_queue
        FOR EACH ROW EXECUTE FUNCTION spool_count();
    CREATE TRIGGER spool_dead_count AFTER INSERT OR DELETE ON spool_dead
        FOR EACH ROW EXECUTE FUNCTION spool_count();
    """,
)

READ_STATS = "SELECT queued_rows, queued_bytes, dead_rows FROM spool_stats WHERE one = 1"
# The channel `sanitizer spool retry/purge` notifies at its commit: running proxies read their
# figures again at once (the dead-letter gauge), not at their next heartbeat.
CHANGED = "sanitizer_spool_changed"


async def connect(dsn: str) -> asyncpg.Connection:
    """One connection; the caller never puts the DSN or the driver's message in an error."""
    return await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT, command_timeout=COMMAND_TIMEOUT)


async def migrate(conn: asyncpg.Connection) -> int:
    """Bring the tables to the newest version; returns it."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS spool_schema_version (version integer NOT NULL)"
        )
        current = await conn.fetchval("SELECT max(version) FROM spool_schema_version") or 0
        if current > len(MIGRATIONS):
            raise Unavailable(
                f"the spool database has tables of a newer proxy (schema {current}, this proxy"
                f" knows {len(MIGRATIONS)}); run the newer version",
                retry_after=30,
            )
        for version, script in enumerate(MIGRATIONS, start=1):
            if version > current:
                await conn.execute(script)
                await conn.execute("INSERT INTO spool_schema_version VALUES ($1)", version)
    return len(MIGRATIONS)
