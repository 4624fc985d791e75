"""The one list of receiver types: config, the CLI's choices, contracts and notices read it.

A new receiver is one module ending in an `UpstreamType` record, plus its line in `_TYPES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sanitizer.errors import ConfigError
from sanitizer.proxy.pacing import parse_rate
from sanitizer.proxy.upstreams import bigpanda, capture, pagerduty, victorops, webhook
from sanitizer.proxy.upstreams.config import UpstreamConfig
from sanitizer.proxy.upstreams.contract import DEFAULT_MARKER, Contract, RequiredField
from sanitizer.proxy.upstreams.http import HttpSender
from sanitizer.proxy.upstreams.notices import Notice
from sanitizer.proxy.upstreams.upstream import Upstream, UpstreamType

if TYPE_CHECKING:
    import httpx

_TYPES = (
    victorops.TYPE,
    webhook.TYPE,
    bigpanda.TYPE,
    pagerduty.TYPE,
    capture.TYPE,
)

REGISTRY: Mapping[str, UpstreamType] = MappingProxyType({kind.name: kind for kind in _TYPES})
# Every type, in the order messages list them; and those whose payloads have a contract.
UPSTREAM_TYPES = tuple(REGISTRY)
CONTRACT_TYPES = tuple(name for name, kind in REGISTRY.items() if kind.checks is not None)

_MAX_MARKER = 64


def upstream_type(name: str) -> UpstreamType:
    """The record of a type by name; `ConfigError` listing the types for any other name."""
    kind = REGISTRY.get(name)
    if kind is None:
        raise ConfigError(
            f"unknown upstream type; choose one of: {', '.join(UPSTREAM_TYPES)}",
            field="upstream.type",
        )
    return kind


def required_fields(name: str) -> tuple[RequiredField, ...]:
    """What a policy's output must hold for the type (empty for webhook and capture).

    Only fields the proxy itself never fills: PagerDuty's `event_action` is left out because
    the pagerduty upstream sends a trigger when it is missing.
    """
    return upstream_type(name).required


def contract_for(
    name: str, *, truncate: bool = True, marker: str = DEFAULT_MARKER
) -> Contract | None:
    """The contract for a route's upstream type, or None for types without one.

    Raises `ConfigError` for an unknown type, and for a `marker` that is not a short string.
    """
    kind = upstream_type(name)
    if not isinstance(marker, str) or len(marker) > _MAX_MARKER:
        raise ConfigError(
            f"the truncation marker must be a string of at most {_MAX_MARKER} characters, e.g. '…'",
            field="contract.marker",
        )
    if kind.checks is None:
        return None
    return Contract(name, kind.checks, truncate=bool(truncate), marker=marker)


def contract_type(config: Mapping[str, Any]) -> str:
    """The type whose contract a route's `upstream:` runs: its own type, or for a capture
    upstream the receiver its `contract:` names (the capture itself when none)."""
    name = str(config.get("type"))
    if name == capture.TYPE.name:
        return capture.contract_of(config) or name
    return name


def notice_body(name: str, route: str, rule: str, count: int) -> dict[str, Any]:
    """The stand-in alert for `count` refusals, shaped for the route's upstream type."""
    return upstream_type(name).notice(Notice(route, rule, count))


def build_upstream(
    config: Mapping[str, Any],
    *,
    route: str,
    environ: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Upstream:
    """A sender for one route's `upstream:` mapping, or `ConfigError` naming the field.

    Secrets (API keys, tokens, routing keys, header values given as `{env: X}` /
    `{file: P}`) are read now, so a config that builds can send; they never appear in
    `repr()`, `describe()` or an Outcome's reason. `transport` replaces the network (tests);
    it is borrowed, so the sender's `aclose()` leaves it open.
    """
    cfg = UpstreamConfig(config, route, environ)
    name = config.get("type")
    kind = REGISTRY.get(name) if isinstance(name, str) else None
    if kind is None:
        raise cfg.error("type", f"must be one of: {', '.join(UPSTREAM_TYPES)}")
    cfg.check_keys(kind.name, (*kind.options, "rate"))
    rate = parse_rate(config.get("rate"), where=f"{cfg.where}.rate", default=kind.rate)
    sender = kind.build(cfg, transport)
    sender.rate = rate
    if isinstance(sender, HttpSender):
        sender.warn_if_exposed(route)
    return sender
