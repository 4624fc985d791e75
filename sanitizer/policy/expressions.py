"""JMESPath expressions as functions of the document: `when:` conditions, `set` `expr:`, and
the conditions of selector filters.

The common shapes (`state == 'CRITICAL'`, `!ack`, `a && b`, field chains, literals) run
natively with jmespath's own equality and truthiness rules; everything else runs in
jmespath's interpreter, so results are always exactly jmespath's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jmespath
import jmespath.exceptions

from sanitizer.policy.expr_codegen import generate
from sanitizer.policy.jmespath_ast import MAX_NESTING, Node, TooDeep, parse
from sanitizer.policy.tree import is_number

Evaluate = Callable[[Any], Any]


class ExpressionTooDeep(jmespath.exceptions.JMESPathError):
    """A `when:` or `expr:` nests deeper than `MAX_NESTING`; the message says so."""


def truthy(value: Any) -> bool:
    """JMESPath truthiness (jmespath's `TreeInterpreter._is_false`, kept verbatim): false,
    null and empty strings, lists and objects are false; `0` is true."""
    return not (value == "" or value == [] or value == {} or value is None or value is False)


def compile_expression(expression: str) -> Evaluate:
    """A JMESPath expression as a function of the document, for `when:` and `set` `expr:`.

    The common shapes run natively (see `native`, here with `join`, `to_string` and list
    multi-selects too), each as one generated Python function (`expr_codegen`); everything
    else runs in jmespath's own interpreter. Raises jmespath's errors for an invalid
    expression, and `ExpressionTooDeep` (one of them) for one nested beyond `MAX_NESTING`;
    the caller names the rule and field.
    """
    try:
        ast = parse(expression)
    except TooDeep:
        raise ExpressionTooDeep(
            f"the expression is nested more than {MAX_NESTING} levels deep; split it over "
            "several `set` rules, or simplify it"
        ) from None
    fast = native(ast, functions=True)
    if fast is None:
        return jmespath.compile(expression).search
    return generate(ast, fast, _HELPERS) or fast


def _join(separator: Any, items: Any) -> str:
    if not isinstance(separator, str) or not isinstance(items, list):
        raise jmespath.exceptions.JMESPathTypeError("join", None, "invalid", ["array-string"])
    if not all(isinstance(item, str) for item in items):
        raise jmespath.exceptions.JMESPathTypeError("join", None, "invalid", ["array-string"])
    return separator.join(items)


def _to_string(value: Any) -> str:
    # jmespath's own: strings as they are, anything else as compact JSON.
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), default=str)


_FAST_FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "join": (2, _join),
    "to_string": (1, _to_string),
}


def native(node: Node, *, functions: bool = False) -> Evaluate | None:
    """Native evaluation of the common condition shapes (`state == 'CRITICAL'`, `!ack`, `a && b`).

    Same results as jmespath's interpreter, which handles everything else (functions and
    ordering comparisons, whose semantics differ between jmespath versions). None: not handled.
    With `functions`, also `join`, `to_string` and list multi-selects, which may raise as
    jmespath does (filters leave them to jmespath, whose failures they turn into "no match").
    """
    kind = node["type"]
    children = node["children"]
    if functions and kind == "function_expression" and node["value"] in _FAST_FUNCTIONS:
        arity, function = _FAST_FUNCTIONS[node["value"]]
        arguments = _all_native([native(child, functions=True) for child in children])
        if arguments is None or len(arguments) != arity:
            return None
        if arity == 1:
            (only,) = arguments
            return lambda element: function(only(element))
        if arity == 2:
            first, second = arguments
            return lambda element: function(first(element), second(element))
        return lambda element: function(*(argument(element) for argument in arguments))
    if functions and kind == "multi_select_list":
        items = _all_native([native(child, functions=True) for child in children])
        if items is None:
            return None
        return lambda element: None if element is None else [item(element) for item in items]
    if kind == "literal":
        constant = node["value"]
        return lambda element: constant
    if kind in ("current", "identity"):
        return lambda element: element
    if kind == "field":
        key = node["value"]
        return lambda element: element.get(key) if isinstance(element, dict) else None
    if kind not in (
        "subexpression",
        "comparator",
        "not_expression",
        "and_expression",
        "or_expression",
    ):
        return None
    parts = _all_native([native(child, functions=functions) for child in children])
    if parts is None:
        return None
    if kind == "subexpression" and all(child["type"] == "field" for child in children):
        keys = tuple(child["value"] for child in children)

        def fields(element: Any) -> Any:
            for key in keys:
                if not isinstance(element, dict):
                    return None
                element = element.get(key)
            return element

        return fields
    if kind == "comparator" and node["value"] in ("eq", "ne"):
        left, right = parts
        constant = children[1]["value"] if children[1]["type"] == "literal" else None
        if isinstance(constant, str):
            # `state == 'CRITICAL'`: jmespath's equality with a string is Python's.
            if node["value"] == "eq":
                return lambda element: left(element) == constant
            return lambda element: left(element) != constant
        if node["value"] == "eq":
            return lambda element: _equals(left(element), right(element))
        return lambda element: not _equals(left(element), right(element))
    if kind == "not_expression":
        inner = parts[0]
        return lambda element: _not(inner(element))
    if kind == "and_expression":
        left, right = parts
        return lambda element: right(element) if truthy(found := left(element)) else found
    if kind == "or_expression":
        left, right = parts
        return lambda element: found if truthy(found := left(element)) else right(element)
    return None


def _all_native(parts: list[Evaluate | None]) -> list[Evaluate] | None:
    """`parts` when each runs natively, else None (jmespath then evaluates the whole node)."""
    native_parts = [part for part in parts if part is not None]
    return native_parts if len(native_parts) == len(parts) else None


def _equals(left: Any, right: Any) -> bool:
    # jmespath's equality: Python's, except that 0 and 1 never equal false and true.
    if is_number(left) and left in (0, 1):
        return not isinstance(right, bool) and left == right
    if is_number(right) and right in (0, 1):
        return not isinstance(left, bool) and left == right
    return left == right


def _not(value: Any) -> bool:
    # jmespath's `!`: Python's `not`, except that `!0` is false (0 is truthy in JMESPath).
    if is_number(value) and value == 0:
        return False
    return not value


# What generated expressions call for the cases they do not settle inline (`expr_codegen`).
_HELPERS: dict[str, Callable[..., Any]] = {
    "_join": _join,
    "_to_string": _to_string,
    "_equals": _equals,
}
