"""A real proxy with its console on an admin listener, for the console API tests.

The console's socket is bound and listening before the proxy says it is ready, so a request
made once /readyz answers waits for the console if it is still starting: nothing to poll.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sanitizer.cli.tap import parse_events
from tests.proxyproc import ROOT, ProxyProcess, environment, free_port, start_proxy

ADMIN_TOKEN = "console-api-admin-token-3b9d0f6e1a2c"
NAGIOS_ALERT = json.loads(
    (ROOT / "tests/fixtures/alerts/nagios-service-critical.json").read_text(encoding="utf-8")
)


def admin_config(
    standin_url: str, admin_port: int, token_file: Path, *, policy: str, shadow: str | None = None
) -> str:
    shadow_line = "" if shadow is None else f"\n    shadow_policy: {shadow}"
    return f"""\
spool: {{path: spool, max_bytes: 2000000}}
limits: {{max_body_bytes: 20000, max_depth: 16, read_timeout: 2}}
delivery: {{workers: 2, backoff_base: 0.05, backoff_cap: 0.3, max_age: 3600}}
admin:
  listen: {{host: 127.0.0.1, port: {admin_port}}}
  token: {{file: {token_file}}}
routes:
  nagios:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: {policy}{shadow_line}
    upstream: {{type: victorops, url: '{standin_url}/integrations/generic/20131114/alert',
      api_key: {{env: VICTOROPS_API_KEY}}, routing_key: ops, transport: default}}
"""


@dataclass
class Admin:
    """The running proxy and its console: `url` is the console's, `proxy.url` the ingress."""

    proxy: ProxyProcess
    url: str
    port: int
    token_file: Path
    token: str = ADMIN_TOKEN

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"authorization": f"Bearer {token or self.token}"}

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.headers())
        with self.proxy.died_explained():
            return httpx.get(f"{self.url}{path}", timeout=10, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.headers())
        with self.proxy.died_explained():
            return httpx.post(f"{self.url}{path}", timeout=10, **kwargs)

    def preview(self, **doc: Any) -> httpx.Response:
        return self.post("/api/preview", json=doc)


def start_admin(
    workdir: Path,
    standin_url: str,
    *,
    policy: str = str(ROOT / "rules/nagios.yaml"),
    shadow: str | None = None,
) -> Admin:
    workdir.mkdir(parents=True, exist_ok=True)
    token_file = workdir / "admin.token"
    token_file.write_text(ADMIN_TOKEN + "\n", encoding="utf-8")
    port = free_port()
    proxy = start_proxy(
        workdir,
        admin_config(standin_url, port, token_file, policy=policy, shadow=shadow),
        env=environment(),
    )
    return Admin(proxy, f"http://127.0.0.1:{port}", port, token_file)


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    """Poll `condition` until it is truthy (readiness, never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Events:
    """Server-sent events read from an open stream, one (event, data) pair at a time, parsed
    by the tap command's own reader (`sanitizer.cli.tap.parse_events`)."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._events = parse_events(lines)

    def next(self) -> tuple[str, Any]:
        for event in self._events:
            return event.name, json.loads(event.data)
        raise AssertionError("the event stream ended")

    def until(self, wanted: Callable[[str, Any], bool], limit: int = 200) -> tuple[str, Any]:
        for _ in range(limit):
            name, data = self.next()
            if wanted(name, data):
                return name, data
        raise AssertionError("no such event in the stream")
