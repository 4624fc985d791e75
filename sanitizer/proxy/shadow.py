"""Shadow policies: a route's `shadow_policy` runs beside its live policy on real traffic, and
the differences are counted, value-free, never delivered, queued or logged.

For every body a route accepts or refuses, once the live result is durably queued (or the
refusal answered), the shadow policy and the route's upstream contract run on the same parsed
body on the worker thread, and its output is compared with the live output, alert by
alert, place by place (every leaf of the JSON: a string, number, true/false/null, an empty
object or list). Where the two outputs differ, the place is counted under one kind:

  kept_only_live       the live policy left it as it arrived; the shadow changed or removed it
  kept_only_shadow     the shadow left it as it arrived; the live policy changed or removed it
  changed_differently  both changed it (or one removed it), not the same way
  refused_only_live    the live policy refused the body, the shadow would have passed it
  refused_only_shadow  the shadow would have refused a body the live policy passed

`/metrics`: `sanitizer_shadow_alerts_total{route}`, `sanitizer_shadow_differing_alerts_total
{route}`, `sanitizer_shadow_differences_total{route, kind}`, `sanitizer_shadow_refusals_total
{route, side, rule}` (rule ids come from the policies' texts), `sanitizer_shadow_errors_total
{route}`, `sanitizer_shadow_skipped_total{route}`. Places are never labels.

Places are named as generalised paths: every array index is `[*]` (so one place of every alert
of a list is one path), and a key is written only when the live or the shadow policy names it
in a selector (`Policy.shown_keys`, the rule applied to audit paths); any other key is `*`,
because a key name can itself be a value (a label key, a host name used as a key). A path is
counted once per alert and kind. Each route's summary (`shadow_summary`, for the console) keeps
the counts of the live and shadow policies it ran with (it starts afresh when either changes)
and at most `MAX_PATHS` distinct paths; further ones count as `other`.

Cost: the shadow does the live policy's work again (bench/shadow.py: 1.0-1.6 times the live
work per body, the comparison included), so it never runs on the event loop. It runs on the
offload worker (`sanitizer.proxy.offload`), the one thread that sanitizes large bodies: on a
thread of its own, two threads busy with Python code beside the event loop made /healthz wait
2-5 times longer under 1 MiB alerts (bench/responsiveness.py, 436-664 ms worst instead of
104-222), as the loop then waits for the GIL behind both. It takes at most `CPU_SHARE` of one
core over time (measured with the thread's CPU clock) and at most `MAX_PENDING_BYTES` of bodies
wait for it; a large body (one that took an offload turn) runs only when nothing else waits
for the shadow. A body beyond any of these is skipped and counted in
`sanitizer_shadow_skipped_total`: under load the shadow becomes a sample. A large live body
may wait behind one shadow run at most. Neither policy mutates the parsed body
(`Policy.apply` works on its own copy), so both share it uncopied. An exception of the shadow
is counted in `sanitizer_shadow_errors_total` (its type name is logged once per summary) and
never reaches the request: nothing of the shadow is delivered, so failing closed does not
apply to it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter

from sanitizer.errors import Refusal
from sanitizer.proxy.metrics import Metrics
from sanitizer.proxy.offload import OFFLOAD
from sanitizer.proxy.runtime import LiveRoute
from sanitizer.proxy.shadowdiff import KINDS, HasBody, Outcome, compare

__all__ = ["KINDS", "ShadowWatch", "Shadows", "shadow_summary", "shadows_for", "watch"]

log = logging.getLogger("sanitizer.proxy")

CPU_SHARE = 0.25  # of one core, over time, the most the shadow may use (bench/shadow.py)
CPU_BURST = 1.0  # CPU seconds the shadow may save up; a longer run makes it wait longer
MAX_PENDING_BYTES = 1 << 20  # live output of bodies waiting for the shadow (one larger may run)
BODY_OVERHEAD = 1024  # what a waiting body counts besides its live output
MAX_PATHS = 256  # distinct (path, kind) a route's summary keeps; further ones count as `other`
TOP_PATHS = 20  # paths a summary shows, most counted first
_MISSING: Any = object()


# ------------------------------------------------------------------------ the summaries


@dataclass
class _Book:
    """One route's counts since its live and shadow policies were loaded, for the console."""

    live_digest: str
    shadow_name: str
    shadow_digest: str
    since: float = field(default_factory=time.time)
    alerts: int = 0
    differing: int = 0
    skipped: int = 0
    errors: int = 0
    kinds: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    refusals: dict[str, dict[str, int]] = field(default_factory=lambda: {"live": {}, "shadow": {}})
    paths: dict[tuple[str, str], int] = field(default_factory=dict)
    other: dict[str, int] = field(default_factory=dict)

    def add_place(self, place: tuple[str, str], alerts: int) -> None:
        if place in self.paths or len(self.paths) < MAX_PATHS:
            self.paths[place] = self.paths.get(place, 0) + alerts
        else:
            self.other[place[1]] = self.other.get(place[1], 0) + alerts

    def to_dict(self) -> dict[str, Any]:
        top = sorted(self.paths.items(), key=lambda item: (-item[1], item[0]))[:TOP_PATHS]
        return {
            "name": self.shadow_name,
            "digest": self.shadow_digest,
            "live_digest": self.live_digest,
            "since": round(self.since, 3),
            "alerts": self.alerts,
            "differing_alerts": self.differing,
            "skipped": self.skipped,
            "errors": self.errors,
            "differences": dict(self.kinds),
            "refusals": {side: dict(rules) for side, rules in self.refusals.items()},
            "paths": [{"path": path, "kind": kind, "count": count} for (path, kind), count in top],
            "other_paths": dict(self.other),
        }


