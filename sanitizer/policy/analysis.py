"""What a policy's rules can and cannot reach, for `sanitizer check` and `sanitizer test`.

Two questions about every place a rule looks for (each `select`, a `rename`'s source, a
`keys` regex), both answered without I/O:

* Statically (`unreachable`): can it ever match? A `select` under a field that an earlier
  unconditional `allow` did not keep, or that an earlier unconditional `drop` removed, never
  matches, unless a rule in between writes there again (`set`, a `rename` target). Only what
  the rules prove is reported: conditional rules, `keys` regexes and shapes the selector's
  text cannot tell (see `Selector.pattern`) count as "may match".
* Dynamically (`Coverage`): did it match in practice? A `Coverage` wraps each rule's effect
  so that running the real `Policy.apply` records, for the document each rule saw, whether
  the rule ran (its `when` held) and which of its selectors found at least one place.

With `split:`, the rules see one alert of a body at a time (an element with the envelope's
fields, `policy.split`), so every selector here is read against that shape, never the body's;
`Coverage` records each alert `Policy.apply_all` sanitizes.

Every rule's effect is read through `footprint`: what it removes, writes or moves, as the
effect itself answers it. Findings name rules and selectors (policy text), never a payload
value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sanitizer.policy.apply import CompiledRule, Policy
from sanitizer.policy.effects import UNKNOWN, Effect, Footprint, Report
from sanitizer.policy.regex import PolicyRegex
from sanitizer.policy.selectors import Pattern, Selector, Step, Wildcard, format_path
from sanitizer.policy.tree import Path, get_at

__all__ = [
    "UNKNOWN",
    "Coverage",
    "Finding",
    "Footprint",
    "Target",
    "compatible",
    "footprint",
    "targets",
    "unreachable",
]

_MISSING = object()


# ------------------------------------------------------------------------------ footprints


def footprint(rule: CompiledRule) -> Footprint:
    """What the rule does to the document's shape, as its effect answers it."""
    return rule.effect.footprint()


def _rewrites_keys(rule: CompiledRule) -> bool:
    """Whether the rule may rename object keys: a text rewrite over every string and key."""
    return rule.locator is None and footprint(rule).rewrites_keys


# -------------------------------------------------------------------------------- patterns


def _step_compatible(a: Step, b: Step) -> bool:
    if isinstance(a, Wildcard) and isinstance(b, Wildcard):
        return a is b
    if isinstance(a, Wildcard):
        a, b = b, a
    if isinstance(b, Wildcard):
        return isinstance(a, int) if b is Wildcard.INDEX else isinstance(a, str)
    return type(a) is type(b) and a == b


def compatible(a: Pattern, b: Pattern) -> bool:
    """Whether a place matching `a` can be, hold or lie under a place matching `b`."""
    return all(_step_compatible(x, y) for x, y in zip(a, b, strict=False))


def _meet(a: Pattern, b: Pattern) -> Pattern:
    """The more specific of two compatible patterns, step by step."""
    longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
    merged = [y if isinstance(x, Wildcard) else x for x, y in zip(shorter, longer, strict=False)]
    return (*merged, *longer[len(shorter) :])


def _loose(path: Pattern) -> Pattern:
    """A pattern with indexes made wildcards: `allow` closes the gaps in lists it cuts."""
    return tuple(Wildcard.INDEX if isinstance(step, int) else step for step in path)


def _agreeing(a: Pattern, b: Pattern) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if not _step_compatible(x, y):
            break
        count += 1
    return count


def _text(pattern: Pattern) -> str:
    """A pattern as JMESPath-like text: `alerts[*].host`, `labels.*.x`."""
    parts: list[str] = []
    for step in pattern:
        if isinstance(step, Wildcard):
            parts.append(step.value if parts or step is Wildcard.INDEX else "*")
        elif isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            text = format_path((step,), frozenset((step,)))
            parts.append("." + text if parts else text)
    return "".join(parts)


# --------------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """One thing a rule looks for: a `select`, a `rename` source or a `keys` regex."""

    label: str  # as the policy writes it: "select 'alerts[*].host'", "keys /^contact/"
    pattern: Pattern | None  # None for a keys regex: it matches at any depth
    hits: Callable[[Any], bool] = field(repr=False, compare=False)


