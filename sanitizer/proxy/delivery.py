"""Delivery workers: take due alerts from the spool, send them, and record what happened.

Each claimed alert is sent by one task (at most `workers` at once). The outcome decides its
fate: Delivered deletes it, Rejected dead-letters it, RetryLater reschedules it with full-jitter
exponential backoff, until it would be retried later than `max_age` after it was queued.
An alert leaves the spool only after its outcome is committed, so a crash at any point means
it is sent again (at-least-once), never lost.

Log lines carry alert ids, route names, outcome names, attempt counts and exception type
names; never a body, a URL (URLs can hold API keys) or an exception message.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from sanitizer.errors import Unavailable
from sanitizer.proxy.spool import Spool, SpooledAlert

log = logging.getLogger("sanitizer.delivery")

MAX_AGE_REASON = "max_age exceeded"
NO_ROUTE_REASON = "route not configured"
UNRECORDED_RETRY = 1.0  # seconds between attempts to record outcomes the spool refused


@dataclass(frozen=True)
class Delivered:
    """The upstream accepted the alert."""


@dataclass(frozen=True)
class RetryLater:
    """Connection error, timeout, 5xx, 408, 429. `reason` is a short code (e.g. "http 503"):
    it is logged, stored and used as a metrics label, so never a body, a URL or a message."""

    reason: str
    retry_after: float | None = None


@dataclass(frozen=True)
class Rejected:
    """Any other 4xx: final, the alert goes to the dead letters. `reason` as for RetryLater."""

    reason: str


Outcome = Delivered | RetryLater | Rejected


class Sender(Protocol):
    async def send(self, alert: SpooledAlert) -> Outcome: ...


class DeliveryEvents(Protocol):
    def delivered(self, route: str, seconds: float) -> None: ...
    def retried(self, route: str, reason: str) -> None: ...
    def dead_lettered(self, route: str, reason: str) -> None: ...


class NullEvents:
    """DeliveryEvents that record nothing."""

    def delivered(self, route: str, seconds: float) -> None:
        pass

    def retried(self, route: str, reason: str) -> None:
        pass

    def dead_lettered(self, route: str, reason: str) -> None:
        pass


# Defaults of the config's `delivery:` section (proxy/config.py reads them from here).
DEFAULT_WORKERS = 8
DEFAULT_BACKOFF_BASE = 1.0  # seconds before the first retry
DEFAULT_BACKOFF_CAP = 300.0  # the longest wait between two tries
DEFAULT_MAX_AGE = 86400.0  # an alert older than this goes to dead letters


@dataclass(frozen=True)
class RetryPolicy:
    base: float = DEFAULT_BACKOFF_BASE
    cap: float = DEFAULT_BACKOFF_CAP
    max_age: float = DEFAULT_MAX_AGE

    def __post_init__(self) -> None:
        for name in ("base", "cap", "max_age"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"RetryPolicy.{name} must be a finite number >= 0")

    def next_delay(self, attempts: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait after `attempts` earlier failed attempts (0 for the first failure):
        uniform(0, min(cap, base * 2**attempts)) (full jitter); a longer Retry-After wins,
        capped at `cap`."""
        try:
            ceiling = min(self.cap, math.ldexp(self.base, attempts))
        except OverflowError:
            ceiling = self.cap
        delay = rng.uniform(0.0, ceiling)
        if retry_after is not None and retry_after > delay:  # NaN compares False: ignored
            delay = min(retry_after, self.cap)
        return delay


