"""The one-pass prefilter never hides a match: every detector's anchors hold wherever it
finds something, on realistic planted secrets, benign alerts and random text."""

from __future__ import annotations

from random import Random

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.detectors import DETECTORS, Scrubber
from sanitizer.detectors.hostnames import hostname_detector
from sanitizer.detectors.prefilter import Prefilter
from tests.corpus import CLASSES, planted_text
from tests.corpus.benign import message

NAMES = list(DETECTORS)


def anchored(detector, text: str) -> bool:
    return any(re2.search(anchor, text) for anchor in detector.anchors)


def assert_anchors_hold(text: str) -> None:
    for name, detector in DETECTORS.items():
        if detector.anchors and detector.find(text):
            assert anchored(detector, text), f"{name} found something its anchors miss"


def test_every_built_in_detector_declares_anchors_that_re2_compiles():
    for name, detector in DETECTORS.items():
        assert detector.anchors, f"{name} declares no anchors, so it always runs"
        for anchor in detector.anchors:
            re2.compile(anchor)


@pytest.mark.parametrize("cls", CLASSES)
def test_anchors_hold_on_every_planted_secret_of_the_corpus(cls):
    rng = Random(f"prefilter-{cls}")
    for _ in range(150):
        text, _ = planted_text(rng, cls)
        assert_anchors_hold(text)


def test_anchors_hold_on_benign_alert_text():
    rng = Random(7)
    for _ in range(300):
        assert_anchors_hold(message(rng))


# Characters detectors key on, including those that fold differently between engines.
_ALPHABET = st.sampled_from(
    [
        *"0123456789abcdefABCDEF:.-@%/=_ \n\"'\\+()",
        *["ghp_", "AKIA", "eyJ", "://", "password=", "Bearer ", "mac ", ".internal", "xoxb-"],
        *["\u0130", "\u0131", "\u212a", "\u017f", "ip6.arpa", "in-addr.arpa", "sig=", "sv="],
    ]
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_anchors_hold_on_random_text(text):
    assert_anchors_hold(text)


def test_configured_hostname_detector_anchors_its_own_domains():
    detector = hostname_detector(["corp.example"])
    assert detector.find("db-7.payments.corp.example")
    assert anchored(detector, "db-7.payments.corp.example")
    assert anchored(detector, "DB-7.PAYMENTS.CORP.EXAMPLE")


def test_text_re2_cannot_read_runs_every_detector():
    prefilter = Prefilter([("@",), ("eyJ",)])
    assert set(prefilter.candidates("\ud800 lone surrogate")) == {0, 1}
    assert set(prefilter.candidates("nothing here")) == set()


def test_a_scrubber_with_the_prefilter_finds_what_each_detector_finds_alone():
    rng = Random(11)
    everything = Scrubber(NAMES)
    for cls in CLASSES:
        for _ in range(20):
            text, _ = planted_text(rng, cls)
            expected = [name for name in NAMES if DETECTORS[name].find(text)]
            if expected:
                assert everything.first_hit(text) is not None
