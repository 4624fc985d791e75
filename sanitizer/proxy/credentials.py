"""Inbound credentials: which route a presented token belongs to, decided in constant time."""

from __future__ import annotations

import hashlib
import hmac

from sanitizer.proxy.runtime import LiveRoute, Runtime


def credential_digest(token: str | bytes) -> bytes:
    """The SHA-256 a route keeps of each of its credentials (never the credential itself)."""
    data = token.encode("utf-8", "surrogatepass") if isinstance(token, str) else token
    return hashlib.sha256(data).digest()


def find_route_by_credential(runtime: Runtime, candidate: str) -> LiveRoute | None:
    """The route owning `candidate`, comparing against every credential in constant time."""
    wanted = credential_digest(candidate)
    found = None
    for route in runtime.routes.values():
        for digest in route.credential_digests:
            if hmac.compare_digest(wanted, digest) and found is None:
                found = route
    return found
