"""JMESPath expressions that name places (paths) in a JSON document instead of values.

`compile_selector` parses an expression once with jmespath's own parser, refuses every
construct that computes a value rather than naming one (functions, literals, multi-selects,
`||`, `&&`, `!`, comparisons outside a filter), and turns the AST into a tree of small closures.
`Selector.find` runs those closures: it never calls the parser, and a plain field chain such as
`HOSTNAME` or `a.b[0]` is a straight loop of dict/list lookups.

Correspondence with `jmespath.search`: looking up the places `find` returns gives exactly the
values jmespath returns, with every projection flattened (a projection result is a list of
places, not a place), and with null results left out, since JMESPath cannot tell a null value
from a missing key. The one deliberate difference is order: a slice with a negative step
(`a[::-1]`) yields its places in document order, not reversed.

Projections and pipes. JMESPath's pipe (`a[*].b | [0]`) stops a projection: the right side
sees the projected list as one value. Evaluation here keeps that list as a "virtual list" of
places, so `a[*].b | [0]` names the first place `a[*].b` names (exactly what jmespath returns),
not `a[*].b[0]`. The same holds for parentheses (`(a[*].b)[0]`) and for flatten, which
splices one level of lists: `a[].b` over `{"a": [[{"b": 1}], {"b": 2}]}` names `a[0][0].b` and
`a[1].b`. A non-projected slice (`a[0][1:3]`, which jmespath returns as a sub-list) names the
places of its non-null elements.

Filter conditions may be any JMESPath, evaluated on each candidate element with JMESPath
truthiness. The common shapes (`==`, `!=`, `!`, `&&`, `||` over fields, `@` and literals) run
natively with jmespath's equality rules; everything else runs in jmespath's own interpreter.
A condition that jmespath cannot evaluate on an element (a function given the wrong type, or
jmespath 1.1 ordering a string against a number) does not select it: `find` never raises.
"""

from __future__ import annotations

import enum
import json
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import jmespath.exceptions
from jmespath.functions import Functions
from jmespath.parser import Parser
from jmespath.visitor import TreeInterpreter

from sanitizer.errors import PolicyError

Path = tuple[str | int, ...]

_Node = dict[str, Any]
_Pair = tuple[Any, Any]  # (value, path): a place, or (_VList, None), or _NOTHING
_ValueFn = Callable[[Any, Any], _Pair]
_PlacesFn = Callable[[Any, Any, list[Path]], None]

MAX_NESTING = 100
"""How deeply a selector, `when:` or `expr:` may nest (brackets, parentheses, functions)."""

_NOTHING: _Pair = (None, None)
_INTERPRETER = TreeInterpreter()
_FUNCTIONS = Functions.FUNCTION_TABLE
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Wildcard(enum.Enum):
    """A step of a `Pattern` that stands for any list index or any object key."""

    INDEX = "[*]"
    KEY = ".*"


Step = str | int | Wildcard
Pattern = tuple[Step, ...]


class ExpressionTooDeep(jmespath.exceptions.JMESPathError):
    """A `when:` or `expr:` nests deeper than `MAX_NESTING`; the message says so."""


class _VList:
    """A JMESPath list value that is not at one place (a projection or slice result).

    Its items are (value, path) pairs; an item whose value is a `_VList` has path None. Items
    keep JMESPath's positions so that a later `[0]` or `[1:]` picks what jmespath would pick.
    """

    __slots__ = ("items",)

    def __init__(self, items: list[_Pair]) -> None:
        self.items = items


