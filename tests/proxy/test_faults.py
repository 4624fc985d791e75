"""Faults against real processes on 127.0.0.1: the proxy killed with SIGKILL under load, an
upstream that is down, failing, throttling, resetting or stalling, a spool that cannot be
written, and a policy rule that raises.

What must hold throughout: every alert answered 2xx arrives upstream (duplicates are allowed
and counted, losses are not), retries are bounded and counted, final refusals end in the dead
letters, and a spool that cannot take a write answers 503 with Retry-After, never 2xx.

The tests of the spool's guarantees (kill -9, upstream down, spool full, unwritable) run against
both spool backends: SQLite files and the session's own PostgreSQL (tests/pgserver.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import httpx
import pytest

from tests.proxyproc import INBOUND_TOKEN, ROOT, ProxyProcess, environment, free_port, start_proxy
from tests.standin import StandIn

KEEP_POLICY = """\
version: 1
name: keep-marker
rules:
  - {id: keep, action: allow, select: [marker, seq]}
"""


def fault_config(
    upstream_url: str,
    *,
    spool: str = "spool",
    timeout: float = 2.0,
    shared: bool = False,
    max_bytes: int = 50000000,
    lease: float | None = None,
) -> str:
    """`shared`: the spool is the PostgreSQL database named by $SPOOL_DSN."""
    if shared:
        extra = "" if lease is None else f", lease: {lease}"
        spool_section = (
            f"{{backend: postgres, dsn: {{env: SPOOL_DSN}}, max_bytes: {max_bytes}{extra}}}"
        )
    else:
        spool_section = f"{{path: {spool}, max_bytes: {max_bytes}}}"
    return f"""\
spool: {spool_section}
limits: {{max_body_bytes: 65536, max_depth: 16, read_timeout: 5}}
delivery: {{workers: 8, backoff_base: 0.05, backoff_cap: 2, max_age: 3600}}
routes:
  faults:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: keep.yaml
    upstream: {{type: webhook, url: '{upstream_url}/hook', timeout: {timeout}}}
"""


def start_fault_proxy(
    workdir: Path, upstream_url: str, *, dsn: str | None = None, **kwargs
) -> ProxyProcess:
    """A proxy on `upstream_url`; with `dsn`, its spool is that PostgreSQL database."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "keep.yaml").write_text(KEEP_POLICY, encoding="utf-8")
    config = fault_config(upstream_url, shared=dsn is not None, **kwargs)
    env = environment() if dsn is None else environment(SPOOL_DSN=dsn)
    return start_proxy(workdir, config, env=env)


