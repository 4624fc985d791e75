"""Validated specs + loaded keys → one compiled, immutable `Policy`, built once.

Everything that can be checked without an alert is checked here, so a policy that loads
cannot fail for reasons of its own making later: JMESPath is parsed, regexes compiled, keys
resolved to material, options type-checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jmespath.exceptions

from sanitizer.detectors import DETECTORS, Scrubber
from sanitizer.detectors.hostnames import hostname_detector
from sanitizer.errors import PolicyError
from sanitizer.keys import Key
from sanitizer.policy.apply import CompiledRule, KeyLocator, Locator, Policy
from sanitizer.policy.building import ActionKind, BuildContext, Options, Selection
from sanitizer.policy.expressions import ExpressionTooDeep, compile_expression
from sanitizer.policy.schema import PolicySpec, RuleSpec, compile_regex
from sanitizer.policy.selectors import compile_selector


def _compile_when(rule: RuleSpec) -> Callable[[Any], Any] | None:
    if rule.when is None:
        return None
    try:
        return compile_expression(rule.when)
    except ExpressionTooDeep as exc:
        raise PolicyError(str(exc), rule=rule.id, field="when") from None
    except jmespath.exceptions.JMESPathError as exc:
        raise PolicyError(
            f"is not a valid JMESPath condition ({type(exc).__name__}); strings are "
            "'single-quoted', e.g. \"message_type != 'INFO'\"",
            rule=rule.id,
            field="when",
        ) from None


def _compile_locator(rule: RuleSpec, selection: Selection) -> Locator | None:
    if selection == "own":
        return None
    if not rule.select and rule.keys is None:
        if selection == "required":
            raise PolicyError(
                f"action {rule.action!r} needs 'select' (JMESPath) or 'keys' (a regex) to "
                "say which places it works on",
                rule=rule.id,
                field="select",
            )
        return None
    selectors = []
    for index, expression in enumerate(rule.select):
        field = "select" if len(rule.select) == 1 else f"select[{index}]"
        try:
            selectors.append(compile_selector(expression))
        except PolicyError as exc:
            raise exc.located(rule=rule.id, field=field) from None
    key_locator = None
    if rule.keys is not None:
        key_locator = KeyLocator(compile_regex(rule.keys, rule=rule.id, field="keys"))
    return Locator.of(tuple(selectors), key_locator)


def _compile_rule(
    rule: RuleSpec, context: BuildContext, actions: Mapping[str, ActionKind]
) -> CompiledRule:
    kind = actions.get(rule.action)
    if kind is None:
        raise PolicyError(
            f"unknown action; choose one of: {', '.join(sorted(actions))}",
            rule=rule.id,
            field="action",
        )
    locator = _compile_locator(rule, kind.selection)
    if kind.selection == "own" and rule.keys is not None:
        raise PolicyError(
            f"action {rule.action!r} takes one 'select' path, not 'keys'",
            rule=rule.id,
            field="keys",
        )
    try:
        effect = kind.build(rule, Options(rule), context)
    except PolicyError as exc:
        raise exc.located(rule=rule.id) from None
    return CompiledRule(
        id=rule.id,
        action=rule.action,
        locator=locator,
        when=_compile_when(rule),
        effect=effect,
    )


def _guard_names(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(DETECTORS) if names == ("all",) else names


def _compile_guard(names: tuple[str, ...], internal_domains: tuple[str, ...]) -> Scrubber | None:
    if not names:
        return None
    try:
        # internal_hostname knows the policy's domains, so it finds what `scrub` does.
        hosts = hostname_detector(internal_domains)
        return Scrubber([hosts if name == hosts.name else name for name in names])
    except PolicyError as exc:
        raise exc.located(field="guard") from None


def _shown_keys(spec: PolicySpec) -> frozenset[str]:
    """Key names the policy itself writes down: only these may appear in audit paths, and
    text actions need not scan them as keys. An expression that does not compile names no
    key here; compiling its rule refuses it with the rule named.
    """
    shown: set[str] = set()
    for rule in spec.rules:
        target = rule.options.get("to")
        expressions = [*rule.select, target] if isinstance(target, str) else rule.select
        for expression in expressions:
            try:
                shown |= compile_selector(expression).literal_keys
            except PolicyError:
                continue
    return frozenset(shown)


def compile_policy(
    spec: PolicySpec, keys: Mapping[str, Key], actions: Mapping[str, ActionKind]
) -> Policy:
    """Build the policy. `keys` holds the loaded material for every key `spec` declares;
    `actions` is the registry rules name their actions from (`sanitizer.actions.ACTIONS`)."""
    missing = sorted(set(spec.keys) - set(keys))
    if missing:
        raise PolicyError(
            "declared key was not loaded; load every key under 'keys:' before compiling",
            field=f"keys.{missing[0]}",
        )
    shown_keys = _shown_keys(spec)
    context = BuildContext(
        keys=dict(keys), internal_domains=spec.internal_domains, policy_keys=shown_keys
    )
    rules = [_compile_rule(rule, context, actions) for rule in spec.rules]
    guard_names = _guard_names(spec.guard)
    guard = _compile_guard(guard_names, spec.internal_domains)
    return Policy(
        name=spec.name,
        rules=tuple(rules),
        guard=guard,
        guard_clean_keys=frozenset(
            key for key in shown_keys if guard is None or guard.first_hit(key) is None
        ),
        guard_names=guard_names,
        shown_keys=shown_keys,
        keys=tuple(keys.values()),
        split=spec.split,
    )
