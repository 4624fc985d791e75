"""Proxy throughput and latency on loopback: Nagios policy vs empty policy vs direct post.

Run: .venv/bin/python bench/proxy.py [--alerts 3000] [--concurrency 32] [--plain]

Starts a minimal upstream sink (uvicorn, answers 202) and the proxy as real processes on
127.0.0.1, posts a ~3 KB Nagios-style alert `--alerts` times at `--concurrency`, and prints
alerts/s accepted (202 = durably queued), p50/p99 request latency, and how long delivery took
to drain the spool (with the aiohttp upstream transport, and once with httpx's default
transport for comparison); then a paced load at `--rate` for the latency the policy adds below
saturation. `--plain` runs uvicorn with its pure-Python loop and HTTP parser instead
of uvloop/httptools. Goals (issue 3): Nagios >= 0.85x the empty policy's throughput,
>= 1,000 alerts/s durable, p99 added by the policy <= 2 ms. The load is bounded by count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.proxyproc import INBOUND_TOKEN, free_port, start_proxy  # noqa: E402

SINK = """
import sys
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
import uvicorn

async def accept(request):
    await request.body()
    return Response(status_code=202)

app = Starlette(routes=[Route("/{path:path}", accept, methods=["POST", "GET"])])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            access_log=False, loop=sys.argv[2], http=sys.argv[3])
"""

EMPTY_POLICY = "version: 1\nname: empty\nrules: []\n"


def alert() -> bytes:
    body = json.loads((ROOT / "tests/fixtures/alerts/nagios-service-critical.json").read_text())
    body["LONGSERVICEOUTPUT"] = (
        "client 10.20.31.7: 301 connections, state idle in transaction; " * 40
    )[:2400]
    return json.dumps(body).encode()


async def load(
    url: str,
    body: bytes,
    count: int,
    concurrency: int,
    headers: dict[str, str],
    rate: float | None = None,
):
    """Post `count` alerts from `concurrency` workers; with `rate`, start them at that pace
    (open loop), so latency is measured below saturation."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(count):
        queue.put_nowait(index)
    connector = aiohttp.TCPConnector(limit=concurrency)
    begin = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while not queue.empty():
                index = queue.get_nowait()
                if rate:
                    delay = begin + index / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, statuses


def report(name: str, count: int, elapsed: float, latencies: list[float], statuses, drain=None):
    cut = statistics.quantiles(latencies, n=100)
    line = (
        f"{name:<22} {count / elapsed:8,.0f} alerts/s   p50 {cut[49] * 1000:6.2f} ms   "
        f"p99 {cut[98] * 1000:6.2f} ms   statuses {statuses}"
    )
    if drain is not None:
        line += f"   delivered all in {drain:.2f} s"
    print(line, flush=True)
    return count / elapsed, cut[49], cut[98]


def wait_drained(proxy, timeout: float = 120) -> float:
    started = time.perf_counter()
    while proxy.metric("sanitizer_spool_depth") > 0:
        if time.perf_counter() - started > timeout:
            break
        time.sleep(0.05)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--rate", type=float, default=200.0, help="paced load for the latency figure (200/s)"
    )
    parser.add_argument("--plain", action="store_true", help="pure-Python uvicorn (h11, asyncio)")
    args = parser.parse_args()
    loop, http = ("asyncio", "h11") if args.plain else ("uvloop", "httptools")
    body = alert()
    print(
        f"alert {len(body)} bytes, {args.alerts} alerts at concurrency {args.concurrency}, "
        f"uvicorn loop={loop} http={http}"
    )
    sink_port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(sink_port), loop, http])
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{sink_port}/", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sink_url = f"http://127.0.0.1:{sink_port}/alert"
        results = {}
        paced = {}
        with tempfile.TemporaryDirectory() as tmp:
            scenarios = (
                ("empty policy", None, "aiohttp"),
                ("empty, httpx transport", None, "default"),
                ("nagios policy", "nagios", "aiohttp"),
            )
            for name, policy, transport in scenarios:
                workdir = Path(tmp) / name.replace(" ", "-")
                workdir.mkdir()
                policy_path = ROOT / "rules/nagios.yaml"
                if policy is None:
                    policy_path = workdir / "empty.yaml"
                    policy_path.write_text(EMPTY_POLICY)
                config = (
                    f"spool: {{path: spool}}\n"
                    f"routes:\n  bench:\n    credentials: [{{env: INBOUND_TOKEN}}]\n"
                    f"    policy: {policy_path}\n"
                    f"    upstream: {{type: webhook, url: '{sink_url}', transport: {transport}}}\n"
                )
                proxy = start_proxy(workdir, config, args=("--loop", loop, "--http", http))
                try:
                    headers = {
                        "content-type": "application/json",
                        "authorization": f"Bearer {INBOUND_TOKEN}",
                    }
                    url = f"{proxy.url}/v1/alerts/bench"
                    asyncio.run(load(url, body, 200, args.concurrency, headers))  # warm-up
                    wait_drained(proxy)
                    elapsed, latencies, statuses = asyncio.run(
                        load(url, body, args.alerts, args.concurrency, headers)
                    )
                    drain = wait_drained(proxy)
                    results[name] = report(name, args.alerts, elapsed, latencies, statuses, drain)
                    print(
                        f"{'':<22} delivered {args.alerts / (elapsed + drain):8,.0f} alerts/s "
                        f"end to end (upstream transport: {transport})"
                    )
                    count = int(args.rate * 5)
                    elapsed, latencies, statuses = asyncio.run(
                        load(url, body, count, args.concurrency, headers, rate=args.rate)
                    )
                    wait_drained(proxy)
                    paced[name] = report(
                        f"{name} @{args.rate:g}/s", count, elapsed, latencies, statuses
                    )
                finally:
                    proxy.stop()
        elapsed, latencies, statuses = asyncio.run(
            load(
                sink_url, body, args.alerts, args.concurrency, {"content-type": "application/json"}
            )
        )
        report("direct to upstream", args.alerts, elapsed, latencies, statuses)
        ratio = results["nagios policy"][0] / results["empty policy"][0]
        added = (paced["nagios policy"][2] - paced["empty policy"][2]) * 1000
        print(
            f"nagios/empty throughput {ratio:.2f}x (goal >= 0.85); nagios durable "
            f"{results['nagios policy'][0]:,.0f} alerts/s (goal >= 1,000); p99 added by the "
            f"policy at {args.rate:g}/s {added:+.2f} ms (goal <= 2 ms)"
        )
    finally:
        sink.terminate()
        sink.wait(10)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
