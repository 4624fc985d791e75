"""A labelled corpus of alerts: the yardstick detectors and shipped policies are measured by.

Built independently of the detectors (from the README, rules/ and public token formats):
`build_corpus(seed, size)` returns `size` alerts each holding one planted secret (classes in
turn, so every class gets the same share; policy, sender, field, context and form drawn
at random), `size // 2` benign alerts and `size // 20` grey-zone alerts, the same for the same
seed. `planted_text(rng, cls)` plants one secret of a class in a context, without an
envelope, for per-detector property tests.

Modules: `secrets` (one generator per class), `contexts` (the text a secret sits in),
`senders` (the senders, their slots: the fields each policy keeps, and their envelopes),
`webhook_senders` (the envelopes of senders with a body shape of their own: Alertmanager
webhook groups, PagerDuty Events v2, Zabbix's VictorOps webhook), `benign` (benign and grey
text), `model` (the records, and `surviving`, the check every figure rests on), `measure`
(running policies over the corpus).
"""

from __future__ import annotations

from random import Random

from tests.corpus import benign
from tests.corpus.contexts import CONTEXTS_BY_SLOT, can_fill, plant
from tests.corpus.model import CorpusAlert, Planted, Secret, surviving
from tests.corpus.secrets import CLASSES, GENERATORS, pick
from tests.corpus.senders import POLICIES, SENDERS, Sender, Slot

__all__ = [
    "CLASSES",
    "POLICIES",
    "SENDERS",
    "CorpusAlert",
    "Planted",
    "build_corpus",
    "planted_text",
    "surviving",
]

# Most secrets sit in free text; titles, links and host fields get the rest.
TEXT_SLOT_SHARE = 0.75
# Renderings tried in a slot with a `max_length` before another slot is chosen.
FIT_ATTEMPTS = 8


def senders_of(policy: str) -> list[Sender]:
    return [sender for sender in SENDERS if sender.policy == policy]


def plant_in_sender(
    rng: Random, sender: Sender, secret: Secret
) -> tuple[Slot, str, Planted] | None:
    """A slot of `sender` and `secret` planted in it within the slot's `max_length`, or None
    when no slot of the sender can hold it (a long private key in a sender of short fields)."""
    slots = [slot for slot in sender.slots if can_fill(slot.kind, secret)]
    while slots:
        text_slots = [slot for slot in slots if slot.kind == "text"]
        other = [slot for slot in slots if slot.kind != "text"]
        use_text = bool(text_slots) and (not other or rng.random() < TEXT_SLOT_SHARE)
        slot = pick(rng, text_slots if use_text else other)
        for _ in range(FIT_ATTEMPTS):
            text, planted = plant(rng, secret, slot.kind, slot.field, single_line=slot.single_line)
            if slot.max_length is None or len(text) <= slot.max_length:
                return slot, text, planted
        slots.remove(slot)
    return None


def secret_alert(rng: Random, cls: str) -> CorpusAlert:
    secret = GENERATORS[cls](rng)
    senders = senders_of(pick(rng, POLICIES))
    while True:
        sender = pick(rng, senders)
        placed = plant_in_sender(rng, sender, secret)
        if placed is not None:
            break
        senders.remove(sender)
    slot, text, planted = placed
    payload = sender.build(rng, {slot.field: text})
    return CorpusAlert("secret", sender.name, sender.policy, payload, planted)


def benign_alert(rng: Random, grey: str = "") -> CorpusAlert:
    sender = pick(rng, senders_of(pick(rng, POLICIES)))
    placed = {}
    if grey:
        slot = pick(rng, [slot for slot in sender.slots if slot.kind == "text"])
        placed[slot.field] = benign.grey_text(rng, grey)
    payload = sender.build(rng, placed)
    return CorpusAlert("grey" if grey else "benign", sender.name, sender.policy, payload, grey=grey)


def build_corpus(seed: int, size: int) -> list[CorpusAlert]:
    rng = Random(seed)
    alerts = [secret_alert(rng, CLASSES[i % len(CLASSES)]) for i in range(size)]
    alerts += [benign_alert(rng) for _ in range(size // 2)]
    greys = benign.GREY_KINDS
    alerts += [benign_alert(rng, greys[i % len(greys)]) for i in range(max(size // 20, 2))]
    return alerts


def planted_text(rng: Random, cls: str) -> tuple[str, Planted]:
    """One secret of `cls` planted in a context of any slot kind that can hold it."""
    secret = GENERATORS[cls](rng)
    slot = pick(rng, [kind for kind in CONTEXTS_BY_SLOT if can_fill(kind, secret)])
    return plant(rng, secret, slot, "text", single_line=rng.random() < 0.3)
