"""The proxy's configuration file → validated settings, with every secret resolved.

```yaml
listen: {host: 127.0.0.1, port: 8080}   # tls: {cert: …, key: …, client_ca: …} for HTTPS
spool: {path: /var/lib/sanitizer/spool, max_bytes: 1073741824}
  # or, shared by every replica: {backend: postgres, dsn: {env: SPOOL_DSN}, max_bytes: …}
limits: {max_body_bytes: 1048576, max_depth: 64, read_timeout: 10}
delivery: {workers: 32, backoff_base: 1, backoff_cap: 300, max_age: 86400}
sanitize: {worker: true}   # a worker process runs the policies (default: with 2+ CPUs)
routes:
  nagios:
    credentials: [{env: NAGIOS_INBOUND_TOKEN}]
    policy: rules/nagios.yaml            # relative to this file
    shadow_policy: rules/nagios-next.yaml  # optional: run beside it, never delivered
    on_refusal: notify                   # or drop (the default)
    contract: {truncate: true, marker: …}  # fit over-long fields to the upstream's limits
    upstream: {type: victorops, api_key: {env: VICTOROPS_API_KEY}, routing_key: ops}
admin:                                   # optional: the console (sanitizer.console), its own port
  listen: {host: 127.0.0.1, port: 8081}
  token: {env: SANITIZER_ADMIN_TOKEN}
```
`SANITIZER_LISTEN_HOST`, `SANITIZER_LISTEN_PORT` and `SANITIZER_SPOOL_PATH` override the file.
Loading builds every route's policy and upstream, so a config that loads can serve.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sanitizer.errors import ConfigError, LoadError, PolicyError
from sanitizer.jsonio import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH
from sanitizer.keys import parse_secret_ref, read_secret
from sanitizer.loader import load_policy, read_yaml
from sanitizer.policy.apply import Policy
from sanitizer.proxy.delivery import (
    DEFAULT_BACKOFF_BASE,
    DEFAULT_BACKOFF_CAP,
    DEFAULT_MAX_AGE,
    DEFAULT_WORKERS,
)
from sanitizer.proxy.tls import TlsSettings, read_tls_files
from sanitizer.proxy.upstreams import DEFAULT_MARKER, UPSTREAM_TYPES

_ROUTE_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_TOP_LEVEL = ("listen", "spool", "limits", "delivery", "sanitize", "routes", "admin")
_ON_REFUSAL = ("drop", "notify")
DEFAULT_SPOOL_MAX_BYTES = 1 << 30


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH
    read_timeout: float = 10.0


@dataclass(frozen=True)
class DeliverySettings:
    workers: int = DEFAULT_WORKERS
    backoff_base: float = DEFAULT_BACKOFF_BASE
    backoff_cap: float = DEFAULT_BACKOFF_CAP
    max_age: float = DEFAULT_MAX_AGE


@dataclass(frozen=True)
class RouteSettings:
    name: str
    credentials: tuple[bytes, ...] = field(repr=False)
    policy_path: Path
    policy: Policy
    upstream: Mapping[str, Any] = field(repr=False)
    on_refusal: str = "drop"
    contract_truncate: bool = True
    contract_marker: str = DEFAULT_MARKER
    # Run on every alert beside `policy`, never delivered; see sanitizer.proxy.shadow.
    shadow_policy: Policy | None = None
    shadow_policy_path: Path | None = None


@dataclass(frozen=True)
class AdminSettings:
    """The console's listener and the token every console request must carry."""

    host: str
    port: int
    token: bytes = field(repr=False)


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    spool_path: Path
    spool_max_bytes: int
    limits: Limits
    delivery: DeliverySettings
    routes: Mapping[str, RouteSettings]
    source: str
    tls: TlsSettings | None = None
    spool_backend: str = "sqlite"
    spool_dsn: str | None = field(default=None, repr=False)  # a secret: never shown
    spool_lease: float | None = None  # postgres: seconds a claim holds before others take it
    admin: AdminSettings | None = None  # the console; off when the config has no `admin`
    sanitize_worker: bool = False  # small bodies sanitized in a worker process (policyworker)


def _worker_by_default() -> bool:
    """`sanitize.worker`: on where this process may run on two or more CPUs, where the
    sanitizing worker (sanitizer.proxy.policyworker) is parallel work."""
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except (AttributeError, OSError):  # no affinity on this platform
        return (os.cpu_count() or 1) >= 2


