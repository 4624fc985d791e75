"""Recall and precision against the labelled corpus (tests/corpus): the promise that sensitive
data never leaves, measured.

- Every shipped policy, on corpus alerts of its sender's shape, lets no planted value survive
  anywhere in its output. A refusal lets nothing out either, but only the guard may refuse:
  the guard is the designed fail-closed backstop (the proxy answers 422 and, with
  `on_refusal: notify`, sends a value-free stand-in, so on-call still hears of it), whereas a
  rule that fails on realistic input is a bug that would refuse that alert's benign twins too.
  And so that "refuse everything" cannot pass, every benign alert of the policy's shape must
  be forwarded.
- The scrub-all policy (`{action: scrub}`, every built-in detector) catches at least 99% of
  planted secrets over the whole corpus and changes at most 1% of benign alerts.
- Each detector alone catches its own class, generated afresh, in every context.

A split policy (alertmanager: one alert per element of a webhook group) is measured as the
proxy runs it: a planted value leaked when any alert of its body holds it. Every field a
secret is planted in is one its policy forwards (a canary there reaches the output), so a
catch is the detectors' doing, never a dropped field's.

The corpus is deterministic (seeded); `bench/recall.py` prints the same figures per class.
Failure messages show where a secret was with `<SECRET:class>` in its place, never the value.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from random import Random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanitizer.detectors import Scrubber
from sanitizer.loader import policy_from_text
from sanitizer.policy.apply import Policy
from tests.corpus import CLASSES, POLICIES, SENDERS, build_corpus, planted_text, surviving
from tests.corpus.contexts import TEXT_CONTEXTS
from tests.corpus.measure import (
    SCRUB_ALL,
    Tally,
    measure,
    measure_all,
    scrub_all_policy,
    shipped_policies,
)
from tests.corpus.model import occurs, strings_in
from tests.corpus.secrets import GENERATORS, iban_check_digits

SEED = 20260314
SIZE = 1500  # secret-bearing alerts: 60 per class; plus 750 benign and 75 grey
CORPUS = build_corpus(SEED, SIZE)

RECALL_FLOOR = 0.99
BENIGN_CHANGE_CEILING = 0.01
EXAMPLES_SHOWN = 3


@pytest.fixture(scope="module")
def shipped() -> dict[str, Policy]:
    return shipped_policies()


@pytest.fixture(scope="module")
def tallies(shipped) -> dict[str, Tally]:
    return measure_all(CORPUS, shipped, scrub_all_policy())


def leak_report(tally: Tally) -> str:
    """Per class: how many leaked, and where (the context with a placeholder)."""
    lines = []
    for cls in CLASSES:
        if not tally.leaked[cls]:
            continue
        lines.append(f"{cls}: {tally.leaked[cls]} of {tally.planted[cls]} leaked")
        for alert in tally.misses[cls][:EXAMPLES_SHOWN]:
            planted = alert.planted
            assert planted is not None
            where = f"{alert.sender}.{planted.field} / {planted.context} / {planted.form}"
            lines.append(f"  {where}: {planted.redacted(around=100)!r}")
    return "\n".join(lines)


# ------------------------------------------------------------------------- the yardstick


def test_every_planted_value_is_in_its_alert_as_sent():
    for alert in CORPUS:
        if alert.planted is not None:
            found = surviving(alert.planted, alert.payload) == list(alert.planted.values)
            assert found, (alert.sender, alert.planted.redacted(around=100))


def test_the_same_seed_builds_the_same_corpus():
    first, second = build_corpus(7, 60), build_corpus(7, 60)
    assert [a.payload for a in first] == [a.payload for a in second]
    assert [a.planted for a in first] == [a.planted for a in second]
    assert [a.payload for a in build_corpus(8, 60)] != [a.payload for a in first]


def test_the_corpus_covers_every_class_with_every_policy_and_every_context():
    planted = [a for a in CORPUS if a.planted is not None]
    pairs = {(a.planted.cls, a.policy) for a in planted}
    assert pairs == {(cls, policy) for cls in CLASSES for policy in POLICIES}
    assert {a.planted.context for a in planted} >= {c.name for c in TEXT_CONTEXTS}
    assert {a.sender for a in planted} == {s.name for s in SENDERS}
    assert Counter(a.planted.cls for a in planted) == dict.fromkeys(CLASSES, SIZE // len(CLASSES))
    kinds = Counter(a.kind for a in CORPUS)
    assert kinds["benign"] == SIZE // 2
    assert kinds["grey"] >= 2


def test_a_policy_that_changes_no_text_catches_nothing_and_changes_no_benign_text():
    inert = policy_from_text(
        "version: 1\nname: inert\nrules:\n  - {id: mark, action: set, select: seen, value: 1}\n"
    )
    tally = measure(inert, CORPUS[:300] + CORPUS[SIZE : SIZE + 100])
    assert tally.total() == 300
    assert tally.caught() == 0
    assert tally.benign == 100
    assert tally.benign_changed == 100  # only the field it set: every output differs


@settings(max_examples=200, derandomize=True, deadline=None)
@given(rng=st.randoms(use_true_random=True))
def test_generated_ibans_and_cards_carry_valid_check_digits(rng):
    iban = GENERATORS["iban"](rng).values[0].replace(" ", "")
    assert iban_check_digits(iban[:2], iban[4:]) == iban[2:4]
    assert int("".join(str(int(c, 36)) for c in iban[4:] + iban[:4])) % 97 == 1
    card = GENERATORS["credit_card"](rng).values[0].replace(" ", "").replace("-", "")
    total = sum(
        int(d) if i % 2 == 0 else sum(divmod(int(d) * 2, 10)) for i, d in enumerate(reversed(card))
    )
    assert total % 10 == 0


@settings(max_examples=100, derandomize=True, deadline=None)
@given(rng=st.randoms(use_true_random=True))
def test_generated_jwts_are_three_base64url_segments_of_json(rng):
    token = GENERATORS["jwt"](rng).values[0]
    header, payload, signature = token.split(".")
    for segment in (header, payload):
        assert isinstance(
            json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))), dict
        )
    assert signature and "=" not in token


@pytest.mark.parametrize(
    ("value", "text", "found"),
    [
        ("10.1.2.3", "client 10.1.2.3 refused", True),
        ("10.1.2.3", "client [10.1.2.3]:443 refused", True),
        ("10.1.2.3", "pseudonym 110.1.2.37", False),
        ("2001:db8::1", "%5B2001:db8::1%5D", True),
        ("db-7.prod.internal", "host db-7.prod.internal.", True),
        ("db-7.prod.internal", "host xdb-7.prod.internal", False),
    ],
)
def test_an_address_or_host_survives_only_as_a_whole_token(value, text, found):
    assert occurs(value, text, bounded=True) is found


def test_a_split_policy_counts_a_value_in_any_alert_of_its_body_as_leaked():
    inert = policy_from_text(
        "version: 1\nname: inert-split\nsplit: alerts\nrules:\n"
        "  - {id: mark, action: set, select: seen, value: 1}\n"
    )
    bodies = [a for a in CORPUS if a.planted is not None and a.policy == "alertmanager"]
    tally = measure(inert, bodies)
    assert tally.total() == len(bodies) > 0
    assert tally.caught() == 0  # every one leaked: none refused, none missed
    positions = set()
    for body in bodies:
        assert body.planted is not None
        alerts = body.payload["alerts"]
        positions.add(next(i for i, alert in enumerate(alerts) if surviving(body.planted, alert)))
    assert positions == {0, 1, 2, 3}  # groups of one to four, the secret in any of them


CANARIES = {
    "text": "canary text {i} stays",
    "name": "Canary title {i}",
    "url": "https://canary-{i}.example.com/runbook",
    "host": "canary-{i}.example.com",
}


@pytest.mark.parametrize("sender", SENDERS, ids=lambda sender: sender.name)
def test_every_field_a_secret_is_planted_in_is_one_its_policy_forwards(sender, shipped):
    placed = {slot.field: CANARIES[slot.kind].format(i=i) for i, slot in enumerate(sender.slots)}
    body = sender.build(Random(sender.name), placed)
    texts = list(strings_in([s.payload for s in shipped[sender.policy].apply_all(body)]))
    dropped = [field for field, text in placed.items() if not any(text in t for t in texts)]
    assert not dropped, f"{sender.policy} drops {dropped}: plant nothing there"


# ----------------------------------------------------------------------- shipped policies


@pytest.mark.parametrize("policy_name", POLICIES)
def test_shipped_policy_lets_no_planted_value_leave(policy_name, tallies):
    tally = tallies[policy_name]
    assert tally.total() >= len(CLASSES) * 5
    assert sum(tally.leaked.values()) == 0, "\n" + leak_report(tally)


@pytest.mark.parametrize("policy_name", POLICIES)
def test_shipped_policy_refuses_secret_bearing_alerts_only_by_its_guard(policy_name, tallies):
    failed = tallies[policy_name].failed
    assert sum(failed.values()) == 0, f"rules failed on alerts holding: {dict(failed)}"


@pytest.mark.parametrize("policy_name", POLICIES)
def test_shipped_policy_forwards_every_benign_alert_of_its_shape(policy_name, tallies):
    tally = tallies[policy_name]
    assert tally.benign > 0
    assert tally.benign_refused == 0, f"{tally.benign_refused} of {tally.benign} refused"


# ---------------------------------------------------------------- every detector together


def test_scrub_all_catches_at_least_99_percent_of_planted_secrets(tallies):
    tally = tallies[SCRUB_ALL]
    assert tally.total() == SIZE
    recall = tally.caught() / tally.total()
    failed = sum(tally.failed.values())
    assert recall >= RECALL_FLOOR, (
        f"recall {recall:.2%} ({failed} refused by a failing rule)\n" + leak_report(tally)
    )


def test_scrub_all_changes_at_most_1_percent_of_benign_alerts(tallies):
    tally = tallies[SCRUB_ALL]
    changed = tally.benign_changed + tally.benign_refused
    assert changed / tally.benign <= BENIGN_CHANGE_CEILING, f"{changed} of {tally.benign}"


# ------------------------------------------------------------------- one detector, one class


@pytest.mark.parametrize("cls", CLASSES)
@settings(
    max_examples=80,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(rng=st.randoms(use_true_random=True))
def test_each_detector_alone_replaces_its_class_in_generated_contexts(cls, rng: Random):
    text, planted = planted_text(rng, cls)
    scrubbed, _ = Scrubber([cls])(text)
    caught = not surviving(planted, scrubbed)  # a bool, so a failure never prints the value
    assert caught, (
        planted.form,
        planted.context,
        planted.redacted(around=100),
    )
