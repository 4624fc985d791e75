"""The engine's shortcuts for common rule shapes do exactly what the generic steps do.

Effects fused with their locators (`SelfFinding`: top-level drop, allow, expect and text
rules, drops by `keys` regex), and runs of renames skipped at once (`InertWithout`). The
reference is the same policy whose effects are wrapped so they offer neither: the engine then
runs each rule as `effect(doc, locator.find(doc), report)`, one by one, as it always did.
Both must give the same payload, the same audit (entries and order) and the same refusals.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from pathlib import Path as FilePath
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanitizer.errors import Refusal
from sanitizer.loader import load_policy
from sanitizer.policy.apply import Policy
from sanitizer.policy.effects import Effect, Footprint, Report
from sanitizer.policy.tree import Path
from tests.conftest import load_alert, make_policy
from tests.strategies import FIELDS, addresses, json_docs, json_objects

ROOT = FilePath(__file__).resolve().parents[2]
RULES = ROOT / "rules"
ALERTS = ROOT / "tests" / "fixtures" / "alerts"

# Per test, not a profile: loading a profile would change every test module's settings.
fused_settings = settings(
    suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=60
)


@dataclasses.dataclass(frozen=True)
class _Generic:
    """An effect as it is, without `finding` or `inert_without`: the engine runs it with its
    locator's places, every time."""

    effect: Effect

    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        return self.effect(doc, places, report)

    def footprint(self) -> Footprint:
        return self.effect.footprint()

    def describe(self) -> list[str]:
        return self.effect.describe()


def generic(policy: Policy) -> Policy:
    rules = tuple(dataclasses.replace(rule, effect=_Generic(rule.effect)) for rule in policy.rules)
    return dataclasses.replace(policy, rules=rules)


def outcome(policy: Policy, doc: Any) -> Any:
    try:
        result = policy.apply(doc)
    except Refusal as exc:
        return type(exc).__name__, str(exc)
    return json.dumps(result.payload), [tuple(entry) for entry in result.audit]


def assert_same(rules: str, doc: Any) -> None:
    policy = make_policy(rules)
    assert outcome(policy, doc) == outcome(generic(policy), doc)


def test_audit_entries_are_named_tuples():
    result = make_policy("  - {id: d, action: drop, select: [a]}\n").apply({"a": 1, "b": 2})
    (entry,) = result.audit
    assert (entry.rule, entry.action, entry.path, entry.count) == ("d", "drop", "a", 1)
    assert entry.to_dict() == {"rule": "d", "action": "drop", "path": "a", "count": 1}


def test_the_shapes_are_fused():
    policy = make_policy(
        "  - {id: d1, action: drop, select: [a, b]}\n"
        "  - {id: d2, action: drop, keys: '^c'}\n"
        "  - {id: e, action: expect, select: [a, HOSTNAME], type: string}\n"
        "  - {id: t, action: truncate, select: [a], max_length: 3}\n"
        "  - {id: k, action: allow, select: [a, b]}\n"
        "  - {id: n, action: drop, select: 'a.b'}\n"
    )
    fused = [effect for *_, find, effect in policy._steps if find is None]
    assert len(fused) == 5
    assert policy._steps[-1][3] is not None  # a nested path keeps its locator


_field_lists = st.lists(
    st.sampled_from(FIELDS) | st.text(min_size=1, max_size=3), min_size=1, max_size=4
)
_types = st.lists(
    st.sampled_from(
        ["string", "number", "integer", "boolean", "null", "object", "array", "scalar", "digits"]
    ),
    min_size=1,
    max_size=3,
)


def _select(fields: list[str]) -> str:
    """A YAML list of JMESPath quoted identifiers: any key is a top-level field."""
    return json.dumps([json.dumps(field) for field in fields])