def _section(doc: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    value = doc.get(name) or {}
    if not isinstance(value, Mapping):
        raise ConfigError("must be a mapping", field=name)
    for key in value:
        if key not in allowed:
            raise ConfigError(
                f"unknown setting; allowed here: {', '.join(allowed)}", field=f"{name}.{key}"
            )
    return value


def _secret(raw: Any, *, what: str, field: str, environ: Mapping[str, str] | None) -> str:
    """A secret setting (`{env: NAME}` or `{file: PATH}`) read, errors located at `field`."""
    try:
        return read_secret(parse_secret_ref(raw, what=what), what=what, environ=environ)
    except LoadError as exc:
        raise exc.located(field=field) from None


def _number(
    section: Mapping[str, Any], key: str, default: float, *, where: str, low: float, integer: bool
) -> Any:
    value = section.get(key, default)
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < low:
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"must be {kind} of at least {low}", field=f"{where}.{key}")
    return value


def _tls(raw: Any, base: Path) -> TlsSettings | None:
    """`listen.tls`: cert and key (PEM) for HTTPS, client_ca to require client certificates."""
    if raw is None:
        return None
    allowed = ("cert", "key", "client_ca")
    if not isinstance(raw, Mapping):
        raise ConfigError(
            "must be a mapping with cert, key and optionally client_ca (PEM file paths)",
            field="listen.tls",
        )
    for key in raw:
        if key not in allowed:
            raise ConfigError(
                f"unknown setting; allowed here: {', '.join(allowed)}", field=f"listen.tls.{key}"
            )
    client_ca = raw.get("client_ca")
    return read_tls_files(
        _tls_path(raw.get("cert"), "cert", base),
        _tls_path(raw.get("key"), "key", base),
        None if client_ca is None else _tls_path(client_ca, "client_ca", base),
    )


def _tls_path(value: Any, name: str, base: Path) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError(
            "needs the path of a PEM file (relative to this config file)",
            field=f"listen.tls.{name}",
        )
    path = Path(value)
    return path if path.is_absolute() else base / path


def _credentials(raw: Any, route: str, environ: Mapping[str, str]) -> tuple[bytes, ...]:
    where = f"routes.{route}.credentials"
    if not isinstance(raw, list) or not raw:
        raise ConfigError(
            "needs a non-empty list of {env: VARIABLE} or {file: PATH} secrets", field=where
        )
    tokens = []
    for index, item in enumerate(raw):
        what = f"credential {index + 1} of route {route!r}"
        try:
            ref = parse_secret_ref(item, what=what)
            token = read_secret(ref, what=what, environ=environ)
        except LoadError as exc:
            raise exc.located(field=f"{where}[{index}]") from None
        if len(token) < 16:
            raise ConfigError(
                f"{what} is shorter than 16 characters; use a long random token, e.g. "
                "`sanitizer keygen`",
                field=f"{where}[{index}]",
            )
        tokens.append(token.encode("utf-8"))
    return tuple(tokens)


def _route_policy(
    ref: Any, where: str, base: Path, environ: Mapping[str, str]
) -> tuple[Path, Policy]:
    """A route's `policy` or `shadow_policy`: its path (relative to the config file) and the
    compiled policy, or `ConfigError` naming the route's field and the policy file."""
    if not isinstance(ref, str) or not ref:
        raise ConfigError("needs the path of a policy file", field=where)
    path = Path(ref)
    if not path.is_absolute():
        path = base / path
    try:
        return path, load_policy(path, environ=environ)
    except PolicyError as exc:
        raise ConfigError(f"policy refused: {exc.message}", field=where) from None


