"""Upstream contracts: what each receiver requires, checked after the policy (fail closed)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.contracts import (
    BIGPANDA_STATUSES,
    PAGERDUTY_ACTIONS,
    UPSTREAM_TYPES,
    VICTOROPS_MESSAGE_TYPES,
    check_policy_against,
    contract_for,
    required_fields,
)
from sanitizer.errors import ConfigError, Refusal
from sanitizer.proxy import upstreams
from tests.conftest import make_policy
from tests.strategies import json_docs, json_objects

CANARY = "CANARYQWERTYZXCVB"


def refusal(upstream: str, payload, **options) -> Refusal:
    contract = contract_for(upstream, **options)
    assert contract is not None
    with pytest.raises(Refusal) as caught:
        contract.check(payload)
    assert CANARY not in caught.value.message
    assert "not forwarded" in caught.value.message
    return caught.value


def check(upstream: str, payload, **options):
    contract = contract_for(upstream, **options)
    assert contract is not None
    return contract.check(payload)


# ------------------------------------------------------------------------- which contract


def test_every_upstream_type_the_proxy_knows_has_an_answer():
    assert set(UPSTREAM_TYPES) == set(upstreams._OPTIONS)


@pytest.mark.parametrize("upstream", ["webhook", "capture"])
def test_webhook_and_capture_have_no_contract(upstream):
    assert contract_for(upstream) is None
    assert required_fields(upstream) == ()


def test_an_unknown_upstream_type_is_a_config_error_listing_the_types():
    with pytest.raises(ConfigError) as caught:
        contract_for("opsgenie")
    assert "victorops" in caught.value.message and "pagerduty" in caught.value.message


def test_a_non_object_output_is_refused():
    assert refusal("victorops", [CANARY]).rule == "contract:victorops:object"
    assert refusal("bigpanda", CANARY).rule == "contract:bigpanda:object"


# ------------------------------------------------------------------------------ victorops

VALID_VO = {
    "message_type": "CRITICAL",
    "entity_id": "disk/web-1",
    "entity_display_name": "Disk full on web-1",
    "state_message": "disk /var at 99%",
    "state_start_time": 1795500000,
}


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


# ------------------------------------------------------------------------------- bigpanda

VALID_BP = {
    "status": "critical",
    "host": "db-1.example.com",
    "check": "PostgreSQL connections",
    "description": "498 of 500 used",
    "timestamp": 1795500764,
}


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


# ------------------------------------------------------------------------------ pagerduty

VALID_PD = {
    "event_action": "trigger",
    "dedup_key": "pg/db-1",
    "payload": {"summary": "PostgreSQL connections", "source": "db-1", "severity": "critical"},
}


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


# ------------------------------------------------------------------------- any payload


@settings(max_examples=150, deadline=None)
@given(
    upstream=st.sampled_from(["victorops", "bigpanda", "pagerduty"]),
    payload=json_docs | json_objects,
    truncate=st.booleans(),
)
def test_check_refuses_or_returns_a_payload_that_meets_the_contract(upstream, payload, truncate):
    contract = contract_for(upstream, truncate=truncate)
    before = copy.deepcopy(payload)
    try:
        fixed = contract.check(payload)
    except Refusal as exc:
        assert exc.rule.startswith(f"contract:{upstream}:")
        return
    finally:
        assert payload == before
    assert contract.check(fixed) == fixed
    if upstream == "victorops":
        assert fixed["message_type"].upper() in VICTOROPS_MESSAGE_TYPES
        assert all(len(v) <= 20480 for v in fixed.values() if isinstance(v, str))
    elif upstream == "bigpanda":
        assert fixed["status"] in BIGPANDA_STATUSES
        assert not any(isinstance(v, dict | list) for v in fixed.values())
    else:
        assert fixed.get("event_action", "trigger") in PAGERDUTY_ACTIONS


def test_victorops_truncated_values_pass_the_contract_again():
    fixed = check("victorops", {**VALID_VO, "state_message": "y" * 50000, "x": "z" * 5000})
    assert check("victorops", fixed) is fixed


# --------------------------------------------------------------- policy vs. a contract


def test_required_fields_name_what_each_receiver_needs():
    assert [r.describe() for r in required_fields("victorops")] == ["'message_type'"]
    assert [r.describe() for r in required_fields("bigpanda")] == [
        "'status'",
        "any of 'host', 'service', 'application', 'device'",
    ]
    assert [r.describe() for r in required_fields("pagerduty")] == [
        "'payload.summary'",
        "'payload.source'",
        "'payload.severity'",
    ]


def test_an_allow_that_never_keeps_message_type_is_reported():
    policy = make_policy("  - {id: only-safe-fields, action: allow, select: [HOSTNAME]}\n")
    assert check_policy_against(policy, "victorops") == [
        "rule 'only-safe-fields' (allow) never keeps 'message_type', which victorops "
        "requires; add it to select or set it after"
    ]


def test_a_set_after_the_allow_brings_it_back():
    policy = make_policy(
        "  - {id: only, action: allow, select: [HOSTNAME]}\n"
        "  - {id: type, action: set, select: message_type, value: INFO}\n"
    )
    assert check_policy_against(policy, "victorops") == []
    policy = make_policy(
        "  - {id: only, action: allow, select: [HOSTNAME]}\n"
        "  - {id: type, action: set, select: message_type, expr: \"state || 'INFO'\"}\n"
    )
    assert check_policy_against(policy, "victorops") == []


def test_a_later_allow_that_drops_it_again_is_named():
    policy = make_policy(
        "  - {id: type, action: set, select: message_type, value: INFO}\n"
        "  - {id: final, action: allow, select: [entity_id]}\n"
    )
    assert check_policy_against(policy, "victorops")[0].startswith("rule 'final' (allow)")


def test_drop_by_key_and_rename_away_are_reported():
    policy = make_policy("  - {id: no-types, action: drop, keys: '_type$'}\n")
    assert check_policy_against(policy, "victorops")[0].startswith("rule 'no-types' (drop)")
    policy = make_policy("  - {id: move, action: rename, select: message_type, to: kind}\n")
    assert check_policy_against(policy, "victorops")[0].startswith("rule 'move' (rename)")


def test_what_cannot_be_proven_is_not_reported():
    for rules in (
        "  - {id: c, action: allow, select: [a], when: 'a'}\n",
        "  - {id: p, action: allow, select: '*'}\n",
        "  - {id: f, action: allow, select: ['@', 'alerts[*].x']}\n",
        "  - {id: k, action: allow, keys: '^message'}\n",
        "  - {id: d, action: drop, select: 'alerts[*].message_type'}\n",
        "  - {id: s, action: scrub}\n",
        "  []\n",
    ):
        assert check_policy_against(make_policy(rules), "victorops") == [], rules


def test_a_constant_the_receiver_does_not_accept_is_reported():
    policy = make_policy("  - {id: type, action: set, select: message_type, value: ALERT}\n")
    assert check_policy_against(policy, "victorops") == [
        "rule 'type' (set) writes a message_type that victorops does not accept; use one of "
        "CRITICAL, WARNING, ACKNOWLEDGEMENT, INFO, RECOVERY, OK"
    ]


def test_bigpanda_primary_properties_are_reported_only_when_all_are_gone():
    policy = make_policy("  - {id: only, action: allow, select: [status, host]}\n")
    assert check_policy_against(policy, "bigpanda") == []
    policy = make_policy("  - {id: only, action: allow, select: [status]}\n")
    assert check_policy_against(policy, "bigpanda") == [
        "rule 'only' (allow) never keeps any of 'host', 'service', 'application', 'device', "
        "one of which bigpanda requires; add it to select or set it after"
    ]


def test_pagerduty_a_constant_payload_without_source_is_reported():
    policy = make_policy(
        "  - {id: p, action: set, select: payload, value: {summary: x, severity: info}}\n"
    )
    assert check_policy_against(policy, "pagerduty") == [
        "rule 'p' (set) never keeps 'payload.source', which pagerduty requires; "
        "add it to select or set it after"
    ]


def test_no_warnings_for_upstreams_without_a_contract():
    policy = make_policy("  - {id: only, action: allow, select: [HOSTNAME]}\n")
    assert check_policy_against(policy, "webhook") == []
    with pytest.raises(ConfigError):
        check_policy_against(policy, "nowhere")


# ------------------------------------------------------------- allow, by selector shape


@pytest.mark.parametrize(
    "select",
    [
        '[entity_id, "alerts[*].status"]',
        "['alerts[*].message_type']",
        "['message_type.text']",
        "['*.message_type']",
        "['alerts[?message_type]']",
    ],
)
def test_an_allow_whose_selectors_only_reach_elsewhere_never_keeps_message_type(select):
    policy = make_policy(f"  - {{id: only, action: allow, select: {select}}}\n")
    assert check_policy_against(policy, "victorops") == [
        "rule 'only' (allow) never keeps 'message_type', which victorops requires; "
        "add it to select or set it after"
    ]


@pytest.mark.parametrize(
    "select",
    ["[message_type]", "['@']", "['*']", "[entity_id, message_type]", "['\"message_type\"']"],
)
def test_an_allow_naming_the_field_or_a_whole_ancestor_keeps_it(select):
    policy = make_policy(f"  - {{id: only, action: allow, select: {select}}}\n")
    assert check_policy_against(policy, "victorops") == []


def test_pagerduty_payload_is_kept_by_its_parent_but_not_by_a_sibling():
    policy = make_policy("  - {id: only, action: allow, select: [payload]}\n")
    assert check_policy_against(policy, "pagerduty") == []
    policy = make_policy(
        "  - {id: only, action: allow, select: [payload.summary, payload.source]}\n"
    )
    warnings = check_policy_against(policy, "pagerduty")
    assert warnings == [
        "rule 'only' (allow) never keeps 'payload.severity', which pagerduty requires; "
        "add it to select or set it after"
    ]


def test_a_redact_writing_an_object_over_a_parent_may_bring_a_field_back():
    policy = make_policy(
        "  - {id: only, action: allow, select: [payload.summary, payload.source]}\n"
        "  - {id: fill, action: redact, select: payload, with: {severity: info}}\n"
    )
    assert check_policy_against(policy, "pagerduty") == []


# ------------------------------------------------------------------------- field types

NOT_TEXT = st.one_of(
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.just(CANARY), max_size=2),
    st.dictionaries(st.just("inner"), st.just(CANARY), max_size=1),
)
NOT_EPOCH = st.one_of(
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.just("inner"), st.integers(), max_size=1),
    st.text(min_size=1).filter(lambda t: not (t.isascii() and t.isdigit())),
)
NOT_BOOLEAN = st.one_of(
    st.integers(), st.text(), st.lists(st.booleans(), max_size=2), st.just({"inner": True})
)
NOT_OBJECTS = st.one_of(
    st.text(), st.integers(), st.just({"src": CANARY}), st.lists(st.text(), min_size=1, max_size=2)
)

VO_TYPED = {
    "entity_display_name": NOT_TEXT,
    "state_message": NOT_TEXT,
    "monitoring_tool": NOT_TEXT,
    "ack_msg": NOT_TEXT,
    "ack_author": NOT_TEXT,
    "routing_key": NOT_TEXT,
    "state_start_time": NOT_EPOCH,
    "timestamp": NOT_EPOCH,
    "entity_is_host": NOT_BOOLEAN,
}
NOT_TEXT_SCALAR = st.one_of(st.booleans(), st.integers(), st.floats(allow_nan=False))
BP_TYPED = {
    "host": NOT_TEXT_SCALAR,
    "check": NOT_TEXT_SCALAR,
    "description": NOT_TEXT_SCALAR,
    "timestamp": st.booleans() | st.text(min_size=1).filter(lambda t: not t.isdigit()),
}
PD_PAYLOAD_TYPED = {name: NOT_TEXT for name in ("timestamp", "component", "group", "class")}
PD_TYPED = {"client": NOT_TEXT, "client_url": NOT_TEXT, "images": NOT_OBJECTS, "links": NOT_OBJECTS}


def _typed_cases():
    cases = [("victorops", VALID_VO, (), name, s) for name, s in VO_TYPED.items()]
    cases += [("bigpanda", VALID_BP, (), name, s) for name, s in BP_TYPED.items()]
    cases += [("pagerduty", VALID_PD, (), name, s) for name, s in PD_TYPED.items()]
    cases += [("pagerduty", VALID_PD, ("payload",), n, s) for n, s in PD_PAYLOAD_TYPED.items()]
    return cases


@pytest.mark.parametrize(
    ("upstream", "valid", "parent", "name", "wrong"),
    _typed_cases(),
    ids=[f"{c[0]}-{'.'.join((*c[2], c[3]))}" for c in _typed_cases()],
)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_a_typed_field_of_another_json_type_is_refused_never_forwarded(
    upstream, valid, parent, name, wrong, data
):
    value = data.draw(wrong)
    alert = copy.deepcopy(valid)
    node = alert
    for step in parent:
        node = node[step]
    node[name] = value
    caught = refusal(upstream, alert, truncate=data.draw(st.booleans()))
    assert caught.rule == f"contract:{upstream}:{name}:type"
    assert repr(".".join((*parent, name))) in caught.message


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


def test_pagerduty_custom_details_may_be_any_object_and_images_a_list_of_objects():
    payload = {**VALID_PD["payload"], "custom_details": {"free": [1, {"x": None}]}}
    alert = {**VALID_PD, "payload": payload, "images": [{"src": "https://x.example/a.png"}]}
    alert["payload"]["timestamp"] = "2026-11-24T05:12:44Z"
    assert check("pagerduty", alert) is alert


@settings(max_examples=300, deadline=None)
@given(
    upstream=st.sampled_from(["victorops", "bigpanda", "pagerduty"]),
    extra=json_objects,
)
def test_nothing_of_a_wrong_type_is_ever_forwarded(upstream, extra):
    base = {"victorops": VALID_VO, "bigpanda": VALID_BP, "pagerduty": VALID_PD}[upstream]
    alert = {**copy.deepcopy(base), **extra}
    try:
        fixed = check(upstream, alert)
    except Refusal as exc:
        assert exc.rule.startswith(f"contract:{upstream}:")
        return
    typed = {"victorops": VO_TYPES, "bigpanda": BP_TYPES, "pagerduty": PD_TYPES}[upstream]
    for name, allowed in typed.items():
        assert fixed.get(name) is None or isinstance(fixed[name], allowed), name


VO_TYPES = {
    "message_type": str,
    "entity_id": str,
    "entity_display_name": str,
    "state_message": str,
    "state_start_time": int | float | str,
    "ack_author": str,
    "entity_is_host": bool,
}
BP_TYPES = {"status": str, "host": str, "check": str, "description": str}
PD_TYPES = {"dedup_key": str, "client": str, "images": list, "links": list}
