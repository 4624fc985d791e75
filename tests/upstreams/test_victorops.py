"""VictorOps: its contract, its requests in process, and against the real stand-in."""

from __future__ import annotations

import copy
import json
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.proxy.delivery import Delivered, Rejected
from sanitizer.proxy.upstreams import build_upstream
from sanitizer.proxy.upstreams.http import USER_AGENT
from sanitizer.proxy.upstreams.victorops import DOT_SEGMENT_REASON, URL
from tests.standin import StandIn
from tests.upstreams.contracts import CANARY, VALID_VO, check, refusal
from tests.upstreams.sending import (
    ALERT,
    ROUTE,
    STATUS_IDS,
    STATUS_OUTCOMES,
    Recorder,
    alert,
    answered,
    build,
    send,
    send_one,
)


def test_victorops_accepts_a_valid_alert_and_returns_it_unchanged():
    alert = copy.deepcopy(VALID_VO)
    assert check("victorops", alert) is alert
    assert alert == VALID_VO


@pytest.mark.parametrize(
    "message_type", ["CRITICAL", "warning", "Acknowledgement", "INFO", "recovery", "OK"]
)
def test_victorops_message_type_is_one_of_six_in_any_case(message_type):
    alert = {**VALID_VO, "message_type": message_type}
    assert check("victorops", alert)["message_type"] == message_type


@pytest.mark.parametrize("value", [None, "", CANARY, "PROBLEM", 2, ["CRITICAL"]])
def test_victorops_refuses_a_missing_or_unknown_message_type(value):
    alert = {**VALID_VO, "message_type": value}
    caught = refusal("victorops", alert)
    assert caught.rule == "contract:victorops:message_type"
    assert "message_type" in caught.message


def test_victorops_refuses_an_alert_without_message_type():
    alert = {k: v for k, v in VALID_VO.items() if k != "message_type"}
    assert refusal("victorops", alert).rule == "contract:victorops:message_type"


def test_victorops_entity_id_of_512_passes_and_513_is_refused_never_truncated():
    assert check("victorops", {**VALID_VO, "entity_id": "e" * 512})["entity_id"] == "e" * 512
    for truncate in (True, False):
        caught = refusal("victorops", {**VALID_VO, "entity_id": "e" * 513}, truncate=truncate)
        assert caught.rule == "contract:victorops:entity_id"
        assert "hash" in caught.message


def test_victorops_entity_id_must_be_a_string():
    caught = refusal("victorops", {**VALID_VO, "entity_id": {"host": CANARY}})
    assert caught.rule == "contract:victorops:entity_id"


def test_victorops_truncates_state_message_to_20480_with_the_marker_on_a_copy():
    alert = {**VALID_VO, "state_message": "x" * 20481}
    before = copy.deepcopy(alert)
    fixed = check("victorops", alert)
    assert alert == before
    assert fixed is not alert
    assert len(fixed["state_message"]) == 20480
    assert fixed["state_message"].endswith("…")
    assert fixed["state_message"][:-1] == "x" * 20479
    assert check("victorops", {**VALID_VO, "state_message": "x" * 20480}) is not None


def test_victorops_truncates_other_top_level_strings_to_1024_with_a_custom_marker():
    alert = {
        **VALID_VO,
        "entity_display_name": "d" * 2000,
        "vo_annotate.s.Note": "n" * 1025,
        "some_custom_field": "c" * 1024,
    }
    fixed = check("victorops", alert, marker="…[truncated]")
    assert fixed["entity_display_name"] == "d" * (1024 - 12) + "…[truncated]"
    assert fixed["vo_annotate.s.Note"].endswith("…[truncated]")
    assert len(fixed["vo_annotate.s.Note"]) == 1024
    assert fixed["some_custom_field"] == "c" * 1024
    assert fixed["state_start_time"] == VALID_VO["state_start_time"]


def test_victorops_with_truncation_off_refuses_and_names_only_documented_fields():
    caught = refusal("victorops", {**VALID_VO, "state_message": "s" * 20481}, truncate=False)
    assert caught.rule == "contract:victorops:state_message"
    assert "truncate" in caught.message
    caught = refusal("victorops", {**VALID_VO, "entity_display_name": "d" * 1025}, truncate=False)
    assert caught.rule == "contract:victorops:length"
    assert "entity_display_name" in caught.message
    key = f"{CANARY}.example.com"
    caught = refusal("victorops", {**VALID_VO, key: "v" * 1025}, truncate=False)
    assert caught.rule == "contract:victorops:length"
    assert key not in caught.message


