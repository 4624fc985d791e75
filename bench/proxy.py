"""Proxy throughput side by side with a bare app, and whether delivery keeps up (issue 13).

Run: .venv/bin/python bench/proxy.py [--seconds 10] [--rounds 3] [--keep-up-seconds 60]
     [--connections 16] [--delivery-workers N] [--proxy-arg=--some-flag ...] [--load wrk|aiohttp]

Starts, as real processes on 127.0.0.1: an upstream stand-in (answers 202), a bare
Starlette+uvicorn app (uvloop+httptools, reads the body, parses it as JSON, answers 202), the
proxy with an empty policy and the proxy with the shipped rules/nagios.yaml (both on a webhook
route to the stand-in, uvloop+httptools). Then, with the same load for each (wrk, or an aiohttp
generator when wrk is missing: scripts/bench-setup installs it; N connections posting a ~3 KB
Nagios alert for a fixed time after a warm-up), rounds in rotating order so the noise of this
shared machine hits every scenario alike, and prints per scenario the best and median rate
(for the proxies: 2xx answers/s, and a 2xx means the alert is durable in the spool), latency
p50/p99 and the CPU seconds the app or proxy tree, the stand-in and the load generator used;
first, the write+fsync latency of the disk the spools are on (a durable commit's floor).

Goals: nagios/empty >= 0.85 and nagios/bare >= 0.30 (best rounds), and delivery keeps up:
a `--keep-up-seconds` run of the same load on the Nagios proxy, sampling the spool depth
(alerts queued, not yet delivered) every second, whose least-squares slope must be at most
1% of the intake rate (see KEEP_UP_SHARE). Misses are printed, never raised.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.loadgen import LoadResult, describe, generator, run_load  # noqa: E402
from bench.procstat import (  # noqa: E402
    BARE_APP,
    SINK,
    Server,
    process_cpu_seconds,
    tree_cpu_seconds,
)
from tests.proxyproc import INBOUND_TOKEN, ProxyProcess, free_port, start_proxy  # noqa: E402

EMPTY_POLICY = "version: 1\nname: empty\nrules: []\n"
PROXY_ARGS = ("--loop", "uvloop", "--http", "httptools")  # what the bare app runs too

# Delivery keeps up when the backlog grows by at most this share of the intake rate. The
# failure the issue reports is ~6% (a backlog growing ~70/s at ~1,100/s); the least-squares
# slope over 60 one-second samples of a backlog that only jitters by a batch (tens of alerts)
# is within ~0.5 alerts/s of zero; 1% sits well between the two, and means the backlog grew
# by under 0.6 s worth of intake over the whole run.
KEEP_UP_SHARE = 0.01

GOAL_NAGIOS_EMPTY = 0.85
GOAL_NAGIOS_BARE = 0.30


def alert() -> bytes:
    """A ~3 KB Nagios service alert (the issue's load)."""
    body = json.loads((ROOT / "tests/fixtures/alerts/nagios-service-critical.json").read_text())
    body["LONGSERVICEOUTPUT"] = (
        "client 10.20.31.7: 301 connections, state idle in transaction; " * 40
    )[:2400]
    return json.dumps(body).encode()


def scrape(url: str) -> dict[str, float]:
    """Every sample of /metrics summed by metric name (labels added up)."""
    totals: dict[str, float] = {}
    for line in httpx.get(f"{url}/metrics", timeout=30).text.splitlines():
        if not line or line.startswith("#"):
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        totals[name] = totals.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return totals


def wait_drained(proxy: ProxyProcess, timeout: float = 120) -> float:
    """Seconds until the proxy's spool is empty (everything delivered), at most `timeout`."""
    started = time.monotonic()
    while scrape(proxy.url).get("sanitizer_spool_depth", 0) > 0:
        if time.monotonic() - started > timeout:
            break
        time.sleep(0.05)
    return time.monotonic() - started


def fsync_milliseconds(directory: Path, count: int = 100) -> tuple[float, float]:
    """p50 and p99 of one 4 KiB write + fsync in `directory`: the floor of a durable commit,
    so a proxy that is slow without using its core shows what it is waiting for."""
    path = directory / "fsync-probe"
    times: list[float] = []
    with open(path, "wb") as file:
        for _ in range(count):
            file.write(b"x" * 4096)
            file.flush()
            started = time.perf_counter()
            os.fsync(file.fileno())
            times.append((time.perf_counter() - started) * 1000)
    path.unlink()
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.99) - 1]


