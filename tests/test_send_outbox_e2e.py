"""`sanitizer send`'s outbox end to end: real `sanitizer send` processes against a real proxy
(tests/proxyproc.py) or the upstream stand-in (tests/standin.py) in the proxy's place, which
records every request it gets, so deliveries can be counted per alert."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from sanitizer.outbox import Outbox
from tests.proxyproc import INBOUND_TOKEN, ROOT, environment, free_port, start_proxy
from tests.standin import StandIn, make_tls_files, start_standin

ROUTE = "/v1/alerts/nagios"


def nagios_env(service: str, outbox: Path, **extra: str) -> dict[str, str]:
    return environment(
        SANITIZER_TOKEN=INBOUND_TOKEN,
        SANITIZER_OUTBOX=str(outbox),
        NAGIOS_NOTIFICATIONTYPE="PROBLEM",
        NAGIOS_HOSTNAME="web-01",
        NAGIOS_SERVICEDESC=service,
        NAGIOS_SERVICESTATE="CRITICAL",
        NAGIOS_SERVICEOUTPUT="CRITICAL - Socket timeout",
        **extra,
    )


def send_command(url: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "sanitizer.cli", "send", "--nagios-env", url, *extra]


def flush_command(url: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "sanitizer.cli", "send", "--flush", url, *extra]


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def queued_files(outbox: Path) -> list[Path]:
    return sorted((outbox / "queue").iterdir()) if (outbox / "queue").exists() else []


def one_line(text: str) -> bool:
    return len(text.strip().splitlines()) == 1


def fill(outbox: Path, url: str, count: int) -> None:
    """A backlog of `count` alerts {"n": 0..count-1}, queued as `send` queues them."""
    box = Outbox(outbox, max_bytes=1 << 30, lease=60)
    for n in range(count):
        box.enqueue(url, None, {"n": n})


def delivered_numbers(standin: StandIn, mode: str = "ok") -> list[int]:
    return [json.loads(entry["body"])["n"] for entry in standin.requests() if entry["mode"] == mode]


@pytest.fixture
def capture_config(tmp_path: Path) -> str:
    return f"""\
spool: {{path: spool}}
routes:
  nagios:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: {ROOT / "rules/nagios.yaml"}
    upstream: {{type: capture, path: {tmp_path / "proxy" / "captured.jsonl"}}}
"""


def captured_services(path: Path, count: int, timeout: float = 20.0) -> list[str]:
    """The services of the first `count` captured alerts, in the order the proxy accepted
    them (its alert ids start with the time of acceptance)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(lines) >= count, f"{len(lines)} of {count} alerts captured"
    rows = sorted((json.loads(line) for line in lines), key=lambda row: row["id"])
    return [row["alert"]["entity_display_name"].split(" / ")[1] for row in rows]


def test_with_the_proxy_down_send_exits_0_and_keeps_the_alert_in_a_0600_file(tmp_path):
    outbox = tmp_path / "outbox"
    url = f"http://127.0.0.1:{free_port()}{ROUTE}"
    result = run(send_command(url), nagios_env("HTTP", outbox))
    assert result.returncode == 0, result.stderr
    assert one_line(result.stderr) and "queued locally" in result.stderr
    assert "cannot reach the proxy" in result.stderr and INBOUND_TOKEN not in result.stderr
    [queued] = queued_files(outbox)
    assert stat.S_IMODE(queued.stat().st_mode) == 0o600
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o700
    assert INBOUND_TOKEN not in queued.read_text()


def test_when_the_proxy_is_back_the_next_send_delivers_the_backlog_first_then_its_own(
    tmp_path, capture_config
):
    outbox, port = tmp_path / "outbox", free_port()
    url = f"http://127.0.0.1:{port}{ROUTE}"
    for n in range(3):
        assert run(send_command(url), nagios_env(f"check-{n}", outbox)).returncode == 0
    assert len(queued_files(outbox)) == 3

    proxy = start_proxy(tmp_path / "proxy", capture_config, port=port)
    try:
        result = run(send_command(url), nagios_env("check-3", outbox))
        assert result.returncode == 0, result.stderr
        assert "delivered 3 alert(s) from the outbox" in result.stdout
        assert result.stdout.splitlines()[-1].startswith("queued as ")
        services = captured_services(tmp_path / "proxy" / "captured.jsonl", 4)
    finally:
        proxy.stop()
    assert services == ["check-0", "check-1", "check-2", "check-3"]
    assert queued_files(outbox) == []


