"""The machinery of a receiver's contract, checked on the sanitized payload (fail closed).

A policy can leave an alert that is safe but that the receiver would drop, reject with a 4xx
(the alert then dies in the spool's dead letters) or misfile (an incident that never
resolves). The contract of the route's upstream type is checked on the sanitized payload
before it is queued: an alert that breaks it is refused with a `Refusal` whose rule is
``contract:<type>:<check>`` (e.g. ``contract:victorops:message_type``), so the sender gets a
422 naming the check and `on_refusal: notify` applies as for any refusal. What each receiver
requires is in its own module (victorops.py, bigpanda.py, pagerduty.py); webhook and capture
have no contract.

A typed field holding a value of another JSON type (an object or list where text belongs, a
string where a boolean belongs) is refused with the check ``<field>:type``, e.g.
``contract:victorops:state_message:type``; a null counts as the field not being given.

Fixes instead of refusals. With `truncate=True` (the default) an over-long text field is cut
to its limit, ending with `marker`, rather than refused; with `truncate=False` it is refused.
Identity fields (`entity_id`, `dedup_key`) are never truncated, whatever the setting: two
long ids sharing a prefix would become one incident and a RECOVERY could resolve the wrong
one; hash them in the policy instead. Enumerations a receiver documents in lower case are
accepted in any case and sent in lower case (JMESPath has no lower-case function a policy
could use).

`check` never changes its argument: it returns the argument itself when nothing needs fixing,
else a fixed copy. Messages name the check and the field (a documented field name, never a
key the sender chose) and never quote a value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from sanitizer import jsonio
from sanitizer.actions.structure import Truncator
from sanitizer.errors import Refusal
from sanitizer.policy.tree import copy_json, get_at

FieldPath = tuple[str, ...]

NOT_FORWARDED = "the alert was not forwarded"
DEFAULT_MARKER = "…"  # what ends a text the contract cut to the receiver's limit


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
class FieldType:
    """A JSON type a field must have: a test, its name in messages, how to produce it."""

    test: Callable[[Any], bool]
    name: str
    fix: str


TEXT = FieldType(_is_text, "a string", "build it with a `set` rule, e.g. expr: to_string(...)")
EPOCH = FieldType(
    _is_epoch,
    "a number or a string of digits (epoch seconds)",
    "`set` it from the sender's epoch time, or drop it",
)
BOOLEAN = FieldType(_is_boolean, "true or false", "build it with a `set` rule, e.g. expr: '!field'")
OBJECTS = FieldType(_is_list_of_objects, "a list of objects", "drop it or build it with `set`")


@dataclass(frozen=True)
class RequiredField:
    """One requirement of a receiver: at least one of `alternatives` must be present."""

    alternatives: tuple[FieldPath, ...]
    allowed: tuple[str, ...] = ()  # accepted values (any case), when the field is an enum

    def describe(self) -> str:
        names = [".".join(path) for path in self.alternatives]
        if len(names) == 1:
            return repr(names[0])
        return "any of " + ", ".join(repr(name) for name in names)


class Work:
    """The payload being checked, copied on the first fix so the caller's stays untouched."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.doc = payload
        self._copied = False

    def write(self, path: FieldPath, value: Any) -> None:
        if not self._copied:
            self.doc = copy_json(self.doc)
            self._copied = True
        node = self.doc
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value


@dataclass(frozen=True)
class Contract:
    """One upstream type's requirements; immutable, safe to share between requests.

    `checks` is the type's own function; it reads and fixes the payload through the methods
    below, which word every refusal the same way for every receiver.
    """

    upstream_type: str
    checks: Callable[[Contract, Work], None]
    truncate: bool = True
    marker: str = DEFAULT_MARKER

    def check(self, payload: Any) -> Any:
        """`payload` if it meets the contract, a fixed copy if it can be fixed, else `Refusal`."""
        if not isinstance(payload, dict):
            raise self.refuse(
                "object",
                "the policy's output is not a JSON object; end the policy with an `allow` "
                "rule that keeps named fields",
            )
        work = Work(payload)
        self.checks(self, work)
        return work.doc

    def refuse(self, check: str, problem: str) -> Refusal:
        return Refusal(
            f"contract {self.upstream_type}: {problem}; {NOT_FORWARDED}",
            rule=f"contract:{self.upstream_type}:{check}",
        )

    def limit_text(self, work: Work, path: FieldPath, limit: int, check: str, name: str) -> None:
        """Cut the string at `path` to `limit` characters, or refuse when truncation is off."""
        value = get_at(work.doc, path, None)
        if not isinstance(value, str) or len(value) <= limit:
            return
        if not self.truncate:
            raise self.refuse(
                check,
                f"{name} is longer than {limit} characters, the receiver's limit; add a "
                f"`truncate` rule (max_length: {limit}) to the policy or allow the contract "
                "to truncate",
            )
        work.write(path, _cut(value, limit, self.marker))

    def types(self, doc: dict[str, Any], types: dict[str, FieldType], prefix: str = "") -> None:
        """Refuse a field of `types` that holds another JSON type (null counts as absent)."""
        for key, kind in types.items():
            value = doc.get(key)
            if value is not None and not kind.test(value):
                self.type_error(f"{prefix}{key}", key, value, kind)

    def type_error(self, name: str, check: str, value: Any, kind: FieldType) -> NoReturn:
        raise self.refuse(
            f"{check}:type",
            f"{name!r} must be {kind.name}, not {jsonio.type_name(value)}; {kind.fix}",
        )

    def identity(self, work: Work, path: FieldPath, limit: int, check: str) -> None:
        """An id the receiver groups by: a string of at most `limit` characters, never cut."""
        value = get_at(work.doc, path, None)
        if value is None:
            return
        name = repr(".".join(path))
        if not isinstance(value, str):
            raise self.refuse(check, f"{name} must be a string; build it with a `set` rule")
        if len(value) > limit:
            raise self.refuse(
                check,
                f"{name} is longer than {limit} characters; identity fields are never "
                "truncated (two ids would merge into one incident): add a `hash` rule "
                f"(select: {'.'.join(path)}) to the policy",
            )

    def enum(
        self, work: Work, path: FieldPath, allowed: tuple[str, ...], check: str, *, lower: bool
    ) -> None:
        """The value at `path` is one of `allowed` in any case; with `lower`, write it so."""
        value = get_at(work.doc, path, None)
        name = repr(".".join(path))
        if value is None or value == "":
            raise self.refuse(
                check,
                f"{name} is missing; the receiver needs it: set it in the policy, e.g. with "
                f"a `set` rule and `when` conditions mapping the sender's states to one of "
                f"{', '.join(allowed)}",
            )
        canonical = {item.upper(): item for item in allowed}
        if not isinstance(value, str) or value.upper() not in canonical:
            raise self.refuse(
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
