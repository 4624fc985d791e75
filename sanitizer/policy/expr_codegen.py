"""Expressions of the native subset compiled to one Python function each.

`expressions.native` evaluates a tree of closures: `join('/', [to_string(HOSTNAME || ''), ...])`
costs a dozen Python calls per alert. Here the same tree becomes the text of a single Python
expression (field reads as `e.get('HOSTNAME')`, `||` and `&&` as conditional expressions with
JMESPath truthiness inlined, `join` of strings as an f-string), compiled once with the policy.
It runs only when the document is a plain `dict` (every alert); anything else, and any case the
inline code does not settle itself (a `join` item that is not a string, `to_string` of a
non-string), goes to the same helpers `native` calls, so results and errors are `native`'s.

The source holds no policy text: string keys and literals enter it through `repr` (which
always gives a Python literal of the same string), every other constant through a name bound
in the function's namespace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sanitizer.policy.jmespath_ast import Node, depth

Evaluate = Callable[[Any], Any]

MAX_GENERATED_DEPTH = 24
"""Deeper expressions keep the closures: each level nests the generated text a few brackets
deeper, and CPython's parser bounds bracket nesting (200)."""


def generate(
    ast: Node, fallback: Evaluate, helpers: dict[str, Callable[..., Any]]
) -> Evaluate | None:
    """One Python function giving what `fallback` (the closures of `native` for `ast`) gives,
    for every document: natively for a `dict`, through `fallback` for anything else. `helpers`
    are `native`'s `_join`, `_to_string` and `_equals`. None: a shape outside the
    native subset, or too deep to generate."""
    if depth(ast) > MAX_GENERATED_DEPTH:
        return None
    writer = _Writer()
    body = writer.expression(ast)
    if body is None:
        return None
    source = (
        "def evaluate(e):\n"
        "    if type(e) is dict:\n"
        f"        return {body}\n"
        "    return _fallback(e)\n"
    )
    namespace: dict[str, Any] = {**helpers, **writer.constants, "_fallback": fallback}
    namespace["_fields"] = fields
    try:
        # Reviewed: the source is built by `_Writer` from the parsed tree; every name and
        # literal of the policy enters it through repr() or as a namespace constant, never
        # as code (tests/policy/test_engine_expr_codegen.py, hostile names and literals).
        exec(compile(source, "<policy expression>", "exec"), namespace)  # noqa: S102  # nosec B102
    except (SyntaxError, RecursionError, MemoryError):
        return None
    function: Evaluate = namespace["evaluate"]
    return function


def _truthy(name: str, value: str) -> str:
    """`value` assigned to `name`, tested with JMESPath truthiness: Python's, except that
    the numbers 0 and 0.0 are true (False, equal to 0, stays false)."""
    return f"(({name} := {value}) or ({name} == 0 and {name} is not False))"