def test_twenty_concurrent_flushes_deliver_each_of_100_alerts_exactly_once(standin, tmp_path):
    outbox, url = tmp_path / "outbox", f"{standin.url}{ROUTE}"
    fill(outbox, url, 100)
    env = environment(SANITIZER_TOKEN=INBOUND_TOKEN)
    flushes = [
        subprocess.Popen(
            flush_command(url, "--outbox", str(outbox)),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(20)
    ]
    outputs = [flush.communicate(timeout=120) for flush in flushes]
    assert [flush.returncode for flush in flushes] == [0] * 20, outputs
    numbers = delivered_numbers(standin)
    assert sorted(numbers) == list(range(100)), Counter(numbers).most_common(3)
    assert sum(int(out.split(": ")[1].split()[0]) for out, _ in outputs) == 100
    assert queued_files(outbox) == [] and list((outbox / "claimed").iterdir()) == []


def test_a_422_is_not_queued_and_send_exits_1_with_the_reason(standin, tmp_path):
    standin.set_mode("status", status=422)
    outbox = tmp_path / "outbox"
    result = run(send_command(f"{standin.url}{ROUTE}"), nagios_env("HTTP", outbox))
    assert result.returncode == 1
    assert one_line(result.stderr) and "422" in result.stderr
    assert queued_files(outbox) == []


def test_a_503_with_retry_after_is_queued_and_send_exits_0(standin, tmp_path):
    standin.set_mode("fail503", retry_after=30)
    outbox = tmp_path / "outbox"
    result = run(send_command(f"{standin.url}{ROUTE}"), nagios_env("HTTP", outbox))
    assert result.returncode == 0, result.stderr
    assert one_line(result.stderr) and "503" in result.stderr and "queued locally" in result.stderr
    assert len(queued_files(outbox)) == 1


def test_a_flush_moves_an_alert_refused_for_good_to_rejected_and_counts_it(standin, tmp_path):
    outbox, url = tmp_path / "outbox", f"{standin.url}{ROUTE}"
    fill(outbox, url, 3)
    standin.set_mode("status", status=422, count=1)
    result = run(flush_command(url, "--outbox", str(outbox)), environment(SANITIZER_TOKEN="t"))
    assert result.returncode == 1
    assert "2 delivered, 1 rejected" in result.stdout
    [rejected] = (outbox / "rejected").iterdir()
    assert rejected.name.endswith(".http422") and json.loads(rejected.read_text())["alert"] == {
        "n": 0
    }
    assert delivered_numbers(standin) == [1, 2] and queued_files(outbox) == []


def test_a_flush_refused_the_credential_keeps_the_backlog(standin, tmp_path):
    outbox, url = tmp_path / "outbox", f"{standin.url}{ROUTE}"
    fill(outbox, url, 2)
    standin.set_mode("status", status=401)
    result = run(flush_command(url, "--outbox", str(outbox)), environment(SANITIZER_TOKEN="t"))
    assert result.returncode == 1 and "401" in result.stderr and one_line(result.stderr)
    assert len(queued_files(outbox)) == 2 and list((outbox / "rejected").iterdir()) == []


def test_past_the_outbox_cap_send_exits_1_loudly_and_queues_nothing_more(tmp_path):
    outbox = tmp_path / "outbox"
    url = f"http://127.0.0.1:{free_port()}{ROUTE}"
    assert run(send_command(url), nagios_env("check-0", outbox)).returncode == 0
    [first] = queued_files(outbox)
    cap = str(first.stat().st_size + 50)
    result = run(send_command(url, "--outbox-max-bytes", cap), nagios_env("check-1", outbox))
    assert result.returncode == 1
    assert one_line(result.stderr) and "is full" in result.stderr and "NOT queued" in result.stderr
    assert queued_files(outbox) == [first]


def test_a_flush_killed_mid_backlog_loses_nothing_once_its_lease_runs_out(standin, tmp_path):
    outbox, url = tmp_path / "outbox", f"{standin.url}{ROUTE}"
    fill(outbox, url, 50)
    env = environment(SANITIZER_TOKEN=INBOUND_TOKEN)
    flusher = subprocess.Popen(
        flush_command(url, "--outbox", str(outbox), "--timeout", "30"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        standin.wait_for(3, timeout=30)
        standin.set_mode("stall")  # the next request hangs: the flusher is mid-backlog
        deadline = time.monotonic() + 30
        while not delivered_numbers(standin, "stall") and time.monotonic() < deadline:
            time.sleep(0.02)
        [in_flight] = delivered_numbers(standin, "stall")
    finally:
        os.kill(flusher.pid, signal.SIGKILL)
        flusher.wait(10)
    before = delivered_numbers(standin)
    [claimed] = (outbox / "claimed").iterdir()
    assert json.loads(claimed.read_text())["alert"] == {"n": in_flight}
    assert len(queued_files(outbox)) == 50 - len(before) - 1

    standin.set_mode("ok")
    os.utime(claimed, (0, 0))  # as it will be once the lease has run out
    result = run(flush_command(url, "--outbox", str(outbox)), env)
    assert result.returncode == 0, result.stderr
    delivered = Counter(delivered_numbers(standin))
    assert sorted(delivered) == list(range(50)) and set(delivered.values()) == {1}
    assert queued_files(outbox) == [] and list((outbox / "claimed").iterdir()) == []


def test_a_live_claim_is_not_taken_back_before_its_lease(standin, tmp_path):
    outbox, url = tmp_path / "outbox", f"{standin.url}{ROUTE}"
    fill(outbox, url, 2)
    box = Outbox(outbox, max_bytes=1 << 20, lease=60)
    held = box.claim(box.queued(url)[0])
    assert held is not None
    result = run(flush_command(url, "--outbox", str(outbox)), environment(SANITIZER_TOKEN="t"))
    assert result.returncode == 0, result.stderr
    assert delivered_numbers(standin) == [1] and held.path.exists()


def test_a_proxy_certificate_that_does_not_verify_is_queued_naming_the_tls_reason(tmp_path):
    tls = make_tls_files(tmp_path / "tls")
    server = start_standin(tmp_path / "standin", certfile=tls.cert, keyfile=tls.key, ca=tls.ca)
    try:
        outbox = tmp_path / "outbox"
        result = run(send_command(f"{server.url}{ROUTE}"), nagios_env("HTTP", outbox))
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    assert one_line(result.stderr) and "CERTIFICATE_VERIFY_FAILED" in result.stderr
    assert len(queued_files(outbox)) == 1