def _route(name: Any, raw: Any, base: Path, environ: Mapping[str, str]) -> RouteSettings:
    if not isinstance(name, str) or not name or not set(name) <= _ROUTE_NAME_CHARS:
        raise ConfigError("route names use letters, digits, _ and -", field="routes")
    where = f"routes.{name}"
    if not isinstance(raw, Mapping):
        raise ConfigError("must be a mapping with credentials, policy and upstream", field=where)
    allowed = ("credentials", "policy", "shadow_policy", "upstream", "on_refusal", "contract")
    for key in raw:
        if key not in allowed:
            raise ConfigError(
                f"unknown setting; allowed here: {', '.join(allowed)}", field=f"{where}.{key}"
            )
    policy_path, policy = _route_policy(raw.get("policy"), f"{where}.policy", base, environ)
    shadow_path = shadow = None
    if raw.get("shadow_policy") is not None:
        shadow_path, shadow = _route_policy(
            raw["shadow_policy"], f"{where}.shadow_policy", base, environ
        )
    upstream = raw.get("upstream")
    if not isinstance(upstream, Mapping) or "type" not in upstream:
        raise ConfigError(
            f"needs a mapping with a 'type' ({', '.join(UPSTREAM_TYPES)})",
            field=f"{where}.upstream",
        )
    on_refusal = raw.get("on_refusal", "drop")
    if on_refusal not in _ON_REFUSAL:
        raise ConfigError(f"must be one of: {', '.join(_ON_REFUSAL)}", field=f"{where}.on_refusal")
    contract = raw.get("contract") or {}
    if not isinstance(contract, Mapping) or set(contract) - {"truncate", "marker"}:
        raise ConfigError(
            "must be a mapping with 'truncate' (true/false) and 'marker' (text)",
            field=f"{where}.contract",
        )
    truncate = contract.get("truncate", True)
    marker = contract.get("marker", DEFAULT_MARKER)
    if not isinstance(truncate, bool) or not isinstance(marker, str):
        raise ConfigError(
            "truncate must be true or false and marker a string", field=f"{where}.contract"
        )
    return RouteSettings(
        name=name,
        credentials=_credentials(raw.get("credentials"), name, environ),
        policy_path=policy_path,
        policy=policy,
        upstream=dict(upstream),
        on_refusal=on_refusal,
        contract_truncate=truncate,
        contract_marker=marker,
        shadow_policy=shadow,
        shadow_policy_path=shadow_path,
    )


def settings_from_mapping(
    doc: Any, *, base: Path, source: str, environ: Mapping[str, str] | None = None
) -> Settings:
    """Validate a parsed config document; relative paths are taken from `base`."""
    env = os.environ if environ is None else environ
    if not isinstance(doc, Mapping):
        raise ConfigError("a config file is a mapping; see `sanitizer serve --help`")
    for key in doc:
        if key not in _TOP_LEVEL:
            raise ConfigError(
                f"unknown top-level setting; allowed: {', '.join(_TOP_LEVEL)}", field=str(key)
            )
    listen = _section(doc, "listen", ("host", "port", "tls"))
    spool = _section(doc, "spool", ("backend", "path", "max_bytes", "dsn", "lease"))
    limits = _section(doc, "limits", ("max_body_bytes", "max_depth", "read_timeout"))
    delivery = _section(doc, "delivery", ("workers", "backoff_base", "backoff_cap", "max_age"))
    worker = _section(doc, "sanitize", ("worker",)).get("worker", _worker_by_default())
    if not isinstance(worker, bool):
        raise ConfigError("must be true or false", field="sanitize.worker")
    routes_raw = doc.get("routes")
    if not isinstance(routes_raw, Mapping) or not routes_raw:
        raise ConfigError("needs at least one route", field="routes")

    host = env.get("SANITIZER_LISTEN_HOST") or listen.get("host", "127.0.0.1")
    port_raw: Any = env.get("SANITIZER_LISTEN_PORT") or listen.get("port", 8080)
    try:
        port = int(port_raw)
    except (TypeError, ValueError):
        port = -1
    if not 0 <= port <= 65535:
        raise ConfigError("must be a port number from 0 to 65535", field="listen.port")
    spool_path = Path(env.get("SANITIZER_SPOOL_PATH") or spool.get("path") or "var/spool")
    if not spool_path.is_absolute():
        spool_path = base / spool_path
    routes = {name: _route(name, raw, base, env) for name, raw in routes_raw.items()}
    owners: dict[bytes, str] = {}
    for route in routes.values():
        for token in route.credentials:
            if owners.setdefault(token, route.name) != route.name:
                raise ConfigError(
                    f"a credential of this route is also a credential of route "
                    f"{owners[token]!r}; a credential must name exactly one route",
                    field=f"routes.{route.name}.credentials",
                )
    return Settings(
        host=str(host),
        port=port,
        spool_path=spool_path,
        spool_max_bytes=_number(
            spool, "max_bytes", DEFAULT_SPOOL_MAX_BYTES, where="spool", low=1024, integer=True
        ),
        limits=Limits(
            max_body_bytes=_number(
                limits, "max_body_bytes", DEFAULT_MAX_BYTES, where="limits", low=64, integer=True
            ),
            max_depth=_number(
                limits, "max_depth", DEFAULT_MAX_DEPTH, where="limits", low=1, integer=True
            ),
            read_timeout=_number(
                limits, "read_timeout", Limits.read_timeout, where="limits", low=0.1, integer=False
            ),
        ),
        delivery=DeliverySettings(
            workers=_number(
                delivery, "workers", DEFAULT_WORKERS, where="delivery", low=1, integer=True
            ),
            backoff_base=_number(
                delivery,
                "backoff_base",
                DEFAULT_BACKOFF_BASE,
                where="delivery",
                low=0.001,
                integer=False,
            ),
            backoff_cap=_number(
                delivery,
                "backoff_cap",
                DEFAULT_BACKOFF_CAP,
                where="delivery",
                low=0.001,
                integer=False,
            ),
            max_age=_number(
                delivery, "max_age", DEFAULT_MAX_AGE, where="delivery", low=1, integer=False
            ),
        ),
        routes=routes,
        source=source,
        tls=_tls(listen.get("tls"), base),
        admin=_admin(doc.get("admin"), port, routes, env),
        sanitize_worker=worker,
        **_spool_backend(spool, env),
    )


