"""The live tap: `GET /api/tap` streams each alert queued while it is open, sanitized, and
value-free counts; a slow listener loses alerts (counted) and never holds intake up."""

from __future__ import annotations

import asyncio
import json
import signal
import threading

import httpx
import pytest

from sanitizer.console.tap import LISTENER_QUEUE, TapHub, stream
from tests.console.adminproc import NAGIOS_ALERT, Events, start_admin
from tests.proxyproc import ROOT

NAGIOS = (ROOT / "tests/fixtures/alerts/nagios-service-critical.json").read_bytes()


# A SERVICESTATE that is not text refuses the alert (rule state-is-text).
POLICY = """\
version: 1
name: tapped
rules:
  - {id: state-is-text, action: expect, select: SERVICESTATE, type: string, on_mismatch: refuse}
  - {id: type, action: set, select: message_type, value: CRITICAL}
  - {id: keep, action: allow, select: [message_type, HOSTNAME, SERVICESTATE]}
"""


@pytest.fixture(scope="module")
def admin(tmp_path_factory, standin_server):
    workdir = tmp_path_factory.mktemp("console-tap")
    (workdir / "tapped.yaml").write_text(POLICY, encoding="utf-8")
    running = start_admin(workdir, standin_server.url, policy=str(workdir / "tapped.yaml"))
    yield running
    running.proxy.stop()


def test_the_tap_streams_an_alert_queued_after_connecting_as_delivered_and_counts_it(
    admin, standin
):
    with httpx.stream("GET", f"{admin.url}/api/tap", headers=admin.headers(), timeout=30) as tap:
        assert tap.headers["content-type"].startswith("text/event-stream")
        events = Events(tap.iter_lines())
        name, first = events.next()
        assert name == "counts"
        queued_before = first["routes"]["nagios"]["queued"]
        posted = admin.proxy.post("nagios", NAGIOS)
        assert posted.status_code == 202
        _, alert = events.until(lambda name, data: name == "alert")
        assert alert["route"] == "nagios" and alert["id"] == posted.json()["id"]
        [delivered] = standin.wait_for(1)
        assert alert["alert"] == json.loads(delivered["body"])
        _, counts = events.until(
            lambda name, data: (
                name == "counts" and data["routes"]["nagios"]["queued"] == queued_before + 1
            )
        )
        assert set(counts["routes"]["nagios"]) == {"queued", "refused"}


def test_refusals_are_counted_value_free_and_never_streamed(admin):
    refused_alert = {**NAGIOS_ALERT, "SERVICESTATE": 2}
    with httpx.stream("GET", f"{admin.url}/api/tap", headers=admin.headers(), timeout=30) as tap:
        events = Events(tap.iter_lines())
        _, first = events.next()
        before = first["routes"]["nagios"]["refused"]
        answer = admin.proxy.post("nagios", json.dumps(refused_alert))
        assert answer.status_code == 422, answer.text
        name, _ = events.until(
            lambda name, data: (
                name == "alert"
                or (name == "counts" and data["routes"]["nagios"]["refused"] == before + 1)
            )
        )
        assert name == "counts"


def test_a_tap_for_an_unknown_route_is_404(admin):
    answer = admin.get("/api/tap?route=nope")
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"


def test_a_slow_listener_loses_alerts_counted_and_never_holds_intake_up():
    async def scenario() -> None:
        hub = TapHub()
        listener = hub.listen(None)
        bodies = [b'{"n":%d}' % n for n in range(LISTENER_QUEUE + 10)]
        ids = [str(n) for n in range(len(bodies))]
        hub.queued("r", ids, lambda: iter(bodies))  # returns at once: nobody reads
        assert listener.queue.qsize() == LISTENER_QUEUE
        assert listener.dropped == 10 and hub.dropped == 10
        assert hub.counts == {"r": {"queued": len(bodies), "refused": 0}}

    asyncio.run(scenario())


def test_without_a_listener_no_alert_body_is_read_or_kept():
    hub = TapHub()

    def bodies():
        raise AssertionError("read without a listener")

    hub.queued("r", ["1"], bodies)
    hub.refused("r")
    assert hub.counts == {"r": {"queued": 1, "refused": 1}}
    assert hub.listeners == set()


def test_a_listener_for_one_route_gets_only_that_routes_alerts_and_closing_ends_it():
    async def scenario() -> list[str]:
        hub = TapHub()
        events = stream(hub, "a", lambda: ["a", "b"])
        texts = [await anext(events)]  # counts: it listens from here on
        hub.queued("b", ["1"], lambda: iter([b"{}"]))
        hub.queued("a", ["2"], lambda: iter([b'{"x":1}']))
        texts.append(await anext(events))
        hub.close()
        texts.extend([text async for text in events])
        return texts

    counts, alert = asyncio.run(scenario())
    assert counts.startswith("event: counts\n")
    assert alert == 'event: alert\ndata: {"route":"a","id":"2","alert":{"x":1}}\n\n'


def test_sigterm_ends_open_taps_stops_both_listeners_and_the_proxy_drains_cleanly(
    tmp_path, standin
):
    admin = start_admin(tmp_path, standin.url)
    opened = threading.Event()
    ended = threading.Event()

    def hold_a_tap() -> None:
        with httpx.stream(
            "GET", f"{admin.url}/api/tap", headers=admin.headers(), timeout=60
        ) as tap:
            lines = tap.iter_lines()
            Events(lines).next()  # its first counts: the stream is open
            opened.set()
            for _ in lines:
                pass
        ended.set()

    with httpx.stream("GET", f"{admin.url}/api/tap", headers=admin.headers(), timeout=60) as tap:
        Events(tap.iter_lines()).next()  # it is open
        holder = threading.Thread(target=hold_a_tap, daemon=True)
        holder.start()
        assert opened.wait(30), "the second tap never opened"
        assert admin.proxy.post("nagios", NAGIOS).status_code == 202
        standin.wait_for(1)
        assert admin.proxy.stop(signal.SIGTERM) == 0
    assert ended.wait(30)
    log = admin.proxy.log()
    assert "stopped" in log and "shutting down" in log
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{admin.url}/api/routes", headers=admin.headers(), timeout=5)
