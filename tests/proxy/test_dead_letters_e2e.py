"""Dead letters end to end: a real proxy, a real upstream stand-in and `sanitizer spool` as an
operator runs it. The reason keeps the receiver's own words without anything it echoed, and
the running proxy's gauge shows a retry or purge made from the command line at once."""

from __future__ import annotations

import json
import secrets
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.proxyproc import VICTOROPS_KEY, ProxyProcess, environment, start_proxy
from tests.standin import StandIn

KEEP_POLICY = "version: 1\nname: keep\nrules: []\n"


# A long lease: the heartbeat that would also refresh the figures comes every 150 s.
POSTGRES_SPOOL = "{backend: postgres, dsn: {env: SPOOL_DSN}, max_bytes: 2000000, lease: 600}"


def config(standin_url: str, spool: str = "{path: spool, max_bytes: 2000000}") -> str:
    return f"""\
spool: {spool}
delivery: {{workers: 2, backoff_base: 0.05, backoff_cap: 0.3, max_age: 3600}}
routes:
  nagios:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: keep.yaml
    upstream: {{type: victorops, url: '{standin_url}/integrations/generic/20131114/alert',
      api_key: {{env: VICTOROPS_API_KEY}}, routing_key: ops, transport: default}}
"""


def spool(workdir: Path, *args: str, dsn: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sanitizer.cli",
            "spool",
            *args,
            "--config",
            str(workdir / "config.yaml"),
        ],
        capture_output=True,
        text=True,
        env=environment(SPOOL_DSN=dsn),
        timeout=60,
        check=False,
    )


def wait_for_metric(proxy: ProxyProcess, name: str, value: float, within: float = 20) -> None:
    deadline = time.monotonic() + within
    while proxy.metric(name) != value:
        assert time.monotonic() < deadline, f"{name} never reached {value}:\n{proxy.log()}"
        time.sleep(0.05)


@pytest.fixture
def proxy(tmp_path: Path, standin: StandIn):
    (tmp_path / "keep.yaml").write_text(KEEP_POLICY, encoding="utf-8")
    running = start_proxy(tmp_path, config(standin.url))
    yield running
    running.stop()


def dead_reasons(workdir: Path) -> list[str]:
    with sqlite3.connect(workdir / "spool" / "spool.db") as conn:
        return [row[0] for row in conn.execute("SELECT reason FROM dead")]


def test_a_dead_letter_keeps_the_upstreams_words_but_nothing_it_echoed(
    proxy: ProxyProcess, standin: StandIn, tmp_path: Path
):
    canaries = {
        "entity_id": f"CANARY-entity-{secrets.token_hex(6)}",
        "state_message": f"disk full on CANARY-host-{secrets.token_hex(6)}",
        "contact": f"canary.{secrets.token_hex(4)}@example.com",
        "short": f"c{secrets.token_hex(2)}",
    }
    alert = {"message_type": "CRITICAL", **canaries}
    standin.set_mode("status", status=400, echo=True, count=1)
    assert proxy.post("nagios", json.dumps(alert)).status_code == 202
    wait_for_metric(proxy, "sanitizer_dead_letters", 1)
    echoed = json.dumps(standin.requests())
    assert canaries["entity_id"] in echoed  # the receiver did see, and echo, the values

    [reason] = dead_reasons(tmp_path)
    listed = spool(tmp_path, "list")
    as_json = spool(tmp_path, "list", "--json")
    assert listed.returncode == 0 and as_json.returncode == 0, listed.stderr + as_json.stderr
    assert reason.startswith("HTTP 400: ") and "Invalid event: check the fields" in reason
    assert f"reason: {reason}" in listed.stdout
    [row] = json.loads(as_json.stdout)["dead_letters"]
    assert row["reason"] == reason
    for where, text in {
        "dead table": reason,
        "spool list": listed.stdout + listed.stderr,
        "spool list --json": as_json.stdout,
        "proxy log": proxy.log(),
    }.items():
        for canary in [*canaries.values(), VICTOROPS_KEY]:
            assert canary not in text, f"{canary!r} reached the {where}"
    assert "route nagios: HTTP 400; dead-lettered" in proxy.log()  # the log: the bare status
    print(f"\nstored reason: {reason}")


def test_the_dead_letter_gauge_shows_a_cli_retry_and_purge_at_the_next_scrape(
    proxy: ProxyProcess, standin: StandIn, tmp_path: Path
):
    standin.set_mode("404")
    for _ in range(2):
        assert proxy.post("nagios", json.dumps({"message_type": "INFO"})).status_code == 202
    wait_for_metric(proxy, "sanitizer_dead_letters", 2)
    listed = json.loads(spool(tmp_path, "list", "--json").stdout)
    ids = [row["id"] for row in listed["dead_letters"]]

    purged = spool(tmp_path, "purge", "--id", ids[0], "--yes")
    assert purged.returncode == 0, purged.stderr
    assert proxy.metric("sanitizer_dead_letters") == 1  # no alert came since: no commit

    standin.set_mode("ok")
    assert spool(tmp_path, "retry", "--id", ids[1]).returncode == 0
    assert proxy.metric("sanitizer_dead_letters") == 0
    standin.wait_for(3, timeout=20)  # two refused, then the retried one delivered


def test_on_a_shared_spool_the_gauge_follows_a_cli_purge_long_before_the_heartbeat(
    tmp_path: Path, standin: StandIn, pg_dsn: str
):
    (tmp_path / "keep.yaml").write_text(KEEP_POLICY, encoding="utf-8")
    running = start_proxy(
        tmp_path, config(standin.url, POSTGRES_SPOOL), env=environment(SPOOL_DSN=pg_dsn)
    )
    try:
        standin.set_mode("404")
        for _ in range(2):
            assert running.post("nagios", json.dumps({"message_type": "INFO"})).status_code == 202
        wait_for_metric(running, "sanitizer_dead_letters", 2)
        listed = json.loads(spool(tmp_path, "list", "--json", dsn=pg_dsn).stdout)
        first = listed["dead_letters"][0]["id"]
        purged = spool(tmp_path, "purge", "--id", first, "--yes", dsn=pg_dsn)
        assert purged.returncode == 0, purged.stderr
        wait_for_metric(running, "sanitizer_dead_letters", 1, within=10)
        standin.set_mode("ok")
        assert spool(tmp_path, "retry", dsn=pg_dsn).returncode == 0
        wait_for_metric(running, "sanitizer_dead_letters", 0, within=10)
    finally:
        running.stop()