def _admin(
    raw: Any, port: int, routes: Mapping[str, RouteSettings], env: Mapping[str, str]
) -> AdminSettings | None:
    """`admin`: the console's own listener and its token (a secret reference)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError(
            "must be a mapping with listen: {host, port} and token: {env: VARIABLE}",
            field="admin",
        )
    for key in raw:
        if key not in ("listen", "token"):
            raise ConfigError("unknown setting; allowed here: listen, token", field=f"admin.{key}")
    if "token" not in raw:
        raise ConfigError(
            "needs {env: VARIABLE} or {file: PATH} holding the console's token (at least 16 "
            "characters, e.g. from `sanitizer keygen --token`)",
            field="admin.token",
        )
    listen = raw.get("listen") or {}
    if not isinstance(listen, Mapping) or set(listen) - {"host", "port"}:
        raise ConfigError("must be a mapping with host and port", field="admin.listen")
    host = listen.get("host", "127.0.0.1")
    admin_port = listen.get("port", 8081)
    if not isinstance(host, str) or not host:
        raise ConfigError("must be a host name or address", field="admin.listen.host")
    if type(admin_port) is not int or not 0 <= admin_port <= 65535:
        raise ConfigError("must be a port number from 0 to 65535", field="admin.listen.port")
    if admin_port == port and port != 0:
        raise ConfigError(
            "is the ingress port (listen.port); the console needs a port of its own",
            field="admin.listen.port",
        )
    what = "the admin token"
    token = _secret(raw["token"], what=what, field="admin.token", environ=env)
    if len(token) < 16:
        raise ConfigError(
            f"{what} is shorter than 16 characters; use `sanitizer keygen --token`",
            field="admin.token",
        )
    if any(token.encode("utf-8") in route.credentials for route in routes.values()):
        raise ConfigError(
            f"{what} is also a route's inbound credential; give the console a token of its own",
            field="admin.token",
        )
    return AdminSettings(host=host, port=admin_port, token=token.encode("utf-8"))


def _spool_backend(spool: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """`spool.backend` (sqlite, the default, or postgres), its secret `dsn` and `lease`."""
    backend = spool.get("backend", "sqlite")
    if backend not in ("sqlite", "postgres"):
        raise ConfigError("must be sqlite or postgres", field="spool.backend")
    if backend == "sqlite":
        for key in ("dsn", "lease"):
            if key in spool:
                raise ConfigError("only with backend: postgres", field=f"spool.{key}")
        return {}
    if "dsn" not in spool:
        raise ConfigError(
            "backend postgres needs dsn: {env: VARIABLE} or {file: PATH} holding a"
            " postgresql://user:password@host/database URL",
            field="spool.dsn",
        )
    dsn = _secret(spool["dsn"], what="spool dsn", field="spool.dsn", environ=env)
    if not dsn.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            "the secret must be a postgresql://user:password@host/database URL",
            field="spool.dsn",
        )
    lease = None
    if "lease" in spool:
        lease = _number(spool, "lease", 60, where="spool", low=1, integer=False)
    return {"spool_backend": backend, "spool_dsn": dsn, "spool_lease": lease}


def load_settings(path: str | Path, *, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate a config file, or raise `ConfigError` naming the field to fix."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the config file ({exc.strerror or type(exc).__name__})", source=source
        ) from None
    doc = read_yaml(text, source=source)
    try:
        return settings_from_mapping(
            doc, base=Path(path).resolve().parent, source=source, environ=environ
        )
    except LoadError as exc:
        raise exc.located(source=source) from None