@dataclass
class Round:
    result: LoadResult
    app_cpu: float
    sink_cpu: float
    drain: float
    main_cpu: float = 0.0  # the proxy's own process (event loop, spool writer), no children


@dataclass
class Scenario:
    name: str
    url: str
    headers: dict[str, str]
    pid: int
    proxy: ProxyProcess | None = None
    rounds: list[Round] = field(default_factory=list)

    @property
    def best(self) -> Round:
        return max(self.rounds, key=lambda r: r.result.ok_per_second)

    @property
    def median(self) -> float:
        return statistics.median(r.result.ok_per_second for r in self.rounds)


def proxy_config(policy: Path, sink_url: str, delivery_workers: int | None) -> str:
    delivery = "" if delivery_workers is None else f"delivery: {{workers: {delivery_workers}}}\n"
    return (
        f"spool: {{path: spool}}\n{delivery}"
        f"routes:\n  bench:\n    credentials: [{{env: INBOUND_TOKEN}}]\n"
        f"    policy: {policy}\n"
        f"    upstream: {{type: webhook, url: '{sink_url}/alert'}}\n"
    )


def measure(
    scenario: Scenario, sink: Server, load: Callable[[Scenario, int], LoadResult], seconds: int
) -> Round:
    app_before, sink_before = tree_cpu_seconds(scenario.pid), tree_cpu_seconds(sink.pid)
    main_before = process_cpu_seconds(scenario.pid)
    result = load(scenario, seconds)
    app_cpu = tree_cpu_seconds(scenario.pid) - app_before
    main_cpu = process_cpu_seconds(scenario.pid) - main_before
    sink_cpu = tree_cpu_seconds(sink.pid) - sink_before
    drain = wait_drained(scenario.proxy) if scenario.proxy else 0.0
    return Round(result, app_cpu, sink_cpu, drain, main_cpu)


def print_table(scenarios: list[Scenario]) -> None:
    """One line per scenario; the CPU figures are those of its best round. "app" is the bare
    app's or the proxy's whole process tree, "cores" its CPU seconds per second of load."""
    print(
        f"\n{'scenario':<22} {'best/s':>7} {'median/s':>8} {'p50 ms':>7} {'p99 ms':>7}"
        f"  {'CPU s: app':>10} {'cores':>5} {'sink':>5} {'load':>5}  {'app CPU/alert':>13}"
        "  errors"
    )
    for s in scenarios:
        best = s.best
        r = best.result
        per_alert = best.app_cpu / r.ok * 1e6 if r.ok else 0.0
        errors = ", ".join(f"{k} {v}" for k, v in r.errors.items()) or "-"
        print(
            f"{s.name:<22} {r.ok_per_second:7,.0f} {s.median:8,.0f} {r.p50_ms:7.2f} "
            f"{r.p99_ms:7.2f}  {best.app_cpu:10.1f} {best.app_cpu / r.seconds:5.2f} "
            f"{best.sink_cpu:5.1f} {r.cpu_seconds:5.1f}  {per_alert:10,.0f} µs  {errors}"
        )


def verdict(value: float, goal: float) -> str:
    return "met" if value >= goal else "NOT met"


def cpu_per_alert(scenario: Scenario) -> float:
    """CPU seconds the scenario's process tree spent per answered alert, in its best round."""
    best = scenario.best
    return best.app_cpu / best.result.ok if best.result.ok else 0.0


