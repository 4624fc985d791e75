"""Prometheus metrics. Label values are route names, policy names, rule ids and reasons from
config or code, never from a payload. Spool gauges are read when scraped.

Counters and histograms export no `_created` series: `render` leaves them out for this
registry only (prometheus-client's `disable_created_metrics()` would switch them off for every
registry in the process)."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from sanitizer import __version__
from sanitizer.policy.apply import Policy

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
DIGEST_SHOWN = 12  # hex digits of `Policy.digest` in `sanitizer_policy_info`, as shown to humans


class SpoolFigures(NamedTuple):
    """What the spool gauges show, read when scraped."""

    depth: int
    queued_bytes: int
    dead: int
    max_bytes: int
    oldest_created_at: float | None  # when the oldest queued alert was queued; None: empty


class _SpoolCollector:
    def __init__(self, read: Callable[[], SpoolFigures], clock: Callable[[], float]) -> None:
        self._read = read
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        figures = self._read()
        oldest = figures.oldest_created_at
        age = 0.0 if oldest is None else max(0.0, self._clock() - oldest)
        yield GaugeMetricFamily(
            "sanitizer_spool_depth", "Alerts queued, not yet delivered.", value=figures.depth
        )
        yield GaugeMetricFamily(
            "sanitizer_spool_bytes",
            "Bytes of alerts queued, not yet delivered.",
            value=figures.queued_bytes,
        )
        yield GaugeMetricFamily(
            "sanitizer_spool_max_bytes",
            "The spool's configured limit (spool.max_bytes): alerts beyond it are answered 503.",
            value=figures.max_bytes,
        )
        yield GaugeMetricFamily(
            "sanitizer_spool_oldest_age_seconds",
            "Seconds the oldest queued alert has waited for delivery; 0 when the queue is empty.",
            value=age,
        )
        yield GaugeMetricFamily(
            "sanitizer_dead_letters", "Alerts in the dead-letter table.", value=figures.dead
        )


class _PolicyCollector:
    """`sanitizer_policy_info`: one series per route, replaced whole on reload, so a removed
    route leaves no stale series behind."""

    def __init__(self) -> None:
        self._rows: tuple[tuple[str, str, str], ...] = ()

    def replace(self, policies: Mapping[str, Policy]) -> None:
        self._rows = tuple(
            (route, policy.name, policy.digest[:DIGEST_SHOWN])
            for route, policy in sorted(policies.items())
        )

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "sanitizer_policy_info",
            "The policy each route runs: its name and the first 12 hex digits of the SHA-256 "
            "of its YAML text. Always 1.",
            labels=["route", "policy", "digest"],
        )
        for row in self._rows:
            family.add_metric(list(row), 1)
        yield family


class _WithoutCreated:
    """The registry as `generate_latest` reads it, minus every `_created` sample."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        for family in self._registry.collect():
            created = family.name + "_created"
            # Families are built afresh by each collect(): trimming this one changes nothing
            # the registry keeps.
            family.samples = [s for s in family.samples if s.name != created]
            yield family


class _BacklogCollector:
    def __init__(self, read: Callable[[], Mapping[tuple[str, str], int]]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "sanitizer_delivery_waiting",
            "Alerts claimed for delivery and not sent yet, by route and what they wait for: "
            "worker (a free delivery worker), token (the route's rate) or order (an earlier "
            "alert of the same incident).",
            labels=["route", "reason"],
        )
        for (route, reason), count in sorted(self._read().items()):
            family.add_metric([route, reason], count)
        yield family


