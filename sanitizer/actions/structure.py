"""Actions that change the payload's shape or replace whole values.

drop      remove the selected places
allow     keep only the selected places (deny by default)
redact    replace selected values with `with:` (default "[REDACTED]")
set       write `value:` or the result of JMESPath `expr:` at one path
rename    move one path to `to:`
truncate  cut strings to `max_length`, ending with `marker:`
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jmespath.exceptions

from sanitizer.actions.base import REDACTED, RewriteStrings
from sanitizer.errors import RuleFailed
from sanitizer.policy.building import REQUIRED, BuildContext, Options
from sanitizer.policy.effects import UNKNOWN, Effect, Footprint, Fused, Report, Where
from sanitizer.policy.expressions import ExpressionTooDeep, compile_expression
from sanitizer.policy.schema import RuleSpec
from sanitizer.policy.selectors import compile_selector
from sanitizer.policy.tree import (
    CONTAINERS,
    Path,
    copy_json,
    delete_at,
    get_at,
    keep_only,
    prune,
    set_at,
    unencodable,
)

_JSON_SCALARS = (str, int, float, bool, type(None))
_ABSENT: Any = object()


def _json_value(options: Options, name: str, default: Any) -> Any:
    value = options.get(name, (*_JSON_SCALARS, list, dict), default, describe="a JSON value")
    problem = unencodable(value)
    if problem is not None:  # YAML's .inf, .nan, 1.0e+999
        raise options.error(
            f"holds {problem}; write a finite number, or the text as a quoted string",
            field=name,
        )
    return copy_json(value)


def _static_path(options: Options, expression: str, field: str) -> Path:
    selector = compile_selector(expression)
    path = selector.static_path
    if path is None:
        raise options.error(
            "action needs one plain path here (fields and non-negative indexes, like "
            "a.b[0]), not a projection or filter",
            field=field,
        )
    if not path:
        raise options.error("the root '@' cannot be written or moved", field=field)
    return path


def _single_select(rule: RuleSpec, options: Options) -> Path:
    if len(rule.select) != 1 or rule.keys is not None:
        raise options.error(
            f"action {rule.action!r} needs exactly one 'select' path and no 'keys'",
            field="select",
        )
    return _static_path(options, rule.select[0], "select")


def _top_level(places: list[Path]) -> bool:
    """Whether every place is one object key at the top (`HOSTNAME`): most rules' places."""
    return all(len(place) == 1 and type(place[0]) is str for place in places)


@dataclass(frozen=True)
class Drop:
    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        assert places is not None
        if type(doc) is dict and _top_level(places):
            # What `delete_at` does for top-level keys: each removed once, in order.
            for place in dict.fromkeys(places):
                if place[0] in doc:
                    del doc[place[0]]
                    report(place, 1)
            return doc
        doc, removed = delete_at(doc, places)
        for place in removed:
            report(place, 1)
        return doc

    def footprint(self) -> Footprint:
        return Footprint(removes="selected")

    def describe(self) -> list[str]:
        return []

    def finding(self, where: Where) -> Effect | None:
        """Top-level fields (`select: [a, b]`) or a `keys` regex alone, fused (`SelfFinding`)."""
        if where.fields is not None:
            return _DropFields(self, where.find, where.fields)
        if where.matching is not None:
            return _DropKeys(self, where.find, where.matching)
        return None


@dataclass(frozen=True)
class _DropFields(Fused[Drop]):
    """A drop of top-level fields: each present one deleted and reported, in order."""

    fields: tuple[Path, ...]

    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        if type(doc) is not dict:
            return self.generic(doc, report)
        for place in self.fields:
            if place[0] in doc:
                del doc[place[0]]
                report(place, 1)
        return doc


@dataclass(frozen=True)
class _DropKeys(Fused[Drop]):
    """A drop by `keys` regex: on a flat object (the common alert), the matching keys are
    deleted as the key locator's memo names them, without building places first."""

    matching: Callable[[dict[str, Any]], tuple[str, ...]] = field(repr=False)

    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        if type(doc) is dict and CONTAINERS.isdisjoint(map(type, doc.values())):
            for key in self.matching(doc):
                del doc[key]
                report((key,), 1)
            return doc
        return self.generic(doc, report)


@dataclass(frozen=True)
class Allow:
    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        assert places is not None
        return keep_only(doc, places, on_removed=report)

    def footprint(self) -> Footprint:
        return Footprint(removes="unselected")

    def describe(self) -> list[str]:
        return []

    def finding(self, where: Where) -> Effect | None:
        """Top-level fields (`select: [a, b]`) fused (`SelfFinding`)."""
        if where.fields is None:
            return None
        return _AllowFields(self, where.find, frozenset(place[0] for place in where.fields))


@dataclass(frozen=True)
class _AllowFields(Fused[Allow]):
    """An allow of top-level fields: an object keeps the keys it names, in its own order
    (what `keep_only` does with the places present)."""

    keep: frozenset[str | int]

    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        if type(doc) is not dict:
            return self.generic(doc, report)
        keep = self.keep
        out = {key: value for key, value in doc.items() if key in keep}
        if len(out) < len(doc):
            report((), len(doc) - len(out))
        return out


