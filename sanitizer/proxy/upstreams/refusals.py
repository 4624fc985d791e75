"""Fail closed, but not silent: rate-limited, value-free stand-in alerts for refused alerts.

At most once per `interval` seconds for each (route, rule), a route with `on_refusal: notify`
queues a notice in its upstream's own shape (see `notices.py`); refusals in between are
counted and reported by the next notice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sanitizer import jsonio
from sanitizer.errors import SanitizerError
from sanitizer.proxy.upstreams.registry import notice_body

log = logging.getLogger("sanitizer.notices")


class RefusalNotices:
    """Rate-limited stand-in alerts, queued through the same durable spool."""

    def __init__(
        self,
        append: Callable[..., Awaitable[str]],
        *,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        on_queued: Callable[[str], None] = lambda route: None,
    ) -> None:
        self._append = append
        self._interval = interval
        self._clock = clock
        self._on_queued = on_queued
        self._last_sent: dict[tuple[str, str], float] = {}
        self._pending: dict[tuple[str, str], int] = {}

    async def refused(self, route: Any, rule: str) -> None:
        if route.on_refusal != "notify":
            return
        key = (route.name, rule)
        self._pending[key] = self._pending.get(key, 0) + 1
        now = self._clock()
        last = self._last_sent.get(key)
        if last is not None and now - last < self._interval:
            return
        count = self._pending.pop(key)
        self._last_sent[key] = now
        body = notice_body(route.upstream_type, route.name, rule, count)
        try:
            await self._append(route.name, jsonio.dumps(body).encode("utf-8"), routing_key=None)
        except SanitizerError as exc:
            self._pending[key] = self._pending.get(key, 0) + count
            log.warning(
                "refusal notice not queued",
                extra={"route": route.name, "rule": rule, "reason": exc.code},
            )
            return
        self._on_queued(route.name)
