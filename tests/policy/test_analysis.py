"""Static analysis of a policy (which selectors can never match) and coverage recording."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanitizer.errors import Refusal
from sanitizer.policy.analysis import Coverage, footprint, unreachable
from tests.conftest import make_policy
from tests.strategies import json_docs

# ----------------------------------------------------------------- static: the examples


def findings(rules: str) -> list[str]:
    return [str(finding) for finding in unreachable(make_policy(rules))]


def test_a_select_under_a_field_an_earlier_allow_removed_never_matches():
    assert findings(
        "  - {id: only-safe, action: allow, select: [a, b]}\n"
        "  - {id: scrub-x, action: scrub, select: c.d}\n"
    ) == [
        "rule 'scrub-x' select 'c.d': never matches: field 'c' was removed by rule "
        "'only-safe' (allow)"
    ]


def test_the_removed_field_is_named_where_the_select_leaves_what_was_kept():
    assert findings(
        "  - {id: only, action: allow, select: ['alerts[*].host', x.y]}\n"
        "  - {id: s, action: scrub, select: ['alerts[*].port', x.w.v, 'alerts[0].host']}\n"
    ) == [
        "rule 's' select 'alerts[*].port': never matches: field 'alerts[*].port' was removed "
        "by rule 'only' (allow)",
        "rule 's' select 'x.w.v': never matches: field 'x.w' was removed by rule 'only' (allow)",
    ]


@pytest.mark.parametrize(
    "between",
    [
        "  - {id: back, action: set, select: c.d, value: 1}\n",
        "  - {id: back, action: set, select: c, expr: a}\n",
        "  - {id: back, action: rename, select: a, to: c}\n",
        "  - {id: back, action: redact, select: a, with: {x: 1}}\n  - {id: m, action: rename, "
        "select: a.x, to: c.d}\n",
    ],
)
def test_a_field_written_again_after_the_allow_may_match(between):
    assert (
        findings(
            "  - {id: only, action: allow, select: [a, b]}\n"
            + between
            + "  - {id: s, action: scrub, select: c.d}\n"
        )
        == []
    )


@pytest.mark.parametrize(
    "allow",
    [
        "{id: only, action: allow, select: [a], when: a}",
        "{id: only, action: allow, keys: '^c'}",
        "{id: only, action: allow, select: ['@']}",
        "{id: only, action: allow, select: ['*']}",
        "{id: only, action: allow, select: ['c[0]']}",
    ],
)
def test_what_an_allow_may_keep_is_not_reported(allow):
    assert findings(f"  - {allow}\n  - {{id: s, action: scrub, select: 'c[1].d'}}\n") == []


def test_the_root_is_always_there_even_after_allows_that_keep_nothing():
    assert findings(
        "  - {id: list, action: allow, select: 'a[*].a'}\n"
        "  - {id: field, action: allow, select: 'a.a'}\n"
        "  - {id: whole, action: redact, select: '@'}\n"
    ) == [
        "rule 'field' select 'a.a': never matches: field 'a.a' was removed by rule 'list' (allow)"
    ]


def test_indexes_kept_by_an_allow_may_move_so_any_index_may_match():
    assert (
        findings(
            "  - {id: only, action: allow, select: 'a[2]'}\n"
            "  - {id: s, action: scrub, select: 'a[0]'}\n"
        )
        == []
    )


def test_drops_renames_and_key_drops_are_reported_too():
    assert findings(
        "  - {id: gone, action: drop, select: a}\n"
        "  - {id: move, action: rename, select: b, to: z}\n"
        "  - {id: secrets, action: drop, keys: '^secret'}\n"
        "  - {id: s, action: scrub, select: [a.q, b, 'x[*].secret_key', z]}\n"
        "  - {id: r, action: rename, select: a.q, to: y}\n"
    ) == [
        "rule 's' select 'a.q': never matches: field 'a' was removed by rule 'gone' (drop)",
        "rule 's' select 'b': never matches: field 'b' was moved away by rule 'move' (rename)",
        "rule 's' select 'x[*].secret_key': never matches: field 'x[*].secret_key' was "
        "removed by rule 'secrets' (drop)",
        "rule 'r' select 'a.q': never matches: field 'a' was removed by rule 'gone' (drop)",
    ]


def test_a_write_that_may_bring_an_object_back_lets_a_keys_drop_match_again():
    """`set` (or `redact`) may write an object whose keys a keys-drop removed before; found
    by test_a_select_reported_as_never_matching_never_matches."""
    assert (
        findings(
            "  - {id: secrets, action: drop, keys: '^secret'}\n"
            "  - {id: back, action: set, select: meta, value: {secret_key: x}}\n"
            "  - {id: s, action: scrub, select: meta.secret_key}\n"
        )
        == []
    )


def test_a_conditional_drop_proves_nothing():
    assert (
        findings(
            "  - {id: gone, action: drop, select: a, when: b}\n"
            "  - {id: s, action: scrub, select: a.q}\n"
        )
        == []
    )


def test_a_rule_that_rewrites_keys_keeps_names_it_leaves_alone():
    assert findings(
        "  - {id: only, action: allow, select: [a]}\n"
        "  - {id: everything, action: scrub}\n"
        "  - {id: s, action: scrub, select: [a, c]}\n"
    ) == ["rule 's' select 'c': never matches: field 'c' was removed by rule 'only' (allow)"]


def test_a_key_the_rewrite_would_change_may_be_anything_afterwards():
    assert (
        findings(
            "  - {id: only, action: allow, select: ['\"dba@example.com\"']}\n"
            "  - {id: everything, action: scrub, detectors: [email]}\n"
            "  - {id: s, action: scrub, select: ['\"[EMAIL]\"']}\n"
        )
        == []
    )


# ------------------------------------------------------------ static: sound on any alert

FIELDS = ["a", "b", "c"]
paths = st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3).map(".".join)
selects = st.one_of(
    paths,
    st.builds(lambda p, q: f"{p}[*].{q}", paths, st.sampled_from(FIELDS)),
    st.builds(lambda p, q: f"{p}.*.{q}", paths, st.sampled_from(FIELDS)),
    st.builds(lambda p, i: f"{p}[{i}]", paths, st.integers(-2, 2)),
    st.builds(lambda p: f"{p}[]", paths),
    st.just("@"),
)


@st.composite
def rule_lines(draw, index: int) -> str:
    action = draw(st.sampled_from(["allow", "drop", "set", "rename", "redact", "scrub", "hash"]))
    when = ", when: c" if draw(st.integers(0, 4)) == 0 else ""
    rid = f"r{index}"
    if action in ("set", "rename"):
        path = draw(paths)
        extra = "value: {a: 1}" if action == "set" else f"to: {draw(paths)}"
        return f"  - {{id: {rid}, action: {action}, select: {path}, {extra}{when}}}\n"
    if action in ("allow", "drop") and draw(st.integers(0, 4)) == 0:
        return f"  - {{id: {rid}, action: {action}, keys: '^[ab]$'{when}}}\n"
    chosen = draw(st.lists(selects, min_size=1, max_size=3))
    extra = {"redact": ", with: {a: {b: 1}}", "hash": ", key: a"}.get(action, "")
    if action == "scrub" and draw(st.booleans()):
        return f"  - {{id: {rid}, action: scrub{when}}}\n"
    return f"  - {{id: {rid}, action: {action}, select: {chosen!r}{extra}{when}}}\n"


@st.composite
def policies(draw) -> str:
    return "".join(draw(rule_lines(i)) for i in range(draw(st.integers(1, 6))))


docs = st.recursive(
    st.none() | st.integers(0, 3) | st.sampled_from(["x", "a@example.com"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rules=policies(), alerts=st.lists(st.dictionaries(st.sampled_from(FIELDS), docs), max_size=6)
)
def test_a_select_reported_as_never_matching_never_matches(rules: str, alerts: list[Any]):
    policy = make_policy(rules)
    dead = {(f.rule, f.what) for f in unreachable(policy)}
    coverage = Coverage(policy)
    recording = coverage.instrument()
    for alert in alerts:
        try:
            recording.apply(alert)
        except Refusal:
            pass
    for index, rule in enumerate(policy.rules):
        for target, hit in zip(coverage.targets[index], coverage.hit[index], strict=True):
            assert not (hit and (rule.id, target.label) in dead), (rule.id, target.label)


# --------------------------------------------------------------------------- coverage


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=policies(), alert=json_docs)
def test_recording_coverage_never_changes_what_the_policy_does(rules: str, alert: Any):
    policy = make_policy(rules)
    recording = Coverage(policy).instrument()

    def outcome(which):
        try:
            result = which.apply(copy.deepcopy(alert))
        except Refusal as exc:
            return ("refused", exc.rule)
        return ("ok", result.payload, result.audit)

    assert outcome(recording) == outcome(policy)


def test_coverage_lists_rules_that_never_ran_and_selectors_that_never_matched():
    policy = make_policy(
        "  - {id: drop-x, action: drop, select: [x, y]}\n"
        "  - {id: secrets, action: drop, keys: '^secret'}\n"
        "  - {id: info, action: set, select: t, value: INFO, when: \"s == 'info'\"}\n"
        "  - {id: up, action: rename, select: host, to: HOST}\n"
        "  - {id: all, action: scrub}\n"
    )
    coverage = Coverage(policy)
    coverage.instrument().apply({"x": 1, "secretive": 2})
    assert [str(f) for f in coverage.not_exercised()] == [
        "rule 'drop-x' select 'y': never matched",
        "rule 'info': never ran: its when was never true",
        "rule 'up' select 'host': never matched",
    ]
    coverage.instrument().apply({"y": 1, "s": "info", "host": "h"})
    assert coverage.not_exercised() == []


def test_coverage_records_what_each_rule_saw_not_the_original_alert():
    policy = make_policy(
        "  - {id: only, action: allow, select: [a]}\n  - {id: s, action: scrub, select: b}\n"
    )
    coverage = Coverage(policy)
    coverage.instrument().apply({"a": "x", "b": "y"})
    assert [str(f) for f in coverage.not_exercised()] == ["rule 's' select 'b': never matched"]


def test_rules_after_a_refusal_never_ran():
    policy = make_policy(
        "  - {id: boom, action: set, select: x, expr: 'abs(a)'}\n  - {id: later, action: scrub}\n"
    )
    coverage = Coverage(policy)
    with pytest.raises(Refusal):
        coverage.instrument().apply({"a": "text"})
    assert [str(f) for f in coverage.not_exercised()] == [
        "rule 'later': never ran: every alert was refused before it"
    ]


# ------------------------------------------------------------------------- footprints


def test_footprints_say_what_each_action_removes_writes_and_moves():
    policy = make_policy(
        "  - {id: a, action: allow, select: x}\n"
        "  - {id: d, action: drop, select: x}\n"
        "  - {id: s, action: set, select: p.q, value: {r: 1}}\n"
        "  - {id: e, action: set, select: p, expr: x}\n"
        "  - {id: m, action: rename, select: x, to: y.z}\n"
        "  - {id: o, action: redact, select: x, with: {k: v}}\n"
        "  - {id: t, action: redact, select: x}\n"
        "  - {id: h, action: hash, select: x, key: a}\n"
    )
    prints = {rule.id: footprint(rule) for rule in policy.rules}
    assert prints["a"].removes == "unselected" and prints["d"].removes == "selected"
    assert (prints["s"].writes, prints["s"].value) == (("p", "q"), {"r": 1})
    assert prints["e"].writes == ("p",) and prints["e"].value is not None
    assert (prints["m"].moves, prints["m"].writes) == (("x",), ("y", "z"))
    assert prints["o"].fills and not prints["t"].fills
    assert prints["h"] == footprint(policy.rules[-1]) and not prints["h"].removes


def test_only_whole_payload_text_rewrites_say_they_rewrite_keys():
    policy = make_policy(
        "  - {id: sc, action: scrub, detectors: [email]}\n"
        "  - {id: ip, action: mask_ip}\n"
        "  - {id: h, action: hash, key: a}\n"
        "  - {id: r, action: redact}\n"
        "  - {id: d, action: drop, select: x}\n"
    )
    assert {rule.id: footprint(rule).rewrites_keys for rule in policy.rules} == {
        "sc": True,
        "ip": True,
        "h": False,
        "r": False,
        "d": False,
    }


def test_rules_describe_where_they_work_and_what_their_effect_adds():
    policy = make_policy(
        "  - {id: a, action: allow, select: [x, y.z], keys: '^k'}\n"
        "  - {id: s, action: set, select: p, value: 1, when: x}\n"
        "  - {id: m, action: rename, select: x, to: y}\n"
        "  - {id: sc, action: scrub, detectors: [email], pattern: 'tick-\\d+'}\n"
        "  - {id: t, action: truncate, max_length: 5}\n"
    )
    assert [rule.describe() for rule in policy.rules] == [
        ["x, y.z, keys /^k/"],
        ["its own path  (conditional)"],
        ["its own path"],
        ["every string", "detectors: email, pattern"],
        ["every string"],
    ]


def test_instrumented_rules_answer_as_the_rules_they_wrap():
    policy = make_policy(
        "  - {id: s, action: set, select: p.q, value: {r: 1}}\n"
        "  - {id: m, action: rename, select: x, to: y.z}\n"
        "  - {id: o, action: redact, select: x, with: {k: v}}\n"
        "  - {id: sc, action: scrub, detectors: [email]}\n"
    )
    instrumented = Coverage(policy).instrument()
    for rule, wrapped in zip(policy.rules, instrumented.rules, strict=True):
        assert wrapped.effect is not rule.effect
        assert footprint(wrapped) == footprint(rule)
        assert wrapped.describe() == rule.describe()
