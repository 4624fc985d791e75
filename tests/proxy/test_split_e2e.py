"""A split policy in a real proxy process: one request body of grouped alerts becomes one
queued, delivered alert per element, all of them durably before the 202, or none of them;
and the spool's `append_many` under it (one commit per set, the byte limit per set)."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sanitizer.errors import Unavailable
from sanitizer.proxy.spool import Spool
from tests.proxyproc import VICTOROPS_KEY, start_proxy

SPLIT_POLICY = """\
version: 1
name: grouped
split: {select: alerts, envelope: [receiver]}
rules:
  - {id: type, action: set, select: message_type, expr: "mt || 'CRITICAL'"}
  - {id: entity, action: set, select: entity_id, expr: fingerprint}
  - {id: refuse-marked, action: set, select: x, expr: "abs(boom)", when: "boom"}
  - {id: keep, action: allow, select: [message_type, entity_id, receiver, state_message]}
guard: [email]
"""
PAD = "p" * 350  # three alerts of ~400 bytes do not fit in a spool of 1024 bytes; two do


def config(standin_url: str, *, max_bytes: int = 200000) -> str:
    return f"""\
spool: {{path: spool, max_bytes: {max_bytes}}}
limits: {{max_body_bytes: 20000, max_depth: 16, read_timeout: 2}}
delivery: {{workers: 4, backoff_base: 0.05, backoff_cap: 0.3, max_age: 3600}}
routes:
  grouped:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: grouped.yaml
    upstream: {{type: victorops, url: '{standin_url}/integrations/generic/20131114/alert',
               api_key: {{env: VICTOROPS_API_KEY}}, routing_key: ops, transport: default}}
