"""The HTTP shell: the ingress shapes, health, readiness and metrics in one Starlette app.

Ingress (one module each in `sanitizer.proxy.ingress`, all through `sanitizer.proxy.intake`):
  POST /integrations/generic/20131114/alert/{key}/{routing_key}   VictorOps REST URL shape;
       {key} is one of a route's inbound credentials (the real API key lives only upstream),
       each segment percent-decoded on its own (a credential's "/" travels as %2F)
  POST /v1/alerts/{route}   with `Authorization: Bearer <credential>`
  POST /v2/enqueue, /v2/change/enqueue   PagerDuty Events API v2; the body's `routing_key` is
       the credential, removed before the policy; PagerDuty's own answers
  POST /data/v2/alerts   BigPanda's alerts API; `Authorization: Bearer <credential>`, the
       body's `app_key` removed before the policy; 201 as BigPanda answers
  GET  /healthz  /readyz  /metrics   (/readyz names the routes only to the admin token)

Every error is a JSON body with the status the error carries (`sanitizer.errors`), and
nothing is queued: `{"error": code, "message": ...}`, or PagerDuty's `{"status", "message",
"errors"}` on its paths. Overload and spool trouble answer 503 with Retry-After, never a 4xx:
senders treat a 4xx as final and would drop the alert.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sanitizer.console.auth import bearer as bearer_credential
from sanitizer.console.auth import token_matches
from sanitizer.errors import NotFound
from sanitizer.proxy.ingress import bearer, bigpanda, pagerduty, victorops
from sanitizer.proxy.ingress.answers import error_response
from sanitizer.proxy.metrics import Metrics
from sanitizer.proxy.runtime import Runtime
from sanitizer.proxy.spool import SpoolBackend
from sanitizer.proxy.upstreams import RefusalNotices

if TYPE_CHECKING:
    from sanitizer.console.tap import TapHub
    from sanitizer.proxy.policyworker import PolicyWorkers


@dataclass
class Proxy:
    """The Starlette app plus what it needs; `runtime` is swapped whole on reload."""

    runtime: Runtime
    spool: SpoolBackend
    metrics: Metrics
    wake_delivery: Callable[[], None]
    notices: RefusalNotices | None = None
    tap: TapHub | None = None  # the console's live tap, when the console is on
    workers: PolicyWorkers | None = None  # the sanitizing worker process, when on

    def build_app(self, lifespan: Any = None) -> Starlette:
        return Starlette(
            routes=[
                *victorops.routes(self),
                *bearer.routes(self),
                *pagerduty.routes(self),
                *bigpanda.routes(self),
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

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(self, request: Request) -> Response:
        """Ready or not (200/503); route names only for a request with the admin token as
        Bearer, the count of routes for anyone."""
        writable = self.spool.writable()
        routes = self.runtime.routes
        ready = bool(routes) and writable
        self.metrics.ready.set(1 if ready else 0)
        body: dict[str, Any] = {"ready": ready, "route_count": len(routes)}
        admin = self.runtime.settings.admin
        if admin is not None and token_matches(bearer_credential(request), admin.token):
            body["routes"] = sorted(routes)
        body["spool_writable"] = writable
        return JSONResponse(body, status_code=200 if ready else 503)

    async def metrics_endpoint(self, request: Request) -> Response:
        return Response(
            self.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8"
        )
