"""Inbound credentials: which route a presented token belongs to, decided in constant time."""

from __future__ import annotations

import hashlib
import hmac
import logging

from sanitizer.proxy.runtime import LiveRoute, Runtime

log = logging.getLogger("sanitizer.ingress")

# Why a credential was refused, as logged.
MISSING, UNKNOWN, OTHER_ROUTE = "missing", "unknown", "other_route"


def credential_digest(token: str | bytes) -> bytes:
    """The SHA-256 a route keeps of each of its credentials (never the credential itself)."""
    data = token.encode("utf-8", "surrogatepass") if isinstance(token, str) else token
    return hashlib.sha256(data).digest()


def log_refused_credential(
    path: str, reason: str, route: str | None = None, *, status: int = 401
) -> None:
    """One WARNING per refused credential: the endpoint (`path`, its template: a VictorOps
    URL holds the credential), why (MISSING, UNKNOWN, or OTHER_ROUTE: valid, but for another
    route) and the route it tried, when the URL names one (where the credential picks the
    route, there is none to name). Never the credential, nor a digest or prefix of it: a log
    reader could test guesses against those. `status`: what the sender was answered (401;
    PagerDuty's shape answers 400)."""
    log.warning(
        "inbound credential refused (%s) on %s; the sender needs the route's inbound credential",
        reason,
        path,
        extra={"route": route or "-", "reason": reason, "path": path, "status": status},
    )


def find_route_by_credential(runtime: Runtime, candidate: str) -> LiveRoute | None:
    """The route owning `candidate`, comparing against every credential in constant time."""
    wanted = credential_digest(candidate)
    found = None
    for route in runtime.routes.values():
        for digest in route.credential_digests:
            if hmac.compare_digest(wanted, digest) and found is None:
                found = route
    return found
