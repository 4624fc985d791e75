"""A checked selector's AST compiled to the closures `Selector.find` runs.

Projections and pipes. JMESPath's pipe (`a[*].b | [0]`) stops a projection: the right side
sees the projected list as one value. Evaluation here keeps that list as a "virtual list" of
places, so `a[*].b | [0]` names the first place `a[*].b` names (exactly what jmespath returns),
not `a[*].b[0]`. The same holds for parentheses (`(a[*].b)[0]`) and for flatten, which
splices one level of lists: `a[].b` over `{"a": [[{"b": 1}], {"b": 2}]}` names `a[0][0].b` and
`a[1].b`. A non-projected slice (`a[0][1:3]`, which jmespath returns as a sub-list) names the
places of its non-null elements.

Filter conditions may be any JMESPath, evaluated on each candidate element with JMESPath
truthiness. The common shapes (`==`, `!=`, `!`, `&&`, `||` over fields, `@` and literals) run
natively (`sanitizer.policy.expressions.native`); everything else runs in jmespath's own
interpreter. A condition that jmespath cannot evaluate on an element (a function given the
wrong type, or jmespath 1.1 ordering a string against a number) does not select it: `find`
never raises.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jmespath.visitor import TreeInterpreter

from sanitizer.policy.expressions import native, truthy
from sanitizer.policy.jmespath_ast import Node
from sanitizer.policy.tree import Path

_Pair = tuple[Any, Any]  # (value, path): a place, or (_VList, None), or _NOTHING
_ValueFn = Callable[[Any, Any], _Pair]
_PlacesFn = Callable[[Any, Any, list[Path]], None]

_NOTHING: _Pair = (None, None)
_INTERPRETER = TreeInterpreter()


class _VList:
    """A JMESPath list value that is not at one place (a projection or slice result).

    Its items are (value, path) pairs; an item whose value is a `_VList` has path None. Items
    keep JMESPath's positions so that a later `[0]` or `[1:]` picks what jmespath would pick.
    """

    __slots__ = ("items",)

    def __init__(self, items: list[_Pair]) -> None:
        self.items = items


def compile_finder(ast: Node, static: Path | None, reorders: bool) -> Callable[[Any], list[Path]]:
    """The function of a document giving the places a checked selector AST names: a plain
    lookup when it has a `static` path, sorted into document order when a slice `reorders`."""
    if static is not None:
        return _static_run(static)
    places = _places_fn(ast)

    def run(doc: Any) -> list[Path]:
        out: list[Path] = []
        places(doc, (), out)
        return out

    if not reorders:
        return run

    def run_in_order(doc: Any) -> list[Path]:
        return sorted(run(doc), key=lambda path: _document_order(doc, path))

    return run_in_order


def _static_run(path: Path) -> Callable[[Any], list[Path]]:
    if not path:
        return lambda doc: [] if doc is None else [()]
    if len(path) == 1 and isinstance(path[0], str):
        key = path[0]

        def one_field(doc: Any) -> list[Path]:
            if isinstance(doc, dict) and key in doc:
                return [path]
            return []

        return one_field

    last = len(path) - 1

    def chain(doc: Any) -> list[Path]:
        value = doc
        for position, step in enumerate(path):
            if isinstance(step, str):
                if not isinstance(value, dict) or step not in value:
                    return []
                value = value[step]
                if value is None and position == last:
                    return [path]
            elif isinstance(value, list) and step < len(value):
                value = value[step]
            else:
                return []
            if value is None:
                return []
        return [path]

    return chain


def _document_order(doc: Any, path: Path) -> tuple[int, ...]:
    key: list[int] = []
    value = doc
    for step in path:
        key.append(step if isinstance(step, int) else list(value).index(step))
        value = value[step]
    return tuple(key)


def _emit(value: Any, path: Any, out: list[Path]) -> None:
    if value is None:
        return
    if isinstance(value, _VList):
        for item_value, item_path in value.items:
            _emit(item_value, item_path, out)
    else:
        out.append(path)


def _materialize(value: Any) -> Any:
    if isinstance(value, _VList):
        return [_materialize(item_value) for item_value, _ in value.items]
    return value


def _condition_fn(node: Node) -> Callable[[Any], bool]:
    fast = native(node)
    if fast is not None:

        def holds_fast(element: Any) -> bool:
            return truthy(fast(_materialize(element)))

        return holds_fast
    visit = _INTERPRETER.visit

    def holds(element: Any) -> bool:
        try:
            return truthy(visit(node, _materialize(element)))
        except Exception:
            # jmespath would raise (e.g. a function given the wrong type); an element the
            # condition cannot be evaluated on is not selected, and find() never raises.
            return False

    return holds


def _elements(value: Any, path: Any) -> list[_Pair] | None:
    """The items of a list value (a real list at `path`, or a virtual list); else None."""
    if isinstance(value, list):
        return [(item, (*path, i)) for i, item in enumerate(value)]
    if isinstance(value, _VList):
        return value.items
    return None


def _value_fn(node: Node) -> _ValueFn:
    """Compile a node to a function (value, path) -> (value, path), as jmespath evaluates it."""
    kind = node["type"]
    children = node["children"]
    if kind == "field":
        return _value_field(node["value"])
    if kind in ("current", "identity"):
        return lambda value, path: (value, path)
    if kind in ("subexpression", "index_expression", "pipe"):
        return _value_chain([_value_fn(child) for child in children])
    if kind == "index":
        return _value_index(node["value"])
    if kind == "slice":
        return _value_slice(slice(*children))
    if kind == "flatten":
        return _value_flatten(_value_fn(children[0]))
    if kind in ("projection", "value_projection", "filter_projection"):
        return _value_projection(node)
    raise AssertionError(kind)  # _check_places let through a node it should have refused


def _value_field(key: str) -> _ValueFn:
    def get_field(value: Any, path: Any) -> _Pair:
        if isinstance(value, dict):
            found = value.get(key)
            if found is not None:
                return found, (*path, key)
        return _NOTHING

    return get_field


def _value_chain(steps: list[_ValueFn]) -> _ValueFn:
    if len(steps) == 1:
        return steps[0]
    steps_t = tuple(steps)

    def chain(value: Any, path: Any) -> _Pair:
        for step in steps_t:
            value, path = step(value, path)
            if value is None:
                return _NOTHING
        return value, path

    return chain


def _value_index(index: int) -> _ValueFn:
    def get_index(value: Any, path: Any) -> _Pair:
        if isinstance(value, list):
            position = index + len(value) if index < 0 else index
            if 0 <= position < len(value) and value[position] is not None:
                return value[position], (*path, position)
        elif isinstance(value, _VList):
            try:
                return value.items[index]
            except IndexError:
                pass
        return _NOTHING

    return get_index


def _value_slice(part: slice) -> _ValueFn:
    def get_slice(value: Any, path: Any) -> _Pair:
        if isinstance(value, list):
            items = [
                _NOTHING if value[i] is None else (value[i], (*path, i))
                for i in range(*part.indices(len(value)))
            ]
            return _VList(items), None
        if isinstance(value, _VList):
            return _VList(value.items[part]), None
        return _NOTHING

    return get_slice


def _value_flatten(base: _ValueFn) -> _ValueFn:
    def flatten(value: Any, path: Any) -> _Pair:
        elements = _elements(*base(value, path))
        if elements is None:
            return _NOTHING
        merged: list[_Pair] = []
        for item_value, item_path in elements:
            if isinstance(item_value, list | _VList):
                merged.extend(_elements(item_value, item_path) or ())
            else:
                merged.append((item_value, item_path))
        return _VList(merged), None

    return flatten


def _projection_parts(
    node: Node,
) -> tuple[_ValueFn, Callable[[Any, Any], list[_Pair] | None], Callable[[Any], bool] | None]:
    """Base, element enumerator and (for filters) condition of a projection node."""
    kind = node["type"]
    base = _value_fn(node["children"][0])
    if kind == "value_projection":

        def members(value: Any, path: Any) -> list[_Pair] | None:
            if isinstance(value, dict):
                return [(item, (*path, key)) for key, item in value.items()]
            return None

        return base, members, None
    condition = _condition_fn(node["children"][2]) if kind == "filter_projection" else None
    return base, _elements, condition


def _value_projection(node: Node) -> _ValueFn:
    base, members, condition = _projection_parts(node)
    right = node["children"][1]
    rhs = None if right["type"] == "identity" else _value_fn(right)

    def project(value: Any, path: Any) -> _Pair:
        elements = members(*base(value, path))
        if elements is None:
            return _NOTHING
        collected: list[_Pair] = []
        for item in elements:
            if item[0] is None or (condition is not None and not condition(item[0])):
                continue
            if rhs is not None:
                item = rhs(*item)
                if item[0] is None:
                    continue
            collected.append(item)
        return _VList(collected), None

    return project


def _places_fn(node: Node) -> _PlacesFn:
    """Compile a node to a function (value, path, out) that appends the places it names.

    Same results as `_emit(*_value_fn(node)(value, path), out)`, without building virtual
    lists for the common shapes (`a.b`, `a[*].b`, `a.*.b`, `a[?c].b`).
    """
    kind = node["type"]
    children = node["children"]
    if kind == "field":
        key = node["value"]

        def place_field(value: Any, path: Any, out: list[Path]) -> None:
            if isinstance(value, dict) and key in value:
                out.append((*path, key))

        return place_field
    if kind in ("subexpression", "pipe") or (
        kind == "index_expression" and children[-1]["type"] == "index"
    ):
        return _places_chain(children)
    if kind in ("projection", "value_projection", "filter_projection"):
        return _places_projection(node)
    whole = _value_fn(node)

    def place_value(value: Any, path: Any, out: list[Path]) -> None:
        _emit(*whole(value, path), out)

    return place_value


def _places_chain(children: list[Node]) -> _PlacesFn:
    head = _value_chain([_value_fn(child) for child in children[:-1]])
    last = _places_fn(children[-1])

    def place_chain(value: Any, path: Any, out: list[Path]) -> None:
        value, path = head(value, path)
        if value is not None:
            last(value, path, out)

    return place_chain


def _places_projection(node: Node) -> _PlacesFn:
    base, members, condition = _projection_parts(node)
    rhs = _places_fn(node["children"][1])
    rhs_is_identity = node["children"][1]["type"] == "identity"
    over_lists = members is _elements

    def place_projection(value: Any, path: Any, out: list[Path]) -> None:
        value, path = base(value, path)
        # The common cases, inlined: no list of (value, path) pairs is built.
        if over_lists and isinstance(value, list):
            for index, item in enumerate(value):
                if item is not None and (condition is None or condition(item)):
                    rhs(item, (*path, index), out)
            return
        if not over_lists and isinstance(value, dict):
            for key, item in value.items():
                if item is not None:
                    rhs(item, (*path, key), out)
                elif rhs_is_identity:
                    out.append((*path, key))
            return
        elements = members(value, path)
        if elements is None:
            return
        for item_value, item_path in elements:
            if item_value is None or (condition is not None and not condition(item_value)):
                continue
            rhs(item_value, item_path, out)

    return place_projection
