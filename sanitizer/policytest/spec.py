"""The validated shapes of a policy test file: a path to check, a case, a whole file.

Also the vocabulary the readers and the checks share: the fields a case may have, which of
them are expectations, and `MISSING`, the value of a path that is not there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jmespath
import jmespath.exceptions

from sanitizer.policy.apply import Policy
from sanitizer.policy.selectors import Selector
from sanitizer.policy.tree import get_at

__all__ = [
    "CASE_FIELDS",
    "EXPECTATIONS",
    "KINDS",
    "MISSING",
    "OUTPUT_EXPECTATIONS",
    "CaseSpec",
    "PathCheck",
    "SuiteSpec",
    "scalar_text",
]

CASE_FIELDS = (
    "name",
    "description",
    "input",
    "input_file",
    "output",
    "present",
    "absent",
    "equals",
    "no_ipv4",
    "no_ipv6",
    "no_email",
    "not_contains",
    "refused",
    "refused_by",
    "same_entity_id_as",
)
EXPECTATIONS = frozenset(CASE_FIELDS) - {"name", "description", "input", "input_file"}
OUTPUT_EXPECTATIONS = (
    "output",
    "present",
    "absent",
    "equals",
    "no_ipv4",
    "no_ipv6",
    "no_email",
    "not_contains",
)
KINDS = {"no_ipv4": "ipv4", "no_ipv6": "ipv6", "no_email": "email"}  # flag -> detector
MISSING = object()


def scalar_text(value: Any) -> str:
    """A scalar as `not_contains` compares it: strings as they are, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


@dataclass(frozen=True)
class PathCheck:
    """A path as written in a test: a top-level key first, else a JMESPath place or, in
    `equals` only, any JMESPath expression (``length(state_message)``)."""

    text: str
    selector: Selector | None
    expression: Any = None  # a compiled JMESPath expression, when `text` is not a place

    def lookup(self, doc: Any) -> Any:
        """The value at the path, or `MISSING`."""
        if isinstance(doc, dict) and self.text in doc:
            return doc[self.text]
        if self.selector is not None:
            static = self.selector.static_path
            if static is not None:
                return get_at(doc, static, MISSING)
            if not self.selector.find(doc):
                return MISSING
            return jmespath.search(self.text, doc)
        if self.expression is not None:
            try:
                value = self.expression.search(doc)
            except jmespath.exceptions.JMESPathError:
                return MISSING
            return MISSING if value is None else value
        return MISSING


@dataclass(frozen=True)
class CaseSpec:
    """One validated case of a test file."""

    name: str
    input: Any
    output: Any = MISSING
    present: tuple[PathCheck, ...] = ()
    absent: tuple[PathCheck, ...] = ()
    equals: tuple[tuple[PathCheck, Any], ...] = ()
    no_kinds: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()  # the listed values as text (numbers as JSON)
    refused: bool | None = None
    refused_by: str | None = None
    same_entity_id_as: str | None = None


@dataclass(frozen=True)
class SuiteSpec:
    """A loaded test file: its policy (compiled with the file's keys) and its cases."""

    path: Path
    policy_ref: str
    policy: Policy
    cases: tuple[CaseSpec, ...]
