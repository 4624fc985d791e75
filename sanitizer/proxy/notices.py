"""Fail closed, but not silent: value-free stand-in alerts for refused alerts.

A route with `on_refusal: notify` queues, at most once per `interval` seconds for each
(route, rule), an alert in its upstream's own shape that says only: which route, which rule,
how many alerts were withheld since the last notice. Its entity id is stable per route and
rule, so the upstream groups the notices into one incident. Refusals in between are counted
and reported by the next notice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sanitizer import jsonio
from sanitizer.errors import SanitizerError

log = logging.getLogger("sanitizer.notices")


def notice_body(upstream_type: str, route: str, rule: str, count: int) -> dict[str, Any]:
    """The stand-in alert for `count` refusals, shaped for the route's upstream."""
    entity = f"alert-sanitizer/refused/{route}/{rule}"
    summary = (
        f"{count} alert(s) on route {route} withheld by the sanitizer: rule {rule} refused "
        "them. The originals were not forwarded; check the sanitizer's logs and policy."
    )
    if upstream_type == "pagerduty":
        return {
            "event_action": "trigger",
            "dedup_key": entity,
            "payload": {
                "summary": summary[:1024],
                "source": "alert-sanitizer",
                "severity": "warning",
                "custom_details": {"route": route, "rule": rule, "count": count},
            },
        }
    if upstream_type == "bigpanda":
        return {
            "status": "warning",
            "host": "alert-sanitizer",
            "check": f"refused/{route}/{rule}",
            "description": summary,
        }
    return {
        "message_type": "WARNING",
        "entity_id": entity,
        "entity_display_name": f"Alerts withheld on route {route} (rule {rule})",
        "state_message": summary,
        "monitoring_tool": "alert-sanitizer",
    }


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
