"""PagerDuty Events API v2 ingress: /v2/enqueue and /v2/change/enqueue on a real proxy process,
delivering to a PagerDuty-shaped stand-in (and a capture file for change events)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from sanitizer.keys import generate_token
from tests.capture import wait_for_captured
from tests.proxyproc import ROOT, ProxyProcess, environment, start_proxy

# Canaries: generated per run, so a hit can only come from this run's own input.
INBOUND = generate_token()  # the events route's routing_key, as senders have it
CHANGES_INBOUND = generate_token()  # the change-events route's
UPSTREAM_KEY = "pd-upstream-" + uuid.uuid4().hex  # the real integration key, upstream only


@pytest.fixture(scope="module")
def proxy(tmp_path_factory, standin_server):
    workdir = tmp_path_factory.mktemp("pagerduty")
    config = f"""\
spool: {{path: spool}}
delivery: {{workers: 2, backoff_base: 0.05, backoff_cap: 0.3}}
routes:
  pagerduty:
    credentials: [{{env: PD_INBOUND}}]
    policy: {ROOT / "rules/pagerduty-events.yaml"}
    upstream:
      type: pagerduty
      url: '{standin_server.url}/v2/enqueue'
      routing_key: {{env: PD_UPSTREAM_KEY}}
  changes:
    credentials: [{{env: PD_CHANGES_INBOUND}}]
    policy: {ROOT / "rules/pagerduty-events.yaml"}
    upstream: {{type: capture, path: captured.jsonl}}
