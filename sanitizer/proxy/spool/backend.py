"""What the rest of the proxy needs from a spool, whichever backend holds it, and how one is
opened from the settings.

`SpoolBackend` is what the running proxy uses (intake appends, delivery claims and records,
/readyz asks writable(), /metrics reads the figures). `SpoolAdmin` is what `sanitizer spool`
uses, synchronously, whether the proxy runs or not. Two backends implement both:
`sqlite` (`store.Spool`, one proxy per spool directory) and `postgres`
(`postgres.PostgresSpool` and `pgadmin.PostgresAdmin`, any number of proxies per database).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from sanitizer.proxy.spool.operations import SpooledAlert

__all__ = ["BACKENDS", "SpoolAdmin", "SpoolBackend", "open_admin", "open_spool"]

BACKENDS = ("sqlite", "postgres")


class SpoolBackend(Protocol):
    """The durable queue. Async methods return once their write is durable (committed)."""

    max_bytes: int

    def take_ownership(self) -> None:
        """Before serving: take what this process alone may use (SQLite: the directory's
        owner lock); raises Unavailable when another process holds it."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def append(self, route: str, body: bytes, *, routing_key: str | None = None) -> str: ...

    async def append_many(
        self, route: str, bodies: Sequence[bytes], *, routing_key: str | None = None
    ) -> list[str]: ...

    async def mark_delivered(self, alert_id: str) -> None: ...

    async def mark_retry(self, alert_id: str, *, next_attempt_at: float, error: str) -> None: ...

    async def defer(self, alert_id: str, *, next_attempt_at: float) -> None:
        """Due again at `next_attempt_at` without counting an attempt (pacing)."""

    async def dead_letter(self, alert_id: str, *, reason: str) -> None: ...

    def claim_due(self, limit: int) -> list[SpooledAlert]:
        """Up to `limit` due alerts, claimed for this proxy until a mark_* or release()."""
        ...

    def release(self, alert_id: str) -> None: ...

    def depth(self) -> int: ...

    def queued_bytes(self) -> int: ...

    def dead_count(self) -> int: ...

    def oldest_created_at(self) -> float | None:
        """When the oldest queued alert was queued (Unix time); None when none is queued."""
        ...

    def writable(self) -> bool: ...

    def describe(self) -> str:
        """Where the spool is, for logs: never a secret."""
        ...


class SpoolAdmin(Protocol):
    """The management side: dead letters and figures, synchronous, for the CLI."""

    def depth(self) -> int: ...

    def dead_count(self) -> int: ...

    def list_dead(self, limit: int = 100) -> list[dict]: ...

    def find_dead(self, ids: Sequence[str]) -> list[str]:
        """Which of `ids` are dead letters now, sorted (to say what a retry or purge will do
        before doing it)."""
        ...

    def retry_dead(self, ids: Sequence[str] | None = None) -> int: ...

    def purge_dead(self, ids: Sequence[str] | None = None) -> int: ...


def open_spool(
    backend: str,
    *,
    path: Path,
    dsn: str | None,
    max_bytes: int,
    lease: float | None = None,
) -> SpoolBackend:
    """The configured spool, not started yet."""
    if backend == "postgres":
        from sanitizer.proxy.spool.postgres import DEFAULT_LEASE, PostgresSpool

        assert dsn is not None, "the config loader requires spool.dsn with postgres"
        return PostgresSpool(dsn, max_bytes=max_bytes, lease=lease or DEFAULT_LEASE)
    from sanitizer.proxy.spool.store import Spool

    return Spool(path, max_bytes=max_bytes)


def open_admin(backend: str, *, path: Path, dsn: str | None) -> SpoolAdmin:
    """The management side of the configured spool (no byte limit: an operator's decision)."""
    if backend == "postgres":
        from sanitizer.proxy.spool.pgadmin import PostgresAdmin

        assert dsn is not None, "the config loader requires spool.dsn with postgres"
        return PostgresAdmin(dsn)
    from sanitizer.proxy.spool.store import Spool

    return Spool(path, max_bytes=1 << 62)
