"""A bad policy is refused at load with one message naming the rule, the field and the fix."""

from __future__ import annotations

import base64

import pytest

from sanitizer.errors import KeyLoadError, PolicyError
from sanitizer.loader import load_policy, policy_from_text
from tests.conftest import ENVIRON, make_policy


def refusal(rules: str, **kwargs) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        make_policy(rules, **kwargs)
    return caught.value


@pytest.mark.parametrize(
    ("rules", "rule", "field", "fragment"),
    [
        ("  - {id: x, action: explode, select: a}\n", "x", "action", "unknown action"),
        (
            "  - {id: x, action: drop, select: a}\n  - {id: x, action: drop, select: b}\n",
            "x",
            "id",
            "earlier rule",
        ),
        ("  - {action: drop, select: a}\n", "#1", "id", "needs an 'id'"),
        ("  - {id: x, action: drop, select: 'a[?'}\n", "x", "select", ""),
        ("  - {id: x, action: drop, select: 'length(a)'}\n", "x", "select", ""),
        ("  - {id: x, action: drop}\n", "x", "select", "needs 'select'"),
        ("  - {id: x, action: allow}\n", "x", "select", "needs 'select'"),
        ("  - {id: x, action: drop, keys: '(unclosed'}\n", "x", "keys", "regular expression"),
        ("  - {id: x, action: scrub, pattern: '[a-'}\n", "x", "pattern", "regular expression"),
        ("  - {id: x, action: scrub, pattern: 'a*'}\n", "x", "pattern", "empty string"),
        ("  - {id: x, action: scrub, detectors: [nope]}\n", "x", "detectors", "nope"),
        ("  - {id: x, action: hash, select: a}\n", "x", "key", "needs 'key'"),
        ("  - {id: x, action: hash, select: a, key: zzz}\n", "x", "key", "does not declare"),
        ("  - {id: x, action: hash, select: a, key: a, length: 4}\n", "x", "length", "from 8"),
        (
            "  - {id: x, action: hash, select: a, key: a, lenght: 20}\n",
            "x",
            "lenght",
            "unknown option",
        ),
        ("  - {id: x, action: truncate, select: a}\n", "x", "max_length", "needs"),
        (
            "  - {id: x, action: truncate, select: a, max_length: '10'}\n",
            "x",
            "max_length",
            "integer",
        ),
        ("  - {id: x, action: set, select: 'a[*]', value: 1}\n", "x", "select", "plain path"),
        ("  - {id: x, action: set, select: a}\n", "x", None, "exactly one of"),
        ("  - {id: x, action: set, select: a, expr: 'a[?'}\n", "x", "expr", "JMESPath"),
        ("  - {id: x, action: rename, select: a}\n", "x", "to", "needs 'to'"),
        ("  - {id: x, action: drop, select: a, when: 'a =='}\n", "x", "when", "JMESPath"),
        ("  - {id: x, action: mask_ip, mode: pseudonym}\n", "x", "key", ""),
        ("  - {id: x, action: mask_ip, mode: sideways}\n", "x", None, ""),
    ],
)
def test_bad_rule_is_refused_naming_rule_and_field(rules, rule, field, fragment):
    error = refusal(rules)
    assert error.rule == rule
    if field is not None:
        assert error.field == field
    assert fragment in error.message
    assert f"rule {rule!r}" in error.message


def test_unsupported_selector_message_suggests_a_path_form():
    error = refusal("  - {id: x, action: drop, select: '[a, b]'}\n")
    assert "select" in error.message.lower()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("version: 2\nname: x\nrules: []\n", "version"),
        ("version: 1\nrules: []\n", "name"),
        ("version: 1\nname: x\n", "rules"),
        ("version: 1\nname: x\nrules: []\nextra: 1\n", "unknown top-level"),
        ("version: 1\nname: x\nname: y\nrules: []\n", "duplicate key"),
        ("version: 1\nname: x\nrules: [\n", "not valid YAML"),
        ("version: 1\nname: x\nguard: [nope]\nrules: []\n", "nope"),
        ("version: 1\nname: x\nkeys: {k: abc}\nrules: []\n", "inline"),
        ("version: 1\nname: x\nkeys: {k: {env: MISSING_VAR}}\nrules: []\n", "MISSING_VAR"),
        ("version: 1\nname: x\nkeys: {k: {file: /nonexistent/k}}\nrules: []\n", "cannot read"),
        ("version: 1\nname: x\nkeys: {k: {env: SHORT}}\nrules: []\n", "must be 32"),
        ("version: 1\nname: x\nkeys: {k: {env: NOTB64}}\nrules: []\n", "base64"),
    ],
)
def test_bad_policy_top_level_is_refused(text, fragment):
    environ = {"SHORT": base64.b64encode(b"x" * 16).decode(), "NOTB64": "%%%not base64%%%"}
    with pytest.raises(PolicyError) as caught:
        policy_from_text(text, environ=environ)
    assert fragment in caught.value.message


def test_key_errors_never_show_key_material():
    short = base64.b64encode(b"secret-material!").decode()
    with pytest.raises(KeyLoadError) as caught:
        policy_from_text(
            "version: 1\nname: x\nkeys: {k: {env: K}}\nrules: []\n", environ={"K": short}
        )
    assert short not in str(caught.value) and short not in repr(caught.value)


def test_key_is_read_from_a_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(ENVIRON["KEY_A"] + "\n")
    path = tmp_path / "policy.yaml"
    path.write_text(f"version: 1\nname: x\nkeys: {{k: {{file: {key_file}}}}}\nrules: []\n")
    policy = load_policy(path)
    assert [k.name for k in policy.keys] == ["k"]
    assert "material" not in repr(policy.keys[0])


def test_missing_policy_file_names_the_path(tmp_path):
    with pytest.raises(PolicyError, match="no such file"):
        load_policy(tmp_path / "absent.yaml")


def test_a_valid_policy_with_every_action_loads():
    policy = make_policy(
        """\
  - {id: d, action: drop, select: CONTACTEMAIL}
  - {id: al, action: allow, select: [a, b, c, d, e, f, g], keys: '^vo_annotate\\.'}
  - {id: r, action: redact, select: b, with: '***'}
  - {id: s, action: set, select: c.d, value: {x: 1}}
  - {id: s2, action: set, select: e, expr: "a || 'none'"}
  - {id: rn, action: rename, select: a, to: f}
  - {id: t, action: truncate, max_length: 100}
  - {id: m1, action: mask_ip, mode: fixed}
  - {id: m2, action: mask_ip, mode: truncate, ipv4_prefix: 16, ipv6_prefix: 32}
  - {id: m3, action: mask_ip, mode: pseudonym, key: a}
  - {id: h, action: hash, select: f, key: a, length: 12, when: "message_type != 'INFO'"}
  - {id: tk, action: tokenize, select: g, key: b}
  - {id: sc, action: scrub}
  - {id: sc2, action: scrub, detectors: [email], pattern: ['ticket-\\d+'], label: '[T]'}
""",
        extra="guard: all\n",
    )
    assert [r.id for r in policy.rules][:3] == ["d", "al", "r"]
    assert len(policy.rules) == 14


def test_yaml_nested_too_deeply_to_read_is_a_policy_error():
    with pytest.raises(PolicyError) as caught:
        policy_from_text("[" * 5000 + "]" * 5000, environ={})
    assert "nested too deeply" in caught.value.message
