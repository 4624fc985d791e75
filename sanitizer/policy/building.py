"""How the compiler builds an action's effect: what a registry of actions holds (`ActionKind`)
and what a builder is handed (the rule's `Options`, type-checked as read, and a `BuildContext`).

The registry itself (`sanitizer.actions.ACTIONS`) is given to `compile_policy` by whoever
builds policies, so the engine here never imports the actions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sanitizer.errors import PolicyError
from sanitizer.keys import Key
from sanitizer.policy.effects import Effect
from sanitizer.policy.schema import RuleSpec

REQUIRED: Any = object()
"""`Options.get`'s default meaning "the rule must give this option"."""


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

    def finish(self) -> None:
        unknown = sorted(set(self._raw) - self._read)
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
    internal_domains: tuple[str, ...]
    # The object keys the policy names itself (selectors' fields, set and rename targets):
    # policy text, so text actions need not scan them when they appear as keys.
    policy_keys: frozenset[str]

    def key(self, options: Options) -> Key:
        """The key the rule's `key` option names."""
        name = options.get("key", str, describe="the name of a key declared under 'keys:'")
        if name not in self.keys:
            declared = ", ".join(sorted(self.keys)) or "none declared"
            raise options.error(
                f"names a key that the policy does not declare (declared: {declared}); "
                "add it under 'keys:' as {env: VARIABLE} or {file: PATH}",
                field="key",
            )
        return self.keys[name]


Builder = Callable[[RuleSpec, Options, BuildContext], Effect]

Selection = Literal["required", "optional", "own"]
"""How an action's rule says where it works. "required": `select` or `keys` must be given;
"optional": none means every string; "own": the action reads `select` itself as one plain
path (and takes no `keys`)."""


@dataclass(frozen=True)
class ActionKind:
    """One entry of an action registry: how to build the action, and how it selects."""

    build: Builder
    selection: Selection