class _Writer:
    """Writes the Python text of one expression over the document `e` (a `dict`)."""

    def __init__(self) -> None:
        self.constants: dict[str, Any] = {}
        self._names = 0

    def _temporary(self) -> str:
        self._names += 1
        return f"_t{self._names}"

    def _constant(self, value: Any) -> str:
        if type(value) is str:
            return repr(value)
        name = f"_c{len(self.constants)}"
        self.constants[name] = value
        return name

    def expression(self, node: Node) -> str | None:
        kind = node["type"]
        children = node["children"]
        if kind == "literal":
            return self._constant(node["value"])
        if kind in ("current", "identity"):
            return "e"
        if kind == "field":
            return f"e.get({self._constant(node['value'])})"
        if kind == "subexpression":
            if not all(child["type"] == "field" for child in children):
                return None
            keys = self._constant(tuple(child["value"] for child in children))
            return f"_fields(e, {keys})"
        if kind == "function_expression":
            return self._function(node["value"], children)
        if kind == "multi_select_list":
            items = self._all(children)
            return None if items is None else f"[{', '.join(items)}]"
        if kind == "comparator":
            return self._comparator(node["value"], children)
        if kind == "not_expression":
            inner = self.expression(children[0])
            if inner is None:
                return None
            name = self._temporary()
            return f"(not {_truthy(name, inner)})"
        if kind == "or_expression":
            return self._or(node)
        if kind == "and_expression":
            parts = self._all(children)
            if parts is None:
                return None
            left, right = parts
            name = self._temporary()
            return f"({right} if {_truthy(name, left)} else {name})"
        return None

    def _all(self, nodes: list[Node]) -> list[str] | None:
        parts = [self.expression(child) for child in nodes]
        return None if any(part is None for part in parts) else parts  # type: ignore[return-value]

    def _or(self, node: Node) -> str | None:
        # `a || b || c` parses as `(a || b) || c`; the same as `a || (b || c)`, written flat.
        operands: list[Node] = []
        while node["type"] == "or_expression":
            operands.insert(0, node["children"][1])
            node = node["children"][0]
        operands.insert(0, node)
        parts = self._all(operands)
        if parts is None:
            return None
        text = parts[-1]
        for part in reversed(parts[:-1]):
            name = self._temporary()
            text = f"{name} if {_truthy(name, part)} else {text}"
        return f"({text})"

    def _comparator(self, operator: str, children: list[Node]) -> str | None:
        if operator not in ("eq", "ne"):
            return None
        parts = self._all(children)
        if parts is None:
            return None
        left, right = parts
        if children[1]["type"] == "literal" and isinstance(children[1]["value"], str):
            return f"({left} {'==' if operator == 'eq' else '!='} {right})"
        return f"({'' if operator == 'eq' else 'not '}_equals({left}, {right}))"

    def _function(self, name: str, children: list[Node]) -> str | None:
        if name == "join" and len(children) == 2 and _joins_literal_list(*children):
            return self._join_list(children[0]["value"], children[1]["children"])
        arguments = self._all(children)
        if arguments is None:
            return None
        if name == "to_string" and len(arguments) == 1:
            if _gives_string(children[0]):
                return arguments[0]
            value = self._temporary()
            return f"({value} if type({value} := {arguments[0]}) is str else _to_string({value}))"
        if name == "join" and len(arguments) == 2:
            return f"_join({arguments[0]}, {arguments[1]})"
        return None

    def _join_list(self, separator: str, items: list[Node]) -> str | None:
        """`join('/', [a, b])`: each item evaluated in order into a temporary, then, when all
        are exact strings, joined by an f-string (no tuple, no call); otherwise `_join`
        raises (or joins) as `native` does."""
        texts = self._all(items)
        if texts is None:
            return None
        names = [self._temporary() for _ in items]
        evaluated = ", ".join(
            f"({name} := {text})" for name, text in zip(names, texts, strict=True)
        )
        checks = " and ".join(f"type({name}) is str" for name in names)
        listed = f"[{', '.join(names)}]"
        joined = _f_string(separator, names)
        return f"({joined} if ({evaluated},) and {checks} else _join({separator!r}, {listed}))"


def _f_string(separator: str, names: list[str]) -> str:
    """The source of an f-string giving `separator.join` of the exact strings `names`: the
    separator's text as `repr` writes it (a valid literal body), its braces doubled."""
    literal = repr(separator.replace("{", "{{").replace("}", "}}"))
    quote, body = literal[0], literal[1:-1]
    return f"f{quote}{body.join('{' + name + '}' for name in names)}{quote}"


def _joins_literal_list(separator: Node, items: Node) -> bool:
    return (
        separator["type"] == "literal"
        and type(separator["value"]) is str
        and items["type"] == "multi_select_list"
        and bool(items["children"])
    )


def fields(element: Any, keys: tuple[str, ...]) -> Any:
    """A chain of field reads (`a.b.c`), None once a step is not an object: `native`'s."""
    for key in keys:
        if not isinstance(element, dict):
            return None
        element = element.get(key)
    return element


def _gives_string(node: Node) -> bool:
    """Whether `node` always gives a string (or raises): `to_string` of it gives it."""
    if node["type"] == "literal":
        return type(node["value"]) is str
    return node["type"] == "function_expression" and node["value"] in ("join", "to_string")