def explain_misses(bare: Scenario, empty: Scenario, nagios: Scenario) -> None:
    """Where a goal is missed, the measured reason: what the policy costs per alert against
    what the goal allows, and what the whole proxy costs against the bare app. Both proxies
    are CPU-bound here, so a rate is about (cores used) / (CPU per alert)."""
    empty_cpu, nagios_cpu = cpu_per_alert(empty), cpu_per_alert(nagios)
    policy_cpu = nagios_cpu - empty_cpu
    allowed = empty_cpu * (1 / GOAL_NAGIOS_EMPTY - 1)
    to_empty = nagios.best.result.ok_per_second / max(empty.best.result.ok_per_second, 1e-9)
    print()
    if to_empty < GOAL_NAGIOS_EMPTY:
        print(
            f"why: the nagios policy costs {policy_cpu * 1e6:,.0f} µs of CPU per alert on top "
            f"of the empty-policy proxy's {empty_cpu * 1e6:,.0f} µs; nagios/empty >= "
            f"{GOAL_NAGIOS_EMPTY} allows at most {allowed * 1e6:,.0f} µs"
        )
    wanted = GOAL_NAGIOS_BARE * bare.best.result.ok_per_second
    cores = wanted * nagios_cpu
    if nagios.best.result.ok_per_second >= wanted:
        return
    print(
        f"why: nagios/bare >= {GOAL_NAGIOS_BARE} needs {wanted:,.0f} alerts/s: at "
        f"{nagios_cpu * 1e6:,.0f} µs per alert that is {cores:.2f} cores of CPU "
        f"({os.cpu_count()} on this machine, shared with the load generator and the sink); "
        f"the bare app spends {cpu_per_alert(bare) * 1e6:,.0f} µs per request"
    )
    for scenario in (empty, nagios):
        best = scenario.best
        seconds = best.result.seconds or 1.0
        per_alert = best.main_cpu / max(best.result.ok, 1)
        print(
            f"     {scenario.name}: its own process (event loop, spool writer) used "
            f"{best.main_cpu / seconds:.2f} cores, {per_alert * 1e6:,.0f}"
            f" µs per alert; its children (the sanitizing worker) "
            f"{(best.app_cpu - best.main_cpu) / seconds:.2f} cores"
        )
    print(
        "next lever: the proxy's own process is the ceiling (its Python work shares one GIL, "
        "near one core). Profiled with py-spy (empty policy, 2026-12-01), its event loop "
        "spent ~45% on intake (uvicorn, Starlette, parse, spool submit), ~30% on delivery "
        "(aiohttp, claims, settling) and ~11% on the two log lines per alert. Deliver from "
        "a second process that owns the spool (SQLite in WAL mode serves two processes), "
        "then run more intake processes on one port (SO_REUSEPORT)."
    )


