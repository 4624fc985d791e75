"""The writes every spool backend queues to its one writer, written once.

A backend supplies `_reserve` (count bytes against `max_bytes`, or `Unavailable`), `_submit`
(hand one operation to its writer; the future resolves after the commit holding it) and
`_clock`; the writer settles a reservation once its append commits or fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from sanitizer.errors import Unavailable
from sanitizer.proxy.spool.operations import (
    TEXT_LIMIT,
    Append,
    AppendAll,
    Dead,
    Defer,
    Delivered,
    Op,
    Retry,
    new_id,
)

FULL_RETRY_AFTER = 5  # seconds a sender is asked to wait when the spool is full or stopped


def check_room(queued: int, size: int, max_bytes: int) -> None:
    """`Unavailable` (spool full) when `size` more bytes do not fit beside `queued` ones."""
    if queued + size > max_bytes:
        raise Unavailable(
            f"the spool is full ({queued} of {max_bytes} bytes queued); retry later",
            retry_after=FULL_RETRY_AFTER,
        )


def not_running() -> Unavailable:
    return Unavailable("the spool is not running; retry later", retry_after=FULL_RETRY_AFTER)


class QueuedWrites:
    """append, append_many, mark_delivered, mark_retry, defer and dead_letter."""

    _clock: Callable[[], float]

    def _reserve(self, size: int) -> None:
        raise NotImplementedError

    def _submit(self, op: Op) -> asyncio.Future[None]:
        raise NotImplementedError

    async def append(self, route: str, body: bytes, *, routing_key: str | None = None) -> str:
        """Queue one sanitized alert; returns its id once the commit holding it is durable."""
        self._reserve(len(body))
        op = Append(new_id(), route, routing_key, body, self._clock())
        # From here the writer settles the reservation, even if this await is cancelled.
        await self._submit(op)
        return op.id

    async def append_many(
        self, route: str, bodies: Sequence[bytes], *, routing_key: str | None = None
    ) -> list[str]:
        """Queue the alerts of one request body together: their ids, in order, once the one
        commit holding them all is durable. All or none: the byte limit counts the whole set
        (`Unavailable` when it does not fit), and a failed commit writes none of them."""
        if not bodies:
            return []
        self._reserve(sum(len(body) for body in bodies))
        created = self._clock()
        op = AppendAll(tuple(Append(new_id(), route, routing_key, b, created) for b in bodies))
        await self._submit(op)  # the writer settles the reservation, as for `append`
        return [append.id for append in op.appends]

    async def mark_delivered(self, alert_id: str) -> None:
        """Delete the alert; its claim is released once the delete is committed."""
        await self._submit(Delivered(alert_id))

    async def mark_retry(self, alert_id: str, *, next_attempt_at: float, error: str) -> None:
        """attempts += 1, due again at `next_attempt_at`; the claim is released after commit."""
        await self._submit(Retry(alert_id, next_attempt_at, error[:TEXT_LIMIT]))

    async def defer(self, alert_id: str, *, next_attempt_at: float) -> None:
        """Due again at `next_attempt_at`, no attempt counted; the claim ends after commit."""
        await self._submit(Defer(alert_id, next_attempt_at))

    async def dead_letter(self, alert_id: str, *, reason: str) -> None:
        """Move the alert to the dead letters, counting the attempt that led here."""
        await self._submit(Dead(alert_id, reason[:TEXT_LIMIT], self._clock()))
