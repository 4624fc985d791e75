"""What `sanitizer check --upstream` proves about a policy: required fields it never outputs.

Static: the rules are read, no alert is run. A warning means the policy provably never
produces a field the receiver requires (or writes a constant it does not accept); no warning
proves nothing, and the contract still checks every alert.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sanitizer.policy.analysis import UNKNOWN, compatible, footprint
from sanitizer.policy.tree import get_at
from sanitizer.proxy.upstreams.contract import FieldPath
from sanitizer.proxy.upstreams.registry import required_fields

if TYPE_CHECKING:
    from sanitizer.policy.apply import CompiledRule, Policy

# How `check_policy_against` reads a policy. It follows each required field through the
# rules in order, reading each rule's footprint (`sanitizer.policy.analysis.footprint`), and
# warns only about what it can prove from the rules alone:
#
# * an unconditional `allow` removes the field unless one of its selectors may name the field
#   itself or a whole ancestor of it (judged on the selector's shape: `alerts[*].status` can
#   only name places under `alerts`, and `message_type.x` only keeps part of `message_type`),
#   or its `keys` regex finds a key on the way;
# * an unconditional `drop` of the field, of a parent, or of a key its `keys` regex matches,
#   and an unconditional `rename` away from it, remove it;
# * a `set` of the field, of a parent or of a child, a `rename` onto it, and a `redact` that
#   writes an object over a parent, may bring it back (an `expr` can come out null, so this is
#   "may", and a warning is then not given).
#
# A warning is given when the field is removed and nothing after brings it back. A policy
# that never mentions the field gets no warning: the sender may well send it. Separately, a
# `set` that writes a constant the receiver does not accept (a VictorOps `message_type` of
# "ALERT") is reported.


def _prefix(head: tuple[Any, ...], path: tuple[Any, ...]) -> bool:
    return len(head) <= len(path) and path[: len(head)] == head


def _keys_hit(rule: CompiledRule, path: FieldPath) -> bool:
    locator = rule.locator
    if locator is None or locator.keys is None:
        return False
    return any(locator.keys.pattern.search(step) for step in path)


def _may_keep(rule: CompiledRule, path: FieldPath) -> bool:
    """Whether a `select` of the rule may name `path` or an ancestor of it."""
    locator = rule.locator
    if locator is None:
        return False
    return any(
        len(s.pattern) <= len(path) and compatible(s.pattern, path) for s in locator.selectors
    )


def _surely_names(rule: CompiledRule, path: FieldPath) -> bool:
    """Whether a `select` of the rule names `path` or an ancestor of it, whatever the alert."""
    locator = rule.locator
    if locator is None:
        return False
    return any(
        s.static_path is not None and _prefix(s.static_path, path) for s in locator.selectors
    )


def _removes(rule: CompiledRule, path: FieldPath) -> bool:
    """The rule, if it runs, leaves `path` absent whatever the alert holds."""
    effect = footprint(rule)
    if effect.removes == "unselected":
        return not _may_keep(rule, path) and not _keys_hit(rule, path)
    if effect.removes == "selected":
        return _surely_names(rule, path) or _keys_hit(rule, path)
    if effect.moves is not None:
        return _prefix(effect.moves, path) and not (
            effect.writes is not None and _prefix(effect.writes, path)
        )
    written = effect.writes
    if written is not None and effect.value is not UNKNOWN and len(written) < len(path):
        marker = object()
        return _prefix(written, path) and (
            get_at(effect.value, path[len(written) :], marker) is marker
        )
    return False


def _may_write(rule: CompiledRule, path: FieldPath) -> bool:
    effect = footprint(rule)
    written = effect.writes
    if written is not None and (_prefix(written, path) or _prefix(path, written)):
        return True
    if effect.fills and rule.locator is not None:
        return any(compatible(s.pattern, path) for s in rule.locator.selectors)
    return False


def _constant_written(rule: CompiledRule, path: FieldPath) -> tuple[bool, Any]:
    effect = footprint(rule)
    written = effect.writes
    if written is not None and effect.value is not UNKNOWN and _prefix(written, path):
        marker = object()
        value = get_at(effect.value, path[len(written) :], marker)
        if value is not marker:
            return True, value
    return False, None


def _last_removal(rules: tuple[CompiledRule, ...], path: FieldPath) -> int | None:
    """Index of the rule after which `path` can never be present again, or None."""
    removed_at: int | None = None
    for index, rule in enumerate(rules):
        if rule.when is None and _removes(rule, path):
            removed_at = index
        elif _may_write(rule, path):
            removed_at = None
    return removed_at


def check_policy_against(policy: Policy, upstream_type: str) -> list[str]:
    """Warnings about required fields `policy` provably never outputs for `upstream_type`.

    Empty when nothing can be proven wrong (which does not prove the policy right: the
    contract still checks every alert). See the comment above for what is looked at.
    """
    warnings: list[str] = []
    rules = policy.rules
    for required in required_fields(upstream_type):
        removals = [_last_removal(rules, path) for path in required.alternatives]
        if all(index is not None for index in removals):
            rule = rules[max(i for i in removals if i is not None)]
            what = "never keeps " + required.describe()
            whose = "which" if len(required.alternatives) == 1 else "one of which"
            warnings.append(
                f"rule {rule.id!r} ({rule.action}) {what}, {whose} {upstream_type} requires; "
                "add it to select or set it after"
            )
        if not required.allowed:
            continue
        accepted = {item.upper() for item in required.allowed}
        for path in required.alternatives:
            for rule in rules:
                known, value = _constant_written(rule, path)
                if known and not (isinstance(value, str) and value.upper() in accepted):
                    warnings.append(
                        f"rule {rule.id!r} (set) writes a {'.'.join(path)} that "
                        f"{upstream_type} does not accept; use one of "
                        f"{', '.join(required.allowed)}"
                    )
    return warnings