class Deliverer:
    """Runs the delivery workers of one spool. Call start() and stop() on the spool's loop."""

    def __init__(
        self,
        spool: Spool,
        senders: Callable[[str], Sender | None],
        *,
        workers: int = DEFAULT_WORKERS,
        retry: RetryPolicy = RetryPolicy(),
        events: DeliveryEvents = NullEvents(),  # noqa: B008 - stateless
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        poll_interval: float = 0.05,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._spool = spool
        self._senders = senders
        self._workers = workers
        self._retry = retry
        self._events = events
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()  # noqa: S311 - jitter only
        self._poll_interval = poll_interval
        self._inflight: dict[str, asyncio.Task[None]] = {}
        # Outcomes decided but not yet committed (spool trouble): retried, claims kept meanwhile.
        self._unrecorded: dict[str, Callable[[], Awaitable[None]]] = {}
        self._unrecorded_at = 0.0
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._claim_failing = False

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("Deliverer.start() called twice")
        self._wakeup = asyncio.Event()
        self._task = asyncio.create_task(self._dispatch(), name="sanitizer-delivery")

    def wake(self) -> None:
        """Look for due alerts now instead of at the next poll (after an append). Loop thread
        only, like every method here."""
        if self._wakeup is not None:
            self._wakeup.set()

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; let in-flight sends finish for up to `timeout` seconds, then cancel
        them. A cancelled send is not recorded: its alert stays in the spool, due as before."""
        if self._task is None or self._stopping:
            return
        self._stopping = True
        self.wake()
        await self._task
        tasks = list(self._inflight.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            if pending:
                log.warning(
                    "delivery stopped with %d sends unfinished; they stay queued",
                    len(pending),
                    extra={"count": len(pending)},
                )
        await self._record_unrecorded()

    # ------------------------------------------------------------------ dispatch

    async def _dispatch(self) -> None:
        assert self._wakeup is not None
        while not self._stopping:
            self._wakeup.clear()
            try:
                if self._unrecorded and time.monotonic() - self._unrecorded_at >= UNRECORDED_RETRY:
                    await self._record_unrecorded()
                self._claim_and_start()
            except Exception as exc:  # a bug here must not end delivery for good
                log.error("delivery dispatcher error (%s)", type(exc).__name__)
            try:
                async with asyncio.timeout(self._poll_interval):
                    await self._wakeup.wait()
            except TimeoutError:
                pass

    def _claim_and_start(self) -> None:
        """Start a task per due alert, up to the free workers; a finishing task wakes us."""
        free = self._workers - len(self._inflight)
        if free <= 0:
            return
        try:
            alerts = self._spool.claim_due(free)
        except Unavailable as exc:
            if not self._claim_failing:
                log.error("cannot read due alerts from the spool (%s)", type(exc).__name__)
            self._claim_failing = True
            return
        if self._claim_failing:
            log.info("reading due alerts from the spool again")
            self._claim_failing = False
        for alert in alerts:
            task = asyncio.create_task(self._deliver(alert), name=f"deliver-{alert.id}")
            self._inflight[alert.id] = task
            task.add_done_callback(partial(self._finished, alert.id))

    def _finished(self, alert_id: str, _task: asyncio.Task[None]) -> None:
        self._inflight.pop(alert_id, None)
        self.wake()

    # ------------------------------------------------------------------ one alert

    async def _deliver(self, alert: SpooledAlert) -> None:
        try:
            started = time.monotonic()
            outcome = await self._send(alert)
            await self._settle(alert, outcome, time.monotonic() - started)
        except asyncio.CancelledError:
            self._spool.release(alert.id)
            raise

    async def _send(self, alert: SpooledAlert) -> Outcome:
        try:
            sender = self._senders(alert.route)
            if sender is None:
                self._log(logging.WARNING, alert, "no_route", "route %s is not configured")
                return RetryLater(NO_ROUTE_REASON)
            outcome = await sender.send(alert)
        except Exception as exc:
            name = type(exc).__name__
            self._log(logging.WARNING, alert, "error", "sender for route %s raised %s", name)
            return RetryLater(f"sender raised {name}")
        if not isinstance(outcome, Delivered | RetryLater | Rejected):
            return RetryLater("sender returned no outcome")
        return outcome

    async def _settle(self, alert: SpooledAlert, outcome: Outcome, seconds: float) -> None:
        spool = self._spool
        record: Callable[[], Awaitable[None]]
        if isinstance(outcome, Delivered):
            self._log(logging.INFO, alert, "delivered", "delivered via route %s")
            self._emit(self._events.delivered, alert.route, seconds)
            record = partial(spool.mark_delivered, alert.id)
        elif isinstance(outcome, Rejected):
            record = self._dead(alert, outcome.reason)
        else:
            now = self._clock()
            deadline = alert.created_at + self._retry.max_age
            if now >= deadline:
                record = self._dead(alert, MAX_AGE_REASON)
            else:
                delay = self._retry.next_delay(alert.attempts, outcome.retry_after, self._rng)
                # Never scheduled past the deadline: the last try happens at max_age.
                due = min(now + delay, deadline)
                self._log(
                    logging.WARNING,
                    alert,
                    "retry",
                    "route %s: %s; retry in %.1fs",
                    outcome.reason,
                    due - now,
                )
                self._emit(self._events.retried, alert.route, outcome.reason)
                record = partial(
                    spool.mark_retry, alert.id, next_attempt_at=due, error=outcome.reason
                )
        await self._record(alert.id, record)

    def _dead(self, alert: SpooledAlert, reason: str) -> Callable[[], Awaitable[None]]:
        self._log(logging.ERROR, alert, "dead_letter", "route %s: %s; dead-lettered", reason)
        self._emit(self._events.dead_lettered, alert.route, reason)
        return partial(self._spool.dead_letter, alert.id, reason=reason)

    async def _record(self, alert_id: str, record: Callable[[], Awaitable[None]]) -> None:
        """Commit an outcome; if the spool refuses, keep the claim and try again later."""
        try:
            await record()
        except Unavailable as exc:
            log.error(
                "alert %s: outcome not recorded (%s); will retry",
                alert_id,
                type(exc).__name__,
                extra={"alert_id": alert_id},
            )
            self._unrecorded[alert_id] = record
            self._unrecorded_at = time.monotonic()
        else:
            self._unrecorded.pop(alert_id, None)

    async def _record_unrecorded(self) -> None:
        for alert_id, record in list(self._unrecorded.items()):
            await self._record(alert_id, record)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _emit(hook: Callable[..., None], *args: object) -> None:
        """Metrics hooks must never stop an outcome from being recorded."""
        try:
            hook(*args)
        except Exception as exc:
            log.error("delivery event hook raised %s", type(exc).__name__)

    @staticmethod
    def _log(level: int, alert: SpooledAlert, outcome: str, message: str, *args: object) -> None:
        """`message` starts with a %s for the route name; no payload, URL or secret in it."""
        log.log(
            level,
            "alert %s: " + message,
            alert.id,
            alert.route,
            *args,
            extra={
                "alert_id": alert.id,
                "route": alert.route,
                "outcome": outcome,
                "attempts": alert.attempts + 1,
            },
        )
