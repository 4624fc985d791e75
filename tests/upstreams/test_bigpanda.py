"""BigPanda: its contract, its requests in process, and against the real stand-in."""

from __future__ import annotations

import copy
import json
import secrets

import pytest

from sanitizer.proxy.delivery import Delivered
from sanitizer.proxy.upstreams.bigpanda import URL
from tests.standin import StandIn
from tests.upstreams.contracts import CANARY, VALID_BP, check, refusal
from tests.upstreams.sending import (
    ALERT,
    STATUS_IDS,
    STATUS_OUTCOMES,
    alert,
    answered,
    build,
    send_one,
)


def test_bigpanda_accepts_a_valid_alert_unchanged():
    alert = copy.deepcopy(VALID_BP)
    assert check("bigpanda", alert) is alert


@pytest.mark.parametrize("status", ["ok", "critical", "warning", "unknown", "acknowledged"])
def test_bigpanda_accepts_its_five_statuses(status):
    assert check("bigpanda", {**VALID_BP, "status": status})["status"] == status


def test_bigpanda_status_in_another_case_is_sent_in_lower_case_on_a_copy():
    alert = {**VALID_BP, "status": "CRITICAL"}
    fixed = check("bigpanda", alert)
    assert fixed["status"] == "critical"
    assert alert["status"] == "CRITICAL"


@pytest.mark.parametrize("value", [None, "", CANARY, "down", 1])
def test_bigpanda_refuses_a_missing_or_unknown_status(value):
    assert refusal("bigpanda", {**VALID_BP, "status": value}).rule == "contract:bigpanda:status"


@pytest.mark.parametrize("primary", ["host", "service", "application", "device"])
def test_bigpanda_needs_one_primary_property(primary):
    alert = {"status": "ok", primary: "x"}
    assert check("bigpanda", alert) is alert


def test_bigpanda_refuses_an_alert_without_primary_property():
    alert = {"status": "ok", "check": "disk", "description": CANARY}
    assert refusal("bigpanda", alert).rule == "contract:bigpanda:primary_property"
    alert = {"status": "ok", "host": ""}
    assert refusal("bigpanda", alert).rule == "contract:bigpanda:primary_property"


def test_bigpanda_primary_property_may_name_another_present_field():
    alert = {"status": "ok", "cluster": "pg-main", "primary_property": "cluster"}
    assert check("bigpanda", alert) is alert
    alert = {**VALID_BP, "primary_property": "cluster"}
    assert refusal("bigpanda", alert).rule == "contract:bigpanda:primary_property"
    alert = {**VALID_BP, "secondary_property": "nowhere"}
    assert refusal("bigpanda", alert).rule == "contract:bigpanda:secondary_property"


@pytest.mark.parametrize("value", [{"inner": CANARY}, [CANARY], []])
def test_bigpanda_refuses_nested_values(value):
    assert refusal("bigpanda", {**VALID_BP, "extra": value}).rule == "contract:bigpanda:flat"


def test_bigpanda_description_is_truncated_to_2048_or_refused():
    fixed = check("bigpanda", {**VALID_BP, "description": "d" * 3000})
    assert len(fixed["description"]) == 2048 and fixed["description"].endswith("…")
    caught = refusal("bigpanda", {**VALID_BP, "description": "d" * 2049}, truncate=False)
    assert caught.rule == "contract:bigpanda:description"


def test_bigpanda_request_in_process_carries_a_bearer_token_and_adds_the_app_key():
    token = secrets.token_hex(16)
    request, outcome = answered(
        {"type": "bigpanda", "token": {"env": "BP"}, "app_key": "app-123"}, {"BP": token}, alert()
    )
    assert outcome == Delivered()
    assert request.method == "POST"
    assert str(request.url) == URL
    assert request.headers["authorization"] == f"Bearer {token}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {**ALERT, "app_key": "app-123"}


@pytest.mark.parametrize(("status", "headers", "expected"), STATUS_OUTCOMES, ids=STATUS_IDS)
def test_bigpanda_answer_maps_to_an_outcome_in_process(status, headers, expected):
    config = {"type": "bigpanda", "token": {"env": "BP"}, "app_key": "app-123"}
    _, outcome = answered(config, {"BP": "t" * 16}, alert(), status, headers)
    assert outcome == expected


def test_bigpanda_bearer_token_and_app_key(standin: StandIn) -> None:
    token = secrets.token_hex(16)
    sender = build(
        {
            "type": "bigpanda",
            "url": f"{standin.url}/data/v2/alerts",
            "token": {"env": "BP"},
            "app_key": "app-123",
        },
        {"BP": token},
    )
    assert send_one(sender) == Delivered()
    (request,) = standin.wait_for(1)
    assert request["path"] == "/data/v2/alerts"
    assert request["headers"]["authorization"] == f"Bearer {token}"
    assert json.loads(request["body"]) == {**ALERT, "app_key": "app-123"}
