"""Prometheus metrics. Label values are route names, rule ids and reasons from config or
code, never from a payload. Spool gauges are read when scraped."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

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


class _BacklogCollector:
    def __init__(self, read: Callable[[], Mapping[tuple[str, str], int]]) -> None:
        self._read = read

    def collect(self):
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

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._series: dict[tuple[object, tuple[str, ...]], Any] = {}
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
            "sanitizer_ready", "1 when a policy is loaded and the spool writable.", registry=r
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

    def watch_spool(self, read: Callable[[], tuple[int, int, int]]) -> None:
        self.registry.register(_SpoolCollector(read))

    def watch_delivery(self, read: Callable[[], Mapping[tuple[str, str], int]]) -> None:
        self.registry.register(_BacklogCollector(read))

    def render(self) -> bytes:
        return generate_latest(self.registry)


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
