"""Normalisation for detection: encodings undone, every span mapped back to the original."""

from __future__ import annotations

import json
import urllib.parse

from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.detectors.normalize import _FIRST_ASCII_UNIT, _first_ascii_unit, normalize

# A value as a secret may hold it: quotes, separators and spaces included (no backslash:
# "\\n" reads as a newline after normalising, a deliberate simplification for detection).
secret = st.text(st.sampled_from('abcdefXYZ0123456789@:/=+-_. "'), min_size=1, max_size=20)


def encodings() -> st.SearchStrategy[tuple[str, object]]:
    """An encoder a sender might apply to a secret inside a text."""

    def json_once(value: str) -> str:
        return json.dumps(value)[1:-1]

    def json_twice(value: str) -> str:
        return json_once(json_once(value))

    def percent(value: str) -> str:
        return urllib.parse.quote(value, safe="")

    def percent_twice(value: str) -> str:
        return percent(percent(value))

    def unicode_escapes(value: str) -> str:
        return "".join(f"\\u{ord(c):04x}" for c in value)

    def zero_width(value: str) -> str:
        return "\u200b".join(value)

    def no_break_spaces(value: str) -> str:
        return value.replace(" ", "\u00a0")

    return st.sampled_from(
        [
            json_once,
            json_twice,
            percent,
            percent_twice,
            unicode_escapes,
            zero_width,
            no_break_spaces,
        ]
    ).map(lambda f: (f.__name__, f))


surroundings = st.text(st.sampled_from("abc XYZ012,;:="), max_size=30)


@settings(max_examples=300, deadline=None)
@given(surroundings, secret, surroundings, encodings())
def test_an_encoded_value_reads_as_written_and_maps_back_to_its_encoded_span(
    left, value, right, encoding
):
    _, encode = encoding
    encoded = encode(value)
    text = f"{left} {encoded} {right}"
    normal = normalize(text)
    if normal is None:
        assert encoded == value
        return
    start = len(left) + 1
    assert normal.text[start : start + len(value)] == value
    begin, end = normal.span_in_original(start, start + len(value))
    assert (begin, end) == (start, start + len(encoded))


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from('ab\\"%4025u0\u200b\u00a0 nt/'), max_size=60))
def test_every_normal_span_maps_inside_the_original_in_order(text):
    normal = normalize(text)
    if normal is None:
        return
    length = len(normal.text)
    previous_end = 0
    for index in range(length):
        begin, end = normal.span_in_original(index, index + 1)
        assert 0 <= begin < end <= len(text)
        assert begin >= previous_end or begin < previous_end  # spans may share a unit
        previous_end = end
    whole = normal.span_in_original(0, length) if length else (0, 0)
    assert whole[0] >= 0 and whole[1] <= len(text)


def test_text_without_encodings_is_not_copied():
    assert normalize("CRITICAL - load average: 5.01, 4.20, 3.90") is None


def test_a_lone_backslash_or_percent_is_kept_as_it_is():
    assert normalize(r"C:\dir 50% done") is None


def test_normalising_a_long_run_of_backslashes_is_linear():
    # A run of backslashes with nothing escapable after it is one unit, taken whole.
    assert normalize("\\" * 200_000 + "x") is None


def test_percent_encoded_utf8_reads_as_its_characters_and_maps_to_the_whole_sequence():
    text = "owner=j%C3%B6rg%40m%C3%BCller.de&next=1"
    normal = normalize(text)
    assert normal is not None
    assert normal.text == "owner=jörg@müller.de&next=1"
    start = normal.text.index("jörg")
    end = normal.text.index("&")
    assert normal.span_in_original(start, end) == (6, text.index("&"))


def test_invalid_utf8_percent_sequences_are_kept_as_written():
    assert normalize("bad %C3%C3 and %FF%FE") is None


@given(st.text(st.sampled_from("ab %\\u0123456789AFcfnrt\"/'"), max_size=60))
def test_the_first_unit_is_found_where_the_pattern_search_finds_it(text):
    found = _FIRST_ASCII_UNIT.search(text)
    assert _first_ascii_unit(text) == (None if found is None else found.start())
