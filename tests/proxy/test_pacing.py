"""Pacing and order: the token bucket's bound, the `rate:` option, Retry-After blocking a lane,
and per-incident order under random outcomes with several workers and retries."""

from __future__ import annotations

import asyncio
import itertools
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanitizer.errors import ConfigError
from sanitizer.proxy.delivery import Delivered, Deliverer, Rejected, RetryLater, RetryPolicy
from sanitizer.proxy.pacing import (
    Pacer,
    Rate,
    TokenBucket,
    parse_rate,
    per_minute,
    spill_times,
)
from sanitizer.proxy.spool import Spool, SpooledAlert
from sanitizer.proxy.upstreams import build_upstream
from sanitizer.proxy.upstreams.outcome import parse_retry_after

ENV = {"K": "a-secret-key"}
WHERE = "routes.pd.upstream.rate"

# ---------------------------------------------------------------- the token bucket

rates = st.builds(
    Rate,
    per_second=st.floats(min_value=0.01, max_value=1000, allow_nan=False),
    burst=st.integers(min_value=1, max_value=50),
)
steps = st.lists(st.floats(min_value=0, max_value=2, allow_nan=False), min_size=1, max_size=300)


@given(rate=rates, gaps=steps)
def test_bucket_never_grants_more_than_burst_plus_rate_times_window(rate, gaps):
    now = 1000.0
    bucket = TokenBucket(rate, now)
    granted: list[float] = []
    for gap in gaps:
        now += gap
        if bucket.take(now) == 0.0:
            granted.append(now)
    for i, start in enumerate(granted):
        for j in range(i, len(granted)):
            window = granted[j] - start
            assert j - i + 1 <= rate.burst + rate.per_second * window + 1e-6


@given(rate=rates, gaps=steps)
def test_bucket_grants_when_it_said_it_would(rate, gaps):
    now = 0.0
    bucket = TokenBucket(rate, now)
    for gap in gaps:
        now += gap
        wait = bucket.take(now)
        if wait > 0:
            assert bucket.take(now + wait + 1e-9) == 0.0
            now += wait + 1e-9


def test_bucket_starts_full_then_paces_at_its_rate():
    bucket = TokenBucket(Rate(2.0, 3), 0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(0.5)
    assert bucket.take(0.5) == 0.0


def test_a_clock_stepping_back_grants_nothing_extra():
    bucket = TokenBucket(Rate(1.0, 1), 100.0)
    assert bucket.take(100.0) == 0.0
    assert bucket.take(50.0) > 0


@given(seconds=st.floats(min_value=0.001, max_value=1000, allow_nan=False))
def test_a_blocked_lane_grants_nothing_before_its_retry_after(seconds):
    pacer = Pacer()
    lane = ("pd", "")
    pacer.block(lane, None, seconds, now=10.0)
    assert pacer.take(lane, None, 10.0 + seconds * 0.999) > 0
    assert pacer.take(lane, None, 10.0 + seconds) == 0.0


def test_an_unpaced_lane_is_never_held():
    pacer = Pacer()
    assert all(pacer.take(("hook", ""), None, 0.0) == 0.0 for _ in range(10_000))


# ---------------------------------------------------------------- the rate: option


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"per_second": 5, "burst": 20}, Rate(5.0, 20)),
        ({"per_minute": 120, "burst": 10}, Rate(2.0, 10)),
        ({"per_second": 2.5}, Rate(2.5, 3)),
        ({"per_minute": 30}, Rate(0.5, 1)),
        (False, None),
        ("off", None),
    ],
)
def test_rate_option_forms(raw, expected):
    assert parse_rate(raw, where=WHERE, default=Rate(9, 9)) == expected


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (5, WHERE),
        ({"per_second": 1, "per_minute": 60}, WHERE),
        ({"burst": 3}, WHERE),
        ({"per_sec": 1}, WHERE),
        ({"per_second": 0}, f"{WHERE}.per_second"),
        ({"per_second": -1}, f"{WHERE}.per_second"),
        ({"per_second": float("nan")}, f"{WHERE}.per_second"),
        ({"per_second": True}, f"{WHERE}.per_second"),
        ({"per_minute": "120"}, f"{WHERE}.per_minute"),
        ({"per_second": 1, "burst": 0}, f"{WHERE}.burst"),
        ({"per_second": 1, "burst": 1.5}, f"{WHERE}.burst"),
    ],
)
def test_bad_rate_is_one_line_naming_the_field(raw, field):
    with pytest.raises(ConfigError) as caught:
        parse_rate(raw, where=WHERE, default=None)
    assert caught.value.field == field
    assert "\n" not in str(caught.value)