def targets(rule: CompiledRule) -> tuple[Target, ...]:
    """What `rule` looks for in the document it sees, in the order the policy writes them."""
    found: list[Target] = []
    if rule.locator is not None:
        for selector in rule.locator.selectors:
            found.append(
                Target(
                    f"select {selector.expression!r}",
                    selector.pattern,
                    _finds_any(selector),
                )
            )
        keys = rule.locator.keys
        if keys is not None:
            found.append(
                Target(f"keys /{keys.pattern.pattern}/", None, lambda doc: bool(keys.find(doc)))
            )
    moves = footprint(rule).moves
    if moves is not None:
        found.append(
            Target(
                f"select {_text(moves)!r}",
                moves,
                lambda doc: get_at(doc, moves, _MISSING) is not _MISSING,
            )
        )
    return tuple(found)


def _finds_any(selector: Selector) -> Callable[[Any], bool]:
    """Whether a document holds a place `selector` names (a closure over this one selector)."""
    return lambda doc: bool(selector.find(doc))


@dataclass(frozen=True)
class Finding:
    """A rule, what of it is at fault, and why: one line of `check` or `test` output."""

    rule: str
    what: str  # "select 'c.d'", "keys /x/", or "" for the rule as a whole
    problem: str

    def where(self) -> str:
        """`rule 'x' select 'c.d'`, or `rule 'x'` for the rule as a whole."""
        return f"rule {self.rule!r} {self.what}" if self.what else f"rule {self.rule!r}"

    def __str__(self) -> str:
        return f"{self.where()}: {self.problem}"


# ---------------------------------------------------------------------- static reachability


@dataclass
class _Removal:
    """An unconditional `drop` (a path of field names, or a keys regex) and its rule."""

    rule: CompiledRule
    path: tuple[str, ...] | None
    keys: PolicyRegex | None
    verb: str = "removed"

    def covers(self, pattern: Pattern) -> str | None:
        """The removed field every place of `pattern` lies under, as text, or None."""
        if self.path is not None:
            head = pattern[: len(self.path)]
            return _text(self.path) if head == self.path else None
        assert self.keys is not None
        for index, step in enumerate(pattern):
            if isinstance(step, str) and self.keys.search(step):
                return _text(pattern[: index + 1])
        return None

    def touched_by(self, written: Pattern, *, deep: bool) -> bool:
        """Whether a write at `written` may bring the removed places back; `deep`: it may
        write an object or list, whose keys at any depth a keys regex may find."""
        if self.path is not None:
            return compatible(self.path, written)
        assert self.keys is not None
        return deep or any(isinstance(s, str) and self.keys.search(s) for s in written)


@dataclass
class _Shape:
    """Where places can still be: `region` None is anywhere, else under or above one of its
    patterns; `narrowed_by` is the last rule that narrowed it; `removals` are sure drops."""

    region: list[Pattern] | None = None
    narrowed_by: CompiledRule | None = None
    removals: list[_Removal] = field(default_factory=list)

    def why_not(self, pattern: Pattern) -> str | None:
        """Why no place of `pattern` can exist here, or None when one may."""
        for removal in self.removals:
            where = removal.covers(pattern)
            if where is not None:
                rule = removal.rule
                return f"field {where!r} was {removal.verb} by rule {rule.id!r} ({rule.action})"
        # The root (`@`) is always there, whatever an `allow` kept.
        if self.region is None or not pattern or any(compatible(pattern, p) for p in self.region):
            return None
        agree = max((_agreeing(pattern, p) for p in self.region), default=0)
        narrower = self.narrowed_by
        assert narrower is not None
        where = _text(pattern[: agree + 1])
        return f"field {where!r} was removed by rule {narrower.id!r} ({narrower.action})"

    def write(self, path: Pattern, *, deep: bool) -> None:
        """A rule writes at `path` (`deep`: perhaps an object or list, see `touched_by`)."""
        written = _loose(path)
        if self.region is not None:
            self.region.append(written)
        self.removals = [r for r in self.removals if not r.touched_by(written, deep=deep)]

    def keep_only(self, rule: CompiledRule, kept: list[Pattern]) -> None:
        kept = [_loose(p) for p in kept]
        if self.region is None:
            self.region = kept
        else:
            self.region = [_meet(p, q) for p in kept for q in self.region if compatible(p, q)]
        self.narrowed_by = rule

    def rename_keys(self, rule: CompiledRule) -> None:
        """After a rule that may rewrite keys: a kept name it changes may be any name now."""
        self.removals = []
        if self.region is None:
            return
        self.region = [
            tuple(_probe_key(rule, s) if isinstance(s, str) else s for s in pattern)
            for pattern in self.region
        ]


