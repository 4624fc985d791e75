"""BigPanda's alerts API: POST /data/v2/alerts with `Authorization: Bearer <token>`.

The bearer token is the inbound credential and picks the route (the Logz.io → BigPanda path:
Logz.io's BigPanda notification endpoint pointed here). The body's `app_key` (top level, and
in each element of a batch's `alerts`) is removed before the policy sees it; the route's
upstream sets its own. BigPanda answers a new alert with 201 Created; so does this shape,
with the proxy's usual `{"id"}` / `{"ids"}` body. Errors are the proxy's own JSON bodies with
the conventional statuses BigPanda documents (400, 401, 5xx). BigPanda's `?access_token=`
query parameter is not taken: a credential in a URL query ends up in access logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sanitizer.errors import AuthError, SanitizerError
from sanitizer.proxy.credentials import (
    MISSING,
    UNKNOWN,
    find_route_by_credential,
    log_refused_credential,
)
from sanitizer.proxy.ingress.answers import accepted_response, error_response
from sanitizer.proxy.ingress.bearer import bearer_token
from sanitizer.proxy.intake import accept, read_json

if TYPE_CHECKING:
    from sanitizer.proxy.app import Proxy

PATH = "/data/v2/alerts"
APP_KEY = "app_key"


def without_app_key(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with the sender's `app_key` removed, at the top and in each batched alert."""
    doc.pop(APP_KEY, None)
    batch = doc.get("alerts")
    if isinstance(batch, list):
        for alert in batch:
            if isinstance(alert, dict):
                alert.pop(APP_KEY, None)
    return doc


def routes(proxy: Proxy) -> list[Route]:
    async def ingress(request: Request) -> Response:
        runtime = proxy.runtime
        token = bearer_token(request)
        route = None if token is None else find_route_by_credential(runtime, token)
        if route is None:
            proxy.metrics.refused.labels("-", "unauthorized").inc()
            log_refused_credential(PATH, MISSING if token is None else UNKNOWN)
            return error_response(
                AuthError(
                    "missing or unknown credential; send 'Authorization: Bearer <token>' "
                    "with a route's inbound credential"
                )
            )

        async def load() -> Any:
            return without_app_key(await read_json(request, runtime.settings.limits))

        try:
            accepted = await accept(proxy, route, load)
        except SanitizerError as exc:
            return error_response(exc)
        answer = accepted_response(accepted)
        answer.status_code = 201  # BigPanda's "Created"
        return answer

    return [Route(PATH, ingress, methods=["POST"])]


__all__ = ["PATH", "routes", "without_app_key"]