"""
    env = environment(
        PD_INBOUND=INBOUND, PD_CHANGES_INBOUND=CHANGES_INBOUND, PD_UPSTREAM_KEY=UPSTREAM_KEY
    )
    running = start_proxy(workdir, config, env=env)
    yield running
    running.stop()


def enqueue(proxy: ProxyProcess, event: Any, path: str = "/v2/enqueue", **headers: str):
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    with proxy.died_explained():
        return httpx.post(
            f"{proxy.url}{path}",
            content=body,
            headers={"content-type": "application/json", **headers},
            timeout=10,
        )


def trigger(dedup_key: str | None = None, **payload: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "routing_key": INBOUND,
        "event_action": "trigger",
        "payload": {
            "summary": "PG connections at 498/500 on db-prod-07.corp.internal",
            "source": "db-prod-07.corp.internal",
            "severity": "critical",
            **payload,
        },
    }
    if dedup_key is not None:
        event["dedup_key"] = dedup_key
    return event


def resolve(dedup_key: str) -> dict[str, Any]:
    return {"routing_key": INBOUND, "event_action": "resolve", "dedup_key": dedup_key}


def change_event(routing_key: str) -> dict[str, Any]:
    """A deploy note as PagerDuty documents change events."""
    return {
        "routing_key": routing_key,
        "payload": {
            "summary": "Build Success: raise the snapshot timeout to 30 seconds",
            "timestamp": "2020-07-17T08:42:58.315+0000",
            "source": "acme-build-pipeline-tool-default-i-9999",
            "custom_details": {"build_state": "passed", "build_number": "2"},
        },
        "links": [{"href": "https://ci.corp.internal/build/2", "text": "View in CI"}],
    }


def delivered(standin, n: int) -> list[dict[str, Any]]:
    return [json.loads(request["body"]) for request in standin.wait_for(n)]


def test_trigger_then_resolve_with_the_same_dedup_key_reach_pagerduty_with_one_key(proxy, standin):
    sender_key = "pg-connections/db-prod-07.corp.internal"
    first = enqueue(proxy, trigger(sender_key))
    assert first.status_code == 202, first.text
    assert first.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": sender_key,
    }
    second = enqueue(proxy, resolve(sender_key))
    assert second.status_code == 202, second.text
    assert second.json()["dedup_key"] == sender_key
    opened, closed = delivered(standin, 2)
    assert (opened["event_action"], closed["event_action"]) == ("trigger", "resolve")
    assert opened["dedup_key"] == closed["dedup_key"], "the resolve must close the trigger's alert"
    assert sender_key not in json.dumps(opened), "the policy hashes dedup_key (it names a host)"
    assert opened["routing_key"] == closed["routing_key"] == UPSTREAM_KEY


def test_a_trigger_without_dedup_key_gets_one_that_is_returned_and_resolves_it(proxy, standin):
    first = enqueue(proxy, trigger())
    assert first.status_code == 202, first.text
    generated = first.json()["dedup_key"]
    assert uuid.UUID(generated)  # as PagerDuty makes them
    other = enqueue(proxy, trigger())
    assert other.json()["dedup_key"] != generated, "each trigger without a key is a new alert"
    assert enqueue(proxy, resolve(generated)).status_code == 202
    events = delivered(standin, 3)
    by_action: dict[str, list[str]] = {}
    for event in events:
        by_action.setdefault(event["event_action"], []).append(event["dedup_key"])
    [closed] = by_action["resolve"]
    assert closed in by_action["trigger"] and len(set(by_action["trigger"])) == 2


def test_the_inbound_routing_key_never_reaches_the_upstream_or_the_log(proxy, standin):
    assert enqueue(proxy, trigger("canary-check")).status_code == 202
    assert enqueue(proxy, resolve("canary-check")).status_code == 202
    requests = standin.wait_for(2)
    assert INBOUND not in json.dumps(requests)
    assert INBOUND not in proxy.log() and UPSTREAM_KEY not in proxy.log()


def test_a_change_event_is_answered_as_pagerduty_does_and_queued_without_its_routing_key(proxy):
    event = change_event(CHANGES_INBOUND)
    answer = enqueue(proxy, event, "/v2/change/enqueue")
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"status": "success", "message": "Change event processed"}
    queued = [json.loads(line) for line in proxy.log().splitlines() if "alert queued" in line]
    alert_id = next(entry["alert_id"] for entry in reversed(queued) if entry["route"] == "changes")
    captured = wait_for_captured(proxy.workdir / "captured.jsonl", alert_id)
    assert captured is not None and "routing_key" not in captured
    assert captured["payload"]["summary"]
    assert CHANGES_INBOUND not in (proxy.workdir / "captured.jsonl").read_text()


def assert_invalid_event(answer: httpx.Response, *expected: str) -> list[str]:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["status"] == "invalid event" and isinstance(body["message"], str)
    assert isinstance(body["errors"], list) and body["errors"]
    for text in expected:
        assert any(text in error for error in body["errors"]), body
    return body["errors"]


@pytest.mark.parametrize(
    "routing_key",
    [None, "", "not-a-configured-key-at-all", 42, ["list"]],
    ids=["missing", "empty", "unknown", "number", "list"],
)
def test_an_unknown_routing_key_is_refused_in_pagerdutys_shape(proxy, standin, routing_key):
    event = trigger("unknown-key")
    if routing_key is None:
        del event["routing_key"]
    else:
        event["routing_key"] = routing_key
    before = proxy.metric("sanitizer_alerts_received_total")
    assert_invalid_event(enqueue(proxy, event), "Invalid routing key")
    assert proxy.metric("sanitizer_alerts_received_total") == before
    assert proxy.metric("sanitizer_alerts_refused_total", reason="unauthorized") > 0
    assert standin.requests() == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"event_action": None}, "'event_action' is missing"),
        ({"event_action": "CANARY-action"}, "'event_action' is invalid"),
        ({"event_action": "resolve", "dedup_key": None}, "'dedup_key' is required for resolve"),
        (
            {"event_action": "acknowledge", "dedup_key": ""},
            "'dedup_key' is required for acknowledge",
        ),
        ({"dedup_key": "x" * 256}, "'dedup_key' must be a string of at most 255"),
        ({"dedup_key": {"CANARY-nested": 1}}, "'dedup_key' must be a string"),
        ({"payload": "CANARY-payload"}, "'payload' is missing or not an object"),
        ({"payload": {"source": "s", "severity": "info"}}, "'payload.summary' is missing"),
        ({"payload": {"summary": "s", "severity": "info"}}, "'payload.source' is missing"),
        ({"payload": {"summary": "s", "source": "s"}}, "'payload.severity' is missing"),
        (
            {"payload": {"summary": "s", "source": "s", "severity": "CANARY-sev"}},
            "'payload.severity' is invalid",
        ),
    ],
)
def test_an_event_of_the_wrong_shape_gets_pagerdutys_400_without_quoting_it(
    proxy, standin, change, expected
):
    event = {**trigger("shape"), **change}
    event = {key: value for key, value in event.items() if value is not None}
    errors = assert_invalid_event(enqueue(proxy, event), expected)
    assert "CANARY" not in json.dumps(errors)
    assert standin.requests() == []


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"{not json", {}),
        (b"[1, 2]", {}),
        (json.dumps(trigger("media")).encode(), {"content-type": "text/plain"}),
        (b'{"routing_key": "' + b"x" * 2_000_000 + b'"}', {}),
    ],
    ids=["bad-json", "not-an-object", "media-type", "too-large"],
)
def test_a_body_that_cannot_be_read_gets_pagerdutys_400(proxy, standin, body, headers):
    assert_invalid_event(enqueue(proxy, body, **headers))
    assert standin.requests() == []


def test_a_change_event_reaches_pagerdutys_change_endpoint_with_the_upstream_key(proxy, standin):
    """PagerDuty tells a change event by its URL: the proxy marks it `event_action: change`
    for the policy and the upstream sends it, without that mark, to /v2/change/enqueue."""
    event = change_event(INBOUND)
    answer = enqueue(proxy, event, "/v2/change/enqueue")
    assert answer.status_code == 202, answer.text
    received = standin.wait_for(1)[-1]
    assert received["path"].endswith("/v2/change/enqueue")
    body = json.loads(received["body"])
    assert body["routing_key"] == UPSTREAM_KEY and "event_action" not in body
    assert body["payload"]["summary"]


def test_a_policy_or_contract_refusal_is_a_final_400_naming_the_rule(proxy, standin):
    """A trigger whose severity the policy keeps but PagerDuty does not know: the pagerduty
    contract refuses it rather than open an incident PagerDuty would drop."""
    event = {**trigger("refused"), "payload": {**trigger("refused")["payload"], "severity": "x"}}
    answer = enqueue(proxy, event)
    assert answer.status_code == 400, answer.text
    assert standin.requests() == []


def test_a_full_spool_answers_503_with_retry_after_in_pagerdutys_shape(tmp_path, standin):
    standin.set_mode("fail503")
    config = f"""\
spool: {{path: spool, max_bytes: 4096}}
delivery: {{workers: 1, backoff_base: 0.05, backoff_cap: 0.3}}
routes:
  pagerduty:
    credentials: [{{env: PD_INBOUND}}]
    policy: {ROOT / "rules/pagerduty-events.yaml"}
    upstream:
      type: pagerduty
      url: '{standin.url}/v2/enqueue'
      routing_key: {{env: PD_UPSTREAM_KEY}}
"""
    env = environment(PD_INBOUND=INBOUND, PD_UPSTREAM_KEY=UPSTREAM_KEY)
    running = start_proxy(tmp_path, config, env=env)
    try:
        answers = [enqueue(running, trigger(f"full-{n}")) for n in range(20)]
        codes = {answer.status_code for answer in answers}
        assert codes <= {202, 503} and 503 in codes, codes
        refused = next(answer for answer in answers if answer.status_code == 503)
        assert int(refused.headers["retry-after"]) > 0
        assert refused.json()["status"] == "unavailable"
    finally:
        running.stop()
        standin.set_mode("ok")
