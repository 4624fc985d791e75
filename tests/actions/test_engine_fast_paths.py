"""The engine's shortcuts (issue 9, speed) give exactly what the general code gives."""

from __future__ import annotations

import hmac
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.actions.pseudonyms import Hasher
from sanitizer.detectors import versions
from sanitizer.keys import Key


@given(key=st.binary(min_size=1, max_size=200), text=st.text(max_size=300))
def test_hasher_is_hmac_sha256_for_any_key_and_text(key: bytes, text: str) -> None:
    expected = hmac.digest(key, text.encode("utf-8"), "sha256").hex()
    material = Key("k", key)
    assert Hasher(material, 64, False)(text) == (expected, 1)
    assert Hasher(material, 16, True)(text) == (f"{material.id}:{expected[:16]}", 1)


_WORDS = [*versions.VERSION_WORDS, "client", "to", "from", "at", "x", "KK", "bacK", "rev"]
_BETWEEN = ["", " to", " from", " TO", " From", " x"]
_SEPARATORS = ["", " ", ":", "=", "  ", ": ", "::", " := ", "\u212a"]


def _is_version_by_expression(text: str, start: int) -> bool:
    """The version check as it was before the two-letter shortcut: the one-character
    precheck, then the reversed expression."""
    if not start or (
        text[start - 1] not in "vV" and text[start - 2 : start] not in versions._VERSION_TAILS
    ):
        return False
    before = text[max(0, start - versions._VERSION_LOOKBACK) : start][::-1]
    return versions._VERSION_BEFORE_REVERSED.match(before) is not None


@settings(max_examples=300)
@given(seed=st.integers(0, 2**32))
def test_version_shortcut_agrees_with_the_expression(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        word = "".join(c.upper() if rng.random() < 0.3 else c for c in rng.choice(_WORDS))
        if rng.random() < 0.1:  # letters that match case-blindly outside ASCII
            word = word.replace("k", "\u212a").replace("s", "\u017f").replace("i", "\u0130")
        text = (
            rng.choice(["", "a", "z ", ".", "\n"])
            + word
            + rng.choice(_BETWEEN)
            + rng.choice(_SEPARATORS)
            + "10.1.2.3"
        )
        start = text.index("10.1.2.3")
        assert versions.is_version(text, start) == _is_version_by_expression(text, start), text
