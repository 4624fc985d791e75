"""Run policies over the corpus and count what leaked, what was refused and what changed.

A planted secret is *caught* when none of its values survives in the policy's output; a
policy that refuses the alert lets nothing through either, but a refusal costs a page, so
refusals are counted apart: by the guard (the fail-closed backstop doing its job) or by a
rule that failed (a bug on realistic input). A benign or grey alert *changed* when the
scrub-all policy's output differs from the input in any way but the sender's own credential
fields (`senders.CREDENTIAL_FIELDS`), which scrubbing rightly replaces.

A policy with `split:` (alertmanager) makes one alert per element of the body; the body is
measured as the proxy handles it (`Policy.apply_all`): a planted secret leaked when any of
the body's sanitized alerts holds it, and a refusal of any alert refuses the whole body.
"""

from __future__ import annotations

import base64
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sanitizer.errors import GuardHit, Refusal
from sanitizer.loader import load_policy, policy_from_text
from sanitizer.policy.apply import Policy
from tests.corpus.model import CorpusAlert, surviving
from tests.corpus.senders import CREDENTIAL_FIELDS, POLICIES

ROOT = Path(__file__).resolve().parents[2]
# A test-only key for the shipped policies' pseudonyms; never a real one.
TEST_ENVIRON = {
    "SANITIZER_KEY_PSEUDONYM": base64.b64encode(b"recall-corpus-test-key-not-real!").decode()
}
SCRUB_ALL = "scrub-all"
SCRUB_ALL_POLICY = (
    f"version: 1\nname: {SCRUB_ALL}\nrules:\n  - {{id: every-detector, action: scrub}}\n"
)


def shipped_policies() -> dict[str, Policy]:
    return {
        name: load_policy(ROOT / "rules" / f"{name}.yaml", environ=TEST_ENVIRON)
        for name in POLICIES
    }


def scrub_all_policy() -> Policy:
    """`{action: scrub}` with no detectors listed: every built-in detector."""
    return policy_from_text(SCRUB_ALL_POLICY, source="<scrub-all>")


@dataclass(frozen=True)
class Outcome:
    status: str  # "forwarded", "guard" (refused by the guard) or "failed" (a rule failed)
    leaked: tuple[str, ...] = ()  # planted values that survived (forwarded alerts only)
    changed: bool = False  # the output differs from the input (forwarded alerts only)


def run(policy: Policy, alert: CorpusAlert) -> Outcome:
    try:
        outputs = [sanitized.payload for sanitized in policy.apply_all(alert.payload)]
    except GuardHit:
        return Outcome("guard")
    except Refusal:
        return Outcome("failed")
    leaked = tuple(surviving(alert.planted, outputs)) if alert.planted else ()
    inputs = [alert.payload] if policy.split is None else policy.split.elements(alert.payload)
    credentials = CREDENTIAL_FIELDS.get(alert.sender, ())
    changed = _comparable(outputs, credentials) != _comparable(inputs, credentials)
    return Outcome("forwarded", leaked, changed)


def _comparable(payloads: list[object], credentials: tuple[str, ...]) -> str:
    """The payloads as canonical JSON, without the sender's credential fields."""
    return json.dumps(
        [
            {k: v for k, v in p.items() if k not in credentials} if isinstance(p, dict) else p
            for p in payloads
        ],
        sort_keys=True,
    )


@dataclass
class Tally:
    """What one policy did to the alerts it was run on."""

    planted: Counter[str] = field(default_factory=Counter)  # by class
    leaked: Counter[str] = field(default_factory=Counter)
    guard: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    misses: dict[str, list[CorpusAlert]] = field(
        default_factory=lambda: defaultdict(list), repr=False
    )
    benign: int = 0
    benign_changed: int = 0
    benign_refused: int = 0
    grey: Counter[str] = field(default_factory=Counter)  # by grey kind
    grey_changed: Counter[str] = field(default_factory=Counter)
    grey_refused: Counter[str] = field(default_factory=Counter)

    def add(self, alert: CorpusAlert, outcome: Outcome) -> None:
        refused = outcome.status != "forwarded"
        if alert.planted is not None:
            cls = alert.planted.cls
            self.planted[cls] += 1
            if outcome.status == "guard":
                self.guard[cls] += 1
            elif outcome.status == "failed":
                self.failed[cls] += 1
            elif outcome.leaked:
                self.leaked[cls] += 1
                self.misses[cls].append(alert)
        elif alert.kind == "grey":
            self.grey[alert.grey] += 1
            self.grey_changed[alert.grey] += outcome.changed
            self.grey_refused[alert.grey] += refused
        else:
            self.benign += 1
            self.benign_changed += outcome.changed
            self.benign_refused += refused

    def kept_in(self, cls: str | None = None) -> int:
        """Planted secrets that did not leave: caught, or refused with their alert."""
        if cls is None:
            return self.total() - sum(self.leaked.values())
        return self.planted[cls] - self.leaked[cls]

    def caught(self, cls: str | None = None) -> int:
        """Planted secrets removed from an alert that was forwarded."""
        refused = self.guard + self.failed
        if cls is None:
            return self.kept_in() - sum(refused.values())
        return self.kept_in(cls) - refused[cls]

    def total(self) -> int:
        return sum(self.planted.values())


def measure(policy: Policy, alerts: Iterable[CorpusAlert]) -> Tally:
    tally = Tally()
    for alert in alerts:
        tally.add(alert, run(policy, alert))
    return tally


def measure_all(
    alerts: list[CorpusAlert], shipped: dict[str, Policy], scrub_all: Policy
) -> dict[str, Tally]:
    """The scrub-all policy over every alert; each shipped policy over its senders' alerts."""
    tallies = {SCRUB_ALL: measure(scrub_all, alerts)}
    for name, policy in shipped.items():
        tallies[name] = measure(policy, (a for a in alerts if a.policy == name))
    return tallies
