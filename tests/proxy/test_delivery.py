"""Delivery workers against a real spool, with scripted senders (plain classes, no mocks)."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanitizer.proxy.delivery import (
    Delivered,
    Deliverer,
    Outcome,
    Rejected,
    RetryLater,
    RetryPolicy,
)
from sanitizer.proxy.spool import Spool, SpooledAlert

BODY = b'{"host": "SECRET-BODY-VALUE"}'


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class ScriptedSender:
    """Returns (or raises, or awaits) the next scripted step; the last step repeats."""

    def __init__(self, *steps: Outcome | BaseException | Callable[[], Awaitable[Outcome]]):
        self.steps = list(steps)
        self.calls: list[tuple[str, int]] = []
        self.active = 0
        self.most_active = 0

    async def send(self, alert: SpooledAlert) -> Outcome:
        self.calls.append((alert.id, alert.attempts))
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            if isinstance(step, BaseException):
                raise step
            if callable(step):
                return await step()
            await asyncio.sleep(0)
            return step
        finally:
            self.active -= 1


class Events:
    def __init__(self) -> None:
        self.seen: list[tuple] = []

    def delivered(self, route: str, seconds: float) -> None:
        self.seen.append(("delivered", route))

    def retried(self, route: str, reason: str) -> None:
        self.seen.append(("retried", route, reason))

    def dead_lettered(self, route: str, reason: str) -> None:
        self.seen.append(("dead_lettered", route, reason))


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


def row(directory: Path, alert_id: str) -> tuple[int, float, str | None]:
    conn = sqlite3.connect(directory / "spool.db")
    try:
        return conn.execute(
            "SELECT attempts, next_attempt_at, last_error FROM queue WHERE id = ?", (alert_id,)
        ).fetchone()
    finally:
        conn.close()


class Rig:
    """A started spool and deliverer on one fake clock, for one test."""

    def __init__(self, directory: Path, sender: ScriptedSender | None, **kwargs) -> None:
        self.directory = directory
        self.clock = Clock()
        self.events = Events()
        self.routes: dict[str, ScriptedSender] = {"vo": sender} if sender else {}
        self.kwargs = kwargs

    async def __aenter__(self) -> Rig:
        self.spool = Spool(self.directory, max_bytes=1 << 20, clock=self.clock)
        await self.spool.start()
        self.kwargs.setdefault("rng", random.Random(7))
        self.deliverer = Deliverer(
            self.spool,
            self.routes.get,
            events=self.events,
            clock=self.clock,
            monotonic=self.clock,
            poll_interval=0.01,
            **self.kwargs,
        )
        await self.deliverer.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.deliverer.stop(timeout=1)
        await self.spool.close()

    async def append(self, route: str = "vo") -> str:
        alert_id = await self.spool.append(route, BODY)
        self.deliverer.wake()
        return alert_id

    async def attempts_reach(self, alert_id: str, attempts: int) -> tuple[int, float, str | None]:
        """Wait until the row records `attempts` and its claim is released."""
        await until(lambda: (row(self.directory, alert_id) or (0,))[0] >= attempts)
        await until(lambda: alert_id not in self.deliverer._inflight)
        return row(self.directory, alert_id)


# ---------------------------------------------------------------- outcomes


def test_delivered_alert_leaves_the_spool(tmp_path):
    sender = ScriptedSender(Delivered())

    async def main() -> None:
        async with Rig(tmp_path, sender) as rig:
            alert_id = await rig.append()
            await until(lambda: rig.spool.depth() == 0)
            assert sender.calls == [(alert_id, 0)]
            assert rig.events.seen == [("delivered", "vo")]
            assert rig.spool.queued_bytes() == 0

    asyncio.run(main())


def test_retry_later_reschedules_within_full_jitter_bounds(tmp_path):
    sender = ScriptedSender(RetryLater("http 503"))
    policy = RetryPolicy(base=1.0, cap=5.0)

    async def main() -> None:
        async with Rig(tmp_path, sender, retry=policy) as rig:
            alert_id = await rig.append()
            for n in range(6):  # bounds 1, 2, 4, 5 (cap), 5, 5
                attempts, due, error = await rig.attempts_reach(alert_id, n + 1)
                assert (attempts, error) == (n + 1, "http 503")
                assert 0 <= due - rig.clock.now <= min(5.0, 1.0 * 2**n)
                rig.clock.now = due
                rig.deliverer.wake()
            assert [a for _, a in sender.calls] == list(range(7))[: len(sender.calls)]
            assert ("retried", "vo", "http 503") in rig.events.seen
            assert rig.spool.depth() == 1

    asyncio.run(main())


def test_retry_after_wins_when_longer_and_is_capped(tmp_path):
    sender = ScriptedSender(RetryLater("http 429", retry_after=120.0), RetryLater("http 429", 1e9))
    policy = RetryPolicy(base=1.0, cap=300.0)

    async def main() -> None:
        async with Rig(tmp_path, sender, retry=policy) as rig:
            alert_id = await rig.append()
            _, due, _ = await rig.attempts_reach(alert_id, 1)
            assert due - rig.clock.now == 120.0
            rig.clock.now = due
            rig.deliverer.wake()
            _, due, _ = await rig.attempts_reach(alert_id, 2)
            assert due - rig.clock.now == 300.0

    asyncio.run(main())


def test_rejected_alert_is_dead_lettered(tmp_path):
    sender = ScriptedSender(Rejected("http 400"))

    async def main() -> None:
        async with Rig(tmp_path, sender) as rig:
            alert_id = await rig.append()
            await until(lambda: rig.spool.dead_count() == 1)
            (dead,) = rig.spool.list_dead()
            assert (dead["id"], dead["reason"], dead["attempts"]) == (alert_id, "http 400", 1)
            assert rig.spool.depth() == 0
            assert rig.events.seen == [("dead_lettered", "vo", "http 400")]

    asyncio.run(main())


def test_alert_older_than_max_age_is_dead_lettered_instead_of_retried(tmp_path):
    sender = ScriptedSender(RetryLater("http 503"))

    async def main() -> None:
        async with Rig(tmp_path, sender, retry=RetryPolicy(max_age=60.0)) as rig:
            alert_id = await rig.append()
            await rig.attempts_reach(alert_id, 1)
            rig.clock.now += 61
            rig.deliverer.wake()
            await until(lambda: rig.spool.dead_count() == 1)
            (dead,) = rig.spool.list_dead()
            assert (dead["reason"], dead["attempts"]) == ("max_age exceeded: last try http 503", 2)
            assert rig.events.seen[-1] == ("dead_lettered", "vo", "max_age exceeded")

    asyncio.run(main())


def test_no_retry_is_scheduled_past_max_age(tmp_path):
    sender = ScriptedSender(RetryLater("http 429", retry_after=100.0))

    async def main() -> None:
        async with Rig(tmp_path, sender, retry=RetryPolicy(max_age=10.0)) as rig:
            created = rig.clock.now
            alert_id = await rig.append()
            _, due, _ = await rig.attempts_reach(alert_id, 1)
            assert due == created + 10.0  # a last try at the deadline, then a dead letter
            rig.clock.now = due
            rig.deliverer.wake()
            await until(lambda: rig.spool.dead_count() == 1)

    asyncio.run(main())


def test_crashing_sender_is_retried_and_its_message_is_never_logged(tmp_path, caplog):
    secret = "https://api.example/key=SECRET-API-KEY"
    sender = ScriptedSender(RuntimeError(secret), Delivered())

    async def main() -> None:
        async with Rig(tmp_path, sender) as rig:
            alert_id = await rig.append()
            attempts, due, error = await rig.attempts_reach(alert_id, 1)
            assert (attempts, error) == (1, "sender raised RuntimeError")
            rig.clock.now = due
            rig.deliverer.wake()
            await until(lambda: rig.spool.depth() == 0)
            assert [a for _, a in sender.calls] == [0, 1]

    with caplog.at_level(logging.DEBUG, logger="sanitizer"):
        asyncio.run(main())
    logged = " ".join(r.getMessage() + repr(r.__dict__) for r in caplog.records)
    assert "RuntimeError" in logged
    assert "SECRET-API-KEY" not in logged


def test_a_sender_returning_no_outcome_is_retried(tmp_path):
    sender = ScriptedSender(None, Delivered())  # type: ignore[arg-type]

    async def main() -> None:
        async with Rig(tmp_path, sender) as rig:
            alert_id = await rig.append()
            _, due, error = await rig.attempts_reach(alert_id, 1)
            assert error == "sender returned no outcome"
            rig.clock.now = due
            rig.deliverer.wake()
            await until(lambda: rig.spool.depth() == 0)

    asyncio.run(main())


def test_alert_for_a_vanished_route_is_kept_until_the_route_returns(tmp_path):
    sender = ScriptedSender(Delivered())

    async def main() -> None:
        async with Rig(tmp_path, None) as rig:
            alert_id = await rig.append("gone")
            _, due, error = await rig.attempts_reach(alert_id, 1)
            assert error == "route not configured"
            assert rig.spool.depth() == 1
            rig.routes["gone"] = sender  # hot reload brings the route back
            rig.clock.now = due
            rig.deliverer.wake()
            await until(lambda: rig.spool.depth() == 0)
            assert len(sender.calls) == 1

    asyncio.run(main())


def test_failing_event_hooks_do_not_stop_delivery(tmp_path):
    class Broken:
        def delivered(self, route: str, seconds: float) -> None:
            raise ValueError

        retried = dead_lettered = delivered

    async def main() -> None:
        async with Rig(tmp_path, ScriptedSender(Delivered())) as rig:
            rig.deliverer._events = Broken()
            await rig.append()
            await until(lambda: rig.spool.depth() == 0)

    asyncio.run(main())


# ---------------------------------------------------------------- workers and shutdown


def test_no_more_sends_at_once_than_workers(tmp_path):
    async def slow() -> Outcome:
        await asyncio.sleep(0.02)
        return Delivered()

    sender = ScriptedSender(slow)

    async def main() -> None:
        async with Rig(tmp_path, sender, workers=3) as rig:
            for _ in range(12):
                await rig.append()
            await until(lambda: rig.spool.depth() == 0)
            assert len(sender.calls) == 12
            assert sender.most_active == 3

    asyncio.run(main())


def test_alerts_behind_busy_workers_are_counted_as_waiting_for_a_worker(tmp_path):
    release = asyncio.Event()

    async def held_open() -> Outcome:
        await release.wait()
        return Delivered()

    sender = ScriptedSender(held_open)

    async def main() -> None:
        async with Rig(tmp_path, sender, workers=2) as rig:
            for _ in range(7):
                await rig.append()
            await until(lambda: sender.active == 2 and len(rig.deliverer._held) == 5)
            assert rig.deliverer.backlog() == {("vo", "worker"): 5}
            release.set()
            await until(lambda: rig.spool.depth() == 0)
            assert rig.deliverer.backlog() == {}
            assert sender.most_active == 2

    asyncio.run(main())


def test_stop_waits_for_sends_in_flight(tmp_path):
    async def slow() -> Outcome:
        await asyncio.sleep(0.1)
        return Delivered()

    sender = ScriptedSender(slow)

    async def main() -> None:
        async with Rig(tmp_path, sender) as rig:
            await rig.append()
            await until(lambda: sender.active == 1)
            await rig.deliverer.stop(timeout=5)
            assert rig.spool.depth() == 0

    asyncio.run(main())


def test_stop_leaves_unfinished_sends_in_the_spool(tmp_path):
    never = asyncio.Event

    async def hang() -> Outcome:
        await never().wait()
        return Delivered()

    sender = ScriptedSender(hang)

    async def main() -> str:
        async with Rig(tmp_path, sender) as rig:
            alert_id = await rig.append()
            await until(lambda: sender.active == 1)
            await rig.deliverer.stop(timeout=0.05)
            assert rig.spool.depth() == 1
            assert [a.id for a in rig.spool.claim_due(10)] == [alert_id]  # claim given up
        return alert_id

    alert_id = asyncio.run(main())

    async def restarted() -> None:
        spool = Spool(tmp_path, max_bytes=1 << 20)
        await spool.start()
        (alert,) = spool.claim_due(10)
        assert (alert.id, alert.attempts, alert.body) == (alert_id, 0, BODY)
        await spool.close()

    asyncio.run(restarted())


def test_log_lines_carry_ids_and_outcomes_never_the_body(tmp_path, caplog):
    sender = ScriptedSender(RetryLater("http 503"), Rejected("http 422"))

    async def main() -> str:
        async with Rig(tmp_path, sender) as rig:
            alert_id = await rig.append()
            _, due, _ = await rig.attempts_reach(alert_id, 1)
            rig.clock.now = due
            rig.deliverer.wake()
            await until(lambda: rig.spool.dead_count() == 1)
        return alert_id

    with caplog.at_level(logging.DEBUG, logger="sanitizer"):
        alert_id = asyncio.run(main())
    records = [r for r in caplog.records if r.name == "sanitizer.delivery"]
    assert [(r.outcome, r.attempts) for r in records] == [("retry", 1), ("dead_letter", 2)]
    assert all((r.alert_id, r.route) == (alert_id, "vo") for r in records)
    everything = " ".join(r.getMessage() + repr(r.__dict__) for r in caplog.records)
    assert "SECRET-BODY-VALUE" not in everything


# ---------------------------------------------------------------- RetryPolicy


@given(
    attempts=st.integers(min_value=0, max_value=5000),
    base=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    cap=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    retry_after=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_next_delay_stays_within_jitter_and_retry_after_bounds(
    attempts, base, cap, retry_after, seed
):
    policy = RetryPolicy(base=base, cap=cap)
    delay = policy.next_delay(attempts, retry_after, random.Random(seed))
    ceiling = float(min(Fraction(cap), Fraction(base) * 2**attempts))  # exact, no overflow
    assert 0 <= delay <= cap
    if retry_after is None or math.isnan(retry_after) or retry_after <= 0:
        assert delay <= ceiling
    else:
        assert delay >= min(retry_after, cap)
        assert delay <= max(ceiling, min(retry_after, cap))
    assert delay == policy.next_delay(attempts, retry_after, random.Random(seed))


def test_full_jitter_spreads_over_the_whole_window():
    rng = random.Random(1)
    delays = [RetryPolicy(base=1.0, cap=300.0).next_delay(3, None, rng) for _ in range(2000)]
    assert min(delays) < 0.5 and max(delays) > 7.5  # the window is [0, 8]


def test_retry_policy_refuses_negative_or_infinite_settings():
    with pytest.raises(ValueError):
        RetryPolicy(base=-1)
    with pytest.raises(ValueError):
        RetryPolicy(cap=math.inf)


UNRECORDED_SCRIPT = """
    import asyncio, json, resource, signal, sys, time
    from sanitizer.proxy import delivery as delivery_module
    from sanitizer.proxy.spool import store as spool_module
    from sanitizer.proxy.delivery import Delivered, Deliverer
    from sanitizer.proxy.spool import Spool

    spool_module.PROBE_INTERVAL = 0.05
    delivery_module.UNRECORDED_RETRY = 0.05
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    class DiskFillsWhileSending:
        calls = 0

        async def send(self, alert):
            DiskFillsWhileSending.calls += 1
            wal = spool.path.with_name(spool.path.name + "-wal")
            resource.setrlimit(resource.RLIMIT_FSIZE, (wal.stat().st_size, resource.RLIM_INFINITY))
            return Delivered()

    async def main():
        global spool
        spool = Spool(sys.argv[1], max_bytes=1 << 20)
        await spool.start()
        deliverer = Deliverer(spool, lambda route: DiskFillsWhileSending(), poll_interval=0.01)
        await deliverer.start()
        await spool.append("vo", b"{}")
        deliverer.wake()
        while spool.writable():
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # many polls while the outcome cannot be recorded
        report = {"depth_broken": spool.depth(), "calls_broken": DiskFillsWhileSending.calls}
        infinity = resource.RLIM_INFINITY
        resource.setrlimit(resource.RLIMIT_FSIZE, (infinity, infinity))
        deadline = time.monotonic() + 5
        while spool.depth() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        report.update(depth_after=spool.depth(), calls_after=DiskFillsWhileSending.calls)
        await deliverer.stop()
        await spool.close()
        print(json.dumps(report))

    asyncio.run(main())
"""


def test_an_outcome_the_spool_cannot_record_is_recorded_later_without_resending(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(UNRECORDED_SCRIPT), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "depth_broken": 1,
        "calls_broken": 1,
        "depth_after": 0,
        "calls_after": 1,
    }
