"""Replicas share one queue: several real proxies on one PostgreSQL database (the session's own,
tests/pgserver.py). Any replica delivers any alert; a replica killed with SIGKILL while it holds
alerts leaves them to the others once its lease runs out; nothing raw reaches the database or
the logs; `sanitizer spool` manages the shared dead letters through the same config.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx

from tests.pgserver import PgServer, free_port
from tests.proxy.test_faults import (
    delivered_markers,
    fault_config,
    start_fault_proxy,
    wait_until,
)
from tests.proxyproc import ProxyProcess, environment
from tests.standin import StandIn

LEASE = 3  # seconds; the config's spool.lease


def post(proxy: ProxyProcess, marker: str, canary: str) -> httpx.Response:
    """An alert whose `secret` the policy drops: the canary must never be stored anywhere."""
    return proxy.post("faults", json.dumps({"marker": marker, "seq": 1, "secret": canary}))


def database_text(server: PgServer, dsn: str) -> list[str]:
    """Every value of every row of every table of the database, as text (bytea decoded)."""
    database = dsn.rsplit("/", 1)[1]
    tables = [
        row[0]
        for row in server.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
            database,
        )
    ]
    assert "spool_queue" in tables and "spool_dead" in tables
    texts: list[str] = []
    for table in tables:
        for row in server.fetch(f'SELECT * FROM "{table}"', database):
            for value in row:
                if isinstance(value, bytes):
                    texts.append(value.decode("utf-8", errors="replace"))
                elif value is not None:
                    texts.append(str(value))
    return texts


def claims_by_pid(server: PgServer, dsn: str) -> Counter[str]:
    database = dsn.rsplit("/", 1)[1]
    rows = server.fetch("SELECT claimed_by FROM spool_queue WHERE claimed_by IS NOT NULL", database)
    return Counter(row[0] for row in rows)


def test_two_proxies_share_the_queue_and_a_killed_ones_alerts_arrive_through_the_other(
    tmp_path: Path, standin: StandIn, pg_server: PgServer
):
    dsn = pg_server.new_database()
    canary = "CANARY-shared-spool-5c1d9e"
    standin.set_mode("stall", stall=60)  # the upstream takes connections and never answers
    first = start_fault_proxy(tmp_path / "a", standin.url, dsn=dsn, lease=LEASE, timeout=3.0)
    second = start_fault_proxy(tmp_path / "b", standin.url, dsn=dsn, lease=LEASE, timeout=3.0)
    try:
        accepted = []
        for i in range(120):
            proxy = first if i % 2 == 0 else second
            assert post(proxy, f"m-{i:03d}", canary).status_code == 202
            accepted.append(f"m-{i:03d}")
        wait_until(
            lambda: len(claims_by_pid(pg_server, dsn)) == 2,
            10,
            "both proxies to hold claims",
        )
        held = claims_by_pid(pg_server, dsn)
        first.stop(signal.SIGKILL)  # in flight and claimed: nobody gives these back
        assert first.process.returncode == -signal.SIGKILL
        standin.set_mode("ok")
        wait_until(
            lambda: set(accepted) <= set(delivered_markers(standin)),
            60,
            "every accepted alert to arrive through the surviving proxy",
        )
        wait_until(
            lambda: second.metric("sanitizer_spool_depth") == 0,
            20,
            "an empty shared queue",
        )
        received = delivered_markers(standin)
        duplicates = sum(count - 1 for count in received.values())
        assert set(received) == set(accepted)
        assert duplicates <= len(accepted) // 10, f"{duplicates} duplicates"
        print(
            f"\nshared spool: {len(accepted)} alerts over 2 proxies, claims held at the kill "
            f"{sorted(held.values())}, all arrived; {duplicates} duplicates"
        )

        stored = database_text(pg_server, dsn)
        assert not any(canary in text for text in stored), "a raw value reached the database"
        for proxy in (first, second):
            log = proxy.log()
            assert canary not in log
            assert dsn not in log and "postgresql://" not in log
    finally:
        first.stop(signal.SIGKILL)
        second.stop()


def run_spool_command(workdir: Path, dsn: str, *args: str) -> subprocess.CompletedProcess:
    config = workdir / "config.yaml"
    return subprocess.run(
        [sys.executable, "-m", "sanitizer.cli", "spool", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        env=environment(SPOOL_DSN=dsn),
        timeout=60,
        check=False,
    )


def test_spool_commands_list_retry_and_purge_the_shared_dead_letters(
    tmp_path: Path, standin: StandIn, pg_server: PgServer
):
    dsn = pg_server.new_database()
    workdir = tmp_path / "proxy"
    proxy = start_fault_proxy(workdir, standin.url, dsn=dsn, lease=LEASE)
    try:
        standin.set_mode("404")
        for i in range(3):
            assert post(proxy, f"dead-{i}", "CANARY-dead").status_code == 202
        wait_until(lambda: proxy.metric("sanitizer_dead_letters") == 3, 20, "3 dead letters")

        listed = run_spool_command(workdir, dsn, "list")
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.startswith("0 queued, 3 dead letters")
        assert "dead-" not in listed.stdout and "CANARY" not in listed.stdout
        assert "postgresql://" not in listed.stdout + listed.stderr
        listed_json = run_spool_command(workdir, dsn, "list", "--json")
        ids = [row["id"] for row in json.loads(listed_json.stdout)["dead_letters"]]
        assert len(ids) == 3

        standin.set_mode("ok")
        retried = run_spool_command(workdir, dsn, "retry", "--id", ids[0])
        assert retried.stdout.strip() == "1 dead letter(s) queued again", retried.stderr
        wait_until(lambda: "dead-" in "".join(delivered_markers(standin)), 20, "the retried one")
        purged = run_spool_command(workdir, dsn, "purge", "--all", "--yes")
        assert purged.stdout.splitlines() == [
            "2 dead letter(s) to purge",
            "2 dead letter(s) purged",
        ], purged.stderr
        assert run_spool_command(workdir, dsn, "list").stdout.startswith("0 queued, 0 dead")
    finally:
        proxy.stop()


def test_spool_commands_say_in_one_line_when_the_database_cannot_be_reached(tmp_path: Path):
    workdir = tmp_path / "proxy"
    workdir.mkdir()
    (workdir / "keep.yaml").write_text("version: 1\nname: k\nrules: []\n", encoding="utf-8")
    (workdir / "config.yaml").write_text(
        fault_config("http://127.0.0.1:9", shared=True), encoding="utf-8"
    )
    dsn = f"postgresql://sanitizer:PW-CANARY@127.0.0.1:{free_port()}/nowhere"
    done = run_spool_command(workdir, dsn, "list")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "cannot be used" in done.stderr
    assert "PW-CANARY" not in done.stderr + done.stdout


def test_a_replica_claims_no_alert_twice_while_both_deliver(
    tmp_path: Path, standin: StandIn, pg_server: PgServer
):
    """Both replicas take part in delivery, and an alert is delivered exactly once when no
    replica dies (leases are renewed while sends are slow)."""
    dsn = pg_server.new_database()
    proxies = [
        start_fault_proxy(tmp_path / name, standin.url, dsn=dsn, lease=LEASE) for name in "ab"
    ]
    try:
        markers = [f"x-{i:03d}" for i in range(200)]
        for i, marker in enumerate(markers):
            assert post(proxies[i % 2], marker, "CANARY-x").status_code == 202
        wait_until(lambda: set(markers) <= set(delivered_markers(standin)), 30, "all 200 to arrive")
        delivered = [p.metric("sanitizer_alerts_delivered_total") for p in proxies]
        assert all(count > 0 for count in delivered), delivered
        received = delivered_markers(standin)
        assert max(received.values()) == 1, "an alert was delivered twice"
    finally:
        for proxy in proxies:
            proxy.stop()
