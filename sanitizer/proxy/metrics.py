"""Prometheus metrics. Label values are route names, rule ids and reasons from config or
code, never from a payload. Spool gauges are read when scraped."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class _SpoolCollector:
    def __init__(self, read: Callable[[], tuple[int, int, int]]) -> None:
        self._read = read

    def collect(self):
        depth, queued_bytes, dead = self._read()
        yield GaugeMetricFamily(
            "sanitizer_spool_depth", "Alerts queued, not yet delivered.", value=depth
        )
        yield GaugeMetricFamily(
            "sanitizer_spool_bytes",
            "Bytes of alerts queued, not yet delivered.",
            value=queued_bytes,
        )
        yield GaugeMetricFamily(
            "sanitizer_dead_letters", "Alerts in the dead-letter table.", value=dead
        )


class Metrics:
    """Every metric the proxy exports, in one registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
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
        self.ready = Gauge(
            "sanitizer_ready", "1 when a policy is loaded and the spool writable.", registry=r
        )

    def init_route(self, route: str) -> None:
        """Export a route's series at zero from the start, as Prometheus users expect."""
        for metric in (self.received, self.queued, self.delivered, self.notices):
            metric.labels(route)
        self.request_seconds.labels(route)
        self.delivery_seconds.labels(route)

    def watch_spool(self, read: Callable[[], tuple[int, int, int]]) -> None:
        self.registry.register(_SpoolCollector(read))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class DeliveryMetrics:
    """The delivery workers' events, counted in `Metrics`."""

    def __init__(self, metrics: Metrics) -> None:
        self._m = metrics

    def delivered(self, route: str, seconds: float) -> None:
        self._m.delivered.labels(route).inc()
        self._m.delivery_seconds.labels(route).observe(seconds)

    def retried(self, route: str, reason: str) -> None:
        self._m.retried.labels(route, reason).inc()

    def dead_lettered(self, route: str, reason: str) -> None:
        self._m.dead_lettered.labels(route, reason).inc()
