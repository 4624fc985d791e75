"""From a route and a request body to durable, sanitized alerts: the steps every ingress shares.

read the body (JSON, within limits) → sanitize (the route's policy, then its upstream contract,
for each alert of the body: one, or one per element with the policy's `split:`) → queue them
all in one spool commit (durable before anyone answers 2xx; all of a body or none) → count,
log value-free (one line per alert), wake delivery.
A small body's policy runs in the sanitizing worker process when there is one
(`sanitizer.proxy.policyworker`), so the event loop's core is free for intake and delivery.
A large body is parsed, sanitized and serialised on a worker thread, its turn bounding memory
(`sanitizer.proxy.offload`): the event loop stays free for other senders and /healthz.
An ingress module authenticates, picks the route, and shapes the answer its senders expect; it
calls `accept`, which raises a `SanitizerError` (already counted and logged) or returns the
queued alerts' ids.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from starlette.requests import Request

from sanitizer import jsonio
from sanitizer.errors import (
    BodyTimeout,
    BodyTooLarge,
    Refusal,
    SanitizerError,
    UnsupportedMediaType,
)
from sanitizer.proxy.config import Limits
from sanitizer.proxy.offload import LARGE_BODY_BYTES, OFFLOAD
from sanitizer.proxy.runtime import LiveRoute
from sanitizer.proxy.shadow import watch

if TYPE_CHECKING:
    from sanitizer.proxy.app import Proxy
    from sanitizer.proxy.policyworker import PolicyWorkers

log = logging.getLogger("sanitizer.proxy")


def check_content_type(request: Request) -> None:
    raw = request.headers.get("content-type", "")
    media, _, params = raw.partition(";")
    media = media.strip().lower()
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        raise UnsupportedMediaType("send the alert as JSON with 'Content-Type: application/json'")
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            raise UnsupportedMediaType("only UTF-8 JSON is accepted; use charset=utf-8")


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """Read the body while counting, so an oversize body is refused before it is all read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"the body is larger than the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge(f"the body is larger than the limit of {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise BodyTimeout(
            f"the body did not arrive within {timeout:g} seconds; send it in one go"
        ) from None
    return b"".join(chunks)


async def read_json(request: Request, limits: Limits) -> Any:
    """The request's body as a JSON object, or an `InputError` naming what is wrong. A large
    body first waits for its turn (`Unavailable` when too many wait), then is parsed on the
    worker thread; the turn lasts until `accept` has serialised it."""
    check_content_type(request)
    data = await read_body(request, limits.max_body_bytes, limits.read_timeout)
    parse = functools.partial(
        jsonio.parse,
        data,
        max_bytes=limits.max_body_bytes,
        max_depth=limits.max_depth,
        require_object=True,
    )
    if len(data) < LARGE_BODY_BYTES:
        return parse()
    await OFFLOAD.begin_turn()
    try:
        return await OFFLOAD.run(parse)
    except BaseException:
        OFFLOAD.end_turn()
        raise


@dataclass(frozen=True)
class Accepted:
    """What was queued for one request: one id per alert, in the order of the body. `split`:
    the route's policy splits bodies, so the answer lists ids even for a body of one alert."""

    ids: list[str]
    split: bool = False


class SanitizedAlert(NamedTuple):
    """One alert ready to queue: its serialised body and its changes by rule."""

    body: bytes
    hits: dict[str, int]


def sanitize(route: LiveRoute, doc: Any) -> list[SanitizedAlert]:
    """The route's policy, then its upstream's contract, for each alert of the body (itself,
    or one per element with the policy's `split:`): the bodies to queue and their changes,
    in order; `Refusal` for the whole body when any one alert is refused."""
    contract = route.contract
    results = route.policy.apply_all(doc, then=None if contract is None else contract.check)
    return [
        SanitizedAlert(jsonio.dumps(result.payload).encode("utf-8"), result.hits_by_rule())
        for result in results
    ]


async def _load_and_sanitize(
    workers: PolicyWorkers | None, route: LiveRoute, load: Callable[[], Awaitable[Any]]
) -> list[SanitizedAlert]:
    """The body's alerts sanitized: on the worker thread when its body took a turn (it is
    large), in the worker process when there is one, inline otherwise. The turn ends here,
    whatever happens."""
    try:
        doc = await load()
        if OFFLOAD.holds_turn():
            return await OFFLOAD.run(sanitize, route, doc)
        if workers is not None:
            return await workers.sanitize(route, doc)
        return sanitize(route, doc)
    finally:
        OFFLOAD.end_turn()


async def accept(
    proxy: Proxy,
    route: LiveRoute,
    load: Callable[[], Awaitable[Any]],
    *,
    routing_key: str | None = None,
) -> Accepted:
    """Load the body, sanitize each of its alerts and queue them all durably in one commit;
    raise a counted, logged error if not (then nothing of the body is queued). The body is
    sanitized with `route` as it was when the request began, even if a reload swaps it."""
    started = time.perf_counter()
    name = route.name
    metrics = proxy.metrics
    metrics.series(metrics.received, name).inc()
    shadow = watch(metrics, route, load)
    try:
        sanitized = await _load_and_sanitize(proxy.workers, route, shadow.load)
        ids = await proxy.spool.append_many(
            name, [alert.body for alert in sanitized], routing_key=routing_key
        )
    except Refusal as exc:
        shadow.compare(exc)
        metrics.refused.labels(name, "refused").inc()
        metrics.rule_refusals.labels(name, exc.rule).inc()
        if proxy.tap is not None:
            proxy.tap.refused(name)
        log.warning(
            "alert refused by policy",
            extra={"route": name, "rule": exc.rule, "outcome": "refused", "status": exc.status},
        )
        if proxy.notices is not None:
            await proxy.notices.refused(route, exc.rule)
        raise
    except SanitizerError as exc:
        metrics.refused.labels(name, exc.code).inc()
        log.info(
            "alert not accepted",
            extra={"route": name, "outcome": exc.code, "status": exc.status},
        )
        raise
    proxy.wake_delivery()
    shadow.compare(sanitized)
    elapsed = time.perf_counter() - started
    metrics.series(metrics.request_seconds, name).observe(elapsed)
    logging_queued = log.isEnabledFor(logging.INFO)
    for alert_id, alert in zip(ids, sanitized, strict=True):
        for rule, count in alert.hits.items():
            metrics.series(metrics.rule_hits, name, rule).inc(count)
        metrics.series(metrics.queued, name).inc()
        if logging_queued:
            log.info(
                "alert queued",
                extra={
                    "alert_id": alert_id,
                    "route": name,
                    "outcome": "queued",
                    "rule_hits": alert.hits,
                    "duration_ms": round(elapsed * 1000, 3),
                },
            )
    if proxy.tap is not None:  # the console's tap: counts, and the alerts while one listens
        proxy.tap.queued(name, ids, lambda: (alert.body for alert in sanitized))
    return Accepted(ids, split=route.policy.split is not None)
