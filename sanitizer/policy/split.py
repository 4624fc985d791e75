"""A policy's `split:`: one request body that holds several alerts becomes one alert per element.

Alertmanager's webhook groups alerts (`alerts[]`); a receiver needs one incident per alert, so
a policy may say where the alerts are and which fields of the body every alert keeps:

    split:
      select: alerts                                  # JMESPath over the body: a list of objects
      envelope: [receiver, externalURL, commonLabels] # top-level fields copied into every alert

or `split: alerts` alone. Each element, with the envelope's fields (an element's own field of
the same name wins), is sanitized by the policy's rules as if it had been posted alone.

A body whose selection is not a non-empty list of objects, or holds more than `MAX_ALERTS`
elements, is refused as a whole (`Refusal`, rule `split`), and a refusal of any one element
refuses the whole body: a caller queues all of a body's alerts or none. Messages name the
policy's own expression, JSON types and positions, never a payload value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jmespath.exceptions

from sanitizer import jsonio
from sanitizer.errors import PolicyError, Refusal
from sanitizer.policy.expressions import ExpressionTooDeep, compile_expression
from sanitizer.policy.tree import unencodable

__all__ = ["MAX_ALERTS", "SPLIT_RULE", "Split", "in_alert", "parse_split"]

MAX_ALERTS = 1000
"""The most alerts one body may split into: a bound on the work one request can queue."""

SPLIT_RULE = "split"
"""The rule a refusal of the body's shape names (as `guard` names the guard)."""

_FIELDS = ("select", "envelope")
# A selection by field names only gives the body's own values, which JSON carried in; any
# other may compute numbers (`[{n: sum(xs)}]`), which are checked.
_FIELD_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_HOW = "write 'split: alerts' or 'split: {select: alerts, envelope: [receiver, commonLabels]}'"


def _refuse(problem: str) -> Refusal:
    return Refusal(f"split: {problem}; nothing from this body was forwarded", rule=SPLIT_RULE)


@dataclass(frozen=True)
class Split:
    """Where a body's alerts are (`select`) and which body fields each keeps (`envelope`)."""

    select: str
    envelope: tuple[str, ...]
    search: Callable[[Any], Any] = field(repr=False, compare=False)  # `select`, compiled

    def describe(self) -> str:
        """`alerts`, or `alerts (envelope: receiver, commonLabels)`: for `sanitizer check`."""
        if not self.envelope:
            return self.select
        return f"{self.select} (envelope: {', '.join(self.envelope)})"

    def elements(self, doc: Any) -> list[Any]:
        """One alert per element of the selection, each with the envelope's fields, in order.

        Raises `Refusal` (rule `split`) when the selection is not a list, is empty, holds more
        than `MAX_ALERTS` elements, an element that is not an object or a number JSON cannot
        carry. The alerts are new
        objects; their values are shared with `doc` (the policy copies what it edits)."""
        try:
            selected = self.search(doc)
        except Exception as exc:  # fail closed on anything the expression raises
            raise _refuse(
                f"the expression {self.select!r} failed on this body ({type(exc).__name__})"
            ) from None
        if not isinstance(selected, list):
            found = "nothing" if selected is None else jsonio.type_name(selected)
            raise _refuse(
                f"{self.select!r} gave {found}, not a list of alerts; send the body shape "
                "the policy splits, or post single alerts to a route without split"
            )
        if not selected:
            raise _refuse(f"{self.select!r} gave an empty list: the body holds no alert")
        if len(selected) > MAX_ALERTS:
            raise _refuse(
                f"{self.select!r} gave {len(selected)} alerts, more than the limit of "
                f"{MAX_ALERTS} per body; have the sender send smaller groups (Alertmanager: "
                "max_alerts in webhook_configs)"
            )
        if not _FIELD_PATH.fullmatch(self.select) and (problem := unencodable(selected)):
            raise _refuse(f"{self.select!r} gave {problem}")
        common = {}
        if isinstance(doc, dict):
            common = {name: doc[name] for name in self.envelope if name in doc}
        alerts = []
        for index, element in enumerate(selected, 1):
            if not isinstance(element, dict):
                raise _refuse(
                    f"element {index} of {len(selected)} at {self.select!r} is "
                    f"{jsonio.type_name(element)}, not an object"
                )
            alerts.append({**common, **element})
        return alerts


def in_alert(exc: Refusal, index: int, count: int) -> Refusal:
    """`exc`, of the same type and rule, saying which alert of a split body it refused."""
    return type(exc)(
        f"alert {index} of {count} of this body: {exc.message}; nothing from this body was "
        "forwarded",
        rule=exc.rule,
    )


# ------------------------------------------------------------------------------- parsing


def _compile(select: Any) -> Callable[[Any], Any]:
    if not isinstance(select, str) or not select.strip():
        raise PolicyError(
            f"must be a JMESPath expression naming the list of alerts; {_HOW}",
            field="split.select",
        )
    try:
        return compile_expression(select)
    except ExpressionTooDeep as exc:
        raise PolicyError(str(exc), field="split.select") from None
    except jmespath.exceptions.JMESPathError as exc:
        raise PolicyError(
            f"is not a valid JMESPath expression ({type(exc).__name__}); name the list "
            "of alerts in the body, e.g. 'alerts'",
            field="split.select",
        ) from None


def _envelope(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(name, str) and name for name in raw):
        raise PolicyError(
            "must be a list of the body's top-level field names to copy into every alert, "
            "e.g. [receiver, externalURL, commonLabels] (names, not JMESPath paths)",
            field="split.envelope",
        )
    if len(set(raw)) != len(raw):
        raise PolicyError("names a field twice; list each field once", field="split.envelope")
    return tuple(raw)


def parse_split(raw: Any) -> Split | None:
    """The policy's `split:` (None when it has none), or `PolicyError` naming `split` and
    how to write it."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return Split(raw, (), _compile(raw))
    if not isinstance(raw, Mapping):
        raise PolicyError(f"must be a JMESPath expression or a mapping; {_HOW}", field="split")
    unknown = sorted(str(key) for key in raw if key not in _FIELDS)
    if unknown:
        raise PolicyError(
            f"unknown field {unknown[0]!r}; split takes: {', '.join(_FIELDS)}", field="split"
        )
    if "select" not in raw:
        raise PolicyError(f"needs 'select', the list of alerts; {_HOW}", field="split.select")
    select = raw["select"]
    return Split(select, _envelope(raw.get("envelope")), _compile(select))