def test_victorops_truncated_values_pass_the_contract_again():
    fixed = check("victorops", {**VALID_VO, "state_message": "y" * 50000, "x": "z" * 5000})
    assert check("victorops", fixed) is fixed


CONTAINERS = st.recursive(
    st.lists(st.just(CANARY), max_size=2) | st.just({}),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.just("k"), inner, max_size=1),
    max_leaves=5,
)


@settings(max_examples=200, deadline=None)
@given(value=CONTAINERS)
def test_an_object_or_list_where_victorops_wants_text_is_refused(value):
    caught = refusal("victorops", {**VALID_VO, "state_message": value})
    assert caught.rule == "contract:victorops:state_message:type"
    caught = refusal("victorops", {**VALID_VO, "vo_annotate.s.Note": value})
    assert caught.rule == "contract:victorops:annotation:type"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("state_start_time", 1795500764),
        ("state_start_time", "1795500764"),
        ("state_start_time", 1795500764.5),
        ("timestamp", "1795500764"),
        ("entity_is_host", False),
        ("entity_display_name", None),
        ("vo_annotate.u.Runbook", "https://runbooks.example/disk"),
        ("custom_field", {"free": ["form"]}),
    ],
)
def test_victorops_accepts_the_documented_types_and_leaves_custom_fields_alone(field, value):
    alert = {**VALID_VO, field: value}
    assert check("victorops", alert) is alert


def test_victorops_request_in_process_puts_the_keys_in_the_url_and_sends_the_body_as_is():
    api_key = secrets.token_hex(16)
    request, outcome = answered(
        {"type": "victorops", "api_key": {"env": "VO"}, "routing_key": "default-team"},
        {"VO": api_key},
        alert(routing_key="team a/b"),
    )
    assert outcome == Delivered()
    assert request.method == "POST"
    assert str(request.url) == f"{URL}/{api_key}/team%20a%2Fb"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT
    assert "authorization" not in request.headers
    assert json.loads(request.content) == ALERT


def test_victorops_in_process_never_sends_a_dot_segment_routing_key():
    recorder = Recorder()
    sender = build_upstream(
        {"type": "victorops", "api_key": {"env": "VO"}},
        route=ROUTE,
        environ={"VO": "k" * 16},
        transport=recorder.transport,
    )
    assert send_one(sender, alert(routing_key="..")) == Rejected(DOT_SEGMENT_REASON)
    assert recorder.requests == []


@pytest.mark.parametrize(("status", "headers", "expected"), STATUS_OUTCOMES, ids=STATUS_IDS)
def test_victorops_answer_maps_to_an_outcome_in_process(status, headers, expected):
    config = {"type": "victorops", "api_key": {"env": "VO"}}
    _, outcome = answered(config, {"VO": "k" * 16}, alert(), status, headers)
    assert outcome == expected


def test_victorops_posts_to_api_key_and_alert_routing_key(standin: StandIn) -> None:
    api_key = secrets.token_hex(16)
    sender = build(
        {
            "type": "victorops",
            "url": f"{standin.url}/integrations/alert/",
            "api_key": {"env": "VO_KEY"},
            "routing_key": "default-team",
        },
        {"VO_KEY": api_key},
    )
    assert send_one(sender, alert(routing_key="team a/b")) == Delivered()
    (request,) = standin.wait_for(1)
    assert request["method"] == "POST"
    assert request["path"] == f"/integrations/alert/{api_key}/team%20a%2Fb"
    assert json.loads(request["body"]) == ALERT
    assert request["headers"]["content-type"] == "application/json"
    assert request["headers"]["user-agent"].startswith("alert-sanitizer/")


def test_victorops_default_routing_key_and_none(standin: StandIn) -> None:
    config = {"type": "victorops", "url": f"{standin.url}/alert", "api_key": {"env": "K"}}
    send(build({**config, "routing_key": "ops"}, {"K": "key1"}), alert())
    send(build(config, {"K": "key2"}), alert())
    paths = [r["path"] for r in standin.wait_for(2)]
    assert paths == ["/alert/key1/ops", "/alert/key2"]
