"""The spool: durability (close/reopen, kill -9), group commit, max_bytes, failures, dead letters.

The tests that state a guarantee of every backend run twice: against real SQLite files and
against the session's own PostgreSQL (tests/pgserver.py, a fresh database per test). Write
failures are real too: an unopenable path, a write that exceeds RLIMIT_FSIZE (which binds root
as well) in a subprocess, a database that turns read-only.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sanitizer.errors import Unavailable
from sanitizer.proxy.spool import Spool, SpooledAlert, open_admin
from sanitizer.proxy.spool.postgres import PostgresSpool
from tests.pgserver import PgServer

ID = re.compile(r"^[0-9a-f]{32}$")


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def opened(directory: Path, **kwargs) -> Spool:
    kwargs.setdefault("max_bytes", 1 << 20)
    spool = Spool(directory, **kwargs)
    await spool.start()
    return spool


class Backend:
    """One spool backend under test: opens spools, the CLI's admin and reads rows directly."""

    def __init__(self, name: str, directory: Path, server: PgServer | None) -> None:
        self.name = name
        self.directory = directory
        self.server = server
        self.dsn = server.new_database() if server is not None else None

    def make(self, **kwargs):
        kwargs.setdefault("max_bytes", 1 << 20)
        if self.dsn is not None:
            return PostgresSpool(self.dsn, **kwargs)
        return Spool(self.directory, **kwargs)

    async def opened(self, **kwargs):
        spool = self.make(**kwargs)
        await spool.start()
        return spool

    def admin(self, clock=None):
        if self.dsn is not None:
            from sanitizer.proxy.spool.pgadmin import PostgresAdmin

            return PostgresAdmin(self.dsn, **({} if clock is None else {"clock": clock}))
        if clock is not None:
            return Spool(self.directory, max_bytes=1 << 62, clock=clock)
        return open_admin("sqlite", path=self.directory, dsn=None)

    def rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        """`sql` names the tables queue and dead and takes ? parameters, for both backends."""
        if self.server is None:
            return rows(self.directory, sql, args)
        assert self.dsn is not None
        numbered = iter(range(1, len(args) + 1))
        sql = re.sub(r"\?", lambda _: f"${next(numbered)}", sql)
        sql = re.sub(r"\b(queue|dead)\b", r"spool_\1", sql)
        database = self.dsn.rsplit("/", 1)[1]
        return asyncio.run(_fetch(self.server.dsn(database), sql, args))


async def _fetch(dsn: str, sql: str, args: tuple) -> list[tuple]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return [tuple(row) for row in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tmp_path) -> Backend:
    server = request.getfixturevalue("pg_server") if request.param == "postgres" else None
    return Backend(request.param, tmp_path / "spool", server)


async def claim(spool, limit: int) -> list[SpooledAlert]:
    """Claim due alerts now: the SQLite spool reads them on the spot; the shared spool's
    `claim_due` hands out what its claimer fetched, so ask the database directly."""
    if isinstance(spool, PostgresSpool):
        return await spool.claim(limit)
    return spool.claim_due(limit)


