"""The spool: durability (close/reopen, kill -9), group commit, max_bytes, failures, dead letters.

Everything runs against real SQLite files. Write failures are real too: an unopenable path,
and a write that exceeds RLIMIT_FSIZE (which binds root as well) in a subprocess.
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
from sanitizer.proxy.spool import Spool, SpooledAlert

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


def test_appended_alerts_are_readable_after_close_and_reopen(tmp_path):
    directory = tmp_path / "does" / "not" / "exist" / "yet"

    async def write() -> list[str]:
        spool = await opened(directory)
        ids = [
            await spool.append("vo", b'{"n": 1}', routing_key="team-a"),
            await spool.append("hook", b'{"n": 2}'),
        ]
        await spool.close()
        return ids

    async def read() -> list[SpooledAlert]:
        spool = Spool(directory, max_bytes=1 << 20)
        alerts = spool.claim_due(10)
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

    async def appender(spool, k):
        n = 0
        while True:
            n += 1
            alert_id = await spool.append("vo", b'{"appender": %d, "n": %d}' % (k, n))
            sys.stdout.write(alert_id + "\\n")
            sys.stdout.flush()

    async def main():
        spool = Spool(sys.argv[1], max_bytes=1 << 30)
        await spool.start()
        await asyncio.gather(*(appender(spool, k) for k in range(16)))

    asyncio.run(main())
"""


def test_kill_9_loses_no_acknowledged_append(tmp_path):
    directory = tmp_path / "spool"
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILL_SCRIPT), str(directory)],
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

    spool = Spool(directory, max_bytes=1 << 30)
    queued = {row[0] for row in rows(directory, "SELECT id FROM queue")}
    assert set(acknowledged) <= queued
    assert rows(directory, "PRAGMA integrity_check") == [("ok",)]
    assert spool.depth() == len(queued)
    asyncio.run(spool.close())


# ---------------------------------------------------------------- group commit


def test_concurrent_appends_share_commits(tmp_path):
    async def main() -> tuple[list[str], int, int]:
        spool = await opened(tmp_path)
        ids = await asyncio.gather(*(spool.append("vo", b"{}") for _ in range(2000)))
        result = ids, spool.commits, spool.depth()
        await spool.close()
        return result

    ids, commits, depth = asyncio.run(main())
    assert len(set(ids)) == 2000 and depth == 2000
    assert 8 <= commits <= 200  # at most 256 per commit; far fewer commits than appends


def test_a_commit_never_holds_more_than_batch_limit_writes(tmp_path):
    async def main() -> int:
        spool = await opened(tmp_path, batch_limit=16)
        await asyncio.gather(*(spool.append("vo", b"{}") for _ in range(320)))
        await spool.close()
        return spool.commits

    assert asyncio.run(main()) >= 320 // 16


# ---------------------------------------------------------------- max_bytes


def test_max_bytes_refuses_with_unavailable_and_accepts_again_after_delivery(tmp_path):
    body = b"x" * 600

    async def main() -> None:
        spool = await opened(tmp_path, max_bytes=1000)
        await spool.append("vo", body)
        with pytest.raises(Unavailable) as refused:
            await spool.append("vo", body)
        assert refused.value.retry_after == 5
        assert refused.value.status == 503
        assert "600 of 1000 bytes" in refused.value.message
        assert spool.depth() == 1 and spool.queued_bytes() == 600

        (alert,) = spool.claim_due(10)
        await spool.mark_delivered(alert.id)
        assert spool.queued_bytes() == 0
        await spool.append("vo", body)
        await spool.close()

    asyncio.run(main())


def test_max_bytes_counts_bytes_already_queued_at_open(tmp_path):
    async def main() -> None:
        spool = await opened(tmp_path)
        await spool.append("vo", b"x" * 700)
        await spool.close()
        spool = await opened(tmp_path, max_bytes=1000)
        assert spool.queued_bytes() == 700
        with pytest.raises(Unavailable):
            await spool.append("vo", b"x" * 400)
        await spool.append("vo", b"x" * 300)
        await spool.close()

    asyncio.run(main())


def test_dead_letters_do_not_count_against_max_bytes(tmp_path):
    async def main() -> None:
        spool = await opened(tmp_path, max_bytes=1000)
        await spool.append("vo", b"x" * 900)
        (alert,) = spool.claim_due(1)
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


def test_closed_spool_refuses_appends(tmp_path):
    async def main() -> None:
        spool = await opened(tmp_path)
        await spool.close()
        with pytest.raises(Unavailable):
            await spool.append("vo", b"{}")
        assert spool.queued_bytes() == 0
        assert not spool.writable()

    asyncio.run(main())


