"""The proxy's own shape: POST /v1/alerts/{route} with `Authorization: Bearer <credential>`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sanitizer.errors import AuthError, NotFound, SanitizerError
from sanitizer.proxy.credentials import (
    MISSING,
    OTHER_ROUTE,
    UNKNOWN,
    find_route_by_credential,
    log_refused_credential,
)
from sanitizer.proxy.ingress.answers import accepted_response, error_response
from sanitizer.proxy.intake import accept, read_json

if TYPE_CHECKING:
    from sanitizer.proxy.app import Proxy

PATH = "/v1/alerts/{route}"


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header, or None when there is none."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def routes(proxy: Proxy) -> list[Route]:
    async def ingress(request: Request) -> Response:
        runtime = proxy.runtime
        name = request.path_params["route"]
        route = runtime.routes.get(name)
        if route is None:
            proxy.metrics.refused.labels("-", "not_found").inc()
            return error_response(NotFound("no such route; check the URL's route name"))
        token = bearer_token(request)
        if token is None:
            proxy.metrics.refused.labels(name, "unauthorized").inc()
            log_refused_credential(PATH, MISSING, name)
            return error_response(
                AuthError("missing credential; send 'Authorization: Bearer <token>'")
            )
        owner = find_route_by_credential(runtime, token)
        if owner is None or owner.name != name:
            proxy.metrics.refused.labels(name, "unauthorized").inc()
            log_refused_credential(PATH, UNKNOWN if owner is None else OTHER_ROUTE, name)
            return error_response(AuthError("the credential is not valid for this route"))
        try:
            accepted = await accept(
                proxy, route, lambda: read_json(request, runtime.settings.limits)
            )
        except SanitizerError as exc:
            return error_response(exc)
        return accepted_response(accepted)

    return [Route(PATH, ingress, methods=["POST"])]
