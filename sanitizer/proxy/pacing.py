"""Pacing: how fast delivery may send to one receiver, as a token bucket per lane.

A lane is one route's upstream, or one routing key of it where the receiver limits per routing
key (VictorOps: the key travels with each queued alert). An upstream's `rate:` option is
`{per_second: X, burst: N}` or `{per_minute: X, burst: N}` (`burst` defaults to one second's
worth, at least 1), or `off` for no pacing; each receiver type has its own default
(`UpstreamType.rate`). A bucket holds at most `burst` tokens and gains `per_second` tokens a
second, so in any window of t seconds it grants at most `burst + per_second * t` sends.

A `Retry-After` on a 429 or 503 blocks the whole lane until it runs out: the receiver has
said it takes nothing more from this key for that long.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sanitizer.errors import ConfigError

MAX_PER_SECOND = 100_000.0
MAX_BURST = 100_000
_OFF = (False, "off", "none")


@dataclass(frozen=True)
class Rate:
    """Sends per second, and how many may go at once after a quiet spell."""

    per_second: float
    burst: int

    def describe(self) -> str:
        return f"{self.per_second:g}/s, burst {self.burst}"


def per_minute(count: float, burst: int) -> Rate:
    return Rate(count / 60.0, burst)


def parse_rate(raw: Any, *, where: str, default: Rate | None) -> Rate | None:
    """An upstream's `rate:` value (`where` names it in errors), its type's `default` when
    absent, None for `off`. Raises a one-line `ConfigError` naming the field and the fix."""
    if raw is None:
        return default
    if raw in _OFF:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError(
            "must be {per_second: X, burst: N}, {per_minute: X, burst: N} or off", field=where
        )
    unknown = sorted(str(key) for key in raw if key not in ("per_second", "per_minute", "burst"))
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r}; allowed: per_second or per_minute, burst", field=where
        )
    given = [key for key in ("per_second", "per_minute") if key in raw]
    if len(given) != 1:
        raise ConfigError("give exactly one of per_second and per_minute", field=where)
    unit = given[0]
    value = raw[unit]
    scale = 1.0 if unit == "per_second" else 60.0
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
        or value / scale > MAX_PER_SECOND
    ):
        raise ConfigError(
            f"must be a number above 0 and at most {MAX_PER_SECOND * scale:g}",
            field=f"{where}.{unit}",
        )
    rate = float(value) / scale
    burst = raw.get("burst", max(1, math.ceil(rate)))
    if isinstance(burst, bool) or not isinstance(burst, int) or not 1 <= burst <= MAX_BURST:
        raise ConfigError(f"must be an integer from 1 to {MAX_BURST}", field=f"{where}.burst")
    return Rate(rate, burst)


class TokenBucket:
    """`take(now)` grants a send (0.0) or says how many seconds until it could (> 0).
    `now` is a monotonic clock; a clock that steps back is treated as standing still."""

    def __init__(self, rate: Rate, now: float) -> None:
        self.rate = rate
        self._tokens = float(rate.burst)
        self._updated = now
        self._blocked_until = -math.inf

    def _refill(self, now: float) -> None:
        if now > self._updated:
            gained = (now - self._updated) * self.rate.per_second
            self._tokens = min(float(self.rate.burst), self._tokens + gained)
            self._updated = now

    def take(self, now: float) -> float:
        self._refill(now)
        if now < self._blocked_until:
            return self._blocked_until - now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate.per_second

    def block(self, until: float, now: float) -> None:
        """Grant nothing before `until` (a Retry-After), and start again from an empty bucket."""
        self._refill(now)
        self._blocked_until = max(self._blocked_until, until)
        self._tokens = 0.0


_UNPACED = Rate(math.inf, 1)


class Pacer:
    """The buckets of every lane. A lane without a rate is only ever blocked by Retry-After."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def _bucket(self, lane: tuple[str, str], rate: Rate | None, now: float) -> TokenBucket:
        bucket = self._buckets.get(lane)
        wanted = rate or _UNPACED
        if bucket is None or bucket.rate != wanted:  # new lane, or its rate changed on reload
            bucket = self._buckets[lane] = TokenBucket(wanted, now)
        return bucket

    def take(self, lane: tuple[str, str], rate: Rate | None, now: float) -> float:
        """0.0 when the lane may send now (a token is spent), else the seconds to wait."""
        bucket = self._buckets.get(lane)
        if rate is None and bucket is None:
            return 0.0
        return self._bucket(lane, rate, now).take(now)

    def block(self, lane: tuple[str, str], rate: Rate | None, seconds: float, now: float) -> None:
        self._bucket(lane, rate, now).block(now + seconds, now)


def spill_times(
    waiting: Iterable[tuple[Hashable, Rate | None, bool]],
    booked: dict[Hashable, float],
    now: float,
) -> list[float | None]:
    """Which claimed alerts to hand back to the spool while their lane is out of tokens.

    `waiting` is each claimed alert, in claim order: its lane, the lane's rate, and whether it
    waits on that lane (for a token, or behind an earlier alert of its incident). The first
    `burst` of a paced lane stay in memory (None); each later one gets the time (on the clock
    of `now`) when its lane can have sent everything before it, counting what earlier calls
    handed back (`booked`, the last time given per lane, updated here), so it comes back from
    the spool about when its token does. Held in memory instead, a storm on one paced lane
    would fill delivery's claim window and every other route's alerts would wait behind it.
    """
    seen: dict[Hashable, int] = {}
    times: list[float | None] = []
    for lane, rate, on_lane in waiting:
        if rate is None or not on_lane or math.isinf(rate.per_second):
            times.append(None)
            continue
        position = seen.get(lane, 0)
        seen[lane] = position + 1
        if position < rate.burst:
            times.append(None)
            continue
        start = max(now + rate.burst / rate.per_second, booked.get(lane, now))
        booked[lane] = due = start + 1.0 / rate.per_second
        times.append(due)
    return times
