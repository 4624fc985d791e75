"""What each upstream's receiver requires of an alert, checked after the policy (fail closed).

A policy can leave an alert that is safe but that the receiver would drop, reject with a 4xx
(the alert then dies in the spool's dead letters) or misfile (an incident that never
resolves). The contract of the route's upstream type is checked on the sanitized payload
before it is queued: an alert that breaks it is refused with a `Refusal` whose rule is
``contract:<type>:<check>`` (e.g. ``contract:victorops:message_type``), so the sender gets a
422 naming the check and `on_refusal: notify` applies as for any refusal.

victorops   `message_type` present, one of CRITICAL, WARNING, ACKNOWLEDGEMENT, INFO,
            RECOVERY, OK (any case); `entity_id` a string of at most 512 characters,
            `state_message` at most 20,480, every other top-level string at most 1,024.
            Types: `entity_display_name`, `state_message`, `monitoring_tool`, `ack_msg`,
            `ack_author`, `routing_key` and annotations (`vo_annotate.*`) strings;
            `state_start_time` and `timestamp` a number or a string of digits (epoch
            seconds); `entity_is_host` a boolean.
bigpanda    a flat object (no nested objects or lists); `status` one of ok, critical,
            warning, unknown, acknowledged; a primary property: the field `primary_property`
            names, else one of host, service, application, device; `secondary_property`, when
            given, names a present field; `description` at most 2,048 characters. Types:
            `host`, `service`, `application`, `device`, `check`, `description` strings,
            `timestamp` a number or a string of digits.
pagerduty   `event_action` one of trigger, acknowledge, resolve (missing means trigger: the
            pagerduty upstream sends that); a trigger needs `payload.summary` (at most 1,024
            characters), `payload.source` and `payload.severity` (critical, error, warning,
            info); `dedup_key`, when present, a string of at most 255 characters. Types, as
            the Events v2 schema has them: `payload.summary`, `.source`, `.timestamp` (ISO
            8601 text), `.component`, `.group`, `.class`, `client` and `client_url` strings;
            `payload.custom_details` anything (an object, typically); `images` and `links`
            lists of objects.
webhook, capture: no contract (`contract_for` returns None).

A typed field holding a value of another JSON type (an object or list where text belongs, a
string where a boolean belongs) is refused with the check ``<field>:type``, e.g.
``contract:victorops:state_message:type``; a null counts as the field not being given.

Fixes instead of refusals. With `truncate=True` (the default) an over-long text field is cut
to its limit, ending with `marker`, rather than refused; with `truncate=False` it is refused.
Identity fields (`entity_id`, `dedup_key`) are never truncated, whatever the setting: two
long ids sharing a prefix would become one incident and a RECOVERY could resolve the wrong
one; hash them in the policy instead. BigPanda's `status` and PagerDuty's `event_action` and
`severity` are accepted in any case and sent in lower case, the only case those APIs
document (JMESPath has no lower-case function a policy could use).

`check` never changes its argument: it returns the argument itself when nothing needs fixing,
else a fixed copy. Messages name the check and the field (a documented field name, never a
key the sender chose) and never quote a value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from sanitizer.actions.structure import Truncator
from sanitizer.errors import ConfigError, Refusal
from sanitizer.policy.analysis import UNKNOWN, compatible, footprint
from sanitizer.policy.tree import copy_json, get_at

if TYPE_CHECKING:
    from sanitizer.policy.apply import CompiledRule, Policy

__all__ = [
    "UPSTREAM_TYPES",
    "Contract",
    "RequiredField",
    "check_policy_against",
    "contract_for",
    "required_fields",
]

Path = tuple[str, ...]

UPSTREAM_TYPES = ("victorops", "webhook", "bigpanda", "pagerduty", "capture")

VICTOROPS_MESSAGE_TYPES = ("CRITICAL", "WARNING", "ACKNOWLEDGEMENT", "INFO", "RECOVERY", "OK")
VICTOROPS_ENTITY_ID_MAX = 512
VICTOROPS_STATE_MESSAGE_MAX = 20_480
VICTOROPS_FIELD_MAX = 1_024
_VICTOROPS_FIELDS = frozenset(
    {
        "message_type",
        "entity_id",
        "entity_display_name",
        "entity_is_host",
        "state_message",
        "state_start_time",
        "timestamp",
        "monitoring_tool",
        "ack_msg",
        "ack_author",
        "routing_key",
    }
)

BIGPANDA_STATUSES = ("ok", "critical", "warning", "unknown", "acknowledged")
BIGPANDA_PRIMARY = ("host", "service", "application", "device")
BIGPANDA_DESCRIPTION_MAX = 2_048

PAGERDUTY_ACTIONS = ("trigger", "acknowledge", "resolve")
PAGERDUTY_SEVERITIES = ("critical", "error", "warning", "info")
PAGERDUTY_SUMMARY_MAX = 1_024
PAGERDUTY_DEDUP_KEY_MAX = 255

_NOT_FORWARDED = "the alert was not forwarded"


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_epoch(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and value.isascii() and value.isdigit()


def _is_boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _is_list_of_objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


@dataclass(frozen=True)
class _Type:
    """A JSON type a field must have: a test, its name in messages, how to produce it."""

    test: Callable[[Any], bool]
    name: str
    fix: str


_TEXT = _Type(_is_text, "a string", "build it with a `set` rule, e.g. expr: to_string(...)")
_EPOCH = _Type(
    _is_epoch,
    "a number or a string of digits (epoch seconds)",
    "`set` it from the sender's epoch time, or drop it",
)
_BOOLEAN = _Type(_is_boolean, "true or false", "build it with a `set` rule, e.g. expr: '!field'")
_OBJECTS = _Type(_is_list_of_objects, "a list of objects", "drop it or build it with `set`")

_VICTOROPS_TYPES: dict[str, _Type] = {
    "entity_display_name": _TEXT,
    "state_message": _TEXT,
    "monitoring_tool": _TEXT,
    "ack_msg": _TEXT,
    "ack_author": _TEXT,
    "routing_key": _TEXT,
    "state_start_time": _EPOCH,
    "timestamp": _EPOCH,
    "entity_is_host": _BOOLEAN,
}
_BIGPANDA_TYPES: dict[str, _Type] = {
    "host": _TEXT,
    "service": _TEXT,
    "application": _TEXT,
    "device": _TEXT,
    "check": _TEXT,
    "description": _TEXT,
    "timestamp": _EPOCH,
}
_PAGERDUTY_TYPES: dict[str, _Type] = {
    "client": _TEXT,
    "client_url": _TEXT,
    "images": _OBJECTS,
    "links": _OBJECTS,
}
_PAGERDUTY_PAYLOAD_TYPES: dict[str, _Type] = {
    "summary": _TEXT,
    "source": _TEXT,
    "timestamp": _TEXT,
    "component": _TEXT,
    "group": _TEXT,
    "class": _TEXT,
}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


@dataclass(frozen=True)
class RequiredField:
    """One requirement of a receiver: at least one of `alternatives` must be present."""

    alternatives: tuple[Path, ...]
    allowed: tuple[str, ...] = ()  # accepted values (any case), when the field is an enum

    def describe(self) -> str:
        names = [".".join(path) for path in self.alternatives]
        if len(names) == 1:
            return repr(names[0])
        return "any of " + ", ".join(repr(name) for name in names)


_REQUIRED: dict[str, tuple[RequiredField, ...]] = {
    "victorops": (RequiredField((("message_type",),), VICTOROPS_MESSAGE_TYPES),),
    "bigpanda": (
        RequiredField((("status",),), BIGPANDA_STATUSES),
        RequiredField(tuple((name,) for name in BIGPANDA_PRIMARY)),
    ),
    "pagerduty": (
        RequiredField((("payload", "summary"),)),
        RequiredField((("payload", "source"),)),
        RequiredField((("payload", "severity"),), PAGERDUTY_SEVERITIES),
    ),
    "webhook": (),
    "capture": (),
}


def _known_type(upstream_type: str) -> str:
    if upstream_type not in UPSTREAM_TYPES:
        raise ConfigError(
            f"unknown upstream type; choose one of: {', '.join(UPSTREAM_TYPES)}",
            field="upstream.type",
        )
    return upstream_type


def required_fields(upstream_type: str) -> tuple[RequiredField, ...]:
    """What a policy's output must hold for `upstream_type` (empty for webhook and capture).

    Only fields the proxy itself never fills: PagerDuty's `event_action` is left out because
    the pagerduty upstream sends `trigger` when it is missing.
    """
    return _REQUIRED[_known_type(upstream_type)]


# ------------------------------------------------------------------------------ checking


class _Work:
    """The payload being checked, copied on the first fix so the caller's stays untouched."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.doc = payload
        self._copied = False

    def write(self, path: Path, value: Any) -> None:
        if not self._copied:
            self.doc = copy_json(self.doc)
            self._copied = True
        node = self.doc
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value


