"""Policy test files: `sanitizer test FILE...` as a library call, `run_test_files`."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.errors import PolicyError
from sanitizer.policytest import CaseSpec, load_test_file, run_test_files
from sanitizer.policytest.expectations import check_output

TEST_KEY = base64.b64encode(b"sanitizer-test-key-not-a-secret!").decode()

POLICY = """\
version: 1
name: tiny
keys:
  k: {env: TINY_KEY}
rules:
  - {id: drop-contact, action: drop, keys: '(?i)contact'}
  - {id: type, action: set, select: message_type, expr: "message_type || 'INFO'"}
  - {id: entity, action: set, select: entity_id, expr: "host"}
  - {id: entity-hash, action: hash, select: entity_id, key: k}
  - {id: scrub, action: scrub, detectors: [email]}
  - {id: refuse-on-marker, action: set, select: x, expr: "abs(boom)", when: "boom"}
guard: [aws_access_key]
"""


@pytest.fixture
def suite(tmp_path: Path):
    """Write the tiny policy and a fixture; return a helper that writes a test file."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "tiny.yaml").write_text(POLICY)
    (tmp_path / "alerts").mkdir()
    (tmp_path / "alerts" / "one.json").write_text(
        json.dumps({"host": "db-1", "contact": "x@example.com", "note": "mail a@example.com"})
    )
    (tmp_path / "tests").mkdir()

    def write(body: str, name: str = "tiny.yaml") -> Path:
        path = tmp_path / "tests" / name
        header = f"policy: ../policies/tiny.yaml\nkeys:\n  TINY_KEY: {TEST_KEY}\n"
        path.write_text(header + body)
        return path

    return write


def run(*paths: Path, environ: dict[str, str] | None = None) -> tuple[int, list[str]]:
    out = io.StringIO()
    failures = run_test_files(list(paths), environ={} if environ is None else environ, out=out)
    return failures, out.getvalue().splitlines()


def test_passing_cases_print_one_line_each_and_a_summary_alone_on_the_last_line(suite):
    path = suite(
        "cases:\n"
        "  - name: from-file\n"
        "    input_file: ../alerts/one.json\n"
        "    equals: {message_type: INFO, note: 'mail [EMAIL]'}\n"
        "    absent: [contact]\n"
        "    present: [entity_id]\n"
        "    no_email: true\n"
        "  - name: inline\n"
        "    input: {host: db-1, message_type: CRITICAL}\n"
        "    same_entity_id_as: from-file\n"
    )
    failures, lines = run(path)
    assert failures == 0
    assert lines[0].startswith(f"{path}: policy 'tiny'")
    assert lines[1] == "  ok   from-file"
    assert lines[2] == "  ok   inline"
    assert lines[-1] == "2 passed, 0 failed"


def test_paths_are_relative_to_the_test_file_not_the_working_directory(suite, monkeypatch):
    path = suite("cases:\n  - {name: a, input_file: ../alerts/one.json, absent: [contact]}\n")
    monkeypatch.chdir("/")
    assert run(path)[0] == 0


def test_exact_output_failure_shows_a_unified_diff(suite):
    path = suite(
        "cases:\n"
        "  - name: exact\n"
        "    input: {host: db-1}\n"
        "    output: {host: db-1, message_type: CRITICAL, entity_id: nope}\n"
    )
    failures, lines = run(path)
    assert failures == 1
    text = "\n".join(lines)
    assert "  FAIL exact" in lines
    assert "--- expected output" in text and "+++ actual output" in text
    assert '-  "message_type": "CRITICAL"' in text
    assert '+  "message_type": "INFO"' in text
    assert lines[-1] == "0 passed, 1 failed"


def test_present_absent_and_equals_failures_name_the_path(suite):
    path = suite(
        "cases:\n"
        "  - name: wrong\n"
        "    input: {host: db-1, contact_email: a@example.com}\n"
        "    present: [missing_field]\n"
        "    absent: [host]\n"
        "    equals: {message_type: WARNING, entity_id: 3, nothere: 1}\n"
    )
    failures, lines = run(path)
    text = "\n".join(lines)
    assert failures == 1
    assert "present missing_field: missing from the output" in text
    assert "absent host: found in the output" in text
    assert 'equals message_type: expected "WARNING", got "INFO"' in text
    assert "equals nothere: missing, expected 1" in text