def test_receiver_types_have_documented_default_rates():
    pd = {"type": "pagerduty", "routing_key": {"env": "K"}}
    vo = {"type": "victorops", "api_key": {"env": "K"}}
    hook = {"type": "webhook", "url": "https://hooks.example/x"}
    assert build_upstream(pd, route="pd", environ=ENV).rate == per_minute(120, burst=10)
    assert build_upstream(vo, route="vo", environ=ENV).rate == per_minute(120, burst=10)
    assert build_upstream(hook, route="h", environ=ENV).rate is None
    paced = build_upstream({**hook, "rate": {"per_second": 50}}, route="h", environ=ENV)
    assert paced.rate == Rate(50.0, 50)
    assert build_upstream({**pd, "rate": "off"}, route="pd", environ=ENV).rate is None


def test_bad_rate_on_an_upstream_names_the_route():
    config = {"type": "pagerduty", "routing_key": {"env": "K"}, "rate": {"per_minute": 0}}
    with pytest.raises(ConfigError) as caught:
        build_upstream(config, route="pd", environ=ENV)
    assert caught.value.field == "routes.pd.upstream.rate.per_minute"


def test_retry_after_as_seconds_and_http_date():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:12 GMT", now=10.0) == pytest.approx(2.0)
    assert parse_retry_after("soon") is None


# ---------------------------------------------------------------- order keys of the receivers


def spooled(body: dict, routing_key: str | None = None) -> SpooledAlert:
    return SpooledAlert("a" * 32, "r", routing_key, json.dumps(body).encode(), 0.0, 0)


def test_pagerduty_orders_by_the_dedup_key_it_sends():
    plain = build_upstream(
        {"type": "pagerduty", "routing_key": {"env": "K"}}, route="pd", environ=ENV
    )
    assert plain.order_key(spooled({"dedup_key": "abc", "event_action": "resolve"})) == "abc"
    assert plain.order_key(spooled({"event_action": "change"})) is None
    computed = build_upstream(
        {"type": "pagerduty", "routing_key": {"env": "K"}, "dedup_key": "host"},
        route="pd",
        environ=ENV,
    )
    assert computed.order_key(spooled({"host": "db1", "dedup_key": "x"})) == "db1"
    assert plain.order_key(SpooledAlert("b" * 32, "r", None, b"not json", 0.0, 0)) is None


def test_victorops_orders_by_entity_id_and_paces_per_routing_key():
    vo = build_upstream(
        {"type": "victorops", "api_key": {"env": "K"}, "routing_key": "ops"},
        route="vo",
        environ=ENV,
    )
    assert vo.order_key(spooled({"entity_id": "disk/db1"})) == "disk/db1"
    assert vo.pace_key(spooled({}, routing_key="team-b")) == "team-b"
    assert vo.pace_key(spooled({})) == "ops"


# ---------------------------------------------------------------- order under retries


class KeyedSender:
    """Random outcomes; checks at every attempt that no earlier alert of its key is unsettled."""

    rate = None

    def __init__(self, seed: int, queued: dict[str, list[str]]) -> None:
        self.rng = random.Random(seed)
        self.queued = queued  # key → alert ids in queue order
        self.settled: set[str] = set()
        self.delivered: dict[str, list[str]] = {}
        self.violations: list[str] = []

    def order_key(self, alert: SpooledAlert) -> str:
        return json.loads(alert.body)["k"]

    def pace_key(self, alert: SpooledAlert) -> str:
        return ""

    async def send(self, alert: SpooledAlert):
        key = self.order_key(alert)
        ids = self.queued[key]
        earlier = ids[: ids.index(alert.id)]
        if any(other not in self.settled for other in earlier):
            self.violations.append(alert.id)
        await asyncio.sleep(self.rng.choice((0, 0, 0.001, 0.003)))
        roll = self.rng.random()
        if roll < 0.3:
            return RetryLater("http 503")
        if roll < 0.35:
            self.settled.add(alert.id)
            return Rejected("http 400")
        self.settled.add(alert.id)
        self.delivered.setdefault(key, []).append(alert.id)
        return Delivered()


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    seed=st.integers(0, 2**32),
    keys=st.lists(st.sampled_from("abcde"), min_size=5, max_size=40),
    workers=st.integers(1, 6),
)
def test_alerts_of_one_key_are_sent_in_queue_order_despite_retries(
    tmp_path_factory, seed, keys, workers
):
    directory = tmp_path_factory.mktemp("spool")
    queued: dict[str, list[str]] = {}
    sender = KeyedSender(seed, queued)

    async def main() -> None:
        spool = Spool(directory, max_bytes=1 << 22)
        await spool.start()
        deliverer = Deliverer(
            spool,
            lambda route: sender,
            workers=workers,
            retry=RetryPolicy(base=0.002, cap=0.01, max_age=3600),
            rng=random.Random(seed),
            poll_interval=0.002,
        )
        await deliverer.start()
        try:
            for n, key in enumerate(keys):
                body = json.dumps({"k": key, "n": n}).encode()
                queued.setdefault(key, []).append(await spool.append("r", body))
                deliverer.wake()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while spool.depth() or spool.dead_count() + sum(
                map(len, sender.delivered.values())
            ) < len(keys):
                assert loop.time() < deadline, "not everything was settled in time"
                await asyncio.sleep(0.005)
        finally:
            await deliverer.stop(timeout=1)
            await spool.close()

    asyncio.run(main())
    assert sender.violations == []
    for key, delivered in sender.delivered.items():
        order = queued[key]
        assert delivered == sorted(delivered, key=order.index)