@dataclass(frozen=True)
class Contract:
    """One upstream type's requirements; immutable, safe to share between requests."""

    upstream_type: str
    truncate: bool = True
    marker: str = "…"

    def check(self, payload: Any) -> Any:
        """`payload` if it meets the contract, a fixed copy if it can be fixed, else `Refusal`."""
        if not isinstance(payload, dict):
            raise self._refuse(
                "object",
                "the policy's output is not a JSON object; end the policy with an `allow` "
                "rule that keeps named fields",
            )
        work = _Work(payload)
        _CHECKS[self.upstream_type](self, work)
        return work.doc

    def _refuse(self, check: str, problem: str) -> Refusal:
        return Refusal(
            f"contract {self.upstream_type}: {problem}; {_NOT_FORWARDED}",
            rule=f"contract:{self.upstream_type}:{check}",
        )

    def _limit_text(self, work: _Work, path: Path, limit: int, check: str, name: str) -> None:
        """Cut the string at `path` to `limit` characters, or refuse when truncation is off."""
        value = get_at(work.doc, path, None)
        if not isinstance(value, str) or len(value) <= limit:
            return
        if not self.truncate:
            raise self._refuse(
                check,
                f"{name} is longer than {limit} characters, the receiver's limit; add a "
                f"`truncate` rule (max_length: {limit}) to the policy or allow the contract "
                "to truncate",
            )
        work.write(path, _cut(value, limit, self.marker))

    def _types(self, doc: dict[str, Any], types: dict[str, _Type], prefix: str = "") -> None:
        """Refuse a field of `types` that holds another JSON type (null counts as absent)."""
        for key, kind in types.items():
            value = doc.get(key)
            if value is not None and not kind.test(value):
                self._type_error(f"{prefix}{key}", key, value, kind)

    def _type_error(self, name: str, check: str, value: Any, kind: _Type) -> NoReturn:
        raise self._refuse(
            f"{check}:type",
            f"{name!r} must be {kind.name}, not {_json_type(value)}; {kind.fix}",
        )

    def _identity(self, work: _Work, path: Path, limit: int, check: str) -> None:
        value = get_at(work.doc, path, None)
        if value is None:
            return
        name = repr(".".join(path))
        if not isinstance(value, str):
            raise self._refuse(check, f"{name} must be a string; build it with a `set` rule")
        if len(value) > limit:
            raise self._refuse(
                check,
                f"{name} is longer than {limit} characters; identity fields are never "
                "truncated (two ids would merge into one incident): add a `hash` rule "
                f"(select: {'.'.join(path)}) to the policy",
            )

    def _enum(
        self, work: _Work, path: Path, allowed: tuple[str, ...], check: str, *, lower: bool
    ) -> None:
        """The value at `path` is one of `allowed` in any case; with `lower`, write it so."""
        value = get_at(work.doc, path, None)
        name = repr(".".join(path))
        if value is None or value == "":
            raise self._refuse(
                check,
                f"{name} is missing; the receiver needs it: set it in the policy, e.g. with "
                f"a `set` rule and `when` conditions mapping the sender's states to one of "
                f"{', '.join(allowed)}",
            )
        canonical = {item.upper(): item for item in allowed}
        if not isinstance(value, str) or value.upper() not in canonical:
            raise self._refuse(
                check,
                f"{name} is not one of {', '.join(allowed)} (any case); map the sender's "
                "values with `set` rules and `when` conditions",
            )
        if lower and value != canonical[value.upper()]:
            work.write(path, canonical[value.upper()])