def test_equals_accepts_jmespath_expressions_and_keys_with_dots(suite):
    path = suite(
        "cases:\n"
        "  - name: expressions\n"
        "    input: {host: db-1, 'vo_annotate.s.Note': hello, alerts: [{h: a}, {h: b}]}\n"
        "    equals:\n"
        "      vo_annotate.s.Note: hello\n"
        "      length(entity_id): 16\n"
        "      'alerts[*].h': [a, b]\n"
        "      alerts[1].h: b\n"
        "    present: ['alerts[0]', vo_annotate.s.Note]\n"
        "    absent: ['alerts[5]', vo_annotate.s.Other]\n"
    )
    assert run(path)[0] == 0


def test_equals_tells_true_from_one(suite):
    path = suite("cases:\n  - {name: b, input: {host: x, flag: true}, equals: {flag: 1}}\n")
    assert run(path)[0] == 1


def test_no_email_ipv4_ipv6_look_at_every_string_and_key(suite):
    path = suite(
        "cases:\n"
        "  - name: leaks\n"
        "    input: {host: db-1, addr: 192.0.2.1, '2001:db8::1': x, tail: 'a@b.example'}\n"
        "    no_email: true\n"
        "    no_ipv4: true\n"
        "    no_ipv6: true\n"
    )
    failures, lines = run(path)
    text = "\n".join(lines)
    assert failures == 1
    assert "no_ipv4: the output holds an IPv4 address at addr" in text
    assert 'no_ipv6: the output holds an IPv6 address at the key "2001:db8::1"' in text
    assert "no_email:" not in text  # the policy scrubs e-mails


def test_refusals_expected_and_unexpected(suite):
    path = suite(
        "cases:\n"
        "  - {name: refused-ok, input: {boom: x}, refused: true}\n"
        "  - {name: refused-by-ok, input: {boom: x}, refused_by: refuse-on-marker}\n"
        "  - {name: guard-ok, input: {k: AKIAIOSFODNN7EXAMPLE}, refused_by: guard}\n"
        "  - {name: not-refused, input: {host: a}, refused: true}\n"
        "  - {name: wrong-rule, input: {boom: x}, refused_by: guard}\n"
        "  - {name: unexpected, input: {boom: x}, present: [x]}\n"
        "  - {name: explicit-false, input: {host: a}, refused: false}\n"
    )
    failures, lines = run(path)
    text = "\n".join(lines)
    assert failures == 3
    assert "  ok   refused-ok" in lines and "  ok   refused-by-ok" in lines
    assert "  ok   guard-ok" in lines and "  ok   explicit-false" in lines
    assert "expected a refusal, but the policy produced:" in text
    assert "refused by rule 'refuse-on-marker', expected 'guard'" in text
    assert "refused by rule 'refuse-on-marker': rule 'refuse-on-marker' (set) failed" in text


def test_same_entity_id_as_fails_when_ids_differ_or_the_other_case_was_refused(suite):
    path = suite(
        "cases:\n"
        "  - {name: a, input: {host: one}, present: [entity_id]}\n"
        "  - {name: b, input: {host: two}, same_entity_id_as: a}\n"
        "  - {name: c, input: {boom: x}, refused: true}\n"
        "  - {name: d, input: {host: one}, same_entity_id_as: c}\n"
        "  - {name: e, input: {nohost: 1}, same_entity_id_as: a}\n"
    )
    failures, lines = run(path)
    text = "\n".join(lines)
    assert failures == 3
    assert "same_entity_id_as a: entity_id" in text and "differs from" in text
    assert "same_entity_id_as c: that case has no output" in text
    assert "same_entity_id_as a: entity_id missing from this output" in text


def test_keys_in_the_file_make_hashes_deterministic_and_override_the_environment(suite):
    path = suite(
        "cases:\n"
        "  - name: pinned\n"
        "    input: {host: db-1}\n"
        "    equals: {entity_id: 016b2c47d5ef8ec1}\n"
    )
    other = base64.b64encode(bytes(32)).decode()
    failures, lines = run(path, environ={"TINY_KEY": other})
    assert failures == 0, lines


