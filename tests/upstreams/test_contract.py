"""The contract machinery, across every receiver that has a contract (fail closed)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.errors import Refusal
from sanitizer.proxy.upstreams import bigpanda, contract_for, pagerduty, victorops
from tests.strategies import json_docs, json_objects
from tests.upstreams.contracts import CANARY, VALID_BP, VALID_PD, VALID_VO, check, refusal


def test_a_non_object_output_is_refused():
    assert refusal("victorops", [CANARY]).rule == "contract:victorops:object"
    assert refusal("bigpanda", CANARY).rule == "contract:bigpanda:object"


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
        assert fixed["message_type"].upper() in victorops.MESSAGE_TYPES
        assert all(len(v) <= 20480 for v in fixed.values() if isinstance(v, str))
    elif upstream == "bigpanda":
        assert fixed["status"] in bigpanda.STATUSES
        assert not any(isinstance(v, dict | list) for v in fixed.values())
    else:
        assert fixed.get("event_action", "trigger") in pagerduty.ACTIONS


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
