"""VictorOps' REST URL shape: POST /integrations/generic/20131114/alert/{key}/{routing_key}.

{key} is one of a route's inbound credentials (the real API key lives only upstream); the
routing key travels with the queued alert to the upstream's own URL.

Both are read from the path as sent (`raw_path`), split at its `/` and then percent-decoded
one segment at a time, so a credential holding `/` works when written `%2F` (the server's
decoded path would make it two segments). `+` is literal in a path; `%2B` decodes to `+`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sanitizer.errors import AuthError, InputError, NotFound, SanitizerError
from sanitizer.proxy.credentials import UNKNOWN, find_route_by_credential, log_refused_credential
from sanitizer.proxy.ingress.answers import accepted_response, error_response
from sanitizer.proxy.intake import accept, read_json

if TYPE_CHECKING:
    from sanitizer.proxy.app import Proxy

PREFIX = "/integrations/generic/20131114/alert"
PATH = f"{PREFIX}/{{key}}/{{routing_key}}"
_PREFIX_SEGMENTS = PREFIX.split("/")


def path_segments(request: Request) -> tuple[str, str] | None:
    """The credential and routing key of the URL, each percent-decoded on its own; None when
    the path is not exactly the prefix and two segments, or a segment is not UTF-8."""
    raw = request.scope.get("raw_path")
    if raw is None:  # a server without raw_path: the decoded path is all there is
        segments = [s.encode("utf-8") for s in request.scope["path"].split("/")]
    else:
        segments = [unquote_to_bytes(s) for s in bytes(raw).split(b"/")]
    try:
        texts = [segment.decode("utf-8") for segment in segments]
    except UnicodeDecodeError:
        return None
    if len(texts) != len(_PREFIX_SEGMENTS) + 2 or texts[:-2] != _PREFIX_SEGMENTS:
        return None
    return texts[-2], texts[-1]


def routes(proxy: Proxy) -> list[Route]:
    async def ingress(request: Request) -> Response:
        runtime = proxy.runtime
        segments = path_segments(request)
        if segments is None:
            proxy.metrics.refused.labels("-", "not_found").inc()
            return error_response(
                NotFound(f"no such endpoint; VictorOps alerts go to {PREFIX}/<key>/<routing key>")
            )
        key, routing_key = segments
        route = find_route_by_credential(runtime, key)
        if route is None:
            proxy.metrics.refused.labels("-", "unauthorized").inc()
            log_refused_credential(PATH, UNKNOWN)
            return error_response(
                AuthError("unknown credential in the URL; use a route's inbound credential")
            )
        if routing_key.strip() in ("", ".", "..") or "/" in routing_key:
            proxy.metrics.refused.labels(route.name, "bad_request").inc()
            return error_response(
                InputError(
                    "the routing key in the URL is empty, a dot segment or holds '/'; name a "
                    "VictorOps routing key"
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

    # {rest:path} so that a %2F-encoded "/" inside a credential still reaches `ingress`,
    # which reads the segments from the raw path itself.
    return [Route(f"{PREFIX}/{{rest:path}}", ingress, methods=["POST"])]


__all__ = ["PATH", "PREFIX", "path_segments", "routes"]