def _book_for(route: LiveRoute) -> _Book:
    assert route.shadow is not None
    return _Book(route.policy.digest, route.shadow.name, route.shadow.digest)


def _matches(book: _Book, route: LiveRoute) -> bool:
    return (
        route.shadow is not None
        and book.live_digest == route.policy.digest
        and book.shadow_digest == route.shadow.digest
    )


# ------------------------------------------------------------------------ the runner


class _Budget:
    """CPU seconds the shadow may spend: `CPU_SHARE` of wall time, saved up to `CPU_BURST`."""

    def __init__(self) -> None:
        self._level = CPU_BURST
        self._at = time.monotonic()

    def available(self) -> bool:
        now = time.monotonic()
        self._level = min(CPU_BURST, self._level + (now - self._at) * CPU_SHARE)
        self._at = now
        return self._level > 0

    def spend(self, seconds: float) -> None:
        self._level -= seconds


class Shadows:
    """The shadow's runs, its metrics (in the proxy's registry) and the routes' summaries."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.alerts = Counter(
            "sanitizer_shadow_alerts",
            "Alerts compared with the shadow policy.",
            ["route"],
            registry=r,
        )
        self.differing = Counter(
            "sanitizer_shadow_differing_alerts",
            "Compared alerts whose shadow result differs from the live one.",
            ["route"],
            registry=r,
        )
        self.differences = Counter(
            "sanitizer_shadow_differences",
            "Differences between shadow and live results: places (generalised paths, once "
            "per alert) by kind, and refused bodies.",
            ["route", "kind"],
            registry=r,
        )
        self.refusals = Counter(
            "sanitizer_shadow_refusals",
            "Bodies refused by the live or the shadow policy (side) while shadowed, by rule.",
            ["route", "side", "rule"],
            registry=r,
        )
        self.errors = Counter(
            "sanitizer_shadow_errors",
            "Shadow runs that failed (never affecting the live alert).",
            ["route"],
            registry=r,
        )
        self.skipped = Counter(
            "sanitizer_shadow_skipped",
            "Bodies not shadowed: the shadow was at its CPU share or backlog.",
            ["route"],
            registry=r,
        )
        self._lock = threading.Lock()
        self._books: dict[str, _Book] = {}
        self._budget = _Budget()
        self._pending_bytes = 0
        self._tasks: set[asyncio.Task[None]] = set()  # referenced until done

    def _book(self, route: LiveRoute) -> _Book:
        """The route's summary for its current policies (call with the lock held)."""
        book = self._books.get(route.name)
        if book is None or not _matches(book, route):
            book = self._books[route.name] = _book_for(route)
            for metric in (self.alerts, self.differing, self.errors, self.skipped):
                metric.labels(route.name)
            for kind in KINDS:
                self.differences.labels(route.name, kind)
        return book

    def summary(self, route: LiveRoute) -> dict[str, Any] | None:
        if route.shadow is None:
            return None
        with self._lock:
            return self._book(route).to_dict()

    def submit(
        self, route: LiveRoute, doc: Any, live: Sequence[HasBody] | Refusal, *, large: bool
    ) -> None:
        """Queue the comparison of one body on the worker thread, or skip it (counted) when
        the shadow is at its CPU share or backlog; a `large` body (it took an offload turn)
        only when nothing else waits for the shadow. Called on the event loop."""
        size = BODY_OVERHEAD + (0 if isinstance(live, Refusal) else sum(len(a.body) for a in live))
        with self._lock:
            book = self._book(route)
            pending = self._pending_bytes
            busy = pending and (large or pending + size > MAX_PENDING_BYTES)
            if busy or not self._budget.available():
                book.skipped += 1
                self.skipped.labels(route.name).inc()
                return
            self._pending_bytes += size
        task = asyncio.get_running_loop().create_task(
            OFFLOAD.run(self._run, route, doc, live, size)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _run(
        self, route: LiveRoute, doc: Any, live: Sequence[HasBody] | Refusal, size: int
    ) -> None:
        started = time.thread_time()
        outcome = error = None
        try:
            outcome = compare(route, doc, live)
        except Exception as exc:  # the shadow never fails anything but its own count
            error = type(exc).__name__
        spent = time.thread_time() - started
        with self._lock:
            self._pending_bytes -= size
            self._budget.spend(spent)
            book = self._book(route)
            if error is not None:
                self._count_error(route, book, error)
            elif outcome is not None:
                self._count(route, book, outcome)

    def _count_error(self, route: LiveRoute, book: _Book, error: str) -> None:
        book.errors += 1
        self.errors.labels(route.name).inc()
        if book.errors == 1:
            log.warning(
                "shadow policy failed on an alert; the live alert is not affected",
                extra={"route": route.name, "policy": book.shadow_name, "reason": error},
            )

    def _count(self, route: LiveRoute, book: _Book, outcome: Outcome) -> None:
        name = route.name
        book.alerts += outcome.alerts
        book.differing += outcome.differing
        self.alerts.labels(name).inc(outcome.alerts)
        self.differing.labels(name).inc(outcome.differing)
        for side, rule in (("live", outcome.live_refused), ("shadow", outcome.shadow_refused)):
            if rule is not None:
                book.refusals[side][rule] = book.refusals[side].get(rule, 0) + 1
                self.refusals.labels(name, side, rule).inc()
        if (outcome.live_refused is None) != (outcome.shadow_refused is None):
            kind = "refused_only_live" if outcome.shadow_refused is None else "refused_only_shadow"
            book.kinds[kind] += 1
            self.differences.labels(name, kind).inc()
        for (path, kind), alerts in outcome.places.items():
            book.kinds[kind] += alerts
            self.differences.labels(name, kind).inc(alerts)
            book.add_place((path, kind), alerts)


_SHADOWS: weakref.WeakKeyDictionary[Metrics, Shadows] = weakref.WeakKeyDictionary()
_SHADOWS_LOCK = threading.Lock()


def shadows_for(metrics: Metrics) -> Shadows:
    """The proxy's `Shadows`, made (its metrics registered) the first time a route needs it."""
    shadows = _SHADOWS.get(metrics)
    if shadows is None:
        with _SHADOWS_LOCK:
            shadows = _SHADOWS.get(metrics)
            if shadows is None:
                shadows = _SHADOWS[metrics] = Shadows(metrics.registry)
    return shadows


def shadow_summary(metrics: Metrics, route: LiveRoute) -> dict[str, Any] | None:
    """The route's shadow summary for the console, or None when it has no shadow policy:
    `{"name", "digest", "live_digest", "since", "alerts", "differing_alerts", "skipped",
    "errors", "differences": {kind: n}, "refusals": {"live"|"shadow": {rule: n}},
    "paths": [{"path", "kind", "count"}] (most counted first), "other_paths": {kind: n}}`."""
    if route.shadow is None:
        return None
    return shadows_for(metrics).summary(route)


# ------------------------------------------------------------------------ the hook


class ShadowWatch:
    """One request's view for the shadow: `load` remembers the parsed body, `compare` hands it
    with the live result to the shadow. Without a shadow policy, both do nothing."""

    __slots__ = ("_doc", "_large", "_load", "_route", "_shadows", "load")

    def __init__(
        self, shadows: Shadows | None, route: LiveRoute, load: Callable[[], Awaitable[Any]]
    ) -> None:
        self._shadows = shadows
        self._route = route
        self._load = load
        self._doc: Any = _MISSING
        self._large = False
        self.load: Callable[[], Awaitable[Any]] = load if shadows is None else self._remember

    async def _remember(self) -> Any:
        self._doc = await self._load()
        self._large = OFFLOAD.holds_turn()
        return self._doc

    def compare(self, live: Sequence[HasBody] | Refusal) -> None:
        """After the live alerts are queued (or the body refused): never raises."""
        if self._shadows is None or self._doc is _MISSING:
            return
        try:
            self._shadows.submit(self._route, self._doc, live, large=self._large)
        except Exception as exc:
            self._shadows.errors.labels(self._route.name).inc()
            log.warning(
                "shadow policy not run",
                extra={"route": self._route.name, "reason": type(exc).__name__},
            )


def watch(metrics: Metrics, route: LiveRoute, load: Callable[[], Awaitable[Any]]) -> ShadowWatch:
    """The shadow's view of one request of `route` (see `ShadowWatch`)."""
    return ShadowWatch(None if route.shadow is None else shadows_for(metrics), route, load)