def test_a_deleted_spool_file_is_not_writable(tmp_path):
    async def main() -> None:
        spool = await opened(tmp_path)
        assert spool.writable()
        (tmp_path / "spool.db").unlink()
        assert not spool.writable()
        await spool.close()

    asyncio.run(main())


# ---------------------------------------------------------------- claims


def test_claims_hide_alerts_until_their_outcome_commits(tmp_path):
    clock = Clock()

    async def main() -> None:
        spool = await opened(tmp_path, clock=clock)
        first = await spool.append("vo", b"1")
        await spool.append("vo", b"2")
        claimed = spool.claim_due(1)
        assert [a.id for a in claimed] == [first]
        assert [a.id for a in spool.claim_due(10)] != [first]
        assert spool.claim_due(10) == []

        await spool.mark_retry(first, next_attempt_at=clock.now + 60, error="http 503")
        assert spool.claim_due(10) == []  # released, but not due yet
        clock.now += 60
        (again,) = spool.claim_due(10)
        assert (again.id, again.attempts) == (first, 1)
        assert rows(tmp_path, "SELECT last_error FROM queue WHERE id = ?", (first,)) == [
            ("http 503",)
        ]
        spool.release(first)
        assert [a.id for a in spool.claim_due(10)] == [first]
        await spool.close()

    asyncio.run(main())


def test_after_a_restart_nothing_is_claimed_so_due_alerts_are_delivered_again(tmp_path):
    async def main() -> None:
        spool = await opened(tmp_path)
        alert_id = await spool.append("vo", b"{}")
        assert [a.id for a in spool.claim_due(10)] == [alert_id]
        await spool.close()  # crashed mid-delivery, as far as the spool knows
        spool = await opened(tmp_path)
        assert [a.id for a in spool.claim_due(10)] == [alert_id]
        await spool.close()

    asyncio.run(main())


def test_spooled_alert_repr_never_shows_the_body():
    alert = SpooledAlert("a" * 32, "vo", None, b"PAYLOAD-VALUE", 1.0, 0)
    assert "PAYLOAD-VALUE" not in repr(alert)


# ---------------------------------------------------------------- dead letters


def test_dead_letters_can_be_listed_retried_and_purged(tmp_path):
    clock = Clock()

    async def fill() -> list[str]:
        spool = await opened(tmp_path, clock=clock)
        ids = [await spool.append("vo", b"SECRET-BODY-%d" % n) for n in range(3)]
        for alert in spool.claim_due(10):
            await spool.mark_retry(alert.id, next_attempt_at=clock.now, error="http 503")
        for alert in spool.claim_due(10):
            await spool.dead_letter(alert.id, reason="http 400")
        assert spool.depth() == 0 and spool.dead_count() == 3
        await spool.close()
        return ids

    ids = asyncio.run(fill())

    spool = Spool(tmp_path, max_bytes=1 << 20, clock=clock)  # the CLI: never started
    listed = spool.list_dead()
    assert [d["id"] for d in listed] == ids
    assert all(
        set(d) == {"id", "route", "created_at", "dead_at", "attempts", "reason", "size"}
        for d in listed
    )
    assert "SECRET-BODY" not in repr(listed)
    assert (listed[0]["attempts"], listed[0]["reason"], listed[0]["size"]) == (2, "http 400", 13)
    assert len(spool.list_dead(limit=2)) == 2

    clock.now += 100
    assert spool.retry_dead([ids[0], "no-such-id"]) == 1
    assert (spool.depth(), spool.dead_count(), spool.queued_bytes()) == (1, 2, 13)
    (back,) = spool.claim_due(10)
    assert (back.id, back.attempts, back.body) == (ids[0], 0, b"SECRET-BODY-0")
    assert rows(tmp_path, "SELECT next_attempt_at FROM queue") == [(clock.now,)]

    assert spool.purge_dead([ids[1]]) == 1
    assert [d["id"] for d in spool.list_dead()] == [ids[2]]
    assert spool.retry_dead() == 1
    assert spool.purge_dead() == 0
    assert (spool.depth(), spool.dead_count()) == (2, 0)
    asyncio.run(spool.close())


def test_a_running_spool_sees_management_done_by_another_process(tmp_path):
    async def main() -> None:
        proxy = await opened(tmp_path, max_bytes=1000)
        await proxy.append("vo", b"x" * 600)
        (alert,) = proxy.claim_due(1)
        await proxy.dead_letter(alert.id, reason="http 400")

        cli = Spool(tmp_path, max_bytes=1000)  # its own connections, like `sanitizer spool`
        assert cli.retry_dead() == 1
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