class Metrics:
    """Every metric the proxy exports, in one registry of its own."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._series: dict[tuple[object, tuple[str, ...]], Any] = {}
        self._clock = clock
        self._policies = _PolicyCollector()
        self._exported = _WithoutCreated(self.registry)
        r = self.registry
        r.register(self._policies)
        Gauge(
            "sanitizer_build_info",
            "The running proxy's version and Python version. Always 1.",
            ["version", "python"],
            registry=r,
        ).labels(__version__, platform.python_version()).set(1)
        self.received = Counter(
            "sanitizer_alerts_received", "Alert requests received.", ["route"], registry=r
        )
        self.refused = Counter(
            "sanitizer_alerts_refused",
            "Alert requests answered with an error, by reason.",
            ["route", "reason"],
            registry=r,
        )
        self.rule_refusals = Counter(
            "sanitizer_rule_refusals",
            "Alerts refused by the policy, by refusing rule.",
            ["route", "rule"],
            registry=r,
        )
        self.queued = Counter(
            "sanitizer_alerts_queued", "Sanitized alerts durably queued.", ["route"], registry=r
        )
        self.delivered = Counter(
            "sanitizer_alerts_delivered", "Alerts delivered upstream.", ["route"], registry=r
        )
        self.retried = Counter(
            "sanitizer_delivery_retries",
            "Delivery attempts to retry.",
            ["route", "reason"],
            registry=r,
        )
        self.dead_lettered = Counter(
            "sanitizer_alerts_dead_lettered",
            "Alerts moved to the dead-letter table.",
            ["route", "reason"],
            registry=r,
        )
        self.rule_hits = Counter(
            "sanitizer_rule_hits", "Changes made by each rule.", ["route", "rule"], registry=r
        )
        self.notices = Counter(
            "sanitizer_refusal_notices",
            "Value-free stand-in alerts queued for refused alerts.",
            ["route"],
            registry=r,
        )
        self.reloads = Counter(
            "sanitizer_config_reloads", "Config reloads, by result.", ["result"], registry=r
        )
        for result in ("ok", "failed"):
            self.reloads.labels(result)
        self.last_reload_ok = Gauge(
            "sanitizer_config_last_reload_successful",
            "0 when the last config reload failed (the previous config keeps serving), else 1.",
            registry=r,
        )
        self.last_reload_ok.set(1)
        self.worker_restarts = Counter(
            "sanitizer_sanitize_worker_restarts",
            "Times the sanitizing worker process stopped unexpectedly and was restarted.",
            registry=r,
        )
        self.worker_ready = Gauge(
            "sanitizer_sanitize_worker_ready",
            "1 while a sanitizing worker process is ready (small bodies are sanitized there), "
            "0 while they are sanitized inline.",
            registry=r,
        )
        self.request_seconds = Histogram(
            "sanitizer_request_duration_seconds",
            "Time to answer an alert request.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.delivery_seconds = Histogram(
            "sanitizer_delivery_duration_seconds",
            "Time of one successful upstream delivery.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.paced_seconds = Counter(
            "sanitizer_delivery_paced_seconds",
            "Seconds alerts waited for their route's rate (pacing) before being sent.",
            ["route"],
            registry=r,
        )
        self.tls_expiry = Gauge(
            "sanitizer_tls_certificate_expiry_timestamp_seconds",
            "When the listener's TLS certificate expires (Unix time); absent without TLS.",
            ["listener"],
            registry=r,
        )
        self.ready = Gauge(
            "sanitizer_ready",
            "1 when a policy is loaded and the spool writable, as /readyz would answer.",
            registry=r,
        )

    def series(self, metric: Counter | Histogram, *labels: str) -> Any:
        """`metric.labels(*labels)`, remembered: a lookup costs more than the increment it
        leads to, and every alert needs several. Bounded as prometheus-client's own children
        are: label values are route names, rule ids and reasons from config or code."""
        key = (metric, labels)
        child = self._series.get(key)
        if child is None:
            child = self._series[key] = metric.labels(*labels)
        return child

    def init_route(self, route: str) -> None:
        """Export a route's series at zero from the start, as Prometheus users expect."""
        for metric in (
            self.received,
            self.queued,
            self.delivered,
            self.notices,
            self.paced_seconds,
        ):
            metric.labels(route)
        self.request_seconds.labels(route)
        self.delivery_seconds.labels(route)

    def count_reload(self, *, ok: bool) -> None:
        self.reloads.labels("ok" if ok else "failed").inc()
        self.last_reload_ok.set(1 if ok else 0)

    def watch_readiness(self, read: Callable[[], bool]) -> None:
        """Read `sanitizer_ready` when scraped, so it is right whether or not anything
        probes /readyz."""
        self.ready.set_function(lambda: 1.0 if read() else 0.0)

    def set_policies(self, policies: Mapping[str, Policy]) -> None:
        """The policy of each route (route name to policy), replacing the previous set whole:
        call at start and after every successful reload."""
        self._policies.replace(policies)

    def watch_spool(self, read: Callable[[], SpoolFigures]) -> None:
        self.registry.register(_SpoolCollector(read, self._clock))

    def watch_delivery(self, read: Callable[[], Mapping[tuple[str, str], int]]) -> None:
        self.registry.register(_BacklogCollector(read))

    def render(self) -> bytes:
        return generate_latest(self._exported)


class DeliveryMetrics:
    """The delivery workers' events, counted in `Metrics`."""

    def __init__(self, metrics: Metrics) -> None:
        self._m = metrics

    def delivered(self, route: str, seconds: float) -> None:
        self._m.series(self._m.delivered, route).inc()
        self._m.series(self._m.delivery_seconds, route).observe(seconds)

    def retried(self, route: str, reason: str) -> None:
        self._m.retried.labels(route, reason).inc()

    def dead_lettered(self, route: str, reason: str) -> None:
        self._m.dead_lettered.labels(route, reason).inc()

    def paced(self, route: str, seconds: float) -> None:
        self._m.paced_seconds.labels(route).inc(max(seconds, 0.0))