def rows(directory: Path, sql: str, args: tuple = ()) -> list[tuple]:
    """Read the spool file directly, as a second process would."""
    conn = sqlite3.connect(directory / "spool.db")
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def run_script(script: str, *args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# ---------------------------------------------------------------- durability


def test_appended_alerts_are_readable_after_close_and_reopen(backend):
    async def write() -> list[str]:
        spool = await backend.opened()
        ids = [
            await spool.append("vo", b'{"n": 1}', routing_key="team-a"),
            await spool.append("hook", b'{"n": 2}'),
        ]
        await spool.close()
        return ids

    async def read() -> list[SpooledAlert]:
        spool = await backend.opened()
        alerts = await claim(spool, 10)
        assert spool.depth() == 2
        assert spool.queued_bytes() == len(b'{"n": 1}') + len(b'{"n": 2}')
        await spool.close()
        return alerts

    ids = asyncio.run(write())
    alerts = {a.id: a for a in asyncio.run(read())}
    assert set(alerts) == set(ids)
    assert all(ID.match(i) for i in ids)
    first, second = alerts[ids[0]], alerts[ids[1]]
    assert (first.route, first.routing_key, first.body, first.attempts) == (
        "vo",
        "team-a",
        b'{"n": 1}',
        0,
    )
    assert (second.route, second.routing_key, second.body) == ("hook", None, b'{"n": 2}')


KILL_SCRIPT = """
    import asyncio, sys
    from sanitizer.proxy.spool import Spool
    from sanitizer.proxy.spool.postgres import PostgresSpool

    async def appender(spool, k):
        n = 0
        while True:
            n += 1
            alert_id = await spool.append("vo", b'{"appender": %d, "n": %d}' % (k, n))
            sys.stdout.write(alert_id + "\\n")
            sys.stdout.flush()

    async def main():
        kind, where = sys.argv[1:3]
        if kind == "postgres":
            spool = PostgresSpool(where, max_bytes=1 << 30)
        else:
            spool = Spool(where, max_bytes=1 << 30)
        await spool.start()
        await asyncio.gather(*(appender(spool, k) for k in range(16)))

    asyncio.run(main())
"""


def test_kill_9_loses_no_acknowledged_append(backend):
    where = backend.dsn or str(backend.directory)
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILL_SCRIPT), backend.name, where],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acknowledged: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 15
        while len(acknowledged) < 1500 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acknowledged.append(line.strip())
        os.kill(proc.pid, signal.SIGKILL)
        rest, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, err
    acknowledged += rest.splitlines()
    acknowledged = [i for i in acknowledged if ID.match(i)]  # the last line may be cut short
    assert len(acknowledged) >= 1500, err

    queued = {row[0] for row in backend.rows("SELECT id FROM queue")}
    assert set(acknowledged) <= queued
    if backend.name == "sqlite":
        assert rows(backend.directory, "PRAGMA integrity_check") == [("ok",)]
    assert backend.admin().depth() == len(queued)


# ---------------------------------------------------------------- group commit


def test_concurrent_appends_share_commits(backend):
    async def main() -> tuple[list[str], int, int]:
        spool = await backend.opened()
        ids = await asyncio.gather(*(spool.append("vo", b"{}") for _ in range(2000)))
        result = ids, spool.commits, spool.depth()
        await spool.close()
        return result

    ids, commits, depth = asyncio.run(main())
    assert len(set(ids)) == 2000 and depth == 2000
    assert 8 <= commits <= 200  # at most 256 per commit; far fewer commits than appends


def test_a_commit_never_holds_more_than_batch_limit_writes(backend):
    async def main() -> int:
        spool = await backend.opened(batch_limit=16)
        await asyncio.gather(*(spool.append("vo", b"{}") for _ in range(320)))
        await spool.close()
        return spool.commits

    assert asyncio.run(main()) >= 320 // 16


# ---------------------------------------------------------------- max_bytes


def test_max_bytes_refuses_with_unavailable_and_accepts_again_after_delivery(backend):
    body = b"x" * 600

    async def main() -> None:
        spool = await backend.opened(max_bytes=1000)
        await spool.append("vo", body)
        with pytest.raises(Unavailable) as refused:
            await spool.append("vo", body)
        assert refused.value.retry_after == 5
        assert refused.value.status == 503
        assert "600 of 1000 bytes" in refused.value.message
        assert spool.depth() == 1 and spool.queued_bytes() == 600

        (alert,) = await claim(spool, 10)
        await spool.mark_delivered(alert.id)
        assert spool.queued_bytes() == 0
        await spool.append("vo", body)
        await spool.close()

    asyncio.run(main())


def test_max_bytes_counts_bytes_already_queued_at_open(backend):
    async def main() -> None:
        spool = await backend.opened()
        await spool.append("vo", b"x" * 700)
        await spool.close()
        spool = await backend.opened(max_bytes=1000)
        assert spool.queued_bytes() == 700
        with pytest.raises(Unavailable):
            await spool.append("vo", b"x" * 400)
        await spool.append("vo", b"x" * 300)
        await spool.close()

    asyncio.run(main())


def test_dead_letters_do_not_count_against_max_bytes(backend):
    async def main() -> None:
        spool = await backend.opened(max_bytes=1000)
        await spool.append("vo", b"x" * 900)
        (alert,) = await claim(spool, 1)
        await spool.dead_letter(alert.id, reason="http 400")
        assert spool.queued_bytes() == 0 and spool.dead_count() == 1
        await spool.append("vo", b"x" * 900)
        await spool.close()

    asyncio.run(main())


# ---------------------------------------------------------------- failures


