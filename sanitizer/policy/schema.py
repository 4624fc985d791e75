"""Policy document (already parsed from YAML) → validated, frozen specs.

This layer checks the shape every rule shares (`id`, `action`, `select`, `keys`, `when`) and
the policy's top level. Each action checks its own options when it is built
(`sanitizer.actions`), so an unknown or mistyped option is refused with the rule's id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sanitizer.errors import PolicyError
from sanitizer.keys import SecretRef, parse_secret_ref
from sanitizer.policy.regex import PolicyRegex, compile_policy_regex
from sanitizer.policy.split import Split, parse_split

SUPPORTED_VERSIONS = (1,)
_RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_KEY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_TOP_LEVEL = (
    "version",
    "name",
    "description",
    "keys",
    "split",
    "rules",
    "guard",
    "internal_domains",
)
COMMON_RULE_FIELDS = ("id", "action", "select", "keys", "when", "description")


@dataclass(frozen=True)
class RuleSpec:
    id: str
    action: str
    select: tuple[str, ...]
    keys: str | None
    when: str | None
    options: Mapping[str, Any]
    position: int


@dataclass(frozen=True)
class PolicySpec:
    version: int
    name: str
    keys: Mapping[str, SecretRef]
    rules: tuple[RuleSpec, ...]
    guard: tuple[str, ...]
    internal_domains: tuple[str, ...]
    split: Split | None = None  # one alert per element of a list in the body (`split.py`)


def compile_regex(source: str, *, rule: str | None, field: str) -> PolicyRegex:
    """Compile a regex written in a policy for RE2 (linear time), or refuse it naming the
    rule, the field and the construct RE2 cannot run (see `sanitizer.policy.regex`)."""
    try:
        return compile_policy_regex(source)
    except PolicyError as exc:
        raise exc.located(rule=rule, field=field) from None


def _expect_str(value: Any, *, rule: str | None, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PolicyError("must be a non-empty string", rule=rule, field=field)
    return value


def _parse_rule(raw: Any, position: int, seen: set[str]) -> RuleSpec:
    where = f"#{position + 1}"
    if not isinstance(raw, Mapping):
        raise PolicyError("each rule must be a mapping with at least 'id' and 'action'", rule=where)
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        raise PolicyError(
            "needs an 'id': letters, digits and _.:- (at most 64 characters), unique in the policy",
            rule=where,
            field="id",
        )
    if rule_id in seen:
        raise PolicyError(
            "this id is used by an earlier rule; give every rule its own id",
            rule=rule_id,
            field="id",
        )
    seen.add(rule_id)
    action = _expect_str(raw.get("action"), rule=rule_id, field="action")

    select_raw = raw.get("select")
    if select_raw is None:
        select: tuple[str, ...] = ()
    elif isinstance(select_raw, str):
        select = (_expect_str(select_raw, rule=rule_id, field="select"),)
    elif isinstance(select_raw, list) and select_raw:
        select = tuple(
            _expect_str(item, rule=rule_id, field=f"select[{i}]")
            for i, item in enumerate(select_raw)
        )
    else:
        raise PolicyError(
            "must be a JMESPath expression or a non-empty list of them",
            rule=rule_id,
            field="select",
        )
    keys = raw.get("keys")
    if keys is not None:
        keys = _expect_str(keys, rule=rule_id, field="keys")
    when = raw.get("when")
    if when is not None:
        when = _expect_str(when, rule=rule_id, field="when")
    description = raw.get("description")
    if description is not None:
        _expect_str(description, rule=rule_id, field="description")
    options = {k: v for k, v in raw.items() if k not in COMMON_RULE_FIELDS}
    for name in options:
        if not isinstance(name, str):
            raise PolicyError("option names must be strings", rule=rule_id)
    return RuleSpec(rule_id, action, select, keys, when, options, position)


def _parse_keys(raw: Any) -> dict[str, SecretRef]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise PolicyError(
            "'keys' must map key names to {env: VARIABLE} or {file: PATH}", field="keys"
        )
    refs = {}
    for name, ref in raw.items():
        if not isinstance(name, str) or not _KEY_NAME.match(name):
            raise PolicyError(
                "key names start with a letter and hold letters, digits, _ or -",
                field="keys",
            )
        try:
            refs[name] = parse_secret_ref(ref, what=f"key {name!r}")
        except PolicyError as exc:
            raise exc.located(field=f"keys.{name}") from None
    return refs


def _parse_guard(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if raw == "all":
        return ("all",)
    if isinstance(raw, list) and all(isinstance(x, str) and x for x in raw):
        return tuple(raw)
    raise PolicyError(
        "must be 'all' or a list of detector names, e.g. [email, ipv4, aws_access_key]",
        field="guard",
    )


# --- internal_domains: the policy's own DNS domains, for the internal_hostname detector ---

_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _parse_internal_domains(raw: Any) -> tuple[str, ...]:
    """Lowercase DNS names (``corp.example``); hosts under them are internal host names."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise PolicyError(
            "must be a list of DNS domain names, e.g. [corp.example, payments.example.net]",
            field="internal_domains",
        )
    domains = []
    for index, item in enumerate(raw):
        field = f"internal_domains[{index}]"
        if not isinstance(item, str) or not item.strip():
            raise PolicyError("must be a DNS domain name such as corp.example", field=field)
        name = item.strip().lower()
        if name.startswith(".") or name.endswith(".") or "*" in name:
            raise PolicyError(
                "write the domain alone, without a leading or trailing dot or wildcard "
                "(corp.example covers every host under it)",
                field=field,
            )
        if len(name) > 253 or not all(_DNS_LABEL.match(label) for label in name.split(".")):
            raise PolicyError(
                "is not a DNS domain name: labels of letters, digits and inner hyphens "
                "(1-63 characters each) joined by dots, 253 characters at most, "
                "e.g. corp.example",
                field=field,
            )
        domains.append(name)
    return tuple(dict.fromkeys(domains))


def parse_policy(doc: Any) -> PolicySpec:
    """Validate the policy's shape. Raises `PolicyError` naming the rule and field."""
    if not isinstance(doc, Mapping):
        raise PolicyError("a policy is a mapping with 'version', 'name' and 'rules'")
    unknown = [k for k in doc if k not in _TOP_LEVEL]
    if unknown:
        raise PolicyError(
            f"unknown top-level field; allowed: {', '.join(_TOP_LEVEL)}", field=str(unknown[0])
        )
    version = doc.get("version")
    if version not in SUPPORTED_VERSIONS:
        raise PolicyError(
            f"unsupported version; write 'version: {SUPPORTED_VERSIONS[-1]}'", field="version"
        )
    name = _expect_str(doc.get("name"), rule=None, field="name")
    rules_raw = doc.get("rules")
    if not isinstance(rules_raw, list):
        raise PolicyError("must be a list of rules (it may be empty: [])", field="rules")
    seen: set[str] = set()
    rules = tuple(_parse_rule(raw, i, seen) for i, raw in enumerate(rules_raw))
    return PolicySpec(
        version=version,
        name=name,
        keys=_parse_keys(doc.get("keys")),
        rules=rules,
        guard=_parse_guard(doc.get("guard")),
        internal_domains=_parse_internal_domains(doc.get("internal_domains")),
        split=parse_split(doc.get("split")),
    )