@dataclass(frozen=True, slots=True)
class Selector:
    """A compiled selector: immutable, built once per policy, used for every alert."""

    expression: str
    _run: Callable[[Any], list[Path]] = field(repr=False, compare=False)
    _static: Path | None = field(repr=False, compare=False)
    _keys: frozenset[str] = field(repr=False, compare=False)
    _pattern: Pattern = field(repr=False, compare=False, default=())

    def find(self, doc: Any) -> list[Path]:
        """The places the expression names in `doc`, in document order, without duplicates.

        `alerts[?state == 'CRITICAL'].host` on
        `{"alerts": [{"state": "OK", "host": "a"}, {"state": "CRITICAL", "host": "b"}]}`
        gives `[("alerts", 1, "host")]`. Places holding null are not returned.
        """
        return self._run(doc)

    @property
    def static_path(self) -> Path | None:
        """The path of a pure field/index chain (`a.b[0]."c.d"`, `@` gives `()`), else None.

        It names a place whether or not the place exists, so `set` and `rename` can create it.
        """
        return self._static

    @property
    def literal_keys(self) -> frozenset[str]:
        """Every field name written in the expression, filter conditions included."""
        return self._keys

    @property
    def pattern(self) -> Pattern:
        """The steps every place the selector names begins with, read from its text alone.

        Field names, non-negative indexes and `Wildcard`s: `alerts[?x].host` gives
        `("alerts", Wildcard.INDEX, "host")`. Every place `find` returns is at least this long
        and agrees with it step by step; it may go deeper where the text cannot tell (after a
        flatten, or a pipe or index applied to a projection). Static analysis of a policy
        (which selectors can never match) reads this.
        """
        return self._pattern


def compile_selector(expression: str) -> Selector:
    """Parse and compile `expression`; raise `PolicyError` if it cannot name places."""
    if not isinstance(expression, str):
        raise PolicyError(
            f"a selector must be a string, not {type(expression).__name__}; "
            "write a path, e.g. `alerts[0].host`"
        )
    too_deep = (
        f"the selector is nested more than {MAX_NESTING} levels deep; write a shorter path, "
        "e.g. `alerts[0].host`"
    )
    try:
        ast = _parse(expression)
    except jmespath.exceptions.JMESPathError as error:
        raise PolicyError(_syntax_problem(error, len(expression))) from None
    except _TooDeep:
        raise PolicyError(too_deep) from None
    try:
        reorders = _check_places(ast)
        static = _static_path(ast)
        run = _compile_run(ast, static, reorders)
        pattern = _pattern(ast)
    except RecursionError:  # not expected below MAX_NESTING; kept as a last line of defence
        raise PolicyError(too_deep) from None
    return Selector(expression, run, static, frozenset(_field_names(ast)), pattern)


class _TooDeep(Exception):
    """Internal: an expression nests deeper than `MAX_NESTING`."""


def _parse(expression: str) -> _Node:
    """jmespath's AST of `expression`, or `_TooDeep` when it nests beyond `MAX_NESTING`.

    jmespath's parser recurses once per nesting level (and its interpreter later does too), so
    a deep enough text would exhaust the stack; the depth is bounded here, before anything
    walks the tree recursively.
    """
    try:
        with warnings.catch_warnings():
            # jmespath warns about the deprecated `foo` string-literal form; compile quietly.
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            ast = Parser().parse(expression).parsed
    except RecursionError:
        raise _TooDeep from None
    if _depth(ast) > MAX_NESTING:
        raise _TooDeep
    return ast