def test_spool_path_that_is_a_file_gives_unavailable(tmp_path):
    target = tmp_path / "spool"
    target.write_text("not a directory")
    with pytest.raises(Unavailable) as refused:
        Spool(target, max_bytes=1 << 20)
    assert "cannot be opened" in refused.value.message
    assert str(tmp_path) not in refused.value.message


def test_spool_db_that_cannot_be_opened_as_a_database_gives_unavailable(tmp_path):
    (tmp_path / "spool.db").mkdir()  # root can write anywhere, but not open a directory as a db
    with pytest.raises(Unavailable):
        Spool(tmp_path, max_bytes=1 << 20)


def test_an_unreachable_spool_database_gives_unavailable_without_the_dsn(pg_server):
    from tests.pgserver import free_port

    dsn = f"postgresql://sanitizer:DSN-CANARY-7f3a@127.0.0.1:{free_port()}/nowhere"

    async def main() -> None:
        spool = PostgresSpool(dsn, max_bytes=1 << 20)
        with pytest.raises(Unavailable) as refused:
            await spool.start()
        assert "cannot be opened" in refused.value.message
        assert "DSN-CANARY" not in refused.value.message
        assert "127.0.0.1" not in refused.value.message
        await spool.close()

    asyncio.run(main())


FULL_DISK_SCRIPT = """
    import asyncio, json, resource, signal, sys, time
    from sanitizer.proxy.spool import store as spool_module
    from sanitizer.proxy.spool import Spool

    spool_module.PROBE_INTERVAL = 0.05

    async def main():
        spool = Spool(sys.argv[1], max_bytes=1 << 30)
        await spool.start()
        await spool.append("vo", b"x" * 100)
        report = {"writable_before": spool.writable()}
        # Every write past the WAL's current end now fails with EFBIG: a full disk, even for root.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        wal = spool.path.with_name(spool.path.name + "-wal")
        resource.setrlimit(resource.RLIMIT_FSIZE, (wal.stat().st_size, resource.RLIM_INFINITY))
        results = await asyncio.gather(
            *(spool.append("vo", b"y" * 20000) for _ in range(20)), return_exceptions=True
        )
        report["results"] = [type(r).__name__ for r in results]
        report["messages"] = sorted({getattr(r, "message", "") for r in results})
        report["retry_after"] = sorted({getattr(r, "retry_after", 0) for r in results})
        report["writable_broken"] = spool.writable()
        report["queued_bytes_broken"] = spool.queued_bytes()
        report["depth_broken"] = spool.depth()
        infinity = resource.RLIM_INFINITY
        resource.setrlimit(resource.RLIMIT_FSIZE, (infinity, infinity))
        deadline = time.monotonic() + 5
        while not spool.writable() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        report["writable_after"] = spool.writable()
        await spool.append("vo", b"z" * 20000)
        report["depth_after"] = spool.depth()
        await spool.close()
        print(json.dumps(report))

    asyncio.run(main())
"""


def test_failed_commit_refuses_every_waiter_and_the_spool_recovers(tmp_path):
    done = run_script(FULL_DISK_SCRIPT, str(tmp_path))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["writable_before"] is True
    assert report["results"] == ["Unavailable"] * 20
    assert report["messages"] == ["the spool cannot be written (OperationalError); retry later"]
    assert report["retry_after"] == [30]
    assert report["writable_broken"] is False
    assert report["queued_bytes_broken"] == 100  # refused appends give their reservation back
    assert report["depth_broken"] == 1
    assert report["writable_after"] is True
    assert report["depth_after"] == 2
    assert [r[0] for r in rows(tmp_path, "SELECT size FROM queue ORDER BY id")] == [100, 20000]


