"""The validated shapes of a policy test file: a path to check, a case, a whole file.

Also the vocabulary the readers and the checks share: the fields a case may have, which of
them are expectations, and `MISSING`, the value of a path that is not there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jmespath
import jmespath.exceptions

from sanitizer.policy.apply import Policy
from sanitizer.policy.selectors import Selector
from sanitizer.policy.tree import get_at

__all__ = [
    "ALERT_FIELDS",
    "CASE_FIELDS",
    "EXPECTATIONS",
    "KINDS",
    "MISSING",
    "OUTPUT_EXPECTATIONS",
    "CaseSpec",
    "OutputChecks",
    "PathCheck",
    "SuiteSpec",
    "entity_ref",
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
    "alerts",
    "each",
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
ALERT_FIELDS = (*OUTPUT_EXPECTATIONS, "same_entity_id_as")  # an entry of a case's `alerts:`
KINDS = {"no_ipv4": "ipv4", "no_ipv6": "ipv6", "no_email": "email"}  # flag -> detector
MISSING = object()


_ALERT_NUMBER = re.compile(r"[1-9][0-9]*")


def entity_ref(ref: str, names: Collection[str]) -> tuple[str, int | None] | None:
    """What a `same_entity_id_as` names: `(case, None)` for a case's name, `(case, N)` for
    `case#N`, the N-th alert (from 1) a split policy made of that case's body; None when it
    names no case of `names`. A case's full name wins over the `#N` reading."""
    if ref in names:
        return ref, None
    name, hash_sign, number = ref.rpartition("#")
    if hash_sign and name in names and _ALERT_NUMBER.fullmatch(number):
        return name, int(number)
    return None


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
class OutputChecks:
    """What one output must be: a plain case's own expectations, an entry of a split case's
    `alerts:`, or its `each:` (which never has `same_entity_id_as`)."""

    output: Any = MISSING
    present: tuple[PathCheck, ...] = ()
    absent: tuple[PathCheck, ...] = ()
    equals: tuple[tuple[PathCheck, Any], ...] = ()
    no_kinds: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()  # the listed values as text (numbers as JSON)
    same_entity_id_as: str | None = None


@dataclass(frozen=True, kw_only=True)
class CaseSpec(OutputChecks):
    """One validated case of a test file. For a policy with `split:`, the outputs are checked
    by `alerts` (one entry per alert, in order; the count must match) and `each` (every
    alert), and the case's own output expectations are empty."""

    name: str
    input: Any
    refused: bool | None = None
    refused_by: str | None = None
    alerts: tuple[OutputChecks, ...] | None = None
    each: OutputChecks | None = None

    @property
    def checks_own_output(self) -> bool:
        """Whether the case has output expectations of its own (not under alerts/each)."""
        return (
            self.output is not MISSING
            or any((self.present, self.absent, self.equals, self.no_kinds, self.not_contains))
            or self.same_entity_id_as is not None
        )

    @property
    def splits(self) -> bool:
        """Whether the case's expectations are those of a split body (`alerts:`/`each:`)."""
        return self.alerts is not None or self.each is not None


@dataclass(frozen=True)
class SuiteSpec:
    """A loaded test file: its policy (compiled with the file's keys) and its cases."""

    path: Path
    policy_ref: str
    policy: Policy
    cases: tuple[CaseSpec, ...]
