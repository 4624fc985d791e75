"""No network: append each alert as one JSON line to a file, fsynced before Delivered.

```yaml
upstream: {type: capture, path: var/capture.jsonl, contract: victorops}
```
Each line is `{"id", "route", "routing_key", "alert"}`. `contract` (optional: victorops,
pagerduty or bigpanda) runs that receiver's contract on every alert before it is queued,
exactly as a route delivering to that receiver would, so a capture can stand in for it (the
bundled default does); without it, no contract. Refusal notices take the VictorOps shape, as
for a webhook.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sanitizer.proxy.delivery import Delivered, Outcome, Rejected, RetryLater
from sanitizer.proxy.upstreams import bigpanda, pagerduty, victorops
from sanitizer.proxy.upstreams.body import dumps
from sanitizer.proxy.upstreams.config import UpstreamConfig
from sanitizer.proxy.upstreams.upstream import Sender, UpstreamType

if TYPE_CHECKING:
    import httpx

    from sanitizer.proxy.spool import SpooledAlert

OPTIONS = ("path", "contract")
# The receivers whose contract a capture can run in their place.
CONTRACTS = tuple(kind.name for kind in (victorops.TYPE, pagerduty.TYPE, bigpanda.TYPE))


class CaptureUpstream(Sender):
    """Append each alert to a JSON-lines file; a line is durable before it counts delivered."""

    type = "capture"

    def __init__(self, *, path: str | Path) -> None:
        self._path = Path(path)
        self._lock = threading.Lock()
        self._fd: int | None = None

    async def send(self, alert: SpooledAlert) -> Outcome:
        try:
            doc = json.loads(alert.body)
        except ValueError:
            return Rejected("alert body is not JSON")
        line = {
            "id": alert.id,
            "route": alert.route,
            "routing_key": alert.routing_key,
            "alert": doc,
        }
        try:
            await asyncio.to_thread(self._append, dumps(line) + b"\n")
        except OSError as exc:
            code = errno.errorcode.get(exc.errno or 0)
            return RetryLater(f"{type(exc).__name__} {code}" if code else type(exc).__name__)
        return Delivered()

    def _open(self) -> int:
        if self._fd is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            created = not self._path.exists()
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
            self._fd = os.open(self._path, flags, 0o600)
            if created:  # make the new directory entry durable too
                directory = os.open(self._path.parent, os.O_RDONLY)
                try:
                    os.fsync(directory)
                finally:
                    os.close(directory)
        return self._fd

    def _append(self, data: bytes) -> None:
        with self._lock:
            fd = self._open()
            start = os.lseek(fd, 0, os.SEEK_END)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            except OSError:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, start)  # never leave half a line behind
                raise

    def _close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    async def aclose(self) -> None:
        await asyncio.to_thread(self._close)

    def describe(self) -> str:
        return f"capture {self._path}"


def captured_alert(path: Path, alert_id: str) -> Any | None:
    """The alert a capture upstream wrote to `path` for `alert_id`, or None if it is not
    there (yet). A line still being written (no closing brace yet) is skipped."""
    if not path.exists():
        return None
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.endswith("}"):
            entry = json.loads(line)
            if entry["id"] == alert_id:
                return entry["alert"]
    return None


def build(cfg: UpstreamConfig, transport: httpx.AsyncBaseTransport | None) -> CaptureUpstream:
    """A capture sender; `transport` is not used (there is no network)."""
    path = Path(cfg.string("path", required=True))
    if path.is_dir():
        raise cfg.error("path", "is a directory; name a file to append to")
    contract = cfg.string("contract")
    if contract is not None and contract not in CONTRACTS:
        raise cfg.error("contract", f"must be one of: {', '.join(CONTRACTS)}")
    return CaptureUpstream(path=path)


def contract_of(config: Mapping[str, Any]) -> str | None:
    """The receiver whose contract a capture upstream's `contract:` names (validated by
    `build`), or None."""
    chosen = config.get("contract")
    return chosen if isinstance(chosen, str) else None


TYPE = UpstreamType(
    name="capture",
    options=OPTIONS,
    build=build,
    sender=CaptureUpstream,
    notice=victorops.notice,
)