def _probe_key(rule: CompiledRule, name: str) -> Step:
    """`name`, or a wildcard when the rule's effect would rewrite a key so named."""
    try:
        out = rule.effect({name: None}, None, lambda path, count: None)
    except Exception:  # an effect that cannot say: any name may come out
        return Wildcard.KEY
    return name if isinstance(out, dict) and list(out) == [name] else Wildcard.KEY


def unreachable(policy: Policy) -> list[Finding]:
    """Every `select` (and `rename` source) that no alert can ever make match, and why."""
    findings: list[Finding] = []
    shape = _Shape()
    for rule in policy.rules:
        for target in targets(rule):
            if target.pattern is None:
                continue
            why = shape.why_not(target.pattern)
            if why is not None:
                findings.append(Finding(rule.id, target.label, f"never matches: {why}"))
        _advance(shape, rule)
    return findings


def _advance(shape: _Shape, rule: CompiledRule) -> None:
    effect = footprint(rule)
    sure = rule.when is None
    locator = rule.locator
    if effect.removes == "unselected" and sure and locator is not None and locator.keys is None:
        shape.keep_only(rule, [s.pattern for s in locator.selectors])
    if effect.removes == "selected" and sure and locator is not None:
        for selector in locator.selectors:
            path = selector.static_path
            if path and all(isinstance(step, str) for step in path):
                shape.removals.append(_Removal(rule, tuple(map(str, path)), None))
        if locator.keys is not None:
            shape.removals.append(_Removal(rule, None, locator.keys.pattern))
    if effect.moves is not None and sure and all(isinstance(s, str) for s in effect.moves):
        shape.removals.append(_Removal(rule, tuple(map(str, effect.moves)), None, "moved away"))
    if effect.fills and locator is not None:
        for selector in locator.selectors:
            shape.write(selector.pattern, deep=True)
    if effect.writes is not None:
        value = effect.value
        shape.write(effect.writes, deep=value is UNKNOWN or isinstance(value, dict | list))
    if _rewrites_keys(rule):
        shape.rename_keys(rule)


# ------------------------------------------------------------------------------- coverage


class Coverage:
    """Which rules ran and which of their targets matched, over every alert run through
    `instrument()`'s policy. Alerts from several policies loaded from one file (with
    different test keys) may be recorded together: rules are told apart by position."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.targets = [targets(rule) for rule in policy.rules]
        self.ran = [False] * len(policy.rules)
        self.hit = [[False] * len(found) for found in self.targets]

    def instrument(self, policy: Policy | None = None) -> Policy:
        """`policy` (by default the one given) with each effect wrapped to record here; it
        sanitizes exactly as the original does."""
        policy = self.policy if policy is None else policy
        if [r.id for r in policy.rules] != [r.id for r in self.policy.rules]:
            raise ValueError("coverage can only record a policy with the same rules")
        rules = tuple(
            dataclasses.replace(rule, effect=_Recorder(self, index, rule.effect))
            for index, rule in enumerate(policy.rules)
        )
        return dataclasses.replace(policy, rules=rules)

    def not_exercised(self) -> list[Finding]:
        """Rules that never ran and targets that never matched, in policy order."""
        findings: list[Finding] = []
        for index, rule in enumerate(self.policy.rules):
            if not self.ran[index]:
                why = (
                    "its when was never true"
                    if rule.when is not None
                    else "every alert was refused before it"
                )
                findings.append(Finding(rule.id, "", f"never ran: {why}"))
                continue
            for target, hit in zip(self.targets[index], self.hit[index], strict=True):
                if not hit:
                    findings.append(Finding(rule.id, target.label, "never matched"))
        return findings


@dataclass(frozen=True)
class _Recorder:
    """An effect that notes what its rule saw, then does exactly what the effect does, and
    answers for it."""

    coverage: Coverage
    index: int
    effect: Effect

    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        coverage, index = self.coverage, self.index
        coverage.ran[index] = True
        hits = coverage.hit[index]
        for position, target in enumerate(coverage.targets[index]):
            if not hits[position] and target.hits(doc):
                hits[position] = True
        return self.effect(doc, places, report)

    def footprint(self) -> Footprint:
        return self.effect.footprint()

    def describe(self) -> list[str]:
        return self.effect.describe()