def test_a_policy_key_that_is_not_given_anywhere_is_an_error_naming_the_file(tmp_path):
    (tmp_path / "p.yaml").write_text(POLICY)
    path = tmp_path / "t.yaml"
    path.write_text("policy: p.yaml\ncases:\n  - {name: a, input: {}, present: [message_type]}\n")
    failures, lines = run(path)
    assert failures == 1
    assert lines[0].startswith(f"ERROR {path}: cannot load its policy: ")
    assert "TINY_KEY is not set" in lines[0]
    assert lines[-1] == "0 passed, 1 failed"


BAD_FILES = [
    ("cases: []\n", "field 'cases'", "non-empty list"),
    ("cases:\n  - {input: {}, present: [a]}\n", "case '#1', field 'name'", "needs a 'name'"),
    (
        "cases:\n  - {name: a, input: {}, present: [a]}\n  - {name: a, input: {}, present: [a]}\n",
        "case 'a'",
        "used by an earlier case",
    ),
    ("cases:\n  - {name: a, input: {}, expect: {}}\n", "case 'a', field 'expect'", "unknown"),
    ("cases:\n  - {name: a, present: [x]}\n", "case 'a'", "exactly one of 'input'"),
    (
        "cases:\n  - {name: a, input: {}, input_file: x.json, present: [x]}\n",
        "case 'a'",
        "exactly one of",
    ),
    ("cases:\n  - {name: a, input: {}}\n", "case 'a'", "no expectation"),
    (
        "cases:\n  - {name: a, input_file: ../alerts/none.json, present: [x]}\n",
        "case 'a', field 'input_file'",
        "no such file",
    ),
    (
        "cases:\n  - {name: a, input: {}, refused: true, present: [x]}\n",
        "case 'a', field 'present'",
        "no output",
    ),
    (
        "cases:\n  - {name: a, input: {}, same_entity_id_as: zzz}\n",
        "case 'a', field 'same_entity_id_as'",
        "names no case",
    ),
    ("cases:\n  - {name: a, input: {}, present: ['a[?']}\n", "case 'a', field 'present'", "path"),
    ("cases:\n  - {name: a, input: {}, no_email: yes please}\n", "field 'no_email'", "true"),
    ("cases:\n  - {name: a, input: {1: x}, present: [a]}\n", "field 'input'", "strings"),
    ("cases:\n  - {name: a, input: {d: 2026-01-01}, present: [a]}\n", "field 'input'", "date"),
    ("cases:\n  - name: a\n   input: {}\n", "", "not valid YAML"),
    ("extra: 1\ncases:\n  - {name: a, input: {}, present: [a]}\n", "field 'extra'", "unknown"),
]


@pytest.mark.parametrize(("body", "where", "problem"), BAD_FILES)
def test_a_bad_test_file_is_an_error_naming_the_file_and_case(suite, body, where, problem):
    path = suite(body)
    with pytest.raises(PolicyError) as caught:
        load_test_file(path, environ={})
    message = caught.value.message
    assert message.startswith(str(path))
    assert where in message and problem in message
    failures, lines = run(path)
    assert failures == 1
    assert lines == [f"ERROR {message}", "0 passed, 1 failed"]


def test_a_bad_input_file_is_reported_without_its_content(suite, tmp_path):
    (tmp_path / "alerts" / "dup.json").write_text('{"a": "SECRETVALUE", "a": 2}')
    path = suite("cases:\n  - {name: a, input_file: ../alerts/dup.json, present: [a]}\n")
    with pytest.raises(PolicyError) as caught:
        load_test_file(path, environ={})
    assert "case 'a'" in caught.value.message
    assert "SECRETVALUE" not in caught.value.message


def test_a_bad_file_does_not_stop_the_others(suite):
    good = suite("cases:\n  - {name: a, input: {}, present: [message_type]}\n", "good.yaml")
    bad = suite("cases: nope\n", "bad.yaml")
    failures, lines = run(bad, good, Path("/nonexistent/test.yaml"))
    assert failures == 2
    assert lines[0].startswith(f"ERROR {bad}")
    assert "  ok   a" in lines
    assert "ERROR /nonexistent/test.yaml: no such test file; check the path" in lines
    assert lines[-1] == "1 passed, 2 failed"


# ------------------------------------------------------------------------- not_contains


