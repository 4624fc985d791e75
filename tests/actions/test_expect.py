"""The `expect` action: a selected value of a type the receiver does not take never leaves."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.errors import PolicyError, RuleFailed
from tests.conftest import make_policy

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), json_values, max_size=4))
def test_after_expect_scalar_every_top_level_value_is_a_scalar(doc):
    out = make_policy("  - {id: flat, action: expect, select: '*', type: scalar}\n").apply(doc)
    assert set(out.payload) <= set(doc)
    for key, value in out.payload.items():
        assert value == doc[key]
        assert not isinstance(value, dict | list)
    for key, value in doc.items():
        if not isinstance(value, dict | list):
            assert key in out.payload


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_a_value_of_another_type_is_removed_or_refuses_the_alert(value):
    doc = {"state": value, "other": 1}
    drop = make_policy("  - {id: s, action: expect, select: state, type: string, max_length: 5}\n")
    refuse = make_policy(
        "  - {id: s, action: expect, select: state, type: string, max_length: 5,"
        " on_mismatch: refuse}\n"
    )
    fits = isinstance(value, str) and len(value) <= 5
    out = drop.apply(doc)
    assert out.payload == (doc if fits else {"other": 1})
    if fits:
        assert refuse.apply(doc).payload == doc
    else:
        with pytest.raises(RuleFailed) as caught:
            refuse.apply(doc)
        assert caught.value.rule == "s"


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        (1733011200, True),
        ("1733011200", True),
        (1733011200.5, True),
        ("12:00", False),
        ("", False),
        ({"t": 1}, False),
        ([1], False),
        (True, False),
        (None, False),
    ],
)
def test_times_are_numbers_or_digit_strings(value, kept):
    policy = make_policy("  - {id: t, action: expect, select: TIMET, type: [number, digits]}\n")
    assert ("TIMET" in policy.apply({"TIMET": value}).payload) is kept


def test_removals_are_audited_without_values():
    policy = make_policy("  - {id: flat, action: expect, select: '*', type: scalar}\n")
    out = policy.apply({"a": {"secret": "x"}, "b": "ok"})
    assert [(e.rule, e.action, e.count) for e in out.audit] == [("flat", "expect", 1)]
    assert "secret" not in repr(out.audit)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ("type: text", "type"),
        ("type: []", "type"),
        ("type: [string, 3]", "type"),
        ("type: string, on_mismatch: ignore", "on_mismatch"),
        ("type: string, max_length: 0", "max_length"),
        ("type: string, lenght: 3", "lenght"),
    ],
)
def test_bad_options_are_refused_at_load_naming_the_field(options, field):
    with pytest.raises(PolicyError) as caught:
        make_policy(f"  - {{id: e, action: expect, select: a, {options}}}\n")
    assert caught.value.rule == "e"
    assert caught.value.field == field
