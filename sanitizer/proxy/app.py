"""The HTTP shell: authenticate → read and parse → sanitize → upstream contract → queue → 202.

Ingress:
  POST /integrations/generic/20131114/alert/{key}/{routing_key}   VictorOps REST URL shape;
       {key} is one of a route's inbound credentials (the real API key lives only upstream)
  POST /v1/alerts/{route}   with `Authorization: Bearer <credential>`
  GET  /healthz  /readyz  /metrics

Every error is a JSON body `{"error": code, "message": ...}` with the status the error carries
(`sanitizer.errors`), and nothing is queued. Overload and spool trouble answer 503 with
Retry-After, never a 4xx: senders treat a 4xx as final and would drop the alert.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sanitizer import jsonio
from sanitizer.errors import (
    AuthError,
    BodyTimeout,
    BodyTooLarge,
    InputError,
    NotFound,
    Refusal,
    SanitizerError,
    Unavailable,
    UnsupportedMediaType,
)
from sanitizer.proxy.metrics import Metrics
from sanitizer.proxy.runtime import LiveRoute, Runtime
from sanitizer.proxy.spool import Spool
from sanitizer.proxy.upstreams import RefusalNotices

log = logging.getLogger("sanitizer.proxy")
VICTOROPS_PATH = "/integrations/generic/20131114/alert/{key}/{routing_key}"


def _digest(token: str | bytes) -> bytes:
    data = token.encode("utf-8", "surrogatepass") if isinstance(token, str) else token
    return hashlib.sha256(data).digest()


def find_route_by_credential(runtime: Runtime, candidate: str) -> LiveRoute | None:
    """The route owning `candidate`, comparing against every credential in constant time."""
    wanted = _digest(candidate)
    found = None
    for route in runtime.routes.values():
        for digest in route.credential_digests:
            if hmac.compare_digest(wanted, digest) and found is None:
                found = route
    return found


def _check_content_type(request: Request) -> None:
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


async def _read_body(request: Request, limit: int, timeout: float) -> bytes:
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


def error_response(exc: SanitizerError) -> JSONResponse:
    headers = {}
    if isinstance(exc, Unavailable):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(exc.to_json(), status_code=exc.status, headers=headers)


@dataclass
class Proxy:
    """The Starlette app plus what it needs; `runtime` is swapped whole on reload."""

    runtime: Runtime
    spool: Spool
    metrics: Metrics
    wake_delivery: Callable[[], None]
    notices: RefusalNotices | None = None

    def build_app(self, lifespan: Any = None) -> Starlette:
        return Starlette(
            routes=[
                Route(VICTOROPS_PATH, self.victorops_ingress, methods=["POST"]),
                Route("/v1/alerts/{route}", self.bearer_ingress, methods=["POST"]),
                Route("/healthz", self.healthz, methods=["GET"]),
                Route("/readyz", self.readyz, methods=["GET"]),
                Route("/metrics", self.metrics_endpoint, methods=["GET"]),
            ],
            exception_handlers={404: self._not_found, 405: self._not_allowed},
            lifespan=lifespan,
        )

    async def _not_found(self, request: Request, exc: Exception) -> Response:
        return error_response(NotFound("no such endpoint; alerts go to /v1/alerts/{route}"))

    async def _not_allowed(self, request: Request, exc: Exception) -> Response:
        return JSONResponse(
            {"error": "method_not_allowed", "message": "use POST for alerts, GET for status"},
            status_code=405,
        )

    async def victorops_ingress(self, request: Request) -> Response:
        route = find_route_by_credential(self.runtime, request.path_params["key"])
        if route is None:
            self.metrics.refused.labels("-", "unauthorized").inc()
            return error_response(
                AuthError("unknown credential in the URL; use a route's inbound credential")
            )
        routing_key = request.path_params["routing_key"]
        if routing_key.strip() in ("", ".", ".."):
            self.metrics.refused.labels(route.name, "bad_request").inc()
            return error_response(
                InputError(
                    "the routing key in the URL is empty or a dot segment; name a VictorOps "
                    "routing key"
                )
            )
        return await self._accept(request, route, routing_key)

    async def bearer_ingress(self, request: Request) -> Response:
        name = request.path_params["route"]
        route = self.runtime.routes.get(name)
        if route is None:
            self.metrics.refused.labels("-", "not_found").inc()
            return error_response(NotFound("no such route; check the URL's route name"))
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            self.metrics.refused.labels(name, "unauthorized").inc()
            return error_response(
                AuthError("missing credential; send 'Authorization: Bearer <token>'")
            )
        owner = find_route_by_credential(self.runtime, token.strip())
        if owner is None or owner.name != name:
            self.metrics.refused.labels(name, "unauthorized").inc()
            return error_response(AuthError("the credential is not valid for this route"))
        return await self._accept(request, route, None)

    async def _accept(
        self, request: Request, route: LiveRoute, routing_key: str | None
    ) -> Response:
        started = time.perf_counter()
        name = route.name
        self.metrics.received.labels(name).inc()
        limits = self.runtime.settings.limits
        try:
            _check_content_type(request)
            data = await _read_body(request, limits.max_body_bytes, limits.read_timeout)
            doc = jsonio.parse(
                data,
                max_bytes=limits.max_body_bytes,
                max_depth=limits.max_depth,
                require_object=True,
            )
            result = route.policy.apply(doc)
            payload = result.payload
            if route.contract is not None:
                payload = route.contract.check(payload)
            body = jsonio.dumps(payload).encode("utf-8")
            alert_id = await self.spool.append(name, body, routing_key=routing_key)
        except Refusal as exc:
            self.metrics.refused.labels(name, "refused").inc()
            self.metrics.rule_refusals.labels(name, exc.rule).inc()
            log.warning(
                "alert refused by policy",
                extra={"route": name, "rule": exc.rule, "outcome": "refused", "status": 422},
            )
            if self.notices is not None:
                await self.notices.refused(route, exc.rule)
            return error_response(exc)
        except SanitizerError as exc:
            self.metrics.refused.labels(name, exc.code).inc()
            log.info(
                "alert not accepted",
                extra={"route": name, "outcome": exc.code, "status": exc.status},
            )
            return error_response(exc)
        hits = result.hits_by_rule()
        for rule, count in hits.items():
            self.metrics.rule_hits.labels(name, rule).inc(count)
        self.metrics.queued.labels(name).inc()
        self.wake_delivery()
        elapsed = time.perf_counter() - started
        self.metrics.request_seconds.labels(name).observe(elapsed)
        log.info(
            "alert queued",
            extra={
                "alert_id": alert_id,
                "route": name,
                "outcome": "queued",
                "rule_hits": hits,
                "duration_ms": round(elapsed * 1000, 3),
            },
        )
        return JSONResponse({"id": alert_id}, status_code=202)

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(self, request: Request) -> Response:
        writable = self.spool.writable()
        ready = bool(self.runtime.routes) and writable
        self.metrics.ready.set(1 if ready else 0)
        body = {"ready": ready, "routes": sorted(self.runtime.routes), "spool_writable": writable}
        return JSONResponse(body, status_code=200 if ready else 503)

    async def metrics_endpoint(self, request: Request) -> Response:
        return Response(
            self.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8"
        )