@pytest.fixture(params=["sqlite", "postgres"])
def spool_dsn(request) -> str | None:
    """None for the SQLite spool, else a fresh database of the session's PostgreSQL."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("pg_dsn")


def post_marker(proxy: ProxyProcess, marker: str) -> httpx.Response:
    return proxy.post("faults", json.dumps({"marker": marker, "secret": "dropped"}))


def retry_reasons(proxy: ProxyProcess) -> set[str]:
    """The `reason` labels of every retry counted so far, from one scrape."""
    text = httpx.get(f"{proxy.url}/metrics", timeout=5).text
    return {
        line.split('reason="', 1)[1].split('"', 1)[0]
        for line in text.splitlines()
        if line.startswith("sanitizer_delivery_retries_total{") and float(line.split()[-1]) > 0
    }


def delivered_markers(standin: StandIn) -> Counter[str]:
    """Markers of the alerts the stand-in accepted (answered in mode "ok"), with repeats."""
    return Counter(json.loads(r["body"])["marker"] for r in standin.requests() if r["mode"] == "ok")


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout}s waiting for: {what}")
        time.sleep(0.05)


def spool_list(workdir: Path, *args: str) -> str:
    listed = subprocess.run(
        [
            *(sys.executable, "-m", "sanitizer.cli", "spool", "list", *args),
            *("--spool", str(workdir / "spool")),
        ],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=30,
        check=True,
    )
    return listed.stdout


# ---------------------------------------------------------------------------- kill -9 under load

ROUNDS = 3
ALERTS_PER_ROUND = 2000
KILL_AFTER = (1000, 1900)  # answered 202 in this round: at least 1,000 alerts went through
CONCURRENCY = 32
# Round 0's upstream answers 503, so alerts pile up in the spool (backing off up to 2 s): every
# later kill hits while that backlog is being delivered, on top of the new round's posts.
UPSTREAM_MODES = ("fail503", "ok", "ok")


async def post_until_killed(
    url: str, markers: list[str], kill_after: int, kill: Callable[[], None]
) -> tuple[list[str], list[str]]:
    """Post `markers` with CONCURRENCY posters; SIGKILL the proxy once `kill_after` alerts were
    answered 202. Returns (answered 202, sent but unanswered when the proxy died)."""
    pending = list(reversed(markers))
    accepted: list[str] = []
    unanswered: list[str] = []
    killed = False
    headers = {"content-type": "application/json", "authorization": f"Bearer {INBOUND_TOKEN}"}
    timeout = aiohttp.ClientTimeout(total=15)
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def poster() -> None:
            nonlocal killed
            while pending and not killed:
                marker = pending.pop()
                body = json.dumps({"marker": marker, "seq": len(markers) - len(pending)})
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    unanswered.append(marker)
                    continue
                if status == 202:
                    accepted.append(marker)
                else:
                    unanswered.append(marker)
                if len(accepted) >= kill_after and not killed:
                    killed = True
                    kill()

        await asyncio.gather(*(poster() for _ in range(CONCURRENCY)))
    return accepted, unanswered


def test_kill_9_at_random_points_under_load_loses_no_acknowledged_alert(
    tmp_path, standin, spool_dsn
):
    seed = int(os.environ.get("FAULTS_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    accepted: list[str] = []
    unanswered: list[str] = []
    posted = 0
    kill_points = []
    backlogs = []  # alerts found queued in the spool at each restart
    for round_number in range(ROUNDS):
        standin.set_mode(UPSTREAM_MODES[round_number])
        proxy = start_fault_proxy(tmp_path, standin.url, dsn=spool_dsn, lease=5)
        backlogs.append(int(proxy.metric("sanitizer_spool_depth")))
        try:
            markers = [f"r{round_number}-{i:05d}" for i in range(ALERTS_PER_ROUND)]
            kill_after = rng.randrange(*KILL_AFTER)
            kill_points.append(kill_after)
            got, lost_in_flight = asyncio.run(
                post_until_killed(
                    f"{proxy.url}/v1/alerts/faults",
                    markers,
                    kill_after,
                    lambda proxy=proxy: proxy.process.send_signal(signal.SIGKILL),
                )
            )
            proxy.process.wait(10)
            assert proxy.process.returncode == -signal.SIGKILL
            assert len(got) >= kill_after
            accepted += got
            unanswered += lost_in_flight
            posted += len(got) + len(lost_in_flight)
        finally:
            proxy.stop(signal.SIGKILL)
    final = start_fault_proxy(tmp_path, standin.url, dsn=spool_dsn, lease=5)
    backlogs.append(int(final.metric("sanitizer_spool_depth")))
    try:
        wanted = set(accepted)
        wait_until(
            lambda: wanted <= set(delivered_markers(standin)),
            90,
            "every alert answered 202 to arrive upstream",
        )
        wait_until(lambda: final.metric("sanitizer_spool_depth") == 0, 30, "an empty spool")
    finally:
        assert final.stop(signal.SIGTERM) == 0
    received = delivered_markers(standin)
    lost = wanted - set(received)
    duplicates = sum(count - 1 for count in received.values())
    assert lost == set(), f"{len(lost)} acknowledged alerts never arrived (seed {seed})"
    assert set(received) <= wanted | set(unanswered), "upstream got alerts nobody sent"
    print(
        f"\nkill -9 ({'postgres' if spool_dsn else 'sqlite'}): seed {seed}, {ROUNDS} kills "
        f"after {kill_points} accepted alerts; "
        f"{posted} posted, {len(accepted)} answered 202, all arrived; "
        f"{len(unanswered)} unanswered at the kill ({len(set(unanswered) & set(received))} "
        f"arrived anyway); {duplicates} duplicates delivered; queued at each start: {backlogs}"
    )


# ---------------------------------------------------------------------------- upstream faults


def start_standin_on(port: int, workdir: Path) -> StandIn:
    """A stand-in process on a chosen port (start_standin picks a free one)."""
    workdir.mkdir(parents=True, exist_ok=True)
    record = workdir / "requests.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.standin", "--port", str(port), "--record", str(record)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
    )
    standin = StandIn(url=f"http://127.0.0.1:{port}", record=record, process=process)
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.get(f"{standin.url}/_health", timeout=1).raise_for_status()
            return standin
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                standin.stop()
                raise
            time.sleep(0.05)


def test_upstream_down_for_a_while_then_back_loses_nothing(tmp_path, spool_dsn):
    port = free_port()
    first = start_standin_on(port, tmp_path / "standin-1")
    proxy = start_fault_proxy(tmp_path / "proxy", first.url, timeout=1.0, dsn=spool_dsn)
    second = None
    try:
        assert post_marker(proxy, "before").status_code == 202
        first.wait_for(1)
        first.stop()  # the upstream goes away: nothing listens on its port now
        down = [f"down-{i}" for i in range(20)]
        for marker in down:
            assert post_marker(proxy, marker).status_code == 202
        wait_until(
            lambda: proxy.metric("sanitizer_delivery_retries_total") >= 2 * len(down),
            15,
            "2 failed attempts per alert, on average, while the upstream is down",
        )
        reasons = retry_reasons(proxy)  # a pooled connection to the old process may read-fail
        assert "ConnectError" in reasons
        assert reasons <= {"ConnectError", "ReadError", "RemoteProtocolError"}
        second = start_standin_on(port, tmp_path / "standin-2")
        wait_until(
            lambda: proxy.metric("sanitizer_alerts_delivered_total") == 1 + len(down),
            20,
            "the queued alerts to be delivered once the upstream is back",
        )
        retries = proxy.metric("sanitizer_delivery_retries_total")
        time.sleep(0.5)
        assert proxy.metric("sanitizer_delivery_retries_total") == retries, "retries go on"
        assert delivered_markers(second) == Counter(down), "each arrives exactly once"
        assert proxy.metric("sanitizer_spool_depth") == 0
        print(f"\nupstream down: {len(down)} alerts, {retries:.0f} retries, all delivered once")
    finally:
        proxy.stop()
        first.stop()
        if second is not None:
            second.stop()


@pytest.fixture(scope="module")
def delivery_proxy(tmp_path_factory, standin_server) -> Iterator[ProxyProcess]:
    """One proxy for the upstream-failure scenarios; tests measure metric deltas."""
    proxy = start_fault_proxy(
        tmp_path_factory.mktemp("delivery-proxy"), standin_server.url, timeout=0.5
    )
    yield proxy
    proxy.stop()


FAILURES = {
    # name: (stand-in mode options, failures before success, the retry reasons they count as)
    "500": ({"mode": "fail500", "count": 3}, 3, {"HTTP 500"}),
    "503": ({"mode": "fail503", "count": 2, "retry_after": 0}, 2, {"HTTP 503"}),
    "429-retry-after": ({"mode": "429", "count": 1, "retry_after": 1}, 1, {"HTTP 429"}),
    "connection-reset": ({"mode": "reset", "count": 2}, 2, {"ReadError", "RemoteProtocolError"}),
    "stall-past-timeout": ({"mode": "stall", "count": 1, "stall": 5}, 1, {"ReadTimeout"}),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_failing_upstream_is_retried_a_bounded_number_of_times_then_delivered(
    delivery_proxy, standin, failure
):
    proxy = delivery_proxy
    options, failures, reasons = FAILURES[failure]

    def counted_as_expected() -> float:
        return sum(proxy.metric("sanitizer_delivery_retries_total", reason=r) for r in reasons)

    retries_before = proxy.metric("sanitizer_delivery_retries_total")
    expected_before = counted_as_expected()
    delivered_before = proxy.metric("sanitizer_alerts_delivered_total")
    standin.set_mode(**options)
    marker = f"failure-{failure}"
    assert post_marker(proxy, marker).status_code == 202
    standin.wait_for(1, timeout=10)
    first_attempt_seen = time.monotonic()
    wait_until(
        lambda: proxy.metric("sanitizer_alerts_delivered_total") == delivered_before + 1,
        20,
        f"delivery after {failures} failures ({failure})",
    )
    waited = time.monotonic() - first_attempt_seen
    time.sleep(0.3)  # a further, unbounded retry would show up here
    requests = standin.requests()
    assert [r["mode"] for r in requests] == [options["mode"]] * failures + ["ok"]
    assert {json.loads(r["body"])["marker"] for r in requests} == {marker}
    assert proxy.metric("sanitizer_delivery_retries_total") == retries_before + failures
    assert counted_as_expected() == expected_before + failures, sorted(retry_reasons(proxy))
    if failure == "429-retry-after":
        assert waited >= 0.8, "the retry came before the upstream's Retry-After: 1"
    assert proxy.metric("sanitizer_spool_depth") == 0


@pytest.mark.parametrize(("status", "mode"), [(404, {"mode": "404"}), (400, {"status": 400})])
def test_a_final_4xx_sends_the_alert_to_the_dead_letters_and_later_alerts_flow(
    delivery_proxy, standin, status, mode
):
    proxy = delivery_proxy
    retries_before = proxy.metric("sanitizer_delivery_retries_total")
    dead_before = proxy.metric("sanitizer_dead_letters")
    standin.set_mode(mode.get("mode", "status"), count=1, status=mode.get("status"))
    response = post_marker(proxy, f"dead-{status}")
    assert response.status_code == 202
    alert_id = response.json()["id"]
    wait_until(
        lambda: proxy.metric("sanitizer_dead_letters") == dead_before + 1, 10, "a dead letter"
    )
    assert proxy.metric("sanitizer_delivery_retries_total") == retries_before, "4xx is final"
    assert post_marker(proxy, f"after-{status}").status_code == 202
    standin.wait_for(2)
    time.sleep(0.2)
    assert [json.loads(r["body"])["marker"] for r in standin.requests()] == [
        f"dead-{status}",
        f"after-{status}",
    ]
    listed = spool_list(proxy.workdir, "--json")
    [row] = [row for row in json.loads(listed)["dead_letters"] if row["id"] == alert_id]
    # The status, then what the upstream said (the stand-in's 404 says {"error": ...}).
    assert row["reason"].split(":")[0] == f"HTTP {status}" and row["attempts"] == 1
    assert f"dead-{status}" not in listed, "spool list never prints bodies"


# ---------------------------------------------------------------------------- unwritable spool


class FileSizeLimit:
    """RLIMIT_FSIZE of the running proxy set to 1 byte with prlimit(2): every write that would
    grow a file fails with EFBIG, for root too (Python ignores SIGXFSZ). Works unprivileged."""

    name = "file-size-limit"

    def __init__(self, tmp_path: Path) -> None:
        self.spool_dir = "spool"

    def break_it(self, proxy: ProxyProcess) -> None:
        resource.prlimit(proxy.process.pid, resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))

    def repair(self, proxy: ProxyProcess) -> None:
        unlimited = (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
        resource.prlimit(proxy.process.pid, resource.RLIMIT_FSIZE, unlimited)

    def close(self) -> None:
        pass


class FullFilesystem:
    """The spool on a 4 MiB tmpfs that a filler file then fills to the last byte: ENOSPC.
    Needs mount rights (root with CAP_SYS_ADMIN); skipped elsewhere."""

    name = "full-filesystem"

    def __init__(self, tmp_path: Path) -> None:
        self.mount = tmp_path / "fs"
        self.mount.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(self.mount)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        self.spool_dir = str(self.mount / "spool")
        self.filler = self.mount / "filler"

    def break_it(self, proxy: ProxyProcess) -> None:
        with open(self.filler, "wb", buffering=0) as handle:
            block = b"\0" * 65536
            with contextlib.suppress(OSError):
                for _ in range(1024):  # bounded: 64 MiB, far more than the 4 MiB there are
                    handle.write(block)
            with contextlib.suppress(OSError):
                for _ in range(65536):  # the last partial block, byte by byte
                    handle.write(b"\0")

    def repair(self, proxy: ProxyProcess) -> None:
        self.filler.unlink()

    def close(self) -> None:
        subprocess.run(["umount", "-l", str(self.mount)], check=False)


class ImmutableFiles:
    """`chattr +i` on the spool's files: writes through open descriptors fail with EPERM, for
    root too. Needs CAP_LINUX_IMMUTABLE and a filesystem with the attribute; else skipped.

    Not on spool.db-shm: SQLite maps that file (the WAL index) into memory and writes it
    there, and on ext4 a write fault on a page of an immutable file is SIGBUS, which kills the
    proxy instead of failing a write. It happened only when SQLite wrote the index to a page
    that writeback had cleaned, so now and then, mostly under load (Connection refused)."""

    name = "immutable-files"

    def __init__(self, tmp_path: Path) -> None:
        probe = tmp_path / "probe"
        probe.write_bytes(b"")
        if shutil.which("chattr") is None or self._chattr("+i", [probe]) != 0:
            pytest.skip("chattr +i is not available here")
        self._chattr("-i", [probe])
        self.spool_dir = "spool"
        self.files: list[Path] = []

    @staticmethod
    def _chattr(flag: str, files: list[Path]) -> int:
        done = subprocess.run(["chattr", flag, *map(str, files)], capture_output=True, check=False)
        return done.returncode

    def break_it(self, proxy: ProxyProcess) -> None:
        spool = proxy.workdir / "spool"
        self.files = sorted(p for p in spool.iterdir() if not p.name.endswith("-shm"))
        assert spool / "spool.db-wal" in self.files
        assert self._chattr("+i", self.files) == 0

    def repair(self, proxy: ProxyProcess) -> None:
        assert self._chattr("-i", self.files) == 0

    def close(self) -> None:
        if self.files:
            self._chattr("-i", self.files)


class SpoolFileMoved:
    """spool.db renamed away while the proxy runs (a cleanup job, a botched migration): the
    proxy still holds the old file open, and a write there would land in a file no restart
    reopens, so it must be refused. Renaming it back is the repair."""

    name = "spool-file-moved"

    def __init__(self, tmp_path: Path) -> None:
        self.spool_dir = "spool"

    def break_it(self, proxy: ProxyProcess) -> None:
        spool = proxy.workdir / "spool"
        (spool / "spool.db").rename(spool / "spool.db.moved")

    def repair(self, proxy: ProxyProcess) -> None:
        spool = proxy.workdir / "spool"
        (spool / "spool.db.moved").rename(spool / "spool.db")

    def close(self) -> None:
        pass


UNWRITABLE = {m.name: m for m in (FileSizeLimit, FullFilesystem, ImmutableFiles, SpoolFileMoved)}


@pytest.mark.parametrize("mechanism", list(UNWRITABLE))
def test_an_unwritable_spool_answers_503_with_retry_after_never_2xx_and_recovers(
    tmp_path, standin, mechanism
):
    fault = UNWRITABLE[mechanism](tmp_path)
    proxy = None
    try:
        proxy = start_fault_proxy(tmp_path / "proxy", standin.url, spool=fault.spool_dir)
        before = [f"before-{i}" for i in range(3)]
        for marker in before:
            assert post_marker(proxy, marker).status_code == 202
        standin.wait_for(len(before))
        fault.break_it(proxy)
        refused = [post_marker(proxy, f"refused-{i}") for i in range(5)]
        for response in refused:
            assert response.status_code == 503, f"{mechanism}: {response.text}"
            assert int(response.headers["retry-after"]) > 0
            assert response.json()["error"] == "unavailable"
        ready = httpx.get(f"{proxy.url}/readyz", timeout=5)
        assert ready.status_code == 503 and ready.json()["spool_writable"] is False
        fault.repair(proxy)
        wait_until(
            lambda: httpx.get(f"{proxy.url}/readyz", timeout=5).status_code == 200,
            10,
            "the spool to be writable again",
        )
        after = [f"after-{i}" for i in range(3)]
        for marker in after:
            assert post_marker(proxy, marker).status_code == 202
        wait_until(
            lambda: set(delivered_markers(standin)) == set(before + after),
            10,
            "the alerts accepted before and after to arrive",
        )
        assert proxy.metric("sanitizer_alerts_queued_total") == len(before + after)
    finally:
        if proxy is not None:
            proxy.stop()
        fault.close()


def test_a_read_only_spool_database_answers_503_with_retry_after_never_2xx_and_recovers(
    tmp_path, standin, pg_server
):
    """The shared spool's "unwritable": its database refuses writes (read-only, every session
    cut so they reconnect to it); the proxy answers 503, /readyz says so, and it recovers by
    itself once the database takes writes again."""
    dsn = pg_server.new_database()
    proxy = start_fault_proxy(tmp_path / "proxy", standin.url, dsn=dsn)
    try:
        before = [f"before-{i}" for i in range(3)]
        for marker in before:
            assert post_marker(proxy, marker).status_code == 202
        standin.wait_for(len(before))
        pg_server.set_read_only(dsn, True)
        refused = [post_marker(proxy, f"refused-{i}") for i in range(5)]
        for response in refused:
            assert response.status_code == 503, response.text
            assert int(response.headers["retry-after"]) > 0
            assert response.json()["error"] == "unavailable"
        ready = httpx.get(f"{proxy.url}/readyz", timeout=5)
        assert ready.status_code == 503 and ready.json()["spool_writable"] is False
        pg_server.set_read_only(dsn, False)
        wait_until(
            lambda: httpx.get(f"{proxy.url}/readyz", timeout=5).status_code == 200,
            10,
            "the spool database to be writable again",
        )
        after = [f"after-{i}" for i in range(3)]
        for marker in after:
            assert post_marker(proxy, marker).status_code == 202
        wait_until(
            lambda: set(delivered_markers(standin)) == set(before + after),
            10,
            "the alerts accepted before and after to arrive",
        )
        assert "postgresql://" not in proxy.log()
    finally:
        proxy.stop()


# ---------------------------------------------------------------------------- spool full


def test_a_full_spool_answers_503_with_retry_after_and_takes_alerts_again_once_drained(
    tmp_path, standin, spool_dsn
):
    standin.set_mode("fail503")
    proxy = start_fault_proxy(tmp_path / "proxy", standin.url, dsn=spool_dsn, max_bytes=1024)
    try:
        accepted: list[str] = []
        response = None
        for i in range(200):
            response = post_marker(proxy, f"fill-{i:03d}")
            if response.status_code != 202:
                break
            accepted.append(f"fill-{i:03d}")
        assert response is not None and response.status_code == 503, response
        assert int(response.headers["retry-after"]) > 0
        assert response.json()["error"] == "unavailable"
        assert "full" in response.json()["message"]
        assert 5 <= len(accepted) < 200
        assert proxy.metric("sanitizer_spool_bytes") <= 1024
        standin.set_mode("ok")
        wait_until(
            lambda: set(accepted) <= set(delivered_markers(standin)),
            30,
            "the alerts of the full spool to arrive once the upstream takes them",
        )
        wait_until(
            lambda: post_marker(proxy, "after").status_code == 202,
            10,
            "the drained spool to take an alert again",
        )
        wait_until(lambda: "after" in delivered_markers(standin), 10, "the new alert to arrive")
    finally:
        proxy.stop()


# ---------------------------------------------------------------------------- a rule that raises

RAISING_POLICY = """\
version: 1
name: raising
rules:
  - {id: keep, action: allow, select: [marker, name]}
  - {id: name-magnitude, action: set, select: magnitude, expr: "abs(name)"}