def test_a_read_only_database_refuses_every_waiter_and_the_spool_recovers(pg_server):
    """The shared spool's "disk full": the database refuses writes. Appends fail with
    Unavailable (503), writable() turns False, and the probe brings it back by itself."""
    backend = Backend("postgres", Path("unused"), pg_server)
    from sanitizer.proxy.spool import postgres as pg_module

    async def main() -> dict:
        pg_module.PROBE_INTERVAL = 0.05
        spool = await backend.opened()
        await spool.append("vo", b"x" * 100)
        report: dict = {"writable_before": spool.writable()}
        await asyncio.to_thread(pg_server.set_read_only, backend.dsn, True)
        results = await asyncio.gather(
            *(spool.append("vo", b"y" * 2000) for _ in range(20)), return_exceptions=True
        )
        report["results"] = sorted({type(r).__name__ for r in results})
        report["retry_after"] = sorted({getattr(r, "retry_after", 0) for r in results})
        report["writable_broken"] = spool.writable()
        report["queued_bytes_broken"] = spool.queued_bytes()
        await asyncio.to_thread(pg_server.set_read_only, backend.dsn, False)
        deadline = time.monotonic() + 10
        while not spool.writable() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        report["writable_after"] = spool.writable()
        await spool.append("vo", b"z" * 2000)
        report["depth_after"] = spool.depth()
        await spool.close()
        return report

    try:
        report = asyncio.run(main())
    finally:
        pg_module.PROBE_INTERVAL = 2.0
    assert report["writable_before"] is True
    assert report["results"] == ["Unavailable"]
    assert report["retry_after"] == [30]
    assert report["writable_broken"] is False
    assert report["queued_bytes_broken"] == 100
    assert report["writable_after"] is True
    assert report["depth_after"] == 2
    assert [r[0] for r in backend.rows("SELECT size FROM queue ORDER BY id")] == [100, 2000]


def test_closed_spool_refuses_appends(backend):
    async def main() -> None:
        spool = await backend.opened()
        await spool.close()
        with pytest.raises(Unavailable):
            await spool.append("vo", b"{}")
        assert spool.queued_bytes() == 0
        assert not spool.writable()

    asyncio.run(main())


def test_a_deleted_spool_file_is_not_writable(tmp_path):
    async def main() -> None:
        spool = await Backend("sqlite", tmp_path, None).opened()
        assert spool.writable()
        (tmp_path / "spool.db").unlink()
        assert not spool.writable()
        await spool.close()

    asyncio.run(main())


# ---------------------------------------------------------------- claims


def test_claims_hide_alerts_until_their_outcome_commits(backend):
    clock = Clock()

    async def main() -> None:
        spool = await backend.opened(clock=clock)
        first = await spool.append("vo", b"1")
        await spool.append("vo", b"2")
        claimed = await claim(spool, 1)
        assert [a.id for a in claimed] == [first]
        assert [a.id for a in await claim(spool, 10)] != [first]
        assert await claim(spool, 10) == []

        await spool.mark_retry(first, next_attempt_at=clock.now + 60, error="http 503")
        assert await claim(spool, 10) == []  # released, but not due yet
        clock.now += 60
        (again,) = await claim(spool, 10)
        assert (again.id, again.attempts) == (first, 1)
        last_error = "SELECT last_error FROM queue WHERE id = ?"
        assert await asyncio.to_thread(backend.rows, last_error, (first,)) == [("http 503",)]
        spool.release(first)
        await _settled(spool)
        assert [a.id for a in await claim(spool, 10)] == [first]
        await spool.close()

    asyncio.run(main())


def test_a_deferred_alert_is_due_again_later_with_no_attempt_counted(backend):
    """Pacing hands claimed alerts back: they leave the claim, come back at their new time,
    and their attempt count (which sets a real retry's backoff) is untouched."""
    clock = Clock()

    async def main() -> None:
        spool = await backend.opened(clock=clock)
        alert_id = await spool.append("pd", b"1")
        (claimed,) = await claim(spool, 1)
        await spool.defer(claimed.id, next_attempt_at=clock.now + 30)
        assert await claim(spool, 10) == []  # no longer claimed, but not due yet
        clock.now += 30
        (again,) = await claim(spool, 10)
        assert (again.id, again.attempts) == (alert_id, 0)
        assert spool.depth() == 1
        await spool.close()

    asyncio.run(main())


async def _settled(spool) -> None:
    """Wait for the shared spool's background release to finish (a no-op for SQLite)."""
    releasing = getattr(spool, "_releasing", ())
    if releasing:
        await asyncio.gather(*list(releasing))


def test_after_a_restart_nothing_is_claimed_so_due_alerts_are_delivered_again(tmp_path):
    async def main() -> None:
        sqlite = Backend("sqlite", tmp_path, None)
        spool = await sqlite.opened()
        alert_id = await spool.append("vo", b"{}")
        assert [a.id for a in spool.claim_due(10)] == [alert_id]
        await spool.close()  # crashed mid-delivery, as far as the spool knows
        spool = await sqlite.opened()
        assert [a.id for a in spool.claim_due(10)] == [alert_id]
        await spool.close()

    asyncio.run(main())


