"""PagerDuty Events API v2: POST /v2/enqueue (alert events) and /v2/change/enqueue (change events).

The body's `routing_key` is the inbound credential: it picks the route (compared in constant
time like every credential) and is removed before the policy sees the event, so it never
leaves; the route's upstream sets its own key on the way out.

Answers are PagerDuty's, so senders' retry logic works unchanged (they retry 429 and 5xx and
drop on any other 4xx):

    202 {"status": "success", "message": "Event processed", "dedup_key": K}   alert event
    202 {"status": "success", "message": "Change event processed"}            change event
    400 {"status": "invalid event", "message": M, "errors": [...]}            anything refused
    503 {"status": "unavailable", "message": M, "errors": []} + Retry-After   spool full/broken

Every refusal (unknown routing key, a body that is not JSON, too large or not
`application/json`, an event of the wrong shape, the policy or the receiver's contract
refusing it) answers 400, the only final status PagerDuty documents; `errors` says which, in
words that never quote a value. `K` is the sender's own dedup_key: the one it sent, or for a
trigger without one a new one (a UUID, as PagerDuty makes), written into the event before
the policy runs, so the upstream event carries the same key as every later acknowledge or
resolve that quotes it (after the policy's own transformation, e.g. a keyed hash). A change
event reaches the policy as `event_action: change`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeGuard

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sanitizer.errors import InputError, Refusal, SanitizerError
from sanitizer.proxy.credentials import (
    MISSING,
    UNKNOWN,
    find_route_by_credential,
    log_refused_credential,
)
from sanitizer.proxy.ingress.answers import retry_after_headers
from sanitizer.proxy.intake import accept, read_json
from sanitizer.proxy.upstreams.pagerduty import (
    ACTIONS,
    CHANGE,
    DEDUP_KEY_MAX,
    SEVERITIES,
    TRIGGER,
)

if TYPE_CHECKING:
    from sanitizer.proxy.app import Proxy

ENQUEUE = "/v2/enqueue"
CHANGE_ENQUEUE = "/v2/change/enqueue"

INVALID = "invalid event"
INVALID_MESSAGE = "Event object is invalid"
UNKNOWN_ROUTING_KEY = "Invalid routing key"


@dataclass
class Event:
    """One event as received, minus its routing key; what was wrong with it, once checked."""

    doc: dict[str, Any]
    dedup_key: str | None = None
    problems: list[str] = field(default_factory=list)


def _text(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def _payload_problems(doc: dict[str, Any], *, trigger: bool) -> list[str]:
    payload = doc.get("payload")
    if not isinstance(payload, dict):
        return ["'payload' is missing or not an object"]
    required = ("summary", "source") if trigger else ("summary",)
    problems = [
        f"'payload.{name}' is missing or blank" for name in required if not _text(payload.get(name))
    ]
    if trigger:
        severity = payload.get("severity")
        if not _text(severity):
            problems.append("'payload.severity' is missing or blank")
        elif severity.lower() not in SEVERITIES:
            problems.append(
                f"'payload.severity' is invalid (must be one of: {', '.join(SEVERITIES)})"
            )
    return problems


def check_alert_event(event: Event) -> None:
    """PagerDuty's minimal shape of an alert event; fills `dedup_key` (generating one for a
    trigger that has none) and `problems`."""
    doc = event.doc
    action = doc.get("event_action")
    if not _text(action):
        event.problems.append("'event_action' is missing or blank")
        return
    action = action.lower()
    if action not in ACTIONS:
        event.problems.append(f"'event_action' is invalid (must be one of: {', '.join(ACTIONS)})")
        return
    dedup = doc.get("dedup_key")
    if dedup is None or dedup == "":
        if action != TRIGGER:
            event.problems.append(f"'dedup_key' is required for {action} events")
        else:
            dedup = doc["dedup_key"] = str(uuid.uuid4())
    elif not isinstance(dedup, str) or len(dedup) > DEDUP_KEY_MAX:
        event.problems.append(f"'dedup_key' must be a string of at most {DEDUP_KEY_MAX} characters")
    if action == TRIGGER:
        event.problems.extend(_payload_problems(doc, trigger=True))
    if not event.problems:
        event.dedup_key = dedup


def check_change_event(event: Event) -> None:
    """PagerDuty's minimal shape of a change event: a payload with a summary. The event is
    marked `event_action: change` (PagerDuty tells it by its URL), so the policy can tell it
    apart and the upstream sends it to PagerDuty's change-event endpoint."""
    event.problems.extend(_payload_problems(event.doc, trigger=False))
    event.doc["event_action"] = CHANGE


def invalid_event(errors: list[str], message: str = INVALID_MESSAGE) -> JSONResponse:
    return JSONResponse({"status": INVALID, "message": message, "errors": errors}, status_code=400)


def error_answer(exc: SanitizerError, problems: list[str]) -> JSONResponse:
    """PagerDuty's shape for one of our errors: 5xx (retried) stays, every other is a 400."""
    if exc.status >= 500:
        body = {"status": "unavailable", "message": exc.message, "errors": []}
        return JSONResponse(body, status_code=exc.status, headers=retry_after_headers(exc))
    if isinstance(exc, Refusal):
        return invalid_event(
            [f"{exc.message} (rule {exc.rule})"], "Event refused by the sanitizing proxy's policy"
        )
    return invalid_event(problems or [exc.message])


def routes(proxy: Proxy) -> list[Route]:
    async def receive(request: Request, check: Callable[[Event], None]) -> Event | Response:
        """The event queued, or the answer saying why not."""
        runtime = proxy.runtime
        try:
            doc = await read_json(request, runtime.settings.limits)
        except SanitizerError as exc:
            proxy.metrics.refused.labels("-", exc.code).inc()
            return error_answer(exc, [])
        routing_key = doc.pop("routing_key", None)
        route = find_route_by_credential(runtime, routing_key) if _text(routing_key) else None
        if route is None:
            proxy.metrics.refused.labels("-", "unauthorized").inc()
            problem = UNKNOWN if _text(routing_key) else MISSING
            log_refused_credential(request.url.path, problem, status=400)
            return invalid_event([UNKNOWN_ROUTING_KEY])
        event = Event(doc)

        async def load() -> Any:
            check(event)
            if event.problems:
                raise InputError("not a PagerDuty event: " + "; ".join(event.problems))
            return event.doc

        try:
            await accept(proxy, route, load)
        except SanitizerError as exc:
            return error_answer(exc, event.problems)
        return event

    async def enqueue(request: Request) -> Response:
        event = await receive(request, check_alert_event)
        if isinstance(event, Response):
            return event
        answer = {"status": "success", "message": "Event processed", "dedup_key": event.dedup_key}
        return JSONResponse(answer, status_code=202)

    async def change_enqueue(request: Request) -> Response:
        event = await receive(request, check_change_event)
        if isinstance(event, Response):
            return event
        answer = {"status": "success", "message": "Change event processed"}
        return JSONResponse(answer, status_code=202)

    return [
        Route(ENQUEUE, enqueue, methods=["POST"]),
        Route(CHANGE_ENQUEUE, change_enqueue, methods=["POST"]),
    ]


__all__ = ["CHANGE_ENQUEUE", "ENQUEUE", "check_alert_event", "check_change_event", "routes"]
