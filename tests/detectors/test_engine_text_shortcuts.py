"""The text rules' shortcuts (issue 9, engine speed) find exactly what the plain searches
they replaced found: each reference below is the code as it was before the shortcut."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sanitizer.detectors import Scrubber
from sanitizer.detectors import scrubber as scrubber_module
from sanitizer.detectors.hostnames import SPECIAL_USE_SUFFIXES, _suffix_pattern
from sanitizer.detectors.personal import payment
from sanitizer.detectors.personal.shapes import digit_shape
from tests.detectors.helpers import assert_linear
from tests.strategies import luhn_complete

# --- credit_card: candidates searched only in the digit runs that can hold a card ----------


def _reference_cards(text: str) -> list[tuple[int, int]]:
    """`_find_credit_card` as it was: the candidate pattern searched over the whole text."""
    if len(text) < 13:
        return []
    shape = digit_shape(text)
    if b"000 000" not in shape and b"0000000000000" not in shape:
        return []
    spans = []
    for match in payment._CARD_CANDIDATE_RE.finditer(text):
        digits = match.group()
        if digits.isdigit():
            if digits[0] in "23456" and payment._luhn_ok(digits):
                if not payment._COMPACT_TIMESTAMP_RE.fullmatch(digits):
                    spans.append(match.span())
        else:
            spans.extend(payment._cards_in_groups(digits, match.start()))
    return [span for span in spans if not payment._in_hex(text, *span)]


_CARDS = st.builds(
    lambda body, separator, size: separator.join(
        body[i : i + size] for i in range(0, len(body), size)
    ),
    st.builds(
        luhn_complete,
        st.text("0123456789", min_size=12, max_size=18).map(lambda d: "4" + d[1:]),
    ),
    st.sampled_from(["", " ", "-"]),
    st.integers(3, 6),
)
_DIGIT_RUNS = st.text("0123456789 -", min_size=1, max_size=30)
_OTHER = st.text("abcfxX.:_/\n0123456789 -", max_size=8)
_NON_ASCII = st.sampled_from(["é", "\u00a0", "\u0660", "٣"])


@settings(max_examples=400)
@given(st.lists(st.one_of(_CARDS, _DIGIT_RUNS, _OTHER, _NON_ASCII), max_size=10).map("".join))
@example("owner dba, escalation +44 20 7946 0958, card 4111 1111 1111 1111")
@example("x 12 345 678 4111111111111111 99 0x4111111111111111 411 111 111 111 1111")
@example("2024-01-01 000 000 0000000000000 " * 3)
def test_card_candidates_only_in_hinted_runs(text: str) -> None:
    assert payment._find_credit_card(text) == _reference_cards(text)


def test_card_runs_are_searched_in_linear_time() -> None:
    # Many runs with a group hint and none with 13 digits in a row: each run is searched
    # once and each hint looked for again only once passed.
    assert_linear(payment._find_credit_card, "x 123 456 ", count=5_000)
    assert_linear(payment._find_credit_card, "123 456", count=5_000, prefix="0" * 13 + "x")


# --- internal_hostname: the suffixes' first letters looked ahead for -----------------------


def _reference_pattern(suffixes: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(s) for s in sorted(set(suffixes), key=len, reverse=True))
    return re.compile(rf"\.(?i:{alternatives})(?![\w-]|\.[\w-])")


_SUFFIXES = (*SPECIAL_USE_SUFFIXES, "corp.example", "9x.test", "kelvin.example")
# Letters Python's case-blind matching folds onto the suffixes' ASCII letters.
_LOOKALIKES = {"k": "kK\u212a", "s": "sS\u017f", "i": "iI\u0131\u0130"}


def _spelled(suffix: str, choices: list[int]) -> str:
    letters = []
    for index, char in enumerate(suffix):
        variants = _LOOKALIKES.get(char, char + char.upper())
        letters.append(variants[choices[index % len(choices)] % len(variants)])
    return "".join(letters)


_HOST_TEXT = st.lists(
    st.one_of(
        st.builds(
            lambda suffix, choices: "db." + _spelled(suffix, choices),
            st.sampled_from(_SUFFIXES),
            st.lists(st.integers(0, 3), min_size=1, max_size=4),
        ),
        st.text("abcdeKkSs\u017f\u0131\u0130\u212a.-_/ 0123", max_size=8),
    ),
    max_size=8,
).map("".join)


@settings(max_examples=400)
@given(_HOST_TEXT)
@example("db.\u212aelvin.example app.\u017fvc x.\u0130nternal y.\u0131nternal z.LOCAL. w.local.x")
def test_suffix_search_finds_what_it_found_before(text: str) -> None:
    new, old = _suffix_pattern(_SUFFIXES), _reference_pattern(_SUFFIXES)
    assert [m.span() for m in new.finditer(text)] == [m.span() for m in old.finditer(text)]


# --- guard: long texts the scrub found nothing in are not scanned again --------------------

_NAGIOS_SECRETS = [
    "email",
    "phone",
    "credit_card",
    "mac",
    "internal_hostname",
    "url_credentials",
    "bearer",
    "secret_assignment",
]
_PIECES = st.sampled_from(
    [
        "client 10.20.31.7: 301 idle in transaction\n",
        "max_connections=500, version 15.4\n",
        "owner dba@example.com ",
        "PGPASSWORD=hunter2 ",
        "db-7.corp.internal ",
        "+44 20 7946 0958 ",
        "uptime 12d 3h; ",
    ]
)


@settings(max_examples=100)
@given(st.lists(_PIECES, min_size=8, max_size=20).map("".join))
def test_guard_answers_for_remembered_texts_as_a_scan_would(text: str) -> None:
    scrub, guard = Scrubber(_NAGIOS_SECRETS), Scrubber(_NAGIOS_SECRETS)
    out, _ = scrub(text)
    assert guard.first_hit(out) == guard._first_hit(out)
    if len(out) > 256 and guard._first_hit(out) is None:
        assert (guard._identity, out) in scrubber_module._VERIFIED


def test_a_clean_long_text_is_remembered_unchanged() -> None:
    text = "client 10.20.31.7: 301 idle in transaction\n" * 8
    assert Scrubber(_NAGIOS_SECRETS)(text) == (text, 0)
    assert (Scrubber(_NAGIOS_SECRETS)._identity, text) in scrubber_module._VERIFIED