def test_a_claim_of_a_proxy_that_stopped_is_due_again_once_its_lease_runs_out(pg_server):
    backend = Backend("postgres", Path("unused"), pg_server)
    clock = Clock()

    async def main() -> None:
        gone = await backend.opened(clock=clock, lease=30)
        alert_id = await gone.append("vo", b"{}")
        assert [a.id for a in await claim(gone, 10)] == [alert_id]
        gone._closed = True  # died mid-delivery: no release, no renewal
        for task in gone._tasks:
            task.cancel()
        other = await backend.opened(clock=clock, lease=30)
        assert await claim(other, 10) == []
        clock.now += 29
        assert await claim(other, 10) == []
        clock.now += 2
        (again,) = await claim(other, 10)
        assert (again.id, again.attempts) == (alert_id, 0)
        await gone._close_connections()
        await other.close()

    asyncio.run(main())


def test_two_spools_on_one_database_never_claim_the_same_alert(pg_server):
    backend = Backend("postgres", Path("unused"), pg_server)

    async def main() -> None:
        first, second = await backend.opened(), await backend.opened()
        ids = set(await first.append_many("vo", [b"{}"] * 200))
        got: list[list[SpooledAlert]] = await asyncio.gather(
            *(claim(spool, 7) for spool in [first, second] * 40)
        )
        claimed = [a.id for batch in got for a in batch]
        assert len(claimed) == len(set(claimed)) == 200
        assert set(claimed) == ids
        assert {a.id for batch in got[0::2] for a in batch} and {
            a.id for batch in got[1::2] for a in batch
        }
        await first.close()
        await second.close()

    asyncio.run(main())


def test_claim_due_hands_out_what_the_claimer_fetched(pg_server):
    backend = Backend("postgres", Path("unused"), pg_server)

    async def main() -> None:
        spool = await backend.opened()
        ids = await spool.append_many("vo", [b"1", b"2", b"3"])
        handed: list[str] = []
        deadline = time.monotonic() + 10
        while len(handed) < 3 and time.monotonic() < deadline:
            handed += [a.id for a in spool.claim_due(2)]
            await asyncio.sleep(0.01)  # delivery's poll interval
        assert sorted(handed) == sorted(ids)
        assert spool.claim_due(5) == []
        await spool.close()

    asyncio.run(main())


def test_spooled_alert_repr_never_shows_the_body():
    alert = SpooledAlert("a" * 32, "vo", None, b"PAYLOAD-VALUE", 1.0, 0)
    assert "PAYLOAD-VALUE" not in repr(alert)


# ---------------------------------------------------------------- dead letters


def test_dead_letters_can_be_listed_retried_and_purged(backend):
    clock = Clock()

    async def fill() -> list[str]:
        spool = await backend.opened(clock=clock)
        ids = [await spool.append("vo", b"SECRET-BODY-%d" % n) for n in range(3)]
        for alert in await claim(spool, 10):
            await spool.mark_retry(alert.id, next_attempt_at=clock.now, error="http 503")
        for alert in await claim(spool, 10):
            await spool.dead_letter(alert.id, reason="http 400")
        assert spool.depth() == 0 and spool.dead_count() == 3
        await spool.close()
        return ids

    ids = asyncio.run(fill())

    admin = backend.admin(clock=clock)  # the CLI: never started
    listed = admin.list_dead()
    assert [d["id"] for d in listed] == ids
    assert all(
        set(d) == {"id", "route", "created_at", "dead_at", "attempts", "reason", "size"}
        for d in listed
    )
    assert "SECRET-BODY" not in repr(listed)
    assert (listed[0]["attempts"], listed[0]["reason"], listed[0]["size"]) == (2, "http 400", 13)
    assert len(admin.list_dead(limit=2)) == 2

    clock.now += 100
    assert admin.retry_dead([ids[0], "no-such-id"]) == 1
    assert (admin.depth(), admin.dead_count()) == (1, 2)
    assert backend.rows("SELECT id, attempts, body, next_attempt_at FROM queue") == [
        (ids[0], 0, b"SECRET-BODY-0", clock.now)
    ]

    assert admin.purge_dead([ids[1]]) == 1
    assert [d["id"] for d in admin.list_dead()] == [ids[2]]
    assert admin.retry_dead() == 1
    assert admin.purge_dead() == 0
    assert (admin.depth(), admin.dead_count()) == (2, 0)
    if isinstance(admin, Spool):
        asyncio.run(admin.close())


