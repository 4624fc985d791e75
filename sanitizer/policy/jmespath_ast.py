"""Parsing policy JMESPath once, with the one bound on how deeply it may nest.

Selectors, `when:` conditions and `set` `expr:` expressions are all parsed here, by jmespath's
own parser, into its AST (nested dicts with a `type` and `children`). The nesting bound is
checked here and only here: every later walk over an AST (checks, compilation, evaluation)
recurses at most `MAX_NESTING` levels, far below Python's recursion limit.
"""

from __future__ import annotations

import warnings
from typing import Any

from jmespath.parser import Parser

Node = dict[str, Any]

MAX_NESTING = 100
"""How deeply a selector, `when:` or `expr:` may nest (brackets, parentheses, functions)."""


class TooDeep(Exception):
    """An expression nests deeper than `MAX_NESTING`; each caller says so in its own words."""


def parse(expression: str) -> Node:
    """jmespath's AST of `expression`, or `TooDeep` when it nests beyond `MAX_NESTING`.

    jmespath's parser recurses once per nesting level (and its interpreter later does too), so
    a deep enough text would exhaust the stack; the depth is bounded here, before anything
    walks the tree recursively. Raises jmespath's own errors for a text that does not parse.
    """
    try:
        with warnings.catch_warnings():
            # jmespath warns about the deprecated `foo` string-literal form; compile quietly.
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            ast = Parser().parse(expression).parsed
    except RecursionError:
        raise TooDeep from None
    if depth(ast) > MAX_NESTING:
        raise TooDeep
    return ast


def depth(ast: Node) -> int:
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