def test_retry_after_holds_back_the_whole_lane(tmp_path):
    """After a 429 with Retry-After, no alert of that lane is sent before it runs out."""
    attempts: list[tuple[str, float]] = []
    now = [0.0]

    class Limited:
        rate = Rate(1000.0, 1000)

        def pace_key(self, alert):
            return ""

        async def send(self, alert):
            attempts.append((alert.id, now[0]))
            return RetryLater("HTTP 429", retry_after=5.0) if len(attempts) == 1 else Delivered()

    async def main() -> None:
        spool = Spool(tmp_path, max_bytes=1 << 20, clock=lambda: now[0] + 1e6)
        await spool.start()
        deliverer = Deliverer(
            spool,
            lambda route: Limited(),
            workers=1,
            clock=lambda: now[0] + 1e6,
            monotonic=lambda: now[0],
            poll_interval=0.002,
        )
        await deliverer.start()
        try:
            await spool.append("r", b"{}")
            deliverer.wake()
            while not attempts:
                await asyncio.sleep(0.002)
            await spool.append("r", b"{}")
            for step in range(1, 6):  # 1 s at a time: the second alert waits for the lane
                await asyncio.sleep(0.03)
                assert len(attempts) == 1, f"sent {step - 1} s after a Retry-After of 5 s"
                assert deliverer.backlog() == {("r", "token"): 1}
                now[0] = float(step)
            deliverer.wake()
            while len(attempts) < 2:
                await asyncio.sleep(0.002)
            assert attempts[1][1] >= 5.0
        finally:
            await deliverer.stop(timeout=1)
            await spool.close()

    asyncio.run(main())


# ---------------------------------------------------------------- a storm on one lane


@given(
    rate=st.floats(0.1, 50.0),
    burst=st.integers(1, 5),
    rounds=st.lists(st.lists(st.sampled_from("ab"), max_size=30), min_size=1, max_size=3),
)
def test_spilled_alerts_come_back_one_token_apart_after_the_burst(rate, burst, rounds):
    paced = Rate(rate, burst)
    booked: dict = {}
    given_out: dict[str, list[float]] = {}
    for now, lanes in enumerate(rounds):
        times = spill_times(((lane, paced, True) for lane in lanes), booked, float(now))
        for position, (lane, due) in enumerate(zip(lanes, times, strict=True)):
            if lanes[: position + 1].count(lane) <= burst:
                assert due is None  # the first `burst` of a lane stay in memory
                continue
            assert due is not None and due >= now + burst / rate
            given_out.setdefault(lane, []).append(due)
    for dues in given_out.values():
        assert all(b - a >= 1 / rate * 0.999 for a, b in itertools.pairwise(dues))
    assert spill_times([("a", None, True), ("a", paced, False)], {}, 0.0) == [None, None]


def test_a_storm_on_one_paced_route_does_not_hold_back_another_route(tmp_path):
    """100 alerts to a route paced at 2/s are queued first, then one to an unpaced route: it
    is delivered at once, not after the storm (which would take 50 s)."""
    sent: dict[str, int] = {"slow": 0, "fast": 0}

    class Sender:
        def __init__(self, route: str, rate: Rate | None) -> None:
            self.route, self.rate = route, rate

        def pace_key(self, alert):
            return ""

        async def send(self, alert):
            sent[self.route] += 1
            return Delivered()

    senders = {"slow": Sender("slow", Rate(2.0, 1)), "fast": Sender("fast", None)}

    async def main() -> None:
        spool = Spool(tmp_path, max_bytes=1 << 22)
        await spool.start()
        deliverer = Deliverer(spool, senders.get, workers=2, hold=8, poll_interval=0.005)
        try:
            await spool.append_many("slow", [b"{}"] * 100)
            await spool.append("fast", b"{}")
            await deliverer.start()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while not sent["fast"]:
                assert loop.time() < deadline, "the unpaced route waited behind the storm"
                await asyncio.sleep(0.01)
            assert sent["slow"] < 50
            await deliverer.stop(timeout=1)
            # The storm's rest waits in the spool (handed back, due later): nothing is lost.
            assert spool.depth() + sent["slow"] + sent["fast"] == 101
        finally:
            await deliverer.stop(timeout=1)
            await spool.close()

    asyncio.run(main())