def test_a_running_spool_sees_management_done_by_another_process(backend):
    async def main() -> None:
        proxy = await backend.opened(max_bytes=1000)
        await proxy.append("vo", b"x" * 600)
        (alert,) = await claim(proxy, 1)
        await proxy.dead_letter(alert.id, reason="http 400")

        cli = backend.admin()  # its own connections, like `sanitizer spool`
        assert await asyncio.to_thread(cli.retry_dead) == 1
        if isinstance(cli, Spool):
            await cli.close()

        await proxy.append("vo", b"y" * 10)  # the next commit reads the shared counters
        assert (proxy.depth(), proxy.dead_count(), proxy.queued_bytes()) == (2, 0, 610)
        with pytest.raises(Unavailable):
            await proxy.append("vo", b"z" * 600)
        await proxy.close()

    asyncio.run(main())


def test_a_second_running_proxy_cannot_own_the_same_spool(tmp_path):
    async def main():
        first = Spool(tmp_path, max_bytes=1 << 20)
        await first.start()
        try:
            second = Spool(tmp_path, max_bytes=1 << 20)
            with pytest.raises(Unavailable, match="another running proxy"):
                await second.start()
            await second.close()
        finally:
            await first.close()
        third = Spool(tmp_path, max_bytes=1 << 20)
        await third.start()
        await third.close()

    asyncio.run(main())


# ---------------------------------------------------------------- the spool section of the config


def _settings(spool: dict, environ: dict[str, str], base: Path):
    from sanitizer.proxy.config import settings_from_mapping

    doc = {
        "spool": spool,
        "routes": {
            "vo": {
                "credentials": [{"env": "TOKEN"}],
                "policy": "keep.yaml",
                "upstream": {"type": "webhook", "url": "https://example.invalid/hook"},
            }
        },
    }
    return settings_from_mapping(doc, base=base, source="config.yaml", environ=environ)


@pytest.fixture
def keep_policy(tmp_path) -> Path:
    """A folder holding the policy the config names."""
    (tmp_path / "keep.yaml").write_text("version: 1\nname: keep\nrules: []\n", encoding="utf-8")
    return tmp_path


DSN = "postgresql://sanitizer:DSN-SECRET-93b1@db.example:5432/alerts"
ENV = {"TOKEN": "t" * 20, "SPOOL_DSN": DSN}


def test_the_spool_backend_is_sqlite_unless_the_config_says_postgres(keep_policy):
    settings = _settings({"path": "spool"}, ENV, keep_policy)
    assert (settings.spool_backend, settings.spool_dsn, settings.spool_lease) == (
        "sqlite",
        None,
        None,
    )
    spool = {"backend": "postgres", "dsn": {"env": "SPOOL_DSN"}, "lease": 5}
    shared = _settings(spool, ENV, keep_policy)
    assert (shared.spool_backend, shared.spool_dsn, shared.spool_lease) == ("postgres", DSN, 5)
    assert "DSN-SECRET" not in repr(shared)


@pytest.mark.parametrize(
    ("spool", "field", "says"),
    [
        ({"backend": "mysql"}, "spool.backend", "sqlite or postgres"),
        ({"backend": "postgres"}, "spool.dsn", "needs dsn"),
        ({"backend": "postgres", "dsn": DSN}, "spool.dsn", "inline"),
        ({"backend": "postgres", "dsn": {"env": "MISSING"}}, "spool.dsn", "MISSING is not set"),
        ({"backend": "postgres", "dsn": {"env": "TOKEN"}}, "spool.dsn", "postgresql://"),
        ({"dsn": {"env": "SPOOL_DSN"}}, "spool.dsn", "only with backend: postgres"),
        ({"backend": "postgres", "dsn": {"env": "SPOOL_DSN"}, "lease": 0}, "spool.lease", "1"),
    ],
)
def test_a_wrong_spool_section_is_refused_naming_the_field_never_the_dsn(
    keep_policy, spool, field, says
):
    from sanitizer.errors import LoadError

    with pytest.raises(LoadError) as refused:
        _settings(spool, ENV, keep_policy)
    text = str(refused.value)
    assert field in text and says in text, text
    assert "DSN-SECRET" not in text and "t" * 20 not in text
