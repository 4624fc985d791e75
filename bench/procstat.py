"""Where the cores and the memory went: CPU seconds and resident memory of process trees,
read from /proc (Linux), and the small servers the bench scripts run beside the proxy.

CPU of a tree is the user+system time of a process and of all its live descendants, plus
what its reaped children used (cutime/cstime): take it before and after a scenario and
subtract. Resident memory of a tree is the sum of VmRSS over the process and its descendants.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

TICKS = os.sysconf("SC_CLK_TCK")

# An upstream stand-in: answers 202 to every POST after reading the body (no parsing).
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
            access_log=False, loop="uvloop", http="httptools")
"""

# The bare app the proxy is compared with: reads the body, parses it as JSON, answers 202.
BARE_APP = """
import json
import sys
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
import uvicorn

async def accept(request):
    json.loads(await request.body())
    return Response(status_code=202)

app = Starlette(routes=[Route("/{path:path}", accept, methods=["POST", "GET"])])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            access_log=False, loop="uvloop", http="httptools")
"""


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (field 3 onwards), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return text[text.rindex(")") + 2 :].split()


def descendants(pid: int) -> list[int]:
    """The live descendants of `pid` (children, grandchildren, ...)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat(int(entry))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def tree_cpu_seconds(pid: int) -> float:
    """User+system CPU seconds of `pid`, its live descendants and its reaped children."""
    total = 0
    root = _stat(pid)
    if root is None:
        return 0.0
    total += sum(int(value) for value in root[11:15])  # utime stime cutime cstime
    for child in descendants(pid):
        fields = _stat(child)
        if fields is not None:
            total += sum(int(value) for value in fields[11:13])
    return total / TICKS


def process_cpu_seconds(pid: int) -> float:
    """User+system CPU seconds of `pid` alone (no children)."""
    fields = _stat(pid)
    return 0.0 if fields is None else sum(int(value) for value in fields[11:13]) / TICKS


def _tree_sum(pid: int, source: str, field: str) -> int:
    """The sum of one kB field (e.g. "VmRSS:" of /proc/PID/status) over `pid` and its live
    descendants, in bytes."""
    total = 0
    for member in (pid, *descendants(pid)):
        try:
            text = Path(f"/proc/{member}/{source}").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        for line in text.splitlines():
            if line.startswith(field):
                total += int(line.split()[1]) * 1024
    return total


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of `pid` and its descendants (sum of VmRSS)."""
    return _tree_sum(pid, "status", "VmRSS:")


def tree_pss_bytes(pid: int) -> int:
    """Proportional memory of `pid` and its descendants (sum of Pss): a page shared by n
    processes counts 1/n in each, so the sum is what the tree occupies, each page once. The
    VmRSS sum counts twice every page a forked child shares with its parent."""
    return _tree_sum(pid, "smaps_rollup", "Pss:")


class Server:
    """A small uvicorn app (`SINK` or `BARE_APP`) as a process on 127.0.0.1."""

    def __init__(self, code: str, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen([sys.executable, "-c", code, str(port)])
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.post(f"{self.url}/ready", content=b"{}", timeout=1)
                return
            except httpx.HTTPError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"server on port {port} did not start") from None
                time.sleep(0.05)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
