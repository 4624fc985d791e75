"""A policy's `split:`: one alert per element of a body, each sanitized on its own, all or none."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanitizer.errors import GuardHit, PolicyError, Refusal
from sanitizer.loader import policy_from_text
from sanitizer.policy.split import MAX_ALERTS, SPLIT_RULE, parse_split
from tests.strategies import canaries

settings.register_profile("split", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("split")

POLICY = """\
version: 1
name: split
split:
  select: alerts
  envelope: [receiver, commonLabels]
rules:
  - {id: drop-secret, action: drop, select: secret}
  - {id: refuse-marked, action: set, select: x, expr: "abs(boom)", when: "boom"}
guard: [email]
"""


def split_policy(text: str = POLICY):
    return policy_from_text(text)


FIELD_NAMES = st.sampled_from(["a", "b", "c", "receiver", "commonLabels", "status"])
SCALARS = st.none() | st.booleans() | st.integers(-5, 5) | canaries
ELEMENTS = st.dictionaries(FIELD_NAMES, SCALARS, max_size=5)
ENVELOPES = st.dictionaries(st.sampled_from(["receiver", "commonLabels", "groupKey"]), SCALARS)


@given(elements=st.lists(ELEMENTS, min_size=1, max_size=20), envelope=ENVELOPES)
def test_a_body_makes_exactly_one_sanitized_alert_per_element(elements, envelope):
    results = split_policy().apply_all({**envelope, "alerts": elements})
    assert len(results) == len(elements)


@given(elements=st.lists(ELEMENTS, min_size=1, max_size=10), envelope=ENVELOPES)
def test_envelope_fields_appear_in_every_alert_unless_the_element_has_its_own(elements, envelope):
    results = split_policy().apply_all({**envelope, "alerts": elements})
    for element, result in zip(elements, results, strict=True):
        for name in ("receiver", "commonLabels"):
            if name in element:
                assert result.payload[name] == element[name]
            elif name in envelope:
                assert result.payload[name] == envelope[name]
            else:
                assert name not in result.payload
        assert "groupKey" not in result.payload  # not in the policy's envelope


@given(data=st.data(), count=st.integers(2, 8))
def test_an_elements_own_fields_never_leak_into_another_alert(data, count):
    markers = data.draw(st.lists(canaries, min_size=count, max_size=count, unique=True))
    elements = [{"a": marker, f"own{index}": marker} for index, marker in enumerate(markers)]
    results = split_policy().apply_all({"alerts": elements})
    for index, result in enumerate(results):
        text = json.dumps(result.payload)
        assert markers[index] in text
        for other, marker in enumerate(markers):
            if other != index:
                assert marker not in text and f"own{other}" not in text


@given(
    elements=st.lists(ELEMENTS, min_size=1, max_size=10),
    data=st.data(),
    how=st.sampled_from(["rule", "guard", "not-an-object"]),
)
def test_a_refusal_of_any_element_refuses_the_whole_body_naming_it(elements, data, how):
    position = data.draw(st.integers(0, len(elements)))
    bad = {
        "rule": {"boom": "x"},
        "guard": {"a": "someone@example.com"},
        "not-an-object": ["a"],
    }[how]
    body = {"alerts": [*elements[:position], bad, *elements[position:]]}
    with pytest.raises(Refusal) as refused:
        split_policy().apply_all(body)
    count = len(elements) + 1
    if how == "not-an-object":
        assert refused.value.rule == SPLIT_RULE
        assert f"element {position + 1} of {count}" in refused.value.message
    else:
        assert refused.value.rule == {"rule": "refuse-marked", "guard": "guard"}[how]
        assert refused.value.message.startswith(f"alert {position + 1} of {count} of this body")
    assert "example.com" not in refused.value.message


def test_a_refused_alerts_refusal_keeps_its_type():
    with pytest.raises(GuardHit):
        split_policy().apply_all({"alerts": [{"a": "x"}, {"a": "y@example.com"}]})


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "gave nothing, not a list"),
        ({"alerts": "CANARYVALUEQQQQQQ"}, "gave a string, not a list"),
        ({"alerts": {"a": 1}}, "gave an object, not a list"),
        ({"alerts": []}, "gave an empty list"),
        ({"alerts": [{"a": 1}, 7]}, "element 2 of 2 at 'alerts' is a number"),
        ({"alerts": [{}] * (MAX_ALERTS + 1)}, f"more than the limit of {MAX_ALERTS}"),
    ],
)
def test_a_body_that_cannot_be_split_is_refused_by_rule_split_without_its_values(body, says):
    with pytest.raises(Refusal) as refused:
        split_policy().apply_all(body)
    assert refused.value.rule == "split" and refused.value.status == 422
    assert says in refused.value.message
    assert "CANARY" not in refused.value.message


def test_the_limit_itself_is_accepted():
    assert len(split_policy().apply_all({"alerts": [{}] * MAX_ALERTS})) == MAX_ALERTS


def test_the_shorthand_and_a_filter_expression_select_alerts():
    policy = policy_from_text("version: 1\nname: s\nsplit: alerts\nrules: []\n")
    assert policy.split is not None and policy.split.envelope == ()
    assert [r.payload for r in policy.apply_all({"alerts": [{"a": 1}, {"b": 2}]})] == [
        {"a": 1},
        {"b": 2},
    ]
    firing = policy_from_text(
        "version: 1\nname: s\nsplit: \"alerts[?status=='firing']\"\nrules: []\n"
    )
    body = {"alerts": [{"status": "firing"}, {"status": "resolved"}]}
    assert [r.payload for r in firing.apply_all(body)] == [{"status": "firing"}]


def test_a_policy_without_split_applies_to_the_body_as_one_alert():
    policy = policy_from_text("version: 1\nname: s\nrules: []\n")
    assert [r.payload for r in policy.apply_all({"alerts": [1, 2]})] == [{"alerts": [1, 2]}]


def test_then_runs_on_each_alert_and_its_refusal_refuses_the_body():
    policy = split_policy()

    def contract(payload):
        if payload.get("a") == 2:
            raise Refusal("contract x: no", rule="contract:x:a")
        return {**payload, "checked": True}

    results = policy.apply_all({"alerts": [{"a": 1}, {"a": 3}]}, then=contract)
    assert [r.payload["checked"] for r in results] == [True, True]
    with pytest.raises(Refusal) as refused:
        policy.apply_all({"alerts": [{"a": 1}, {"a": 2}]}, then=contract)
    assert refused.value.rule == "contract:x:a"
    assert refused.value.message.startswith("alert 2 of 2 of this body")


def test_elements_are_not_changed_by_sanitizing():
    body = {"receiver": "r", "alerts": [{"secret": "s", "a": 1}]}
    before = json.dumps(body)
    [result] = split_policy().apply_all(body)
    assert result.payload == {"receiver": "r", "a": 1}
    assert json.dumps(body) == before


@pytest.mark.parametrize(
    ("split", "field", "says"),
    [
        ("3", "split", "JMESPath expression or a mapping"),
        ("'alerts['", "split.select", "not a valid JMESPath"),
        ("{select: alerts, keep: [a]}", "split", "unknown field 'keep'"),
        ("{envelope: [a]}", "split.select", "needs 'select'"),
        ("{select: ''}", "split.select", "JMESPath expression naming the list"),
        ("{select: alerts, envelope: receiver}", "split.envelope", "list of the body's"),
        ("{select: alerts, envelope: [a, 1]}", "split.envelope", "list of the body's"),
        ("{select: alerts, envelope: [a, a]}", "split.envelope", "names a field twice"),
    ],
)
def test_a_bad_split_is_refused_at_load_naming_split_and_the_fix(split, field, says):
    with pytest.raises(PolicyError) as refused:
        policy_from_text(f"version: 1\nname: s\nsplit: {split}\nrules: []\n")
    assert refused.value.field == field
    assert says in refused.value.message
    assert "split" in str(refused.value)


def test_parse_split_of_nothing_is_none():
    assert parse_split(None) is None


# ------------------------------------------------------------- `sanitizer apply` on a split


def apply_command(capsys, tmp_path, body: dict, *options: str) -> tuple[int, str, str]:
    from sanitizer.cli import main

    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "body.json").write_text(json.dumps(body))
    try:
        code = main(["apply", str(tmp_path / "policy.yaml"), str(tmp_path / "body.json"), *options])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_apply_prints_one_json_line_per_alert_and_audits_name_the_alert(capsys, tmp_path):
    body = {"receiver": "r", "alerts": [{"a": 1, "secret": "s"}, {"b": 2}]}
    code, out, err = apply_command(capsys, tmp_path, body, "--audit")
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == [
        {"receiver": "r", "a": 1},
        {"receiver": "r", "b": 2},
    ]
    assert [json.loads(line)["alert"] for line in err.splitlines()] == [1]


def test_apply_pretty_prints_one_json_array(capsys, tmp_path):
    code, out, _ = apply_command(capsys, tmp_path, {"alerts": [{"a": 1}, {"b": 2}]}, "--pretty")
    assert code == 0 and json.loads(out) == [{"a": 1}, {"b": 2}]


def test_apply_prints_nothing_when_any_alert_is_refused(capsys, tmp_path):
    body = {"alerts": [{"a": 1}, {"a": "CANARYQQQQ@example.com"}]}
    code, out, err = apply_command(capsys, tmp_path, body)
    assert code == 1 and out == ""
    assert "alert 2 of 2" in err and "CANARY" not in err
