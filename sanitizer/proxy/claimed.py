"""A claimed alert waiting in delivery's memory, with what pacing and ordering read of it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sanitizer.proxy.pacing import Rate
from sanitizer.proxy.spool import SpooledAlert


@dataclass
class Held:
    """A claimed alert not sent yet, with what pacing and ordering read from its sender."""

    alert: SpooledAlert
    lane: tuple[str, str]  # (route, the receiver's rate-limit key)
    key: tuple[str, str] | None  # (route, order key): the incident it belongs to
    rate: Rate | None
    waiting: str = "worker"  # what it waits for: worker, token or order (a metrics label)
    paced_since: float | None = None  # monotonic time a token was first refused

    @property
    def paced(self) -> bool:
        """Whether its lane has a finite rate (only such alerts are ever spilled)."""
        return self.rate is not None and not math.isinf(self.rate.per_second)


def traits(sender: object, alert: SpooledAlert) -> tuple[Held, str | None]:
    """The alert's lane, order key and rate from its sender (any of them optional), and the
    name of an exception a sender's key function raised (the alert is then unordered)."""
    route = alert.route
    rate = getattr(sender, "rate", None)
    rate = rate if isinstance(rate, Rate) else None
    try:
        order_key = getattr(sender, "order_key", None)
        pace_key = getattr(sender, "pace_key", None)
        key = order_key(alert) if callable(order_key) else None
        lane = pace_key(alert) if callable(pace_key) else ""
    except Exception as exc:
        return Held(alert, (route, ""), None, rate), type(exc).__name__
    ordered = (route, key) if isinstance(key, str) else None
    return Held(alert, (route, str(lane)), ordered, rate), None
