"""The load driver of the bench scripts: `wrk` when installed, else an aiohttp generator.

Both run as their own process, so the CPU the load costs is counted apart from the proxy's
(from the child's rusage). `run_load` posts one body over N keep-alive connections for a fixed
duration and returns what was answered, the latency percentiles and the generator's CPU.
`Poller` runs a process that sends one request every few milliseconds over its own connection
until told to stop, and returns every request's start time and latency (CLOCK_MONOTONIC, the
same clock in every process), for the worst-case latency while something else happens.

As a program (what the two classes run):
  loadgen.py load --url URL --body FILE [--header 'K: V'] --connections 16 --seconds 10
  loadgen.py poll --url URL [--body FILE --header 'K: V'] --interval 0.01   (until stdin closes)
Install wrk with scripts/bench-setup.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

# wrk's Lua script: POST the body read from $BENCH_BODY, report the summary as one JSON line.
WRK_SCRIPT = """
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "status_errors": %d, "connect": %d, '
    .. '"read": %d, "write": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass
class LoadResult:
    requests: int  # answered
    ok: int  # answered 2xx
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_seconds: float  # of the load generator
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def ok_per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def generator(choice: str = "auto") -> str:
    """'wrk' or 'aiohttp': wrk when asked for or found on PATH (with 'auto')."""
    if choice == "wrk" and not shutil.which("wrk"):
        raise SystemExit(
            "wrk is not installed: run scripts/bench-setup (as root), or --load aiohttp"
        )
    if choice == "auto":
        return "wrk" if shutil.which("wrk") else "aiohttp"
    return choice


def describe(tool: str) -> str:
    if tool == "wrk":
        try:
            version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
        except OSError:
            version = ""
        return version.split(" [")[0].strip() or "wrk"
    if shutil.which("wrk"):
        return "aiohttp (Python, as asked; slower than wrk)"
    return (
        "aiohttp (Python, slower than wrk: wrk is not installed, scripts/bench-setup installs it)"
    )


def run_load(
    tool: str,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    connections: int,
    seconds: int,
    threads: int = 1,
) -> LoadResult:
    """Post `body` to `url` over `connections` keep-alive connections for `seconds`."""
    with tempfile.TemporaryDirectory() as tmp:
        body_path = Path(tmp) / "body"
        body_path.write_bytes(body)
        flag = "-H" if tool == "wrk" else "--header"
        header_args = [arg for name, value in headers.items() for arg in (flag, f"{name}: {value}")]
        if tool == "wrk":
            script = Path(tmp) / "post.lua"
            script.write_text(WRK_SCRIPT)
            command = [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "--latency",
                "-s",
                str(script),
                *header_args,
                url,
            ]
        else:
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "load",
                "--url",
                url,
                "--body",
                str(body_path),
                "--connections",
                str(connections),
                "--seconds",
                str(seconds),
                *header_args,
            ]
        env = {**os.environ, "BENCH_BODY": str(body_path)}
        process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
        assert process.stdout is not None
        output = process.stdout.read().decode()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    line = next((ln for ln in output.splitlines() if ln.startswith("BENCH ")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"{tool} failed (exit {process.returncode}):\n{output}")
    data = json.loads(line[len("BENCH ") :])
    if tool == "wrk":
        errors = {
            name: data[key]
            for name, key in (
                ("status>=400", "status_errors"),
                ("connect", "connect"),
                ("read", "read"),
                ("write", "write"),
                ("timeout", "timeout"),
            )
            if data[key]
        }
        return LoadResult(
            requests=data["requests"],
            ok=data["requests"] - data["status_errors"],
            seconds=data["duration_us"] / 1e6,
            p50_ms=data["p50_us"] / 1000,
            p99_ms=data["p99_us"] / 1000,
            max_ms=data["max_us"] / 1000,
            cpu_seconds=cpu,
            errors=errors,
        )
    return LoadResult(**data, cpu_seconds=cpu)


class Poller:
    """A process sending one request every `interval` seconds over its own connection."""

    def __init__(
        self,
        url: str,
        *,
        interval: float = 0.01,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "poll",
            "--url",
            url,
            "--interval",
            str(interval),
        ]
        if body is not None:
            body_path = Path(self._tmp.name) / "body"
            body_path.write_bytes(body)
            command += ["--body", str(body_path)]
        for name, value in (headers or {}).items():
            command += ["--header", f"{name}: {value}"]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != b"ready":
            raise RuntimeError(f"poller for {url} did not start")
        self.samples: list[tuple[float, float, int]] = []

    def stop(self) -> list[tuple[float, float, int]]:
        """Stop; every request as (start, latency seconds, status; 0 for no answer)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        output = self.process.stdout.read()
        self.process.wait(30)
        self._tmp.cleanup()
        self.samples = [(start, latency, status) for start, latency, status in json.loads(output)]
        return self.samples

    def during(self, begin: float, end: float) -> list[tuple[float, int]]:
        """(latency, status) of the requests that were in flight at some time in [begin, end]."""
        return [
            (latency, status)
            for start, latency, status in self.samples
            if start <= end and start + latency >= begin
        ]


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of `values` lie (nearest rank); 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _parse_headers(raw: list[str]) -> dict[str, str]:
    return {name.strip(): value.strip() for name, value in (h.split(":", 1) for h in raw)}


async def _aiohttp_load(
    url: str, body: bytes, headers: dict[str, str], connections: int, seconds: float
) -> dict[str, object]:
    import aiohttp

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: dict[str, int] = {}
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        begin = time.perf_counter()
        deadline = begin + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                except aiohttp.ClientError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    continue
                latencies.append(time.perf_counter() - started)
                statuses[response.status] = statuses.get(response.status, 0) + 1

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - begin
    ok = sum(count for status, count in statuses.items() if 200 <= status < 300)
    errors.update({str(s): n for s, n in statuses.items() if not 200 <= s < 300})
    return {
        "requests": len(latencies),
        "ok": ok,
        "seconds": elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies, default=0.0) * 1000,
        "errors": errors,
    }


def _poll(url: str, interval: float, body: bytes | None, headers: dict[str, str]) -> None:
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    stop = threading.Event()

    def wait_for_end_of_input() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=wait_for_end_of_input, daemon=True).start()
    samples: list[tuple[float, float, int]] = []
    connection: http.client.HTTPConnection | None = None
    while not stop.is_set():
        started = time.monotonic()
        try:
            if connection is None:
                connection = http.client.HTTPConnection(parts.netloc, timeout=60)
            connection.request("GET" if body is None else "POST", target, body, headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
            if connection is not None:
                connection.close()
            connection = None
        samples.append((started, time.monotonic() - started, status))
        if len(samples) == 1:
            print("ready", flush=True)
        time.sleep(interval)
    sys.stdout.write(json.dumps(samples))


def main() -> None:
    parser = argparse.ArgumentParser(description="load generator and poller of the bench")
    parser.add_argument("mode", choices=("load", "poll"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--body", type=Path)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--interval", type=float, default=0.01)
    args = parser.parse_args()
    body = args.body.read_bytes() if args.body else None
    headers = _parse_headers(args.header)
    if args.mode == "poll":
        _poll(args.url, args.interval, body, headers)
        return
    load = _aiohttp_load(args.url, body or b"", headers, args.connections, args.seconds)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(load)
    else:
        result = uvloop.run(load)
    print("BENCH " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