@pytest.mark.parametrize(
    ("needle", "found"),
    [
        ("db-1", True),  # the host is hashed into entity_id, but not removed from `host`
        ("mail [EM", True),  # a substring of a value
        ("note", True),  # a key
        ("x@example.com", False),  # the contact was dropped
        ("a@example.com", False),  # scrubbed
        (1795500764, True),  # a number, by its JSON text
        (17955, True),  # ... inside a longer number
        ("true", True),  # a boolean's JSON text
    ],
)
def test_not_contains_finds_a_value_anywhere_in_the_output(suite, tmp_path, needle, found):
    (tmp_path / "alerts" / "two.json").write_text(
        json.dumps(
            {
                "host": "db-1",
                "contact": "x@example.com",
                "note": "mail a@example.com",
                "t": 1795500764,
                "flag": True,
            }
        )
    )
    path = suite(
        "cases:\n  - name: c\n    input_file: ../alerts/two.json\n"
        f"    not_contains: [{json.dumps(needle)}]\n"
    )
    failures, lines = run(path)
    assert failures == (1 if found else 0), lines
    if found:
        problem = next(line for line in lines if "not_contains[0]" in line)
        assert "survives at" in problem
        assert str(needle) not in problem.split("survives at")[0]


def test_not_contains_names_the_place_of_each_survivor(suite):
    path = suite(
        "cases:\n  - name: c\n    input: {host: h, a: {b: [zz1, zz2]}, zz3: 1}\n"
        "    not_contains: [zz, absent-value]\n"
    )
    failures, lines = run(path)
    assert failures == 1
    assert "      not_contains[0]: survives at a.b[0], a.b[1], the key zz3" in lines
    assert not any("not_contains[1]" in line for line in lines)


@pytest.mark.parametrize("value", ["[{a: 1}]", "[true]", "['']", "[null]", "{a: 1}"])
def test_not_contains_takes_only_strings_and_numbers(suite, value):
    path = suite(f"cases:\n  - {{name: c, input: {{}}, not_contains: {value}}}\n")
    with pytest.raises(PolicyError) as caught:
        load_test_file(path, environ={})
    assert "case 'c', field 'not_contains'" in caught.value.message


@settings(max_examples=200, deadline=None)
@given(
    doc=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=12,
    ),
    needle=st.text(min_size=1, max_size=3) | st.integers(),
)
def test_not_contains_agrees_with_a_search_of_every_key_and_scalar(doc, needle):
    text = needle if isinstance(needle, str) else json.dumps(needle)
    texts = []
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            texts.extend(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        else:
            texts.append(node if isinstance(node, str) else json.dumps(node))
    case = CaseSpec(name="p", input={}, not_contains=(text,))
    assert bool(check_output(case, doc)) == any(text in t for t in texts)


# ------------------------------------------------------------------------ not exercised


def test_rules_and_selectors_no_case_exercised_are_listed_after_the_results(suite):
    path = suite("cases:\n  - {name: a, input: {host: db-1}, present: [entity_id]}\n")
    failures, lines = run(path)
    assert failures == 0
    assert lines[-1] == "1 passed, 0 failed"
    start = lines.index(next(line for line in lines if line.startswith("not exercised")))
    assert lines[start].startswith("not exercised (policy 'tiny', ")
    assert lines[start + 1 : -1] == [
        "  rule 'drop-contact' keys /(?i)contact/: never matched",
        "  rule 'refuse-on-marker': never ran: its when was never true",
    ]


def test_several_files_for_one_policy_add_up_and_strict_counts_what_is_left(suite):
    first = suite("cases:\n  - {name: a, input: {host: db-1}, present: [entity_id]}\n")
    second = suite("cases:\n  - {name: b, input: {contact: x}, absent: [contact]}\n", "second.yaml")
    out = io.StringIO()
    failures = run_test_files([first, second], environ={}, out=out, strict=True)
    lines = out.getvalue().splitlines()
    assert failures == 1
    assert "  rule 'refuse-on-marker': never ran: its when was never true" in lines
    assert not any("drop-contact" in line for line in lines)
    assert lines[-1] == "2 passed, 0 failed, 1 not exercised"


def test_a_fully_exercised_policy_lists_nothing(suite):
    path = suite(
        "cases:\n"
        "  - {name: a, input: {host: db-1, contact: x}, present: [entity_id]}\n"
        "  - {name: b, input: {boom: x}, refused: true}\n"
    )
    out = io.StringIO()
    assert run_test_files([path], environ={}, out=out, strict=True) == 0
    assert "not exercised" not in out.getvalue()