def _depth(ast: _Node) -> int:
    """The nesting depth of an AST, counted without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(ast, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in node.get("children", ()):
            if isinstance(child, dict):
                stack.append((child, depth + 1))
    return deepest


def format_path(path: Path, shown_keys: frozenset[str]) -> str:
    """JMESPath-like text for a path, for audit records: `alerts[0].host`, `@` for the root.

    A key not in `shown_keys` is written `*` (keys can carry payload data such as host names);
    a shown key that is not a plain identifier is quoted: `"vo_annotate.s.Note"`.
    """
    if not path:
        return "@"
    parts: list[str] = []
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step}]")
            continue
        if step not in shown_keys:
            text = "*"
        elif _IDENTIFIER.match(step):
            text = step
        else:
            text = json.dumps(step)
        parts.append("." + text if parts else text)
    return "".join(parts)


# --- compile-time checks -------------------------------------------------------------------

_PLACE_NODES = frozenset(
    {
        "field",
        "subexpression",
        "index_expression",
        "index",
        "slice",
        "projection",
        "value_projection",
        "filter_projection",
        "flatten",
        "identity",
        "current",
        "pipe",
    }
)

_REFUSALS = {
    "literal": (
        "a literal (`...` or '...') is a constant, not a place in the alert; "
        "write a field path instead, e.g. `alerts[0].host`"
    ),
    "multi_select_list": (
        "a multi-select list `[a, b]` builds a new value, not a place; "
        "list several expressions instead"
    ),
    "multi_select_dict": (
        "a multi-select hash `{k: a}` builds a new object, not a place; "
        "list several expressions instead"
    ),
    "or_expression": (
        "`a || b` picks one of two values, not a place; list several expressions instead"
    ),
    "and_expression": (
        "`a && b` yields a value, not a place; to select on a condition use a filter instead, "
        "e.g. `alerts[?a && b]`"
    ),
    "not_expression": (
        "`!a` yields true or false, not a place; to select on a condition use a filter "
        "instead, e.g. `alerts[?!acknowledged]`"
    ),
    "comparator": (
        "a comparison yields true or false, not a place; comparisons select places only "
        "inside a filter, e.g. `alerts[?state == 'CRITICAL'].host`"
    ),
    "expref": (
        "an expression reference `&a` only means something as a function argument; "
        "write the path itself instead, e.g. `alerts[0].host`"
    ),
}


def _check_places(node: _Node) -> bool:
    """Refuse constructs that cannot name places; return True if a slice may reverse order."""
    kind = node["type"]
    if kind == "function_expression":
        raise PolicyError(
            f"the function call {node['value']}() computes a value, not a place; select the "
            "field itself instead, e.g. `alerts[*].tags`, or use the function in a filter, "
            "e.g. `alerts[?length(tags) > `0`]`"
        )
    if kind in _REFUSALS:
        raise PolicyError(_REFUSALS[kind])
    if kind not in _PLACE_NODES:
        raise PolicyError(
            f"the JMESPath construct {kind!r} cannot name a place; write a path of fields, "
            "indexes, wildcards and filters instead, e.g. `alerts[*].host`"
        )
    if kind == "slice":
        return _check_slice(node)
    children = node["children"]
    if kind == "filter_projection":
        _check_condition(children[2])
        children = children[:2]
    reorders = False
    for child in children:
        reorders = _check_places(child) or reorders
    return reorders


def _check_slice(node: _Node) -> bool:
    step = node["children"][2]
    if step == 0:
        raise PolicyError("a slice step cannot be 0; write e.g. `alerts[::2]` or `alerts[1:]`")
    return step is not None and step < 0


def _check_condition(node: Any) -> None:
    """Anything goes in a filter condition, except what jmespath would refuse when running."""
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "slice":
        _check_slice(node)
    elif kind == "function_expression":
        name = node["value"]
        spec = _FUNCTIONS.get(name)
        if spec is None:
            raise PolicyError(
                f"unknown function {name}() in a filter; use a JMESPath built-in, "
                "e.g. `alerts[?contains(tags, 'db')]`"
            )
        signature = spec["signature"]
        count = len(node["children"])
        variadic = bool(signature) and signature[-1].get("variadic", False)
        if count < len(signature) or (count > len(signature) and not variadic):
            wanted = f"at least {len(signature)}" if variadic else str(len(signature))
            raise PolicyError(
                f"function {name}() in a filter takes {wanted} argument(s), not {count}; "
                "e.g. `alerts[?length(tags) > `0`]`"
            )
    for child in node.get("children", ()):
        _check_condition(child)


def _syntax_problem(error: jmespath.exceptions.JMESPathError, length: int) -> str:
    hint = 'quote keys that contain dots, dashes or spaces, e.g. `"vo_annotate.u.Runbook"`'
    if isinstance(error, jmespath.exceptions.EmptyExpressionError):
        return "the selector is empty; write a path, e.g. `alerts[0].host`, or `@` for all"
    if isinstance(error, jmespath.exceptions.IncompleteExpressionError):
        return f"the selector ends too early (column {length}); {hint}"
    if isinstance(error, jmespath.exceptions.LexerError):
        where = f"column {error.lexer_position}"
        if error.lexer_value in ("+", "-", "/", "%"):
            return (
                f"{error.lexer_value!r} at {where} is not allowed: a selector names places and "
                f"does no arithmetic; {hint}"
            )
        return f"not valid JMESPath at {where}: {_short(error.message)}; {hint}"
    if isinstance(error, jmespath.exceptions.ParseError):
        token = "" if error.token_value in (None, "") else f" near {_short(error.token_value)!r}"
        return f"not valid JMESPath at column {error.lex_position}{token}: {error.msg}; {hint}"
    return f"not valid JMESPath: {_short(str(error))}; {hint}"


def _short(text: Any, limit: int = 40) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _static_path(node: _Node) -> Path | None:
    kind = node["type"]
    if kind == "field":
        return (node["value"],)
    if kind in ("current", "identity"):
        return ()
    if kind == "index":
        return (node["value"],) if node["value"] >= 0 else None
    if kind in ("subexpression", "index_expression", "pipe"):
        path: Path = ()
        for child in node["children"]:
            part = _static_path(child)
            if part is None:
                return None
            path += part
        return path
    return None


def _pattern(node: _Node) -> Pattern:
    return _shape(node)[0]


_Shape = tuple[Pattern, bool, bool]  # (steps, exact: no unknown tail, multi: a virtual list)
_UNKNOWN: _Shape = ((), False, True)


def _shape(node: _Node) -> _Shape:
    """The place pattern of a node: see `Selector.pattern`. Checked against `find` in tests."""
    kind = node["type"]
    children = node["children"]
    if kind == "field":
        return (node["value"],), True, False
    if kind in ("current", "identity"):
        return (), True, False
    if kind in ("subexpression", "pipe"):
        steps, exact, multi = _shape(children[0])
        for child in children[1:]:
            if multi or not exact:
                return steps, False, True
            more, exact, multi = _shape(child)
            steps += more
        return steps, exact, multi
    if kind == "index_expression":
        # `a[0][1]` may parse as one index expression with several indexes after its base.
        steps, exact, multi = _shape(children[0])
        for child in children[1:]:
            if multi or not exact:
                return steps, False, True
            if child["type"] == "index" and child["value"] >= 0:
                steps += (child["value"],)
            else:  # a negative index or a slice: some index
                steps += (Wildcard.INDEX,)
                multi = child["type"] != "index"
        return steps, exact, multi
    if kind in ("projection", "value_projection", "filter_projection"):
        steps, exact, multi = _shape(children[0])
        if multi or not exact:
            return steps, False, True
        steps += (Wildcard.KEY if kind == "value_projection" else Wildcard.INDEX,)
        more, exact, _ = _shape(children[1])
        return steps + more, exact, True
    if kind == "flatten":
        steps, exact, multi = _shape(children[0])
        if multi or not exact:
            return steps, False, True
        return (*steps, Wildcard.INDEX), False, True
    return _UNKNOWN


def _field_names(node: Any) -> Iterable[str]:
    if not isinstance(node, dict):
        return
    if node.get("type") == "field":
        yield node["value"]
    for child in node.get("children", ()):
        yield from _field_names(child)


# --- evaluation ----------------------------------------------------------------------------


def _compile_run(ast: _Node, static: Path | None, reorders: bool) -> Callable[[Any], list[Path]]:
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


def _is_true(value: Any) -> bool:
    # jmespath's own truthiness (TreeInterpreter._is_false), kept verbatim: `0` is true.
    return not (value == "" or value == [] or value == {} or value is None or value is False)


def _condition_fn(node: _Node) -> Callable[[Any], bool]:
    fast = _fast_condition(node)
    if fast is not None:

        def holds_fast(element: Any) -> bool:
            return _is_true(fast(_materialize(element)))

        return holds_fast
    visit = _INTERPRETER.visit

    def holds(element: Any) -> bool:
        try:
            return _is_true(visit(node, _materialize(element)))
        except Exception:
            # jmespath would raise (e.g. a function given the wrong type); an element the
            # condition cannot be evaluated on is not selected, and find() never raises.
            return False

    return holds


def compile_expression(expression: str) -> Callable[[Any], Any]:
    """A JMESPath expression as a function of the document, for `when:` and `set` `expr:`.

    The common shapes run natively (see `_fast_condition`, here with `join`, `to_string` and
    list multi-selects too); everything else runs in jmespath's own interpreter. Raises
    jmespath's errors for an invalid expression, and `ExpressionTooDeep` (one of them) for one
    nested beyond `MAX_NESTING`; the caller names the rule and field.
    """
    try:
        ast = _parse(expression)
    except _TooDeep:
        raise ExpressionTooDeep(
            f"the expression is nested more than {MAX_NESTING} levels deep; split it over "
            "several `set` rules, or simplify it"
        ) from None
    fast = _fast_condition(ast, functions=True)
    if fast is not None:
        return fast
    return jmespath.compile(expression).search


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


def _fast_condition(node: _Node, *, functions: bool = False) -> Callable[[Any], Any] | None:
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
        arguments = _all_native([_fast_condition(child, functions=True) for child in children])
        if arguments is None or len(arguments) != arity:
            return None
        return lambda element: function(*(argument(element) for argument in arguments))
    if functions and kind == "multi_select_list":
        items = _all_native([_fast_condition(child, functions=True) for child in children])
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
    parts = _all_native([_fast_condition(child, functions=functions) for child in children])
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
        if node["value"] == "eq":
            return lambda element: _equals(left(element), right(element))
        return lambda element: not _equals(left(element), right(element))
    if kind == "not_expression":
        inner = parts[0]
        return lambda element: _not(inner(element))
    if kind == "and_expression":
        left, right = parts
        return lambda element: right(element) if _is_true(found := left(element)) else found
    if kind == "or_expression":
        left, right = parts
        return lambda element: found if _is_true(found := left(element)) else right(element)
    return None


def _all_native(parts: list[Callable[[Any], Any] | None]) -> list[Callable[[Any], Any]] | None:
    """`parts` when each runs natively, else None (jmespath then evaluates the whole node)."""
    native = [part for part in parts if part is not None]
    return native if len(native) == len(parts) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equals(left: Any, right: Any) -> bool:
    # jmespath's equality: Python's, except that 0 and 1 never equal false and true.
    if _is_number(left) and left in (0, 1):
        return not isinstance(right, bool) and left == right
    if _is_number(right) and right in (0, 1):
        return not isinstance(left, bool) and left == right
    return left == right


def _not(value: Any) -> bool:
    # jmespath's `!`: Python's `not`, except that `!0` is false (0 is truthy in JMESPath).
    if _is_number(value) and value == 0:
        return False
    return not value


def _elements(value: Any, path: Any) -> list[_Pair] | None:
    """The items of a list value (a real list at `path`, or a virtual list); else None."""
    if isinstance(value, list):
        return [(item, (*path, i)) for i, item in enumerate(value)]
    if isinstance(value, _VList):
        return value.items
    return None


def _value_fn(node: _Node) -> _ValueFn:
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
    node: _Node,
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


def _value_projection(node: _Node) -> _ValueFn:
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


def _places_fn(node: _Node) -> _PlacesFn:
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


def _places_chain(children: list[_Node]) -> _PlacesFn:
    head = _value_chain([_value_fn(child) for child in children[:-1]])
    last = _places_fn(children[-1])

    def place_chain(value: Any, path: Any, out: list[Path]) -> None:
        value, path = head(value, path)
        if value is not None:
            last(value, path, out)

    return place_chain


def _places_projection(node: _Node) -> _PlacesFn:
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
