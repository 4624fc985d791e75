"""`when:` and `set` `expr:` expressions: native evaluation agrees with jmespath exactly."""

from __future__ import annotations

import jmespath
import jmespath.exceptions
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.policy.places import compile_expression

FIELDS = ["a", "b", "c"]
values = st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(["", "x", "CRITICAL"])
documents = st.dictionaries(
    st.sampled_from(FIELDS), values | st.lists(values, max_size=2) | st.just({"a": "x"}), max_size=3
)

leaf = st.sampled_from(
    [*FIELDS, "a.b", "@", "`0`", "`1`", "`true`", "`null`", "'x'", "''", "'CRITICAL'"]
)


def _expressions(inner):
    return st.one_of(
        st.builds(lambda a, b: f"({a} == {b})", inner, inner),
        st.builds(lambda a, b: f"({a} != {b})", inner, inner),
        st.builds(lambda a: f"!{a}", inner),
        st.builds(lambda a, b: f"({a} && {b})", inner, inner),
        st.builds(lambda a, b: f"({a} || {b})", inner, inner),
        st.builds(lambda a: f"to_string({a})", inner),
        st.builds(lambda a, b: f"join('/', [{a}, {b}])", inner, inner),
        st.builds(lambda a, b: f"[{a}, {b}]", inner, inner),
    )


expressions = st.recursive(leaf, _expressions, max_leaves=6)


def outcome(function, *args):
    try:
        return ("value", function(*args))
    except jmespath.exceptions.JMESPathError as exc:
        return ("error", type(exc).__name__)


@settings(max_examples=1500, deadline=None)
@given(expressions, documents)
def test_native_evaluation_agrees_with_jmespath(expression, doc):
    native = outcome(compile_expression(expression), doc)
    reference = outcome(jmespath.search, expression, doc)
    assert native == reference


def test_shipped_policy_expressions_run_natively():
    for expression in [
        "NOTIFICATIONTYPE == 'PROBLEM' && (SERVICESTATE == 'CRITICAL' || !SERVICEDESC)",
        "join('/', [to_string(HOSTNAME || ''), to_string(SERVICEDESC || 'host')])",
        'join(`"\\n"`, [state_message, to_string(LONGSERVICEOUTPUT)])',
    ]:
        function = compile_expression(expression)
        assert not hasattr(function, "__self__"), expression  # not jmespath's bound search


def test_everything_else_falls_back_to_jmespath():
    function = compile_expression("length(a) > `1`")
    assert function({"a": "xyz"}) is True


def test_join_of_a_non_string_raises_like_jmespath():
    with pytest.raises(jmespath.exceptions.JMESPathTypeError):
        compile_expression("join('/', [a, b])")({"a": "x", "b": 1})