@st.composite
def fused_rules(draw: st.DrawFn) -> str:
    """1-5 rules of the shapes that fuse (and a few that do not), in any order."""
    rules = []
    for index in range(draw(st.integers(1, 5))):
        select = _select(draw(_field_lists))
        kind = draw(
            st.sampled_from(
                [
                    *("drop", "drop-keys", "allow", "expect", "truncate", "hash", "mask_ip"),
                    *("rename", "rename"),
                ]
            )
        )
        if kind == "rename":
            source, target = draw(_field_lists), draw(_field_lists)
            when = draw(st.sampled_from(["", ", when: a", ", when: '!b'"]))
            rules.append(
                f"  - {{id: r{index}, action: rename, select: {_select(source[:1])[1:-1]}, "
                f"to: {_select(target[:1])[1:-1]}{when}}}\n"
            )
        elif kind == "drop-keys":
            pattern = draw(st.sampled_from(["^[a-c]$", "(?i)host", "e", "^$", "."]))
            rules.append(f"  - {{id: r{index}, action: drop, keys: {json.dumps(pattern)}}}\n")
        elif kind == "expect":
            types = json.dumps(draw(_types))
            extra = draw(st.sampled_from(["", ", max_length: 3", ", on_mismatch: refuse"]))
            rules.append(
                f"  - {{id: r{index}, action: expect, select: {select}, type: {types}{extra}}}\n"
            )
        elif kind == "truncate":
            rules.append(
                f"  - {{id: r{index}, action: truncate, select: {select}, max_length: 4}}\n"
            )
        elif kind == "mask_ip":
            rules.append(
                f"  - {{id: r{index}, action: mask_ip, select: {select}, mode: pseudonym, "
                "key: a}\n"
            )
        elif kind == "hash":
            rules.append(f"  - {{id: r{index}, action: hash, select: {select}, key: a}}\n")
        else:
            rules.append(f"  - {{id: r{index}, action: {kind}, select: {select}}}\n")
    return "".join(rules)


def test_runs_of_renames_are_skipped_together():
    policy = make_policy(
        "  - {id: u1, action: rename, select: a, to: A}\n"
        "  - {id: u2, action: rename, select: b, to: B}\n"
        "  - {id: d, action: drop, select: c}\n"
        "  - {id: u3, action: rename, select: c, to: C}\n"
        "  - {id: u4, action: rename, select: x, to: X, when: y}\n"
        "  - {id: u5, action: rename, select: d, to: D}\n"
        "  - {id: u6, action: rename, select: e, to: E}\n"
    )
    runs = [(keys, [step[0] for step in steps]) for keys, steps in policy._blocks]
    assert runs == [
        (frozenset({"a", "b"}), ["u1", "u2"]),
        (None, ["d", "u3", "u4"]),
        (frozenset({"d", "e"}), ["u5", "u6"]),
    ]
    assert [step for _, steps in policy._blocks for step in steps] == list(policy._steps)


@fused_settings
@given(fused_rules(), json_objects)
def test_fused_rules_do_what_the_generic_ones_do_on_objects(rules, doc):
    assert_same(rules, doc)


@fused_settings
@given(fused_rules(), json_docs)
def test_fused_rules_do_what_the_generic_ones_do_on_any_document(rules, doc):
    assert_same(rules, doc)


@fused_settings
@given(
    fused_rules(),
    st.dictionaries(
        st.sampled_from(FIELDS) | st.text(max_size=3),
        st.none() | st.booleans() | st.integers() | st.text(max_size=8) | addresses.map(str),
        max_size=8,
    ),
)
def test_fused_rules_do_what_the_generic_ones_do_on_flat_objects(rules, doc):
    assert_same(rules, doc)


@pytest.mark.parametrize("name", sorted(path.stem for path in RULES.glob("*.yaml")))
def test_the_shipped_policies_run_as_before_fused(name):
    environ = {"SANITIZER_KEY_PSEUDONYM": base64.b64encode(bytes(range(32))).decode()}
    policy = load_policy(RULES / f"{name}.yaml", environ=environ)
    alerts = [load_alert(path.name) for path in sorted(ALERTS.glob("*.json"))]
    alert = load_alert("nagios-service-critical.json")
    lower = {key.lower(): value for key, value in alert.items()}
    nested = {**alert, "HOSTSTATE": {"raw": "UP"}, "CONTACTEMAIL": ["x@example.com"]}
    for doc in (*alerts, lower, nested, {}, [], "text"):
        assert outcome(policy, doc) == outcome(generic(policy), doc)


@fused_settings
@given(st.text(max_size=24) | st.text(alphabet="0123456789٣²", max_size=24))
def test_digits_is_what_the_pattern_fully_matches(text):
    from sanitizer.actions.expect import TYPES

    assert TYPES["digits"](text) == (re.fullmatch(r"[0-9]{1,20}", text) is not None)


@st.composite
def rename_runs(draw: st.DrawFn) -> str:
    """Runs of unconditional renames between fields the generated objects use."""
    rules = []
    for index in range(draw(st.integers(2, 6))):
        source, target = draw(st.sampled_from(FIELDS)), draw(st.sampled_from(FIELDS))
        if draw(st.integers(0, 5)) == 0:
            rules.append(f"  - {{id: r{index}, action: drop, select: {target}}}\n")
        else:
            rules.append(f"  - {{id: r{index}, action: rename, select: {source}, to: {target}}}\n")
    return "".join(rules)


@fused_settings
@given(rename_runs(), json_objects | json_docs)
def test_skipped_runs_of_renames_do_what_each_rename_does(rules, doc):
    assert_same(rules, doc)