"""


def test_a_rule_that_raises_refuses_that_alert_with_422_naming_it_and_the_next_ones_flow(
    tmp_path, standin
):
    (tmp_path / "raising.yaml").write_text(RAISING_POLICY, encoding="utf-8")
    proxy = start_proxy(
        tmp_path, fault_config(standin.url).replace("policy: keep.yaml", "policy: raising.yaml")
    )
    try:
        good, bad = [], []
        for i in range(10):
            ok = proxy.post("faults", json.dumps({"marker": f"good-{i}", "name": -i}))
            assert ok.status_code == 202, ok.text
            good.append(f"good-{i}")
            refused = proxy.post(
                "faults", json.dumps({"marker": f"bad-{i}", "name": f"host-value-{i}"})
            )
            assert refused.status_code == 422
            body = refused.json()
            assert body["error"] == "rule_failed" and body["rule"] == "name-magnitude"
            assert "name-magnitude" in body["message"]
            assert f"host-value-{i}" not in refused.text
            bad.append(f"bad-{i}")
        wait_until(
            lambda: set(delivered_markers(standin)) == set(good), 10, "the good alerts upstream"
        )
        delivered = {
            json.loads(r["body"])["marker"]: json.loads(r["body"]) for r in standin.requests()
        }
        assert delivered["good-3"] == {"marker": "good-3", "name": -3, "magnitude": 3}
        assert proxy.metric("sanitizer_rule_refusals_total", rule="name-magnitude") == len(bad)
        assert "host-value" not in proxy.log()
    finally:
        proxy.stop()