def _cut(text: str, limit: int, marker: str) -> str:
    if len(marker) >= limit:
        return text[:limit]
    return Truncator(limit, marker)(text)[0]


def _check_victorops(contract: Contract, work: _Work) -> None:
    contract._enum(work, ("message_type",), VICTOROPS_MESSAGE_TYPES, "message_type", lower=False)
    contract._identity(work, ("entity_id",), VICTOROPS_ENTITY_ID_MAX, "entity_id")
    contract._types(work.doc, _VICTOROPS_TYPES)
    for key, value in work.doc.items():
        if key.startswith("vo_annotate.") and value is not None and not _is_text(value):
            contract._type_error("an annotation (vo_annotate.*)", "annotation", value, _TEXT)
    contract._limit_text(
        work, ("state_message",), VICTOROPS_STATE_MESSAGE_MAX, "state_message", "'state_message'"
    )
    for key in list(work.doc):
        if key in ("message_type", "entity_id", "state_message"):
            continue
        if key in _VICTOROPS_FIELDS:
            name = repr(key)
        elif key.startswith("vo_annotate."):
            name = "an annotation (vo_annotate.*)"
        else:
            name = "a field VictorOps does not document"
        contract._limit_text(work, (key,), VICTOROPS_FIELD_MAX, "length", name)


