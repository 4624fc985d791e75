"""Policy authors' regexes (`keys:` and scrub `pattern:`) run on RE2: in time linear in the text,
with the matches Python's `re` found, and what RE2 cannot run refused at load by name."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanitizer.errors import PolicyError
from sanitizer.policy.regex import PolicyRegex
from sanitizer.policy.schema import compile_regex
from tests.conftest import make_policy
from tests.growth import assert_linear_growth


def scrub_rule(pattern: str) -> str:
    """A scrub rule with `pattern` (JSON text is a YAML double-quoted scalar)."""
    return f"  - {{id: custom, action: scrub, pattern: {json.dumps(pattern)}, label: '[X]'}}\n"


def drop_rule(keys: str) -> str:
    return f"  - {{id: custom, action: drop, keys: {json.dumps(keys)}}}\n"


def spans(pattern: re.Pattern[str] | PolicyRegex, text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


# ------------------------------------------------------------------ refused at load, by name

UNSUPPORTED = [
    # (pattern, construct named, fix named)
    (r"(?<=password=)\S+", "look-behind (?<=", "rewrite without look-behind"),
    (r"(?<!\w)token=\S+", "negative look-behind (?<!", "rewrite without look-behind"),
    (r"token(?=[:=])", "look-ahead (?=", "rewrite without look-ahead"),
    (r"token(?!s)=\S+", "negative look-ahead (?!", "rewrite without look-ahead"),
    (r"([\"']).+?\1", "backreference", "built-in detector"),
    (r"(?P<q>[\"']).+?(?P=q)", "backreference", "built-in detector"),
    (r"secret=\S++", "possessive quantifier", "drop the extra +"),
    (r"secret=\S*+", "possessive quantifier", "drop the extra +"),
    (r"[0-9]{16}+", "possessive quantifier", "drop the extra +"),
    (r"(?>api|apikey)=\S+", "atomic group (?>", "plain group (?:"),
    (r"(<)?secret(?(1)>|=)", "conditional group", "alternatives"),
    (r"x{1001}", "counted repeat", "+ or *"),
    (r"(?:[0-9a-f]{100}){20}", "counted repeat", "+ or *"),
    (r"[^\W_]+", r"negated class holding \W or \S", "list the characters"),
    (r"[^\S\n]+", r"negated class holding \W or \S", "list the characters"),
]


@pytest.mark.parametrize(("pattern", "construct", "fix"), UNSUPPORTED)
@pytest.mark.parametrize(("make_rule", "field"), [(scrub_rule, "pattern"), (drop_rule, "keys")])
def test_a_construct_re2_cannot_run_is_refused_at_load_naming_rule_field_and_construct(
    pattern, construct, fix, make_rule, field
):
    with pytest.raises(PolicyError) as caught:
        make_policy(make_rule(pattern))
    error = caught.value
    assert (error.rule, error.field) == ("custom", field)
    assert f"rule 'custom', field '{field}'" in error.message
    assert construct in error.message
    assert fix in error.message


def test_a_pattern_in_a_list_is_refused_naming_its_index():
    rule = "  - {id: custom, action: scrub, pattern: ['secret=\\S+', '(?<=a)b']}\n"
    with pytest.raises(PolicyError) as caught:
        make_policy(rule)
    assert (caught.value.rule, caught.value.field) == ("custom", "pattern[1]")
    assert "look-behind" in caught.value.message


def test_python_syntax_errors_are_still_reported_with_their_position():
    with pytest.raises(PolicyError) as caught:
        compile_regex("(unclosed", rule="r", field="keys")
    assert "not a valid regular expression" in caught.value.message
    assert "position 0" in caught.value.message


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        ("(?#the key, any case)(?i)password=\\S+", "PASSWORD=x1", (0, 11)),
        ("(?x) user \\s* = \\s* \\w+   # a user name", "user = jdoe", (0, 11)),
        ("\\u017f\\N{LATIN SMALL LETTER E WITH ACUTE}\\x41", "\u017f\u00e9A", (0, 3)),
        ("secret=\\S+\\Z", "a secret=x", (2, 10)),
        ("(?a)\\w+", "J\u00fcrgen", (0, 1)),
        ("a{,3}b", "aaab", (0, 4)),
    ],
)
def test_python_syntax_keeps_its_meaning(pattern, text, found):
    """Comments, verbose mode, Python's escapes, `\\Z`, `(?a)`, `{,n}`: read by Python's parser."""
    match = compile_regex(pattern, rule="r", field="pattern").search(text)
    assert match is not None
    assert match.span() == found


# ------------------------------------------------------------------ linear time

PATHOLOGICAL = r"(\w+\s?)+$"  # Python's re: over a second on 23 characters


def pathological_text(n: int) -> str:
    """n letters and a "!": the backtracking engine tries every split of the letters.
    Sizes stay within a core's L2 cache (text and its UTF-8 copy): past ~300 KB of text even
    RE2's scan for `[a-z]+!x` takes twice as long per byte."""
    return "a" * n + "!"


