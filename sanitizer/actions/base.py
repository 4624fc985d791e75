"""What every action shares: option checking at build time, and the effect protocol.

An action is built once from its rule (`build(rule, options, context) -> Effect`) and the
effect is then called for every alert with the places the rule selected (or `None` when the
rule selects nothing explicitly, which means "every string in the payload").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sanitizer.errors import PolicyError
from sanitizer.keys import Key
from sanitizer.policy.schema import RuleSpec
from sanitizer.policy.tree import Path, get_at, rewrite_strings, set_at

Report = Callable[[Path, int], None]
REQUIRED = object()


class Effect(Protocol):
    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        """Edit `doc` (a private copy) and return the new root; call `report` per change."""


class Options:
    """A rule's action-specific options, type-checked as they are read.

    `finish()` refuses any option the action did not read, so a typo such as `lenght:` is
    an error at load rather than a silently ignored setting.
    """

    def __init__(self, rule: RuleSpec) -> None:
        self._rule = rule
        self._raw = dict(rule.options)
        self._read: set[str] = set()

    @property
    def rule_id(self) -> str:
        return self._rule.id

    def error(self, problem: str, field: str | None = None) -> PolicyError:
        return PolicyError(problem, rule=self._rule.id, field=field)

    def has(self, name: str) -> bool:
        return name in self._raw

    def get(
        self,
        name: str,
        kinds: type | tuple[type, ...],
        default: Any = REQUIRED,
        *,
        describe: str,
    ) -> Any:
        self._read.add(name)
        if name not in self._raw:
            if default is REQUIRED:
                raise self.error(
                    f"action {self._rule.action!r} needs '{name}': {describe}", field=name
                )
            return default
        value = self._raw[name]
        bad_bool = isinstance(value, bool) and bool not in _as_tuple(kinds)
        if bad_bool or not isinstance(value, kinds):
            raise self.error(f"must be {describe}", field=name)
        return value

    def get_int(self, name: str, default: Any, low: int, high: int) -> int:
        value = self.get(name, int, default, describe=f"an integer from {low} to {high}")
        if not low <= value <= high:
            raise self.error(f"must be an integer from {low} to {high}", field=name)
        return value

    def finish(self, allowed_extra: tuple[str, ...] = ()) -> None:
        unknown = sorted(set(self._raw) - self._read - set(allowed_extra))
        if unknown:
            allowed = sorted(self._read) or ["(none)"]
            raise self.error(
                f"unknown option for action {self._rule.action!r}; "
                f"its options are: {', '.join(allowed)}",
                field=unknown[0],
            )


def _as_tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


@dataclass(frozen=True)
class BuildContext:
    """What an action may need beyond its own options: the policy's loaded keys and its
    `internal_domains` (for the `internal_hostname` detector)."""

    keys: Mapping[str, Key]
    internal_domains: tuple[str, ...] = ()
    # The object keys the policy names itself (selectors' fields, set and rename targets):
    # policy text, so text actions need not scan them when they appear as keys.
    policy_keys: frozenset[str] = frozenset()

    def key(self, options: Options, field: str = "key") -> Key:
        name = options.get(field, str, describe="the name of a key declared under 'keys:'")
        if name not in self.keys:
            declared = ", ".join(sorted(self.keys)) or "none declared"
            raise options.error(
                f"names a key that the policy does not declare (declared: {declared}); "
                "add it under 'keys:' as {env: VARIABLE} or {file: PATH}",
                field=field,
            )
        return self.keys[name]


TextTransform = Callable[[str], tuple[str, int]]


def scan_numbers(transform: TextTransform) -> Callable[[Any], tuple[Any, int]]:
    """A `RewriteStrings` scalar handler: `transform` applied to a number's decimal text;
    the result (a string) replaces the number only when something was found in it."""

    def scan(value: Any) -> tuple[Any, int]:
        text = repr(value) if isinstance(value, float) else str(value)
        new, count = transform(text)
        return (new, count) if count else (value, 0)

    return scan


@dataclass(frozen=True)
class RewriteStrings:
    """Apply a text transform to every string at or under each selected place.

    With no explicit selection the whole payload is walked; `keys_too` then also rewrites
    object keys (an address or e-mail used as a key is still an address or e-mail).
    """

    fn: Callable[[str], tuple[str, int]]
    scalars: Callable[[Any], tuple[Any, int]] | None = None
    keys_too: bool = False
    skip_keys: frozenset[str] = frozenset()

    def __call__(self, doc: Any, places: list[Path] | None, report: Report) -> Any:
        if places is None:
            return rewrite_strings(
                doc,
                (),
                self.fn,
                report,
                keys_too=self.keys_too,
                scalars=self.scalars,
                skip_keys=self.skip_keys,
            )
        for place in places:
            value = get_at(doc, place)
            if type(value) is str:  # the common case, without a walk
                new, count = self.fn(value)
                if count:
                    report(place, count)
                    doc = set_at(doc, place, new)
                continue
            new = rewrite_strings(value, place, self.fn, report, scalars=self.scalars)
            if new is not value:
                doc = set_at(doc, place, new)
        return doc
