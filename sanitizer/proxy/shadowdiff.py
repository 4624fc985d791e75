"""A shadow policy's result compared with the live one, alert by alert and place by place,
value-free (see `sanitizer.proxy.shadow` for the kinds of difference and how places are named).

A place is a leaf of the JSON (a string, number, true/false/null, an empty object or list).
Its path is generalised before it leaves this module: every array index is `[*]`, and a key is
written only when the live or the shadow policy names it in a selector (`Policy.shown_keys`,
as audit paths are), any other key being `*`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sanitizer import jsonio
from sanitizer.errors import Refusal
from sanitizer.policy.selectors import format_path
from sanitizer.proxy.runtime import LiveRoute

Path = tuple[str | int, ...]
_MISSING: Any = object()

KINDS = (
    "kept_only_live",
    "kept_only_shadow",
    "changed_differently",
    "refused_only_live",
    "refused_only_shadow",
)


class HasBody(Protocol):
    """A queued alert (`intake.SanitizedAlert`): its serialised body."""

    @property
    def body(self) -> bytes: ...


# ------------------------------------------------------------------------ the comparison


def leaves(doc: Any) -> dict[Path, Any]:
    """Every leaf of a JSON document by its path: scalars, empty objects and empty lists."""
    found: dict[Path, Any] = {}
    stack: list[tuple[Any, Path]] = [(doc, ())]
    while stack:
        node, path = stack.pop()
        kind = type(node)
        if kind is dict and node:
            stack.extend(((item, (*path, key)) for key, item in node.items()))
        elif kind is list and node:
            stack.extend(((item, (*path, index)) for index, item in enumerate(node)))
        else:
            found[path] = node
    return found


def _same(a: Any, b: Any) -> bool:
    """JSON equality of two leaves: `1`, `1.0` and `true` are three values."""
    return type(a) is type(b) and a == b


def generalise(path: Path, shown: frozenset[str]) -> str:
    """The value-free text of a place: indexes as `[*]`, keys the policies name, else `*`."""
    return format_path(path, shown, indexes=False)


def differences(before: Any, live: Any, shadow: Any) -> dict[Path, str]:
    """The places where two outputs of one alert differ, each with its kind (see the module
    docstring); `before` is the alert as it arrived."""
    live_leaves, shadow_leaves = leaves(live), leaves(shadow)
    differing = [
        path
        for path in live_leaves.keys() | shadow_leaves.keys()
        if not _same(live_leaves.get(path, _MISSING), shadow_leaves.get(path, _MISSING))
    ]
    if not differing:
        return {}
    before_leaves = leaves(before)
    found = {}
    for path in differing:
        arrived = before_leaves.get(path, _MISSING)
        if _same(live_leaves.get(path, _MISSING), arrived):
            found[path] = "kept_only_live"
        elif _same(shadow_leaves.get(path, _MISSING), arrived):
            found[path] = "kept_only_shadow"
        else:
            found[path] = "changed_differently"
    return found


@dataclass
class Outcome:
    """What one body's comparison found: value-free by construction."""

    alerts: int = 0
    differing: int = 0
    places: dict[tuple[str, str], int] = field(default_factory=dict)  # (path, kind) → alerts
    live_refused: str | None = None  # the refusing rule id
    shadow_refused: str | None = None


def compare(route: LiveRoute, doc: Any, live: Sequence[HasBody] | Refusal) -> Outcome:
    """Run the route's shadow policy (and its contract) on `doc` and compare with the live
    result: the queued alerts' bodies, or the live policy's refusal."""
    shadow = route.shadow
    assert shadow is not None
    contract = route.contract
    outcome = Outcome()
    try:
        shadowed = shadow.apply_all(doc, then=None if contract is None else contract.check)
    except Refusal as exc:
        outcome.shadow_refused = exc.rule
        shadowed = None
    if isinstance(live, Refusal):
        outcome.live_refused = live.rule
    if shadowed is None or isinstance(live, Refusal):
        outcome.alerts = 1
        if (outcome.live_refused is None) != (outcome.shadow_refused is None):
            outcome.differing = 1
        return outcome
    policy = route.policy
    inputs = [doc] if policy.split is None else policy.split.elements(doc)
    outcome.alerts = len(live)
    if len(shadowed) != len(live):  # the two policies split the body differently
        outcome.differing = 1
        outcome.places[("@", "changed_differently")] = 1
        return outcome
    shown = policy.shown_keys | shadow.shown_keys
    for before, queued, result in zip(inputs, live, shadowed, strict=True):
        body = jsonio.dumps(result.payload).encode("utf-8")
        if body == queued.body:
            continue
        found = differences(before, json.loads(queued.body), json.loads(body))
        if not found:
            continue  # the same fields in another order
        outcome.differing += 1
        for place in {(generalise(path, shown), kind) for path, kind in found.items()}:
            outcome.places[place] = outcome.places.get(place, 0) + 1
    return outcome
