"""VictorOps' REST URL shape: POST /integrations/generic/20131114/alert/{key}/{routing_key}.

{key} is one of a route's inbound credentials (the real API key lives only upstream); the
routing key travels with the queued alert to the upstream's own URL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sanitizer.errors import AuthError, InputError, SanitizerError
from sanitizer.proxy.credentials import find_route_by_credential
from sanitizer.proxy.ingress.answers import accepted_response, error_response
from sanitizer.proxy.intake import accept, read_json

if TYPE_CHECKING:
    from sanitizer.proxy.app import Proxy

PATH = "/integrations/generic/20131114/alert/{key}/{routing_key}"


def routes(proxy: Proxy) -> list[Route]:
    async def ingress(request: Request) -> Response:
        runtime = proxy.runtime
        route = find_route_by_credential(runtime, request.path_params["key"])
        if route is None:
            proxy.metrics.refused.labels("-", "unauthorized").inc()
            return error_response(
                AuthError("unknown credential in the URL; use a route's inbound credential")
            )
        routing_key = request.path_params["routing_key"]
        if routing_key.strip() in ("", ".", ".."):
            proxy.metrics.refused.labels(route.name, "bad_request").inc()
            return error_response(
                InputError(
                    "the routing key in the URL is empty or a dot segment; name a VictorOps "
                    "routing key"
                )
            )
        try:
            accepted = await accept(
                proxy,
                route,
                lambda: read_json(request, runtime.settings.limits),
                routing_key=routing_key,
            )
        except SanitizerError as exc:
            return error_response(exc)
        return accepted_response(accepted)

    return [Route(PATH, ingress, methods=["POST"])]


__all__ = ["PATH", "routes"]
