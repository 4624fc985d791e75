"""What one loaded config becomes at run time: routes with their policy and sender.

A `Runtime` is built whole from `Settings` and swapped whole on reload, so a request always
sees one consistent set of routes, policies and upstreams.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sanitizer.policy.apply import Policy
from sanitizer.proxy.config import RouteSettings, Settings
from sanitizer.proxy.upstreams import Contract, Upstream, build_upstream, contract_for
from sanitizer.proxy.upstreams.registry import contract_type


@dataclass(frozen=True)
class LiveRoute:
    name: str
    policy: Policy
    sender: Upstream
    upstream_type: str
    on_refusal: str
    contract: Contract | None
    credential_digests: tuple[bytes, ...] = field(repr=False)
    shadow: Policy | None = None  # run beside `policy`, never delivered (sanitizer.proxy.shadow)


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    routes: Mapping[str, LiveRoute]

    def sender(self, route: str) -> Upstream | None:
        live = self.routes.get(route)
        return None if live is None else live.sender

    async def aclose(self) -> None:
        for route in self.routes.values():
            await route.sender.aclose()


def _live_route(
    route: RouteSettings, environ: Mapping[str, str] | None, transport: Any
) -> LiveRoute:
    return LiveRoute(
        name=route.name,
        policy=route.policy,
        sender=build_upstream(
            route.upstream, route=route.name, environ=environ, transport=transport
        ),
        upstream_type=str(route.upstream["type"]),
        on_refusal=route.on_refusal,
        contract=contract_for(
            contract_type(route.upstream),
            truncate=route.contract_truncate,
            marker=route.contract_marker,
        ),
        credential_digests=tuple(hashlib.sha256(t).digest() for t in route.credentials),
        shadow=route.shadow_policy,
    )


def build_runtime(
    settings: Settings, *, environ: Mapping[str, str] | None = None, transport: Any = None
) -> Runtime:
    """Build every route's sender; raises `ConfigError` for a bad upstream section."""
    return Runtime(
        settings=settings,
        routes={
            name: _live_route(route, environ, transport) for name, route in settings.routes.items()
        },
    )
