"""`GET /api/routes` (each route's policy, its digest, upstream type and the last reload) and
`GET /api/samples` (built-in example alerts for the playground: no user's data)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sanitizer.console.context import ConsoleContext
from sanitizer.demo import SAMPLES
from sanitizer.policy.apply import Policy


def _policy(policy: Policy | None) -> dict[str, str] | None:
    return None if policy is None else {"name": policy.name, "digest": policy.digest}


async def list_routes(request: Request, context: ConsoleContext) -> Response:
    runtime = context.runtime()
    routes = []
    for name, live in sorted(runtime.routes.items()):
        routes.append(
            {
                "name": name,
                "policy": _policy(live.policy),
                "upstream": {
                    "type": live.upstream_type,
                    "contract": None if live.contract is None else live.contract.upstream_type,
                },
                "on_refusal": live.on_refusal,
                "shadow_policy": context.shadow_summary(live),
            }
        )
    return JSONResponse({"routes": routes, "reload": context.reload.to_json()})


async def list_samples(request: Request, context: ConsoleContext) -> Response:
    """The demo's alerts; `route` names the route of the same name when this proxy has one."""
    routes = context.runtime().routes
    samples: list[dict[str, Any]] = [
        {
            "name": name,
            "description": description,
            "route": name if name in routes else None,
            "alert": alert,
        }
        for name, description, alert in SAMPLES
    ]
    return JSONResponse({"samples": samples})