"""


def group(*elements: dict) -> str:
    return json.dumps(
        {"receiver": "team-db", "groupKey": '{}:{alertname="x"}', "alerts": list(elements)}
    )


def alert(fingerprint: str, **extra: str) -> dict:
    return {"fingerprint": fingerprint, "state_message": PAD, "labels": {"a": "b"}, **extra}


@pytest.fixture
def start(tmp_path, standin):
    (tmp_path / "grouped.yaml").write_text(SPLIT_POLICY)
    started = []

    def start(**options):
        proxy = start_proxy(tmp_path, config(standin.url, **options))
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def delivered_entities(requests: list[dict]) -> list[str]:
    return sorted(json.loads(request["body"])["entity_id"] for request in requests)


def test_a_group_of_three_answers_202_with_three_ids_and_delivers_three_alerts(start, standin):
    proxy = start()
    body = group(alert("f1", note="a@example.com"), alert("f2"), alert("f3", receiver="own"))
    response = proxy.post("grouped", body)
    assert response.status_code == 202, response.text
    ids = response.json()["ids"]
    assert len(ids) == 3 and len(set(ids)) == 3
    requests = standin.wait_for(3)
    assert delivered_entities(requests) == ["f1", "f2", "f3"]
    for request in requests:
        assert request["path"].endswith(f"/{VICTOROPS_KEY}/ops")
        sent = json.loads(request["body"])
        assert sent["receiver"] == ("own" if sent["entity_id"] == "f3" else "team-db")
        assert "labels" not in sent and "groupKey" not in sent
    assert proxy.metric("sanitizer_alerts_queued_total", route="grouped") == 3
    log = proxy.log()
    assert all(log.count(alert_id) >= 1 for alert_id in ids)
    assert log.count('"alert queued"') == 3 and PAD not in log


def test_a_group_of_one_still_answers_with_a_list_of_ids(start, standin):
    response = start().post("grouped", group(alert("f1")))
    assert response.status_code == 202, response.text
    assert list(response.json()) == ["ids"] and len(response.json()["ids"]) == 1
    standin.wait_for(1)


@pytest.mark.parametrize(
    ("second", "status", "rule"),
    [
        ({"boom": "CANARYBOOMVALUEX"}, 422, "refuse-marked"),
        ({"mt": "CANARYNOTATYPEX"}, 422, "contract:victorops:message_type"),
        ({"state_message": "CANARYMAIL@example.com"}, 422, "guard"),
    ],
)
def test_one_refused_alert_refuses_the_whole_body_and_queues_nothing(
    start, standin, second, status, rule
):
    proxy = start()
    response = proxy.post("grouped", group(alert("f1"), alert("f2", **second), alert("f3")))
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["rule"] == rule
    assert answer["message"].startswith("alert 2 of 3 of this body")
    assert "CANARY" not in response.text and "CANARY" not in proxy.log()
    assert proxy.metric("sanitizer_alerts_queued_total") == 0
    assert proxy.metric("sanitizer_spool_depth") == 0
    time.sleep(0.2)
    assert standin.requests() == []


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (json.dumps({"receiver": "x", "alerts": []}), "empty list"),
        (json.dumps({"receiver": "x"}), "not a list of alerts"),
        (json.dumps({"alerts": [{"fingerprint": "f1"}, "CANARYSTRINGX"]}), "element 2 of 2"),
    ],
)
def test_a_body_that_cannot_be_split_is_422_by_rule_split_and_queues_nothing(
    start, standin, body, says
):
    proxy = start()
    response = proxy.post("grouped", body)
    assert response.status_code == 422, response.text
    assert response.json()["rule"] == "split" and says in response.json()["message"]
    assert "CANARY" not in response.text
    assert proxy.metric("sanitizer_alerts_queued_total") == 0
    time.sleep(0.2)
    assert standin.requests() == []


def test_a_set_that_does_not_fit_in_the_spool_is_503_and_queues_nothing(start, standin):
    standin.set_mode("fail503")  # nothing leaves the spool during the test
    proxy = start(max_bytes=1024)
    response = proxy.post("grouped", group(alert("f1"), alert("f2"), alert("f3")))
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert proxy.metric("sanitizer_alerts_queued_total") == 0
    assert proxy.metric("sanitizer_spool_depth") == 0
    assert proxy.metric("sanitizer_spool_bytes") == 0
    # The same spool takes a set that fits: the limit counted the whole set.
    accepted = proxy.post("grouped", group(alert("f4"), alert("f5")))
    assert accepted.status_code == 202, accepted.text
    wait_until(lambda: proxy.metric("sanitizer_spool_depth") == 2)


def test_kill_9_right_after_the_202_loses_none_of_the_groups_alerts(start, standin):
    standin.set_mode("fail503")  # held in the spool, not delivered, when the kill comes
    first = start()
    response = first.post("grouped", group(alert("f1"), alert("f2"), alert("f3")))
    assert response.status_code == 202, response.text
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(10)
    standin.set_mode("ok")
    standin.clear()
    start()
    requests = standin.wait_for(3, timeout=15)
    assert delivered_entities(requests) == ["f1", "f2", "f3"]


# ------------------------------------------------------- the spool's side: one commit per set


async def _opened(directory: Path, max_bytes: int = 1 << 20) -> Spool:
    spool = Spool(directory, max_bytes=max_bytes)
    await spool.start()
    return spool


def test_append_many_commits_the_whole_set_at_once_in_order(tmp_path):
    async def main():
        spool = await _opened(tmp_path)
        before = spool.commits
        ids = await spool.append_many("grouped", [b"1", b"22", b"333"], routing_key="ops")
        commits = spool.commits - before
        await spool.close()
        reopened = await _opened(tmp_path)
        due = reopened.claim_due(10)
        await reopened.close()
        return ids, commits, due

    ids, commits, due = asyncio.run(main())
    assert commits == 1
    assert len(set(ids)) == 3
    assert {alert.id: alert.body for alert in due} == dict(
        zip(ids, [b"1", b"22", b"333"], strict=True)
    )
    assert {(alert.route, alert.routing_key) for alert in due} == {("grouped", "ops")}


def test_append_many_refuses_a_set_over_max_bytes_whole_and_keeps_nothing_reserved(tmp_path):
    async def main():
        spool = await _opened(tmp_path, max_bytes=1024)
        await spool.append_many("grouped", [b"x" * 400])
        with pytest.raises(Unavailable) as full:
            await spool.append_many("grouped", [b"y" * 400, b"z" * 400])
        state = spool.depth(), spool.queued_bytes()
        fits = await spool.append_many("grouped", [b"w" * 300, b"v" * 300])
        await spool.close()
        return full.value, state, fits

    full, (depth, queued), fits = asyncio.run(main())
    assert full.status == 503 and full.retry_after > 0
    assert (depth, queued) == (1, 400)
    assert len(fits) == 2


FAILED_COMMIT = """
import asyncio, json, resource, signal, sys
from sanitizer.proxy.spool import Spool

async def main():
    spool = Spool(sys.argv[1], max_bytes=1 << 30)
    await spool.start()
    await spool.append("vo", b"x" * 100)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    wal = spool.path.with_name(spool.path.name + "-wal")
    resource.setrlimit(resource.RLIMIT_FSIZE, (wal.stat().st_size, resource.RLIM_INFINITY))
    try:
        await spool.append_many("vo", [b"a" * 20000, b"b" * 20000, b"c" * 20000])
        outcome = "queued"
    except Exception as exc:
        outcome = type(exc).__name__
    infinity = resource.RLIM_INFINITY
    resource.setrlimit(resource.RLIMIT_FSIZE, (infinity, infinity))
    report = {"outcome": outcome, "depth": spool.depth(), "bytes": spool.queued_bytes()}
    await spool.close()
    print(json.dumps(report))

asyncio.run(main())
"""


def test_a_failed_commit_writes_none_of_the_set(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", FAILED_COMMIT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"outcome": "Unavailable", "depth": 1, "bytes": 100}
    conn = sqlite3.connect(tmp_path / "spool.db")
    try:
        assert conn.execute("SELECT size FROM queue").fetchall() == [(100,)]
    finally:
        conn.close()
