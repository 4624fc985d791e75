"""The `expect` action: each selected value has the type its receiver expects, or goes.

A receiver shows what it is sent. A sender that puts an object where a state name belongs
(`"HOSTSTATE": {"raw": ...}`) or a list of raw log lines where a title belongs would have
that whole subtree stored upstream, and text actions only rewrite the strings inside it.
`expect` keeps a selected value only when it has one of the listed types (and, for
strings, at most `max_length` characters); any other value is removed (`on_mismatch:
drop`, the default) or the alert is refused (`on_mismatch: refuse`).

Types: ``string``, ``number`` (not a boolean), ``integer``, ``boolean``, ``null``,
``object``, ``array``, ``scalar`` (string, number, boolean or null), and ``digits`` (a
string of 1-20 ASCII digits, as senders write Unix times).

    - {id: flat-fields, action: expect, select: '*', type: scalar}
    - {id: state-is-a-name, action: expect, select: HOSTSTATE, type: string, max_length: 32}
    - {id: time, action: expect, select: TIMET, type: [number, digits]}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sanitizer.errors import RuleFailed
from sanitizer.policy.building import BuildContext, Options
from sanitizer.policy.effects import Effect, Footprint, Fused, Report, Where
from sanitizer.policy.schema import RuleSpec
from sanitizer.policy.tree import Path, delete_at, get_at, is_number

__all__ = ["TYPES", "build_expect"]


def _digits(value: Any) -> bool:
    """1-20 ASCII digits (what `[0-9]{1,20}` fully matches), without a regex."""
    return isinstance(value, str) and 0 < len(value) <= 20 and value.isascii() and value.isdigit()


TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "number": is_number,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "scalar": lambda v: v is None or isinstance(v, str | bool) or is_number(v),
    "digits": _digits,
}

# Per type, the exact Python types whose every value it accepts: a value of one of them fits
# without calling the test (strings only when no max_length applies).
_WHOLE_TYPES: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "number": frozenset({int, float}),
    "integer": frozenset({int}),
    "boolean": frozenset({bool}),
    "null": frozenset({type(None)}),
    "object": frozenset({dict}),
    "array": frozenset({list}),
    "scalar": frozenset({str, int, float, bool, type(None)}),
    "digits": frozenset(),
}


@dataclass(frozen=True)
class Expect:
    accepts: tuple[Callable[[Any], bool], ...]
    max_length: int | None
    refuse: bool
    rule_id: str
    # Exact types that fit outright (see `_WHOLE_TYPES`), and when `string` is accepted with a
    # max_length, that length: it alone decides a `str`. `fits` decides every other value.
    whole: frozenset[type] = frozenset()
    string_limit: int | None = None

    def fits(self, value: Any) -> bool:
        for accept in self.accepts:
            if accept(value):
                break
        else:
            return False
        return (
            self.max_length is None or not isinstance(value, str) or (len(value) <= self.max_length)
        )

    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        assert places is not None
        fits = self.fits
        if type(doc) is dict:
            # A top-level key the locator found is in the document: read it directly.
            wrong = [
                place
                for place in places
                if not fits(
                    doc[place[0]] if len(place) == 1 and place[0] in doc else get_at(doc, place)
                )
            ]
        else:
            wrong = [place for place in places if not fits(get_at(doc, place))]
        if not wrong:
            return doc
        return self._mismatched(doc, wrong, report)

    def _mismatched(self, doc: Any, wrong: list[Path], report: Report) -> Any:
        if self.refuse:
            raise RuleFailed(
                f"rule {self.rule_id!r} (expect): a selected value has a type this receiver "
                "does not take; send it as the policy expects, or set on_mismatch: drop",
                rule=self.rule_id,
            )
        doc, removed = delete_at(doc, wrong)
        for place in removed:
            report(place, 1)
        return doc

    def footprint(self) -> Footprint:
        """Nothing for sure: what it removes depends on the values the alert holds."""
        return Footprint()

    def describe(self) -> list[str]:
        return []

    def finding(self, where: Where) -> Effect | None:
        """Top-level fields (`select: [a, b]`) fused (`SelfFinding`)."""
        if where.fields is None:
            return None
        return _ExpectFields(self, where.find, where.fields)


@dataclass(frozen=True)
class _ExpectFields(Fused[Expect]):
    """An expect of top-level fields: each present value checked where it is, exact types
    that always fit without a call."""

    fields: tuple[Path, ...]

    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        if type(doc) is not dict:
            return self.generic(doc, report)
        expect = self.effect
        whole, limit, fits = expect.whole, expect.string_limit, expect.fits
        wrong = []
        for place in self.fields:
            if place[0] not in doc:
                continue
            value = doc[place[0]]
            kind = type(value)
            if kind in whole:
                continue
            if kind is str and limit is not None:
                if len(value) > limit:
                    wrong.append(place)
            elif not fits(value):
                wrong.append(place)
        if not wrong:
            return doc
        return expect._mismatched(doc, wrong, report)


def build_expect(rule: RuleSpec, options: Options, context: BuildContext) -> Effect:
    del context
    describe = f"a type or a list of types from: {', '.join(TYPES)}"
    raw = options.get("type", (str, list), describe=describe)
    names = [raw] if isinstance(raw, str) else raw
    if not names or any(not isinstance(name, str) or name not in TYPES for name in names):
        raise options.error(f"must be {describe}", field="type")
    max_length = None
    if options.has("max_length"):
        max_length = options.get_int("max_length", None, 1, 1 << 20)
    on_mismatch = options.get(
        "on_mismatch", str, "drop", describe="'drop' (remove the value) or 'refuse'"
    )
    if on_mismatch not in ("drop", "refuse"):
        raise options.error("must be 'drop' (remove the value) or 'refuse'", field="on_mismatch")
    options.finish()
    whole = frozenset().union(*(_WHOLE_TYPES[name] for name in names))
    string_limit = None
    if max_length is not None:
        whole -= {str}
        if "string" in names:
            string_limit = max_length
    return Expect(
        tuple(TYPES[name] for name in names),
        max_length,
        on_mismatch == "refuse",
        rule.id,
        whole,
        string_limit,
    )