def _present(doc: dict[str, Any], key: Any) -> bool:
    return isinstance(key, str) and doc.get(key) not in (None, "")


def _check_bigpanda(contract: Contract, work: _Work) -> None:
    doc = work.doc
    if any(isinstance(value, dict | list) for value in doc.values()):
        raise contract._refuse(
            "flat",
            "BigPanda takes one flat object (string, number or boolean values) but a field "
            "holds an object or a list; batches are not supported: drop or flatten it in the "
            "policy (`rename` nested fields to top-level ones, then `allow` only those)",
        )
    contract._enum(work, ("status",), BIGPANDA_STATUSES, "status", lower=True)
    contract._types(doc, _BIGPANDA_TYPES)
    primary = doc.get("primary_property")
    if primary is not None:
        if not _present(doc, primary):
            raise contract._refuse(
                "primary_property",
                "'primary_property' does not name a field present in the alert; set it to "
                "the name of a field the policy keeps",
            )
    elif not any(_present(doc, name) for name in BIGPANDA_PRIMARY):
        raise contract._refuse(
            "primary_property",
            f"the alert has none of {', '.join(BIGPANDA_PRIMARY)} and no 'primary_property'; "
            "BigPanda needs one to group it: keep or `set` one of them in the policy",
        )
    secondary = doc.get("secondary_property")
    if secondary is not None and not _present(doc, secondary):
        raise contract._refuse(
            "secondary_property",
            "'secondary_property' does not name a field present in the alert; set it to "
            "the name of a field the policy keeps, or drop it",
        )
    contract._limit_text(
        work, ("description",), BIGPANDA_DESCRIPTION_MAX, "description", "'description'"
    )


