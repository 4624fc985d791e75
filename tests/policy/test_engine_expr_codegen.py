"""Generated expression functions (`expr_codegen`) give exactly what `native`'s closures give:
the same value of the same type, or the same exception, for generated expressions and for
every `when:`/`expr:` of the shipped policies, on generated documents."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import jmespath.exceptions
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.policy.expressions import compile_expression, native
from sanitizer.policy.jmespath_ast import parse
from tests.strategies import EXPRESSION_FIELDS, expressions

RULES = Path(__file__).resolve().parents[2] / "rules"


class Text(str):
    """A str subclass: `join` and `to_string` accept it, `type(x) is str` does not."""


class Mapping(dict):  # type: ignore[type-arg]
    """A dict subclass: takes the fallback closures."""


def _shipped_expressions() -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("expr", "when") and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in sorted(RULES.glob("*.yaml")):
        walk(yaml.safe_load(path.read_text()))
    return found


SHIPPED = _shipped_expressions()


def _fields_of(node: dict[str, Any]) -> set[str]:
    names = {node["value"]} if node["type"] == "field" else set()
    for child in node["children"]:
        if isinstance(child, dict):
            names |= _fields_of(child)
    return names


def _outcome(function: Any, doc: Any) -> tuple[str, Any]:
    try:
        value = function(doc)
    except jmespath.exceptions.JMESPathError as exc:
        return ("error", type(exc).__name__)
    return ("value", _exact(value))


def _exact(value: Any) -> Any:
    """A comparable form that tells apart 1, 1.0 and True, str and its subclasses, NaNs."""
    if isinstance(value, dict):
        return (type(value).__name__, sorted((k, _exact(v)) for k, v in value.items()))
    if isinstance(value, list):
        return (type(value).__name__, [_exact(item) for item in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, repr(value))


scalars = (
    st.none()
    | st.booleans()
    | st.sampled_from([0, 1, -1, 2, 0.0, -0.0, 1.5, math.inf, math.nan])
    | st.sampled_from(["", "x", "CRITICAL", "PROBLEM", "WARNING", "resolved", "SEVERE"])
    | st.sampled_from([Text(""), Text("y")])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=2)
        | st.dictionaries(st.sampled_from(["a", "b", "summary", "alertname"]), inner, max_size=2)
    ),
    max_leaves=4,
)


def documents(names: list[str]) -> st.SearchStrategy[Any]:
    objects = st.dictionaries(st.sampled_from(names), values, max_size=len(names))
    return (
        objects
        | objects.map(Mapping)
        | st.none()
        | st.lists(scalars, max_size=2)
        | st.sampled_from(["", "x", 0, 1, True])
    )


def _check(expression: str, doc: Any) -> None:
    compiled = compile_expression(expression)
    reference = native(parse(expression), functions=True)
    assert reference is not None
    assert _outcome(compiled, doc) == _outcome(reference, doc), expression


@pytest.mark.parametrize("expression", SHIPPED)
def test_shipped_expressions_are_generated_exactly_where_the_closures_run_them(expression):
    """Every shipped expression the closures handle is generated; the others (`contains`,
    `type`, `length`) stay with jmespath's own interpreter."""
    generated = compile_expression(expression).__name__ == "evaluate"
    assert generated == (native(parse(expression), functions=True) is not None)


# Field names and literals that would be code if they reached the generated source as text.
HOSTILE = [
    "'",
    '"',
    "\\",
    "\n",
    "{x}",
    "')\n__import__('os')._exit(3)#",
    '"; raise SystemExit #',
    "\\N{BULLET}",
    "\x00",
]
hostile_text = st.sampled_from(HOSTILE) | st.text(max_size=12).filter(lambda t: "`" not in t)


@settings(max_examples=400, deadline=None)
@given(name=hostile_text, literal=hostile_text, value=hostile_text)
def test_policy_text_reaches_generated_code_only_as_data(name, literal, value):
    """Field names (quoted identifiers) and literals of any text are values in the generated
    function, never code: it gives what the closures give, on documents holding them."""
    field = json.dumps(name)
    constant = "`" + json.dumps(literal) + "`"
    for expression in (
        f"{field} || {constant}",
        f"join({constant}, [{field}, {constant}])",
        f"{field} == {constant} && {field} || to_string({field})",
    ):
        try:
            ast = parse(expression)
        except jmespath.exceptions.ParseError:
            continue
        if native(ast, functions=True) is None:
            continue
        assert compile_expression(expression).__name__ == "evaluate", expression
        for doc in ({name: value}, {name: literal}, {}):
            _check(expression, doc)


@pytest.mark.parametrize("expression", SHIPPED)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_shipped_expressions_agree_with_the_closures(expression, data):
    ast = parse(expression)
    if native(ast, functions=True) is None:
        return
    names = sorted(_fields_of(ast) | {"other"})
    _check(expression, data.draw(documents(names)))


@settings(max_examples=3000, deadline=None)
@given(expressions, documents(EXPRESSION_FIELDS))
def test_generated_functions_agree_with_the_closures(expression, doc):
    if native(parse(expression), functions=True) is None:
        return
    _check(expression, doc)


def test_deep_expressions_keep_the_closures():
    deep = "!" * 30 + "a"  # 31 levels: beyond MAX_GENERATED_DEPTH
    compiled = compile_expression(deep)
    assert compiled.__name__ != "evaluate"
    assert compiled({"a": 0}) is True  # an even number of `!`: 0 is true in JMESPath
    at_the_bound = "to_string(" * 23 + "a" + ")" * 23  # 24 levels
    assert compile_expression(at_the_bound).__name__ == "evaluate"
    assert compile_expression(at_the_bound)({"a": 1}) == "1"