def test_a_pathological_scrub_pattern_runs_in_linear_time():
    policy = make_policy(scrub_rule(PATHOLOGICAL))
    assert_linear_growth(lambda text: policy.apply({"message": text}), pathological_text, 25_000)


def test_a_pathological_keys_regex_runs_in_linear_time():
    keys = compile_regex(PATHOLOGICAL, rule="r", field="keys")
    assert_linear_growth(keys.search, pathological_text, 25_000)


# ------------------------------------------------------------------ same matches as Python's re

# Letters, digits and spaces from several scripts, a Kelvin sign and a long s (which fold to
# k and s), an astral emoji, punctuation and the characters typical patterns look for.
ASCII_ALPHABET = "abcdefkpstuwxyzAKPSTZ0123456789_ =:;,.-@/\t\n"
ALPHABET = ASCII_ALPHABET + (
    "\u00e9\u00fc\u00df\u017f\u212a\u03c3\u03c2\u0416\u0436\u4e2d\u0663\u00a0\u2003\U0001f642"
)
TYPICAL = [
    r"(?i)password\s*[=:]\s*\S+",
    r"(?i)(?:api|auth)[_-]?key=[^\s,;&]+",
    r"\d{3}-\d{2}-\d{4}",
    r"[\w.+-]+@[\w-]+\.[a-z]{2,}",
    r"\w+=\w+",
    r"token:\s?\S{4,}",
    r"(?i)stra(?:\u00df|ss)e",
    r"(?:[^\s,]+,){2}",
    r"(?m)^\w+",
    r"<.+?>",
    r"(?s)<.+?>",
    r"\W+",
    r"[\W\d]+",
    r"[\u00e0-\u00ff\u0400-\u04ff]+",
    r"(?i)[a-z]+\d*",
    r"(?x) user \s* = \s* \w+  # a user name",
    r"\D\S\s",
]


@given(text=st.text(alphabet=ALPHABET, max_size=60), pattern=st.sampled_from(TYPICAL))
def test_typical_patterns_find_what_pythons_re_finds(text, pattern):
    assert spans(compile_regex(pattern, rule="r", field="pattern"), text) == spans(
        re.compile(pattern), text
    )


WORD_EDGES = [r"\bsecret\b", r"\b\w+@\w+\b", r"\Bkey\w*", r"(?i)\btoken=\S+"]


@given(text=st.text(alphabet=ASCII_ALPHABET, max_size=60), pattern=st.sampled_from(WORD_EDGES))
def test_word_boundaries_match_pythons_in_ascii_text(text, pattern):
    """`\\b` is RE2's ASCII word boundary: the same as Python's in ASCII text only."""
    assert spans(compile_regex(pattern, rule="r", field="pattern"), text) == spans(
        re.compile(pattern), text
    )


def test_a_word_boundary_next_to_a_non_ascii_letter_is_ascii_only():
    keys = compile_regex(r"\bber\b", rule="r", field="keys")
    assert keys.search("\u00fcber") is not None  # Python's re: no boundary after the u-umlaut


ENDINGS = [r"\S+$", r"secret=\w+$", r"\d+$"]


@given(
    line=st.text(alphabet=ALPHABET.replace("\n", ""), max_size=40),
    newline=st.sampled_from(["", "\n"]),
    pattern=st.sampled_from(ENDINGS),
)
def test_dollar_matches_what_pythons_matched_in_a_line_with_or_without_final_newline(
    line, newline, pattern
):
    text = line + newline
    assert spans(compile_regex(pattern, rule="r", field="pattern"), text) == spans(
        re.compile(pattern), text
    )