def _check_pagerduty(contract: Contract, work: _Work) -> None:
    action = work.doc.get("event_action")
    if action is not None:
        contract._enum(work, ("event_action",), PAGERDUTY_ACTIONS, "event_action", lower=True)
        action = work.doc["event_action"]
    contract._identity(work, ("dedup_key",), PAGERDUTY_DEDUP_KEY_MAX, "dedup_key")
    contract._types(work.doc, _PAGERDUTY_TYPES)
    payload = work.doc.get("payload")
    if action in (None, "trigger"):
        if not isinstance(payload, dict):
            raise contract._refuse(
                "payload",
                "a trigger event needs a 'payload' object with summary, source and severity; "
                "build it in the policy with `set` rules (select: payload.summary, ...)",
            )
        for field in ("summary", "source"):
            value = payload.get(field)
            if not isinstance(value, str) or not value:
                raise contract._refuse(
                    field,
                    f"'payload.{field}' is missing or not a non-empty string; PagerDuty refuses "
                    f"a trigger without it: `set` it in the policy (select: payload.{field})",
                )
        contract._enum(work, ("payload", "severity"), PAGERDUTY_SEVERITIES, "severity", lower=True)
    if isinstance(payload, dict):
        contract._types(payload, _PAGERDUTY_PAYLOAD_TYPES, "payload.")
    if isinstance(work.doc.get("payload"), dict):
        contract._limit_text(
            work, ("payload", "summary"), PAGERDUTY_SUMMARY_MAX, "summary", "'payload.summary'"
        )


_CHECKS: dict[str, Callable[[Contract, _Work], None]] = {
    "victorops": _check_victorops,
    "bigpanda": _check_bigpanda,
    "pagerduty": _check_pagerduty,
}


def contract_for(
    upstream_type: str, *, truncate: bool = True, marker: str = "…"
) -> Contract | None:
    """The contract for a route's upstream type, or None for types without one.

    Raises `ConfigError` for an unknown type, and for a `marker` that is not a short string.
    """
    _known_type(upstream_type)
    if not isinstance(marker, str) or len(marker) > 64:
        raise ConfigError(
            "the truncation marker must be a string of at most 64 characters, e.g. '…'",
            field="contract.marker",
        )
    if upstream_type not in _CHECKS:
        return None
    return Contract(upstream_type, truncate=bool(truncate), marker=marker)


# ------------------------------------------------------------------ policy vs. contract

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


def _keys_hit(rule: CompiledRule, path: Path) -> bool:
    locator = rule.locator
    if locator is None or locator.keys is None:
        return False
    return any(locator.keys.pattern.search(step) for step in path)


def _may_keep(rule: CompiledRule, path: Path) -> bool:
    """Whether a `select` of the rule may name `path` or an ancestor of it."""
    locator = rule.locator
    if locator is None:
        return False
    return any(
        len(s.pattern) <= len(path) and compatible(s.pattern, path) for s in locator.selectors
    )


def _surely_names(rule: CompiledRule, path: Path) -> bool:
    """Whether a `select` of the rule names `path` or an ancestor of it, whatever the alert."""
    locator = rule.locator
    if locator is None:
        return False
    return any(
        s.static_path is not None and _prefix(s.static_path, path) for s in locator.selectors
    )


def _removes(rule: CompiledRule, path: Path) -> bool:
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


def _may_write(rule: CompiledRule, path: Path) -> bool:
    effect = footprint(rule)
    written = effect.writes
    if written is not None and (_prefix(written, path) or _prefix(path, written)):
        return True
    if effect.fills and rule.locator is not None:
        return any(compatible(s.pattern, path) for s in rule.locator.selectors)
    return False


def _constant_written(rule: CompiledRule, path: Path) -> tuple[bool, Any]:
    effect = footprint(rule)
    written = effect.writes
    if written is not None and effect.value is not UNKNOWN and _prefix(written, path):
        marker = object()
        value = get_at(effect.value, path[len(written) :], marker)
        if value is not marker:
            return True, value
    return False, None


def _last_removal(rules: tuple[CompiledRule, ...], path: Path) -> int | None:
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
