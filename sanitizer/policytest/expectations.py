"""Checking a case's expectations against the output the policy produced: each failed one
becomes a readable problem (a diff, a path, where a forbidden value survives)."""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from sanitizer.detectors import DETECTORS
from sanitizer.policytest.spec import MISSING, OutputChecks, scalar_text

__all__ = ["check_output", "pretty", "short"]

_KIND_NAMES = {"ipv4": "an IPv4 address", "ipv6": "an IPv6 address", "email": "an e-mail address"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def pretty(value: Any) -> str:
    """A value in full, as a failure shows it (indented, keys sorted)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def short(value: Any) -> str:
    """A value on one line, cut to 80 characters."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _texts(doc: Any) -> list[tuple[str, str]]:
    """Every string value and object key, with a readable path to it."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[Any, str]] = [(doc, "@")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            found.append((where, node))
        elif isinstance(node, dict):
            for key, item in node.items():
                step = key if _IDENTIFIER.match(key) else json.dumps(key, ensure_ascii=False)
                inner = step if where == "@" else f"{where}.{step}"
                found.append((f"the key {inner}", key))
                stack.append((item, inner))
        elif isinstance(node, list):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(node))
    return found


def _scalars(doc: Any) -> list[tuple[str, str]]:
    """Every object key and scalar as text (numbers, booleans and null as JSON), with a
    readable path to it."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[Any, str]] = [(doc, "@")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                step = key if _IDENTIFIER.match(key) else json.dumps(key, ensure_ascii=False)
                inner = step if where == "@" else f"{where}.{step}"
                found.append((f"the key {inner}", key))
                stack.append((item, inner))
        elif isinstance(node, list):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(node))
        else:
            found.append((where, scalar_text(node)))
    return found


def check_output(case: OutputChecks, output: Any) -> list[str]:
    """One problem per output expectation of `case` (a case, an entry of its `alerts:`, or
    its `each:`) that `output` fails; none if it passes."""
    problems = []
    if case.output is not MISSING and output != case.output:
        diff = difflib.unified_diff(
            pretty(case.output).splitlines(),
            pretty(output).splitlines(),
            "expected output",
            "actual output",
            lineterm="",
        )
        problems.append("output differs:\n" + "\n".join(diff))
    for check in case.present:
        if check.lookup(output) is MISSING:
            problems.append(f"present {check.text}: missing from the output")
    for check in case.absent:
        if check.lookup(output) is not MISSING:
            problems.append(f"absent {check.text}: found in the output")
    for check, expected in case.equals:
        actual = check.lookup(output)
        if actual is MISSING:
            problems.append(f"equals {check.text}: missing, expected {short(expected)}")
        elif actual != expected or isinstance(actual, bool) != isinstance(expected, bool):
            problems.append(f"equals {check.text}: expected {short(expected)}, got {short(actual)}")
    for kind in case.no_kinds:
        find = DETECTORS[kind].find
        hits = [where for where, text in _texts(output) if find(text)]
        if hits:
            problems.append(f"no_{kind}: the output holds {_KIND_NAMES[kind]} at {', '.join(hits)}")
    if case.not_contains:
        scalars = _scalars(output)
        for index, needle in enumerate(case.not_contains):
            hits = sorted(where for where, text in scalars if needle in text)
            if hits:
                problems.append(f"not_contains[{index}]: survives at {', '.join(hits)}")
    return problems