def slope(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares slope of (t, y) and its standard error."""
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((t - mean_t) ** 2 for t, _ in points)
    if n < 3 or sxx == 0:
        return 0.0, 0.0
    b = sum((t - mean_t) * (y - mean_y) for t, y in points) / sxx
    residual = sum((y - mean_y - b * (t - mean_t)) ** 2 for t, y in points)
    return b, (residual / (n - 2) / sxx) ** 0.5


def keep_up(scenario: Scenario, load: Callable[[Scenario, int], LoadResult], seconds: int) -> None:
    """Full load on the Nagios proxy for `seconds`; /metrics sampled every second.

    The backlog is the spool depth (alerts queued, not yet delivered); intake and delivery
    rates are the least-squares slopes of the queued and delivered counters over the same
    samples, so a load generator's start-up time does not dilute them."""
    assert scenario.proxy is not None
    url = scenario.proxy.url
    outcome: list[LoadResult] = []
    worker = threading.Thread(target=lambda: outcome.append(load(scenario, seconds)))
    begin = time.monotonic()
    worker.start()
    samples: list[tuple[float, dict[str, float]]] = []
    while worker.is_alive():
        samples.append((time.monotonic() - begin, scrape(url)))
        worker.join(max(0.0, begin + len(samples) - time.monotonic()))
    during = [(t, figures) for t, figures in samples if t <= seconds]

    def series(name: str) -> list[tuple[float, float]]:
        return [(t, figures.get(name, 0.0)) for t, figures in during]

    backlog = series("sanitizer_spool_depth")
    growth, error = slope(backlog)
    intake, _ = slope(series("sanitizer_alerts_queued_total"))
    delivered, _ = slope(series("sanitizer_alerts_delivered_total"))
    threshold = KEEP_UP_SHARE * intake
    answered = outcome[0].ok_per_second if outcome else 0.0
    print(
        f"\ndelivery keeps up ({scenario.name}, {seconds} s of the same load, /metrics every "
        f"second, {len(during)} samples):"
    )
    print(
        f"  backlog (sanitizer_spool_depth) at start {backlog[0][1]:,.0f}, at end "
        f"{backlog[-1][1]:,.0f}, slope {growth:+,.1f} alerts/s (± {error:.1f}, least squares)"
    )
    print(
        f"  intake {intake:,.0f} alerts/s queued ({answered:,.0f} 2xx/s at the load generator), "
        f"delivered {delivered:,.0f} alerts/s"
    )
    print(
        f"  keeps up: {'yes' if growth <= threshold else 'NO'} (goal: backlog slope <= "
        f"{KEEP_UP_SHARE:.0%} of intake = {threshold:,.1f} alerts/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="per scenario and round")
    parser.add_argument("--warmup", type=int, default=2, help="seconds, each scenario, once")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--keep-up-seconds", type=int, default=60, help="0 skips the run")
    parser.add_argument("--load", choices=("auto", "wrk", "aiohttp"), default="auto")
    parser.add_argument(
        "--proxy-arg",
        action="append",
        default=[],
        help="extra argument to `sanitizer serve` (repeatable; --proxy-arg=--flag for dashes)",
    )
    parser.add_argument(
        "--delivery-workers", type=int, help="delivery.workers in the proxies' config"
    )
    args = parser.parse_args()
    tool = generator(args.load)
    body = alert()
    proxy_args = (*PROXY_ARGS, *args.proxy_arg)
    print(
        f"load generator: {describe(tool)}; {args.connections} connections"
        f"{f', {args.threads} thread(s)' if tool == 'wrk' else ''}, {args.seconds} s per "
        f"scenario after a {args.warmup} s warm-up, rounds: {args.rounds}, in rotating order"
    )
    print(
        f"alert {len(body):,} bytes; proxy: sanitizer serve {' '.join(proxy_args)}; "
        f"delivery.workers {args.delivery_workers or 'default'}; {os.cpu_count()} CPUs"
    )

    def load(scenario: Scenario, seconds: int) -> LoadResult:
        return run_load(
            tool,
            scenario.url,
            body,
            scenario.headers,
            connections=args.connections,
            seconds=seconds,
            threads=args.threads,
        )

    sink = Server(SINK, free_port())
    bare = Server(BARE_APP, free_port())
    proxies: list[ProxyProcess] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            fsync_p50, fsync_p99 = fsync_milliseconds(Path(tmp))
            print(f"spool disk: write+fsync p50 {fsync_p50:.2f} ms, p99 {fsync_p99:.2f} ms")
            empty_policy = Path(tmp) / "empty.yaml"
            empty_policy.write_text(EMPTY_POLICY)
            headers = {"content-type": "application/json"}
            proxy_headers = {**headers, "authorization": f"Bearer {INBOUND_TOKEN}"}
            scenarios = [Scenario("bare app (parse, 202)", f"{bare.url}/alert", headers, bare.pid)]
            for name, policy in (
                ("proxy, empty policy", empty_policy),
                ("proxy, nagios policy", ROOT / "rules/nagios.yaml"),
            ):
                config = proxy_config(policy, sink.url, args.delivery_workers)
                proxy = start_proxy(Path(tmp) / policy.stem, config, args=proxy_args)
                proxies.append(proxy)
                url = f"{proxy.url}/v1/alerts/bench"
                scenarios.append(Scenario(name, url, proxy_headers, proxy.process.pid, proxy))
            for scenario in scenarios:
                if args.warmup:
                    load(scenario, args.warmup)
                if scenario.proxy:
                    wait_drained(scenario.proxy)
            for number in range(args.rounds):
                order = scenarios[number % 3 :] + scenarios[: number % 3]
                figures = []
                for scenario in order:
                    scenario.rounds.append(measure(scenario, sink, load, args.seconds))
                    last = scenario.rounds[-1]
                    figures.append(
                        f"{scenario.name} {last.result.ok_per_second:,.0f}/s"
                        + (f" (drained in {last.drain:.1f} s)" if scenario.proxy else "")
                    )
                print(f"round {number + 1}: " + " | ".join(figures), flush=True)
            print_table(scenarios)
            bare_rate, empty_rate, nagios_rate = (s.best.result.ok_per_second for s in scenarios)
            to_empty = nagios_rate / empty_rate if empty_rate else 0.0
            to_bare = nagios_rate / bare_rate if bare_rate else 0.0
            print(
                f"\nnagios/empty {to_empty:.2f} (goal >= {GOAL_NAGIOS_EMPTY}): "
                f"{verdict(to_empty, GOAL_NAGIOS_EMPTY)}"
            )
            print(
                f"nagios/bare  {to_bare:.2f} (goal >= {GOAL_NAGIOS_BARE}): "
                f"{verdict(to_bare, GOAL_NAGIOS_BARE)}"
            )
            print(f"empty/bare   {empty_rate / bare_rate if bare_rate else 0.0:.2f}")
            if to_empty < GOAL_NAGIOS_EMPTY or to_bare < GOAL_NAGIOS_BARE:
                explain_misses(*scenarios)
            if args.keep_up_seconds:
                keep_up(scenarios[2], load, args.keep_up_seconds)
    finally:
        for proxy in proxies:
            proxy.stop()
        bare.stop()
        sink.stop()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