@dataclass(frozen=True)
class Redact:
    replacement: Any

    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        if places is None:
            return RewriteStrings(self._text)(doc, None, report)
        for place in prune(places):
            report(place, 1)
            doc = set_at(doc, place, copy_json(self.replacement))
        return doc

    def _text(self, _: str) -> tuple[Any, int]:
        return copy_json(self.replacement), 1

    def footprint(self) -> Footprint:
        return Footprint(fills=isinstance(self.replacement, dict | list))

    def describe(self) -> list[str]:
        return []


@dataclass(frozen=True)
class SetValue:
    path: Path
    value: Any  # the constant written, unless `expr` is given
    expr: Callable[[Any], Any] | None  # the compiled `expr:`, or None with `value`
    rule_id: str = "set"  # names the rule when `expr` gives what JSON cannot carry

    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        if self.expr is None:
            new = self.value
            if isinstance(new, dict | list):  # scalars are immutable: no copy
                new = copy_json(new)
        else:
            new = self.expr(doc)
            if new is None:
                return doc
            # A string or boolean needs no check or copy (most expressions give one).
            if type(new) is not str and type(new) is not bool:
                self._check_encodable(new)
                new = copy_json(new)
        path = self.path
        if len(path) == 1 and type(doc) is dict and type(path[0]) is str:
            before = doc.get(path[0])  # what `get_at` and `set_at` do for one top-level key
            doc[path[0]] = new
        else:
            before = get_at(doc, path, None)
            doc = set_at(doc, path, new, create=True)
        if before != new:
            report(path, 1)
        return doc

    def _check_encodable(self, new: Any) -> None:
        """Refuse the alert when `expr` gave a number no JSON output can carry: written, it
        would fail the alert's encoding after the policy said yes."""
        problem = unencodable(new)
        if problem is not None:
            raise RuleFailed(
                f"rule {self.rule_id!r} (set): its expr gave {problem}; make it give a finite "
                "number or a string (to_string), the alert was not forwarded",
                rule=self.rule_id,
            )

    def footprint(self) -> Footprint:
        return Footprint(writes=self.path, value=UNKNOWN if self.expr else self.value)

    def describe(self) -> list[str]:
        return []


@dataclass(frozen=True)
class Rename:
    source: Path
    target: Path

    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        source = self.source
        if len(source) == 1 and type(doc) is dict and source[0] not in doc:
            return doc  # the common case (a sender that spells the name the other way)
        value = get_at(doc, source, _ABSENT)
        if value is _ABSENT:
            return doc
        doc = delete_at(doc, [self.source])[0]
        doc = set_at(doc, self.target, value, create=True)
        report(self.target, 1)
        return doc

    def footprint(self) -> Footprint:
        return Footprint(writes=self.target, moves=self.source)

    def inert_without(self) -> str | None:
        """The top-level key without which this leaves an object as it is and reports
        nothing (its source, when that is one top-level key), else None."""
        source = self.source
        return source[0] if len(source) == 1 and isinstance(source[0], str) else None

    def describe(self) -> list[str]:
        return []


@dataclass(frozen=True)
class Truncator:
    max_length: int
    marker: str

    def __call__(self, text: str) -> tuple[str, int]:
        if len(text) <= self.max_length:
            return text, 0
        keep = max(self.max_length - len(self.marker), 0)
        return (text[:keep] + self.marker)[: self.max_length], 1


def build_drop(rule: RuleSpec, options: Options, context: BuildContext) -> Effect:
    options.finish()
    return Drop()


def build_allow(rule: RuleSpec, options: Options, context: BuildContext) -> Effect:
    options.finish()
    return Allow()


def build_redact(rule: RuleSpec, options: Options, context: BuildContext) -> Effect:
    replacement = _json_value(options, "with", REDACTED)
    options.finish()
    return Redact(replacement)


def build_set(rule: RuleSpec, options: Options, context: BuildContext) -> Effect:
    path = _single_select(rule, options)
    if options.has("value") == options.has("expr"):
        raise options.error("action 'set' needs exactly one of 'value' or 'expr'")
    if options.has("value"):
        value = _json_value(options, "value", None)
        options.finish()
        return SetValue(path, value=value, expr=None, rule_id=rule.id)
    source = options.get("expr", str, describe="a JMESPath expression over the payload")
    try:
        compiled = compile_expression(source)
    except ExpressionTooDeep as exc:
        raise options.error(str(exc), field="expr") from None
    except jmespath.exceptions.JMESPathError as exc:
        raise options.error(
            f"is not valid JMESPath ({type(exc).__name__}); check quoting: "
            "strings are 'single-quoted', keys with dots are \"double-quoted\"",
            field="expr",
        ) from None
    options.finish()
    return SetValue(path, value=None, expr=compiled, rule_id=rule.id)


def build_rename(rule: RuleSpec, options: Options, context: BuildContext) -> Effect:
    source = _single_select(rule, options)
    target_expr = options.get("to", str, describe="the path to move the value to")
    target = _static_path(options, target_expr, "to")
    options.finish()
    return Rename(source, target)


def build_truncate(rule: RuleSpec, options: Options, context: BuildContext) -> Effect:
    max_length = options.get_int("max_length", REQUIRED, 1, 10_000_000)
    marker = options.get("marker", str, "…", describe="a string appended to cut text")
    if len(marker) >= max_length:
        raise options.error("must be shorter than max_length", field="marker")
    options.finish()
    return RewriteStrings(Truncator(max_length, marker))
