"""`when:` and `set` `expr:` expressions: native evaluation agrees with jmespath exactly."""

from __future__ import annotations

import json

import jmespath
import jmespath.exceptions
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanitizer.errors import PolicyError
from sanitizer.loader import policy_from_text
from sanitizer.policy.expressions import ExpressionTooDeep, compile_expression
from sanitizer.policy.jmespath_ast import MAX_NESTING
from tests.conftest import ENVIRON, make_policy
from tests.strategies import EXPRESSION_FIELDS, expressions

values = st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(["", "x", "CRITICAL"])
documents = st.dictionaries(
    st.sampled_from(EXPRESSION_FIELDS),
    values | st.lists(values, max_size=2) | st.just({"a": "x"}),
    max_size=3,
)


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


# ------------------------------------------------------------------- nesting and loading

DEEP = {
    "parentheses": lambda n: "(" * n + "a" + ")" * n,
    "negations": lambda n: "!" * n + "a",
    "functions": lambda n: "to_string(" * n + "a" + ")" * n,
    "lists": lambda n: "[" * n + "a" + "]" * n,
    "filters": lambda n: "a" + "[?b" * n + "]" * n,
    "ors": lambda n: " || ".join(["a"] * n),
}


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 1000, 20_000])
@pytest.mark.parametrize("shape", [s for s in DEEP if s != "parentheses"])
def test_an_expression_nested_too_deeply_raises_a_jmespath_error_saying_so(shape, depth):
    with pytest.raises(jmespath.exceptions.JMESPathError) as caught:
        compile_expression(DEEP[shape](depth))
    assert isinstance(caught.value, ExpressionTooDeep)
    assert f"more than {MAX_NESTING} levels" in str(caught.value)


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 1000, 20_000])
@pytest.mark.parametrize("shape", list(DEEP))
@pytest.mark.parametrize("field", ["when", "expr"])
def test_a_deep_when_or_expr_is_a_policy_error_naming_the_rule_and_field(shape, depth, field):
    text = DEEP[shape](depth)
    extra = f"{field}: {json.dumps(text)}"
    if field == "when":
        rule = f"  - {{id: deep-rule, action: drop, select: a, {extra}}}\n"
    else:
        rule = f"  - {{id: deep-rule, action: set, select: out, {extra}}}\n"
    try:
        policy = make_policy(rule)
    except PolicyError as error:
        assert error.rule == "deep-rule" and error.field == field
        assert text not in error.message
        return
    assert shape == "parentheses" and depth < 1000  # grouping alone nests nothing
    policy.apply({"a": 1})


IDENTIFIERS = st.sampled_from(["a", "b", "message_type", "alerts", "HOSTNAME", "x.y", "@"])
LEAVES = st.one_of(IDENTIFIERS, st.sampled_from(["`1`", "'x'", "`null`", "a[0]", "a[*].b"]))
NESTED = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"{a} == {b}", inner, inner),
        st.builds(lambda a, b: f"({a} || {b})", inner, inner),
        st.builds(lambda a: f"!{a}", inner),
        st.builds(lambda a: f"to_string({a})", inner),
        st.builds(lambda a, b: f"{a}[?{b}]", inner, inner),
        st.builds(lambda a, b: f"[{a}, {b}]", inner, inner),
        st.builds(lambda a: f"length({a})", inner),
        st.builds(lambda a, b: f"{a} | {b}", inner, inner),
    ),
    max_leaves=8,
)
DEEP_TEXT = st.builds(
    lambda shape, depth: DEEP[shape](depth),
    st.sampled_from(list(DEEP)),
    st.sampled_from([1, 5, MAX_NESTING - 1, MAX_NESTING + 1, 300, 3000]),
)
GARBAGE = st.text(alphabet="ab.*[]?|&!=<>'`\"(){}:,-+0123@ $\\", max_size=30) | st.text(max_size=20)
EXPRESSION_TEXT = st.one_of(NESTED, DEEP_TEXT, GARBAGE)
WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["env", "file", "x"]), st.text(max_size=5), max_size=2),
)
ANYTHING = st.one_of(EXPRESSION_TEXT, WRONG)
ACTION_NAMES = st.sampled_from(
    ["drop", "allow", "redact", "set", "rename", "truncate", "mask_ip", "hash", "tokenize", "scrub"]
)
OPTIONS = {
    "select": st.one_of(EXPRESSION_TEXT, st.lists(EXPRESSION_TEXT, max_size=3), WRONG),
    "when": ANYTHING,
    "expr": ANYTHING,
    "keys": st.one_of(st.sampled_from(["^a", "(?i)contact", "[", "(a+)+$"]), WRONG),
    "value": st.one_of(WRONG, EXPRESSION_TEXT),
    "to": ANYTHING,
    "with": ANYTHING,
    "max_length": st.one_of(st.integers(-5, 100), WRONG),
    "mode": st.one_of(st.sampled_from(["fixed", "truncate", "pseudonym", "nope"]), WRONG),
    "key": st.one_of(st.sampled_from(["a", "b", "missing"]), WRONG),
    "length": st.one_of(st.integers(0, 80), WRONG),
    "detectors": st.one_of(st.lists(st.sampled_from(["email", "ipv4", "nope"]), max_size=2), WRONG),
    "pattern": ANYTHING,
    "label": ANYTHING,
    "description": ANYTHING,
    "bogus": ANYTHING,
}


@st.composite
def rule_dicts(draw):
    rule = {}
    if draw(st.booleans()) or draw(st.booleans()):
        rule["id"] = draw(st.sampled_from(["r1", "r2", "bad id!", "", "x" * 70]) | WRONG)
    if draw(st.integers(0, 9)):
        rule["action"] = draw(ACTION_NAMES | st.sampled_from(["explode", ""]) | WRONG)
    for name in draw(st.lists(st.sampled_from(sorted(OPTIONS)), max_size=5, unique=True)):
        rule[name] = draw(OPTIONS[name])
    return rule


@st.composite
def policy_texts(draw):
    if draw(st.integers(0, 19)) == 0:
        return draw(GARBAGE | st.just("rules: [") | st.just("{"))
    doc = {
        "version": draw(st.sampled_from([1, 1, 1, 2, "1"])),
        "name": draw(st.sampled_from(["p", "", None])),
        "keys": {"a": {"env": "KEY_A"}, "b": {"env": "KEY_B"}},
        "rules": draw(st.lists(rule_dicts() | WRONG, max_size=4)),
    }
    if draw(st.booleans()):
        doc["guard"] = draw(st.sampled_from([["email"], "all", ["nope"], 3]))
    if draw(st.integers(0, 9)) == 0:
        del doc[draw(st.sampled_from(sorted(doc)))]
    return yaml.safe_dump(doc, allow_unicode=True)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=policy_texts())
def test_a_policy_text_loads_or_raises_policy_error_nothing_else(text):
    try:
        policy_from_text(text, environ=ENVIRON)
    except PolicyError as error:
        assert "\n" not in error.message.strip() or "YAML" in error.message
