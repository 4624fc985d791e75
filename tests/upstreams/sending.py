"""Building senders and sending spooled alerts through them, over the network or in process."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any

import httpx

from sanitizer.proxy.delivery import Delivered, Rejected, RetryLater
from sanitizer.proxy.spool import SpooledAlert
from sanitizer.proxy.upstreams import Upstream, build_upstream

ROUTE = "r1"


ALERT = {"message_type": "CRITICAL", "entity_id": "disk/web-1", "host": "web-1", "check": "disk"}


def alert(
    doc: Any = ALERT, *, routing_key: str | None = None, raw: bytes | None = None
) -> SpooledAlert:
    body = raw if raw is not None else json.dumps(doc).encode()
    return SpooledAlert(
        id=secrets.token_hex(8),
        route=ROUTE,
        routing_key=routing_key,
        body=body,
        created_at=time.time(),
        attempts=0,
    )


def build(config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Upstream:
    return build_upstream(config, route=ROUTE, environ=environ or {})


def send(sender: Upstream, *alerts: SpooledAlert) -> list[Any]:
    """Send each alert in turn on one event loop, then close the sender."""

    async def go() -> list[Any]:
        try:
            return [await sender.send(a) for a in alerts]
        finally:
            await sender.aclose()

    return asyncio.run(go())


def send_one(sender: Upstream, item: SpooledAlert | None = None) -> Any:
    return send(sender, item or alert())[0]


def assert_clean(outcome: Any, *secret_values: str) -> None:
    reason = outcome.reason
    assert re.fullmatch(r"HTTP \d{3}|[A-Za-z]+", reason), reason
    for value in secret_values:
        assert value not in reason


class Recorder:
    """An in-process receiver: an `httpx.MockTransport` that records each request it answers.

    Passed as a sender's transport (the seam `build_upstream` offers), it replaces the network
    and leaves everything above it real: the client, its headers, the outcome mapping.
    """

    def __init__(self, status: int = 202, headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.headers = dict(headers or {})
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        # A body still to be read, as from a real connection (the sender drains it).
        body = httpx.ByteStream(b'{"status": "ok"}')
        return httpx.Response(self.status, headers=self.headers, stream=body)


# What a receiver's answer becomes, for every HTTP type: (status, headers, outcome).
STATUS_OUTCOMES = [
    (200, {}, Delivered()),
    (202, {}, Delivered()),
    (400, {}, Rejected("HTTP 400")),
    (404, {}, Rejected("HTTP 404")),
    (429, {"retry-after": "5"}, RetryLater("HTTP 429", 5.0)),
    (429, {}, RetryLater("HTTP 429")),
    (500, {}, RetryLater("HTTP 500")),
    (503, {"retry-after": "7"}, RetryLater("HTTP 503", 7.0)),
]
STATUS_IDS = [f"{status}{'-retry-after' if extra else ''}" for status, extra, _ in STATUS_OUTCOMES]


def answered(
    config: Mapping[str, Any],
    environ: Mapping[str, str],
    item: SpooledAlert,
    status: int = 202,
    headers: Mapping[str, str] | None = None,
) -> tuple[httpx.Request, Any]:
    """Send one alert through a sender built on a `Recorder`: the request it made, the outcome."""
    recorder = Recorder(status, headers)
    sender = build_upstream(config, route=ROUTE, environ=environ, transport=recorder.transport)
    outcome = send_one(sender, item)
    (request,) = recorder.requests
    return request, outcome
