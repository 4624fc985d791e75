"""The sender-side outbox (`sanitizer.outbox`): durable, private, claimed exactly once."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sanitizer.errors import SendError
from sanitizer.outbox import Claim, Outbox, default_outbox

URL = "http://127.0.0.1:8080/v1/alerts/nagios"
OTHER_URL = "http://127.0.0.1:8080/v1/alerts/other"
LEASE = 60.0


def outbox(directory: Path, max_bytes: int = 1 << 20) -> Outbox:
    return Outbox(directory, max_bytes=max_bytes, lease=LEASE)


def alert_id(box: Outbox, claim: Claim) -> int:
    return int(box.read(claim)["alert"]["n"])


def test_an_enqueued_alert_is_a_0600_file_in_a_0700_directory(tmp_path):
    box = outbox(tmp_path / "outbox")
    name = box.enqueue(URL, "token", {"n": 1})
    path = tmp_path / "outbox" / "queue" / name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for directory in (tmp_path / "outbox", *(tmp_path / "outbox").iterdir()):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert box.queued(URL) == [name]


def test_a_looser_existing_outbox_directory_is_made_0700(tmp_path):
    (tmp_path / "outbox").mkdir(mode=0o755)
    outbox(tmp_path / "outbox")
    assert stat.S_IMODE((tmp_path / "outbox").stat().st_mode) == 0o700


def test_the_entry_holds_the_route_and_token_file_path_never_the_token(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token-value")
    box = outbox(tmp_path / "outbox")
    name = box.enqueue(URL, str(token_file), {"n": 1})
    text = (tmp_path / "outbox" / "queue" / name).read_text()
    assert URL in text and str(token_file) in text and "s3cret-token-value" not in text


def test_queued_lists_only_the_given_routes_alerts_oldest_first(tmp_path):
    box = outbox(tmp_path / "outbox")
    mine = [box.enqueue(URL, None, {"n": n}) for n in range(3)]
    box.enqueue(OTHER_URL, None, {"n": 99})
    assert box.queued(URL) == mine
    assert len(box.queued()) == 4


def test_past_the_size_cap_enqueue_refuses_and_writes_nothing(tmp_path):
    box = outbox(tmp_path / "outbox", max_bytes=400)
    box.enqueue(URL, None, {"n": 1, "text": "x" * 100})
    with pytest.raises(SendError, match=r"outbox .* is full .* NOT queued"):
        box.enqueue(URL, None, {"n": 2, "text": "x" * 300})
    assert len(box.queued()) == 1


def test_an_alert_claimed_by_one_process_cannot_be_claimed_by_another(tmp_path):
    first, second = outbox(tmp_path / "o"), outbox(tmp_path / "o")
    name = first.enqueue(URL, None, {"n": 1})
    assert first.claim(name) is not None
    assert second.claim(name) is None
    assert first.queued() == []


def test_a_claim_abandoned_past_its_lease_is_taken_back_and_a_live_one_is_not(tmp_path):
    box = outbox(tmp_path / "o")
    dead = box.claim(box.enqueue(URL, None, {"n": 1}))
    live = box.claim(box.enqueue(URL, None, {"n": 2}))
    assert dead is not None and live is not None
    os.utime(dead.path, (0, 0))  # its claimer died long ago
    assert outbox(tmp_path / "o").reclaim_expired() == 1
    assert box.queued() == [dead.name]


def test_a_rejected_alert_is_kept_in_rejected_with_its_status(tmp_path):
    box = outbox(tmp_path / "o")
    claim = box.claim(box.enqueue(URL, None, {"n": 1}))
    assert claim is not None
    kept = box.reject(claim, "http422")
    assert kept.parent.name == "rejected" and kept.name.endswith(".http422")
    assert box.queued() == [] and box.size() == kept.stat().st_size


def test_an_outbox_of_another_user_is_refused_in_one_line(tmp_path, monkeypatch):
    (tmp_path / "o").mkdir()
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(tmp_path / "o").st_uid + 1)
    with pytest.raises(SendError, match="belongs to another user"):
        outbox(tmp_path / "o")


def test_the_default_outbox_follows_the_environment(tmp_path):
    assert default_outbox({"SANITIZER_OUTBOX": str(tmp_path)}) == tmp_path
    if not Path("/var/spool/sanitizer-outbox").is_dir():
        assert default_outbox({"XDG_STATE_HOME": str(tmp_path)}) == (
            tmp_path / "sanitizer" / "outbox"
        )


# Property: actors (each one `Outbox` object, as one `send` process would hold) flush the
# same directory in any interleaving; an actor may fail a delivery (the alert goes back and
# its flush ends) or crash holding a claim (the file stays in claimed/ until its lease runs
# out). Every alert is delivered exactly once, and each flush delivers in enqueue order.

ACTORS = 2
steps = st.lists(
    st.tuples(
        st.sampled_from(["enqueue", "next", "deliver", "fail", "crash"]),
        st.integers(0, ACTORS - 1),
    ),
    max_size=60,
)

# B delivers 1 while A holds 0; A's delivery fails and 0 goes back: B's flush must not take it.
RELEASED_BEHIND_A_FLUSH = [
    *[("enqueue", 0), ("enqueue", 0), ("next", 0), ("next", 1), ("deliver", 1)],
    *[("fail", 0), ("next", 1), ("deliver", 1)],
]
# A crashes holding 0; B's next flush takes it back once the lease has run out.
CRASHED_CLAIM = [
    *[("enqueue", 0), ("enqueue", 1), ("next", 0), ("crash", 0), ("next", 1)],
    *[("deliver", 1), ("next", 1), ("deliver", 1)],
]


class Actor:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.restart()

    def restart(self) -> None:
        self.box = outbox(self.directory)
        self.flush = None
        self.held: Claim | None = None
        self.session: list[int] = []

    def end_flush(self, sessions: list[list[int]]) -> None:
        if self.flush is not None:
            self.flush.close()
        sessions.append(self.session)
        self.flush, self.session = None, []


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps)
@example(steps=RELEASED_BEHIND_A_FLUSH)
@example(steps=CRASHED_CLAIM)
def test_any_interleaving_of_flushers_delivers_every_alert_once_in_order(tmp_path_factory, steps):
    directory = tmp_path_factory.mktemp("outbox")
    actors = [Actor(directory) for _ in range(ACTORS)]
    enqueued: list[int] = []
    delivered: list[int] = []
    sessions: list[list[int]] = []

    def deliver(actor: Actor) -> None:
        assert actor.held is not None
        number = alert_id(actor.box, actor.held)
        actor.box.done(actor.held)
        actor.held = None
        delivered.append(number)
        actor.session.append(number)

    for action, index in steps:
        actor = actors[index]
        if action == "enqueue":
            enqueued.append(len(enqueued))
            actor.box.enqueue(URL, None, {"n": enqueued[-1]})
        elif action == "next" and actor.held is None:
            if actor.flush is None:
                actor.flush = actor.box.claims(URL)
            actor.held = next(actor.flush, None)
            if actor.held is None:
                actor.end_flush(sessions)
        elif action == "deliver" and actor.held is not None:
            deliver(actor)
        elif action == "fail" and actor.held is not None:
            actor.box.release(actor.held)
            actor.held = None
            actor.end_flush(sessions)
        elif action == "crash" and actor.held is not None:
            os.utime(actor.held.path, (0, 0))  # as if the lease ran out since
            actor.end_flush(sessions)
            actor.restart()
    for actor in actors:  # the survivors finish what they hold
        if actor.held is not None:
            deliver(actor)
        actor.end_flush(sessions)
    last = Actor(directory)  # a later flush delivers the rest
    last.flush = last.box.claims(URL)
    while (claim := next(last.flush, None)) is not None:
        last.held = claim
        deliver(last)
    last.end_flush(sessions)

    assert sorted(delivered) == enqueued
    for session in sessions:
        assert session == sorted(session)
    assert list((directory / "queue").iterdir()) == []
    assert list((directory / "claimed").iterdir()) == []
