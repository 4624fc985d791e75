"""Delivery workers: take due alerts from the spool, send them, and record what happened.

Each claimed alert is sent by one task (at most `workers` at once). The outcome decides its
fate: Delivered deletes it, Rejected dead-letters it, RetryLater reschedules it with full-jitter
exponential backoff, until it would be retried later than `max_age` after it was queued.
An alert leaves the spool only after its outcome is committed, so a crash at any point means
it is sent again (at-least-once), never lost.

Pacing and order: claimed alerts wait in memory (at most `hold` of them) until a worker is
free, their lane (route and the receiver's rate-limit key) has a token (`pacing.py`), and no
earlier alert of their order key (the incident: PagerDuty's dedup_key, VictorOps' entity_id)
is in flight or waiting for a retry: a resolve never overtakes its trigger. Once more than
half the window waits, a paced lane's alerts beyond its burst go back to the spool, due when
their tokens come (`spill_times`), so a storm on one route never holds back the others. A
Retry-After
blocks the alert's lane for that long (capped at `backoff_cap`). The order is kept within one
process: an alert that was waiting for a retry when the proxy restarted may be overtaken; one
waiting longer than its due time plus `ORDER_GRACE` stops holding later ones back.

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
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from sanitizer.errors import Unavailable
from sanitizer.proxy.claimed import Held, traits
from sanitizer.proxy.ordering import OrderBook
from sanitizer.proxy.pacing import Pacer, spill_times
from sanitizer.proxy.spool import SpoolBackend as Spool
from sanitizer.proxy.spool import SpooledAlert

log = logging.getLogger("sanitizer.delivery")

MAX_AGE_REASON = "max_age exceeded"
NO_ROUTE_REASON = "route not configured"
UNRECORDED_RETRY = 1.0  # seconds between attempts to record outcomes the spool refused
ORDER_GRACE = 60.0  # seconds past its due time an alert waiting for a retry holds its key
DEFAULT_HOLD = 256  # claimed alerts waiting in memory for a worker, a token or their turn


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
    """Any other 4xx: final, the alert goes to the dead letters. `reason` as for RetryLater;
    `detail`, the receiver's words (scrubbed: `upstreams/errortext.py`), is kept with the dead
    letter only ("<reason>: <detail>"): never logged, no label, not part of equality."""

    reason: str
    detail: str | None = field(default=None, compare=False)


Outcome = Delivered | RetryLater | Rejected


class Sender(Protocol):
    async def send(self, alert: SpooledAlert) -> Outcome: ...


class DeliveryEvents(Protocol):
    def delivered(self, route: str, seconds: float) -> None: ...
    def retried(self, route: str, reason: str) -> None: ...
    def dead_lettered(self, route: str, reason: str) -> None: ...
    def paced(self, route: str, seconds: float) -> None: ...


class NullEvents:
    """DeliveryEvents that record nothing."""

    def paced(self, route: str, seconds: float) -> None:
        pass

    def delivered(self, route: str, seconds: float) -> None:
        pass

    def retried(self, route: str, reason: str) -> None:
        pass

    def dead_lettered(self, route: str, reason: str) -> None:
        pass


# Defaults of the config's `delivery:` section (proxy/config.py reads them from here).
# Sends in flight at once: 32 delivered about twice what 8 did against a stand-in answering in
# 5 ms (issue 13), each costing a task and, with `max_connections` 32, a kept-alive connection.
DEFAULT_WORKERS = 32
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
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        poll_interval: float = 0.05,
        hold: int = DEFAULT_HOLD,
    ) -> None:
        if workers < 1 or hold < 1:
            raise ValueError("workers and hold must be at least 1")
        self._spool = spool
        self._senders = senders
        self._workers = workers
        self._retry = retry
        self._events = events
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()  # noqa: S311 - jitter only
        self._poll_interval = poll_interval
        self._monotonic = monotonic
        self._hold = max(hold, workers)
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._held: list[Held] = []  # claimed, in claim order, not started
        self._paced_held = 0  # how many of them are on a paced lane (none: nothing to spill)
        self._idle_from = 0  # held from this index on wait for a worker, whatever their label
        self._pacer = Pacer()
        self._order = OrderBook(ORDER_GRACE)
        # Outcomes decided but not yet committed (spool trouble): retried, claims kept meanwhile.
        self._unrecorded: dict[str, Callable[[], Awaitable[None]]] = {}
        self._unrecorded_at = 0.0
        self._spilling: set[asyncio.Task[None]] = set()  # hand-backs of paced alerts, committing
        self._booked: dict[object, float] = {}  # per lane, the latest due time handed back
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
        for held in self._held:
            self._spool.release(held.alert.id)
            self._forget(held)
        self._held = []
        self._paced_held = 0
        self._idle_from = 0
        await asyncio.gather(*self._spilling, return_exceptions=True)
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
            pause = self._poll_interval
            try:
                if self._unrecorded and time.monotonic() - self._unrecorded_at >= UNRECORDED_RETRY:
                    await self._record_unrecorded()
                token_wait = self._claim_and_start()
                if token_wait is not None:
                    pause = max(0.001, min(pause, token_wait))
            except Exception as exc:  # a bug here must not end delivery for good
                log.error("delivery dispatcher error (%s)", type(exc).__name__)
            try:
                async with asyncio.timeout(pause):
                    await self._wakeup.wait()
            except TimeoutError:
                pass

    def backlog(self) -> dict[tuple[str, str], int]:
        """Claimed alerts not sent yet, by (route, what they wait for: worker, token, order)."""
        counts: dict[tuple[str, str], int] = {}
        for index, held in enumerate(self._held):
            label = (held.alert.route, held.waiting if index < self._idle_from else "worker")
            counts[label] = counts.get(label, 0) + 1
        return counts

    def _claim_and_start(self) -> float | None:
        """Claim due alerts into memory (in batches, up to `hold`), then start those whose
        worker, token and turn have come; the seconds until a paced lane's next token."""
        if len(self._held) <= self._hold // 2:
            self._claim(self._hold - len(self._held))
        return self._start_ready()

    def _claim(self, room: int) -> None:
        try:
            alerts = self._spool.claim_due(room)
        except Unavailable as exc:
            if not self._claim_failing:
                log.error("cannot read due alerts from the spool (%s)", type(exc).__name__)
            self._claim_failing = True
            return
        if self._claim_failing:
            log.info("reading due alerts from the spool again")
            self._claim_failing = False
        for alert in alerts:
            try:
                sender = self._senders(alert.route)
            except Exception:
                sender = None
            held, failure = traits(sender, alert)
            if failure is not None:
                self._log(logging.WARNING, alert, "error", "route %s: order key raised %s", failure)
            if held.key is not None:
                self._order.claimed(held.key, alert.id, alert.created_at)
            self._held.append(held)
            self._paced_held += held.paced

    def _start_ready(self) -> float | None:
        """Start what may go now, in claim order. Once every worker is busy the rest are not
        looked at: they wait for a worker (`_idle_from`), so a dispatch per finished send does
        not cost a pass over the whole claim window while a backlog fills it."""
        now, wall = self._monotonic(), self._clock()
        free = self._workers - len(self._inflight)
        token_wait: float | None = None
        stalled: set[tuple[str, str]] = set()  # lanes out of tokens: their later alerts wait too
        kept: list[Held] = []
        held_now = self._held
        looked_at = 0
        for held in held_now:
            if free <= 0:
                break
            looked_at += 1
            if held.lane in stalled:
                held.waiting = "token"
                kept.append(held)
                continue
            if held.key is not None and not self._order.turn_of(held.key, held.alert.id, wall):
                held.waiting = "order"
                kept.append(held)
                continue
            delay = self._pacer.take(held.lane, held.rate, now)
            if delay > 0:
                stalled.add(held.lane)
                held.waiting = "token"
                if held.paced_since is None:
                    held.paced_since = now
                token_wait = delay if token_wait is None else min(token_wait, delay)
                kept.append(held)
                continue
            if held.paced_since is not None:
                self._emit(self._events.paced, held.alert.route, now - held.paced_since)
            free -= 1
            self._paced_held -= held.paced
            self._start(held)
        self._idle_from = len(kept)
        kept.extend(held_now[looked_at:])
        self._held = kept
        if self._paced_held and len(kept) > self._hold // 2:
            self._spill(wall)
        return token_wait

    def _spill(self, wall: float) -> None:
        """Hand the alerts a paced lane cannot send soon back to the spool (`spill_times`),
        due when their token should come, so other routes' alerts can be claimed meanwhile."""
        for held in self._held[self._idle_from :]:
            held.waiting = "worker"
        waiting = ((h.lane, h.rate, h.waiting in ("token", "order")) for h in self._held)
        kept: list[Held] = []
        for held, due in zip(self._held, spill_times(waiting, self._booked, wall), strict=True):
            if due is None:
                kept.append(held)
                continue
            self._paced_held -= held.paced
            alert = held.alert
            if held.key is not None:
                self._order.retrying(held.key, alert.id, due)
            task = asyncio.create_task(
                self._record(alert.id, partial(self._spool.defer, alert.id, next_attempt_at=due))
            )
            self._spilling.add(task)
            task.add_done_callback(self._spilling.discard)
        self._held = kept
        self._idle_from = len(kept)  # every label is current now

    def _start(self, held: Held) -> None:
        alert = held.alert
        if held.key is not None:
            self._order.started(held.key)
        task = asyncio.create_task(self._deliver(held), name=f"deliver-{alert.id}")
        self._inflight[alert.id] = task
        task.add_done_callback(partial(self._finished, alert.id))

    def _finished(self, alert_id: str, _task: asyncio.Task[None]) -> None:
        self._inflight.pop(alert_id, None)
        self.wake()

    def _forget(self, held: Held) -> None:
        if held.key is not None:
            self._order.settled(held.key, held.alert.id)

    # ------------------------------------------------------------------ one alert

    async def _deliver(self, held: Held) -> None:
        alert = held.alert
        try:
            started = time.monotonic()
            outcome = await self._send(alert)
            await self._settle(held, outcome, time.monotonic() - started)
        except asyncio.CancelledError:
            self._spool.release(alert.id)
            self._forget(held)
            raise
        finally:
            if held.key is not None:
                self._order.finished(held.key)

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

    async def _settle(self, held: Held, outcome: Outcome, seconds: float) -> None:
        spool, alert = self._spool, held.alert
        record: Callable[[], Awaitable[None]]
        retrying = False
        if isinstance(outcome, Delivered):
            self._log(logging.INFO, alert, "delivered", "delivered via route %s")
            self._emit(self._events.delivered, alert.route, seconds)
            record = partial(spool.mark_delivered, alert.id)
        elif isinstance(outcome, Rejected):
            record = self._dead(alert, outcome.reason, outcome.detail)
        else:
            now = self._clock()
            deadline = alert.created_at + self._retry.max_age
            if now >= deadline:
                record = self._dead(alert, MAX_AGE_REASON, f"last try {outcome.reason}")
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
                if held.key is not None:
                    self._order.retrying(held.key, alert.id, due)
                retrying = True
                if outcome.retry_after is not None and outcome.retry_after > 0:
                    # The receiver takes nothing more from this lane until this alert's retry.
                    pause = min(outcome.retry_after, due - now)
                    self._pacer.block(held.lane, held.rate, pause, self._monotonic())
        if not retrying:
            self._forget(held)
        await self._record(alert.id, record)

    def _dead(
        self, alert: SpooledAlert, reason: str, detail: str | None
    ) -> Callable[[], Awaitable[None]]:
        self._log(logging.ERROR, alert, "dead_letter", "route %s: %s; dead-lettered", reason)
        self._emit(self._events.dead_lettered, alert.route, reason)
        stored = reason if detail is None else f"{reason}: {detail}"
        return partial(self._spool.dead_letter, alert.id, reason=stored)

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
        """`message` starts with a %s for the route name; no payload, URL or secret in it.
        Nothing is built when the level is not written (one line per delivered alert)."""
        if not log.isEnabledFor(level):
            return
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
