"""PagerDuty: its contract, its requests in process, and against the real stand-in."""

from __future__ import annotations

import copy
import json
import secrets
from typing import Any

import pytest

from sanitizer.proxy.delivery import Delivered
from sanitizer.proxy.upstreams.pagerduty import URL
from tests.standin import StandIn
from tests.upstreams.contracts import CANARY, VALID_PD, check, refusal
from tests.upstreams.sending import (
    ALERT,
    STATUS_IDS,
    STATUS_OUTCOMES,
    alert,
    answered,
    build,
    send,
)


def test_pagerduty_accepts_a_valid_trigger_unchanged():
    alert = copy.deepcopy(VALID_PD)
    assert check("pagerduty", alert) is alert


def test_pagerduty_missing_event_action_is_a_trigger_as_the_upstream_sends_it():
    alert = {k: v for k, v in VALID_PD.items() if k != "event_action"}
    assert check("pagerduty", alert) is alert
    caught = refusal("pagerduty", {"dedup_key": "x"})
    assert caught.rule == "contract:pagerduty:payload"


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_pagerduty_acknowledge_and_resolve_need_no_payload(action):
    alert = {"event_action": action, "dedup_key": "pg/db-1"}
    assert check("pagerduty", alert) is alert


def test_pagerduty_refuses_an_unknown_event_action_and_lowercases_a_known_one():
    assert (
        refusal("pagerduty", {**VALID_PD, "event_action": CANARY}).rule
        == "contract:pagerduty:event_action"
    )
    fixed = check("pagerduty", {**VALID_PD, "event_action": "TRIGGER"})
    assert fixed["event_action"] == "trigger"


@pytest.mark.parametrize("field", ["summary", "source"])
def test_pagerduty_trigger_needs_summary_and_source(field):
    payload = {k: v for k, v in VALID_PD["payload"].items() if k != field}
    caught = refusal("pagerduty", {**VALID_PD, "payload": payload})
    assert caught.rule == f"contract:pagerduty:{field}"
    assert f"payload.{field}" in caught.message


def test_pagerduty_severity_is_one_of_four():
    for severity in ("critical", "error", "warning", "info"):
        alert = {**VALID_PD, "payload": {**VALID_PD["payload"], "severity": severity}}
        assert check("pagerduty", alert) is alert
    alert = {**VALID_PD, "payload": {**VALID_PD["payload"], "severity": "Warning"}}
    assert check("pagerduty", alert)["payload"]["severity"] == "warning"
    assert alert["payload"]["severity"] == "Warning"
    alert = {**VALID_PD, "payload": {**VALID_PD["payload"], "severity": "high"}}
    assert refusal("pagerduty", alert).rule == "contract:pagerduty:severity"


def test_pagerduty_summary_is_truncated_and_dedup_key_over_255_is_refused():
    alert = {**VALID_PD, "payload": {**VALID_PD["payload"], "summary": "s" * 1100}}
    assert len(check("pagerduty", alert)["payload"]["summary"]) == 1024
    assert refusal("pagerduty", alert, truncate=False).rule == "contract:pagerduty:summary"
    assert check("pagerduty", {**VALID_PD, "dedup_key": "k" * 255}) is not None
    caught = refusal("pagerduty", {**VALID_PD, "dedup_key": "k" * 256})
    assert caught.rule == "contract:pagerduty:dedup_key"


def test_pagerduty_custom_details_may_be_any_object_and_images_a_list_of_objects():
    payload = {**VALID_PD["payload"], "custom_details": {"free": [1, {"x": None}]}}
    alert = {**VALID_PD, "payload": payload, "images": [{"src": "https://x.example/a.png"}]}
    alert["payload"]["timestamp"] = "2026-11-24T05:12:44Z"
    assert check("pagerduty", alert) is alert


def test_pagerduty_request_in_process_puts_the_routing_key_in_the_body_only():
    routing_key = secrets.token_hex(16)
    request, outcome = answered(
        {
            "type": "pagerduty",
            "routing_key": {"env": "PD"},
            "dedup_key": "join('/', [host, check])",
        },
        {"PD": routing_key},
        alert(),
    )
    assert outcome == Delivered()
    assert request.method == "POST"
    assert str(request.url) == URL
    assert request.headers["content-type"] == "application/json"
    assert routing_key not in str(request.url) + str(request.headers)
    assert json.loads(request.content) == {
        **ALERT,
        "dedup_key": "web-1/disk",
        "event_action": "trigger",
        "routing_key": routing_key,
    }


@pytest.mark.parametrize(("status", "headers", "expected"), STATUS_OUTCOMES, ids=STATUS_IDS)
def test_pagerduty_answer_maps_to_an_outcome_in_process(status, headers, expected):
    config = {"type": "pagerduty", "routing_key": {"env": "PD"}}
    _, outcome = answered(config, {"PD": "r" * 16}, alert(), status, headers)
    assert outcome == expected


def test_pagerduty_routing_key_dedup_key_and_event_action(standin: StandIn) -> None:
    routing_key = secrets.token_hex(16)
    sender = build(
        {
            "type": "pagerduty",
            "url": f"{standin.url}/v2/enqueue",
            "routing_key": {"env": "PD"},
            "dedup_key": "join('/', [host, check])",
        },
        {"PD": routing_key},
    )
    send(sender, alert(), alert({**ALERT, "event_action": "resolve"}), alert({"x": 1}))
    first, second, third = (json.loads(r["body"]) for r in standin.wait_for(3))
    assert first == {
        **ALERT,
        "routing_key": routing_key,
        "dedup_key": "web-1/disk",
        "event_action": "trigger",
    }
    assert second["event_action"] == "resolve"
    assert "dedup_key" not in third  # the expression gave null (a type error in join)


@pytest.mark.parametrize(
    ("expression", "doc", "expected"),
    [
        ("host", {"host": "web-1"}, "web-1"),
        ("n", {"n": 42}, "42"),
        ("flag", {"flag": True}, "true"),
        ("tags", {"tags": ["a", "b"]}, '["a","b"]'),
        ("missing", {"host": "x"}, None),
        ("long", {"long": "x" * 300}, "x" * 255),
        ("empty", {"empty": ""}, None),
        ("routing_key", {"host": "x"}, None),  # evaluated on the alert, before the key is added
    ],
)
def test_pagerduty_dedup_key_is_stringified_and_bounded(
    expression: str, doc: Any, expected: str | None
) -> None:
    sender = build(
        {"type": "pagerduty", "routing_key": {"env": "PD"}, "dedup_key": expression},
        {"PD": "secret-routing-key"},
    )
    assert sender.dedup_key(doc) == expected  # type: ignore[attr-defined]