def test_dollar_also_matches_before_an_inner_newline():
    """Python's `$` matched only before a final newline; RE2 has no such anchor, so a line end
    inside the text counts too (as with `(?m)`): more is scrubbed, never less."""
    policy = make_policy(scrub_rule(r"secret=\S+$"))
    assert policy.apply({"m": "secret=abc\nnext"}).payload == {"m": "[X]\nnext"}


@pytest.fixture(scope="module")
def every_assigned_character() -> str:
    """Every character assigned in Python's Unicode database (RE2's newer tables also know
    characters Python 3.11 has as unassigned: those are left out)."""
    return "".join(
        chr(code)
        for code in range(0x110000)
        if not 0xD800 <= code <= 0xDFFF and unicodedata.category(chr(code)) != "Cn"
    )


@pytest.mark.parametrize(
    "pattern",
    [
        *(r"\w+", r"\W+", r"\d+", r"\D+", r"\s+", r"\S+", r"[\d\s]+", r"[\W\d]+", r".+"),
        *(r"(?a)\w+", r"(?a)\W+", r"(?a)\d+", r"(?a)\s+", r"(?a)[\S]+"),
        *(r"(?i)[a-hj-z]+", r"(?i)s+", r"(?i)k+", r"(?i)\u00df+", r"(?i)\u03c3+"),
    ],
)
def test_character_classes_match_the_same_characters_as_pythons(pattern, every_assigned_character):
    """RE2's own `\\w \\d \\s` are ASCII: a policy's are spelled out to match Python's.
    (Runs of the class have the same spans only if every character is classed the same.)"""
    text = every_assigned_character
    assert spans(compile_regex(pattern, rule="r", field="pattern"), text) == spans(
        re.compile(pattern), text
    )


def test_case_folding_leaves_out_the_turkish_dotted_and_dotless_i(every_assigned_character):
    """The one difference in `(?i)`: Python's also folds U+0130 and U+0131 to i."""
    found = compile_regex("(?i)i", rule="r", field="pattern").finditer(every_assigned_character)
    assert {every_assigned_character[m.start()] for m in found} == {"i", "I"}


# ------------------------------------------------------------------ character offsets


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("user=J\u00fcrgen logged in", "[X] logged in"),
        ("\U0001f642\U0001f642 user=\u738b\u5c0f\u660e", "\U0001f642\U0001f642 [X]"),
        ("caf\u00e9 user=e\u0301mile ok", "caf\u00e9 [X] ok"),
        ("\u0416\u0416 user=x \u0416 user=y", "\u0416\u0416 [X] \u0416 [X]"),
        ("x\ud800 user=abc \udfff", "x\ud800 [X] \udfff"),  # lone surrogates, as JSON allows
    ],
)
def test_matches_in_non_ascii_text_replace_the_right_characters(text, scrubbed):
    policy = make_policy(scrub_rule(r"user=[\w\u0301]+"))
    assert policy.apply({"message": text}).payload == {"message": scrubbed}


@given(
    before=st.text(alphabet=ALPHABET, max_size=20),
    after=st.text(alphabet=ALPHABET, max_size=20),
)
def test_spans_are_character_offsets_after_any_text(before, after):
    secret = "secret=\u00e9\U0001f642x"
    text = f"{before} {secret} {after}"
    keys = compile_regex(r"secret=[^ ]+", rule="r", field="keys")
    found = spans(keys, text)
    assert (len(before) + 1, len(before) + 1 + len(secret)) in found
    assert all(text[start:end].startswith("secret=") for start, end in found)


def test_search_and_finditer_start_at_pos_like_pythons():
    text = "\u00e9\u00e9 a=1 \u00fc a=2"
    keys = compile_regex(r"a=\d", rule="r", field="keys")
    python = re.compile(r"a=\d")
    for pos in range(len(text) + 1):
        found, expected = keys.search(text, pos), python.search(text, pos)
        assert (found and found.span()) == (expected and expected.span())
        assert spans_from(keys, text, pos) == spans_from(python, text, pos)


def spans_from(pattern, text: str, pos: int) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text, pos)]


def test_keys_regex_selects_the_same_keys_as_before():
    policy = make_policy(drop_rule(r"(?i)^_?contact|^(admin|user)(email|pager|name)$"))
    alert = {"CONTACTEMAIL": "x", "_contact_pager": "y", "adminname": "z", "host": "h"}
    assert policy.apply(alert).payload == {"host": "h"}
