"""The `secret_assignment` speed-ups (issue 9) find exactly what the code they replaced found.

Two hot spots were rewritten: `name_bounds` takes the name's start by stripping the window
before the secret word instead of matching a pattern on a reversed copy, and `_before`
rejects most names by a cheap gate (the window stripped of the pattern's padding must end
in a character the pattern needs) before reading the window backwards. The old functions
are kept here as the reference; each is compared with the new one directly and, patched
into the detector, over generated text in every syntax the detector reads.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.detectors.assignments import finder, names, syntaxes
from tests.growth import assert_linear_growth

_NAME_RUN_BACK_RE = re.compile(rf"[a-z0-9_.\-]{{0,{names.MAX_NAME + 1}}}+")


def reference_name_bounds(folded: str, core_start: int, core_end: int, floor: int):
    window = folded[max(floor, core_start - names.MAX_NAME - 1) : core_start]
    match = _NAME_RUN_BACK_RE.match(window[::-1], 0)
    before = 0 if match is None else match.end()
    return core_start - before, names._run_end(names._NAME_RUN_RE, folded, core_end)


def reference_before(text: str, position: int, backwards) -> bool:
    pattern, width, _, _ = backwards
    window = text[max(0, position - width) : position][::-1].lower()
    match = pattern.match(window)
    return match is not None and (position <= width or match.end() < len(window))


BACKS = [syntaxes._NAME_FIELD_BACK, syntaxes._LINE_START_BACK, syntaxes._YAML_KEY_LINE_BACK]

# Names, separators, quotes and fillers of every syntax the detector reads.
NAMES = [
    "password",
    "DB_PASSWORD",
    "PGPASSWORD",
    "api_key",
    "apiKey",
    "X-Api-Key",
    "token",
    "secret",
    "client_secret",
    "auth",
    "masterauth",
    "requirepass",
    "Cookie",
    "Set-Cookie",
    "connection_string",
    "session_id",
    "PWD",
    "bind_pw",
    "pass",
    "passphrase",
    "name",
    "key",
    "value",
    "parameter_value",
    "passwordb64",
    "token_ttl",
    "no-password",
    "\u0130D_password",
]
PIECES = [
    *NAMES,
    "=",
    ":",
    ": ",
    " = ",
    ":=",
    "=>",
    '", "value" => "',
    "->",
    "==",
    "::",
    '"',
    "'",
    "`",
    '\\"',
    '\\\\\\"',
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\\n",
    "-",
    "--",
    "-p",
    "-a",
    ",",
    ";",
    "&",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "<",
    ">",
    "</",
    "/>",
    "<password>",
    "</password>",
    "<secret>",
    "</secret>",
    "hunter2",
    "S3cret Passw0rd",
    "x y",
    "*****",
    "null",
    "${VAR}",
    "$VAR",
    "{{ .Values.x }}",
    "%(pw)s",
    "{SSHA}abc",
    "Bearer abc.def",
    "Basic",
    "5;10;20",
    "42",
    "/home/u",
    "~",
    "mysql",
    "redis-cli",
    "check_pgsql",
    "sshpass",
    "IDENTIFIED BY",
    "identified with mysql_native_password by",
    "jdbc:sqlserver://h;password=",
    "user=app",
    "export ",
    "env ",
    "#",
    " # c",
    "|",
    ">-",
    "\n  ",
    "\n- ",
    "  - ",
    '{"',
    '":"',
    '", "',
    "'name': '",
    "', 'value': '",
    '"name" => "',
    "key=",
    "name: ",
    "'field': '",
    "env_name=",
    "parameter_key=\\'",
    "=>",
    '", "value" => "',
    '\\"password\\":\\"',
    "\u0131",
    "\u212a",
    "\u017f",
    "é",
]

# What the backward patterns read right before a name: a field name, a separator, a line
# break, indentation, a list dash, quotes, backslashes, in every order and number.
_TAIL_PARTS = [
    ["", "x", "name", "key", "field", "param", "env_name", "Parameter_Key", "val"],
    ["", '"', "'", "`", "\\", '\\"', "\\\\\\'"],
    ["", " ", "\t", "  ", " " * 17, "\n", "\r\n", "-", " - "],
    ["", ":", "=", "=>", ">", ": ", "\n", "\n  - ", "\n" + " " * 65, "\n\t"],
    ["", " ", "\t", " " * 17, "-", "  -  "],
    ["", "\\", "\\" * 16, '\\"'],
    ["", '"', "'", "`"],
]
tails = st.tuples(*(st.sampled_from(part) for part in _TAIL_PARTS)).map("".join) | st.lists(
    st.sampled_from(sorted({piece for part in _TAIL_PARTS for piece in part})), max_size=10
).map("".join)
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=24).map("".join)


def reference_find(text: str):
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(finder, "name_bounds", reference_name_bounds)
        patched.setattr(syntaxes, "_before", reference_before)
        return finder._find_secret_assignment(text)


@settings(max_examples=3000, deadline=None)
@given(texts, tails, texts, st.sampled_from(BACKS))
def test_the_gated_before_reads_as_the_old_one(head, tail, after, backwards):
    text, position = head + tail + after, len(head + tail)
    assert syntaxes._before(text, position, backwards) == reference_before(
        text, position, backwards
    )


# Runs of name characters of every length around the 129 the name's start is looked for in.
name_runs = st.tuples(
    st.text(alphabet="ab._-9Z \n\u0130", max_size=8),
    st.integers(min_value=0, max_value=140),
    st.text(alphabet="az09_.-", min_size=1, max_size=1),
).map(lambda parts: parts[0] + parts[2] * parts[1])


@settings(max_examples=1000, deadline=None)
@given(texts | name_runs, st.sampled_from(["password", "token", "auth", "key"]), texts, st.data())
def test_the_stripped_name_bounds_are_the_old_ones(head, word, tail, data):
    folded = finder._fold(head + word + tail)
    for core in names.CORE_RE.finditer(folded):
        floor = data.draw(st.integers(min_value=0, max_value=core.start()))
        expected = reference_name_bounds(folded, core.start(), core.end(), floor)
        assert names.name_bounds(folded, core.start(), core.end(), floor) == expected


@settings(max_examples=1500, deadline=None)
@given(texts)
def test_the_detector_finds_the_same_spans_as_before(text):
    assert finder._find_secret_assignment(text) == reference_find(text)


@pytest.mark.parametrize(
    "unit",
    [
        "  " * 40 + "x",
        " password" * 20,
        "-" * 60 + "password=",
        '"' * 50 + ":" + " " * 20 + "password",
        "\n" + " " * 70 + "- password: x\n",
        "a" * 200 + "password",
    ],
)
def test_the_detector_stays_linear(unit):
    assert_linear_growth(finder._find_secret_assignment, lambda n: unit * n, 40)
