"""JMESPath expressions that name places (paths) in a JSON document instead of values.

`compile_selector` parses an expression once with jmespath's own parser, refuses every
construct that computes a value rather than naming one (functions, literals, multi-selects,
`||`, `&&`, `!`, comparisons outside a filter), and turns the AST into a tree of small closures
(`sanitizer.policy.selector_eval`). `Selector.find` runs those closures: it never calls the
parser, and a plain field chain such as `HOSTNAME` or `a.b[0]` is a straight loop of dict/list
lookups.

Correspondence with `jmespath.search`: looking up the places `find` returns gives exactly the
values jmespath returns, with every projection flattened (a projection result is a list of
places, not a place), and with null results left out, since JMESPath cannot tell a null value
from a missing key. The one deliberate difference is order: a slice with a negative step
(`a[::-1]`) yields its places in document order, not reversed.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import jmespath.exceptions
from jmespath.functions import Functions

from sanitizer.errors import PolicyError
from sanitizer.policy.jmespath_ast import MAX_NESTING, Node, TooDeep, parse
from sanitizer.policy.selector_eval import compile_finder
from sanitizer.policy.tree import Path

_FUNCTIONS = Functions.FUNCTION_TABLE
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Wildcard(enum.Enum):
    """A step of a `Pattern` that stands for any list index or any object key."""

    INDEX = "[*]"
    KEY = ".*"


Step = str | int | Wildcard
Pattern = tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Selector:
    """A compiled selector: immutable, built once per policy, used for every alert."""

    expression: str
    _run: Callable[[Any], list[Path]] = field(repr=False, compare=False)
    _static: Path | None = field(repr=False, compare=False)
    _keys: frozenset[str] = field(repr=False, compare=False)
    _pattern: Pattern = field(repr=False, compare=False)

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
    try:
        ast = parse(expression)
    except jmespath.exceptions.JMESPathError as error:
        raise PolicyError(_syntax_problem(error, len(expression))) from None
    except TooDeep:
        raise PolicyError(
            f"the selector is nested more than {MAX_NESTING} levels deep; write a shorter "
            "path, e.g. `alerts[0].host`"
        ) from None
    reorders = _check_places(ast)
    static = _static_path(ast)
    run = compile_finder(ast, static, reorders)
    return Selector(expression, run, static, frozenset(_field_names(ast)), _pattern(ast))


def format_path(path: Path, shown_keys: frozenset[str], *, indexes: bool = True) -> str:
    """JMESPath-like text for a path, for audit records: `alerts[0].host`, `@` for the root.

    A key not in `shown_keys` is written `*` (keys can carry payload data such as host names);
    a shown key that is not a plain identifier is quoted: `"vo_annotate.s.Note"`. With
    `indexes=False` every array index is written `[*]` (one text per place of every element).
    """
    if not path:
        return "@"
    parts: list[str] = []
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step}]" if indexes else "[*]")
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


def _check_places(node: Node) -> bool:
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


def _check_slice(node: Node) -> bool:
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


def _static_path(node: Node) -> Path | None:
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


def _pattern(node: Node) -> Pattern:
    return _shape(node)[0]


_Shape = tuple[Pattern, bool, bool]  # (steps, exact: no unknown tail, multi: a virtual list)
_UNKNOWN: _Shape = ((), False, True)


def _shape(node: Node) -> _Shape:
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
