"""The `sanitizer` command line: check, apply, keygen, reveal, and --help for each."""

from __future__ import annotations

import base64
import json
import string
import subprocess
import sys

import pytest

from sanitizer.cli import build_parser, main
from tests.conftest import ENVIRON, FIXTURES

URL_SAFE = set(string.ascii_letters + string.digits + "-_")
POLICY = """\
version: 1
name: cli
keys:
  a: {env: KEY_A}
rules:
  - {id: drop-contact, action: drop, select: CONTACTEMAIL}
  - {id: token-host, action: tokenize, select: HOSTNAME, key: a}
  - {id: hide-ips, action: mask_ip, mode: fixed}
guard: [pem_private_key]
"""


@pytest.fixture
def policy_file(tmp_path, monkeypatch):
    for name, value in ENVIRON.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_check_prints_a_rule_summary(capsys, policy_file):
    code, out, _ = run(capsys, "check", str(policy_file))
    assert code == 0
    assert "policy 'cli': 3 rules, valid" in out
    assert "token-host" in out and "guard: pem_private_key" in out
    assert ENVIRON["KEY_A"] not in out


def test_check_counts_a_single_rule_in_the_singular(capsys, tmp_path):
    path = tmp_path / "one.yaml"
    path.write_text("version: 1\nname: one\nrules:\n  - {id: r, action: drop, select: a}\n")
    code, out, _ = run(capsys, "check", str(path))
    assert code == 0 and "policy 'one': 1 rule, valid" in out


def test_check_refuses_a_bad_policy_in_one_line(capsys, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nname: x\nrules:\n  - {id: r, action: explode}\n")
    code, out, err = run(capsys, "check", str(path))
    assert code == 2 and out == ""
    assert "rule 'r'" in err and "unknown action" in err and len(err.strip().splitlines()) == 1


def test_apply_prints_sanitized_json_and_audit(capsys, policy_file):
    alert = FIXTURES / "alerts" / "nagios-service-critical.json"
    code, out, err = run(capsys, "apply", str(policy_file), str(alert), "--audit")
    assert code == 0
    result = json.loads(out)
    assert "CONTACTEMAIL" not in result and result["HOSTNAME"].startswith("tok:")
    audit = [json.loads(line) for line in err.splitlines()]
    assert {"rule": "drop-contact", "action": "drop", "path": "CONTACTEMAIL", "count": 1} in audit


def test_apply_refusal_leaves_stdout_empty_and_exits_1(capsys, policy_file, tmp_path):
    alert = tmp_path / "alert.json"
    secret = "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu"
    pem = f"-----BEGIN RSA PRIVATE KEY-----\\n{secret}\\n-----END RSA PRIVATE KEY-----"
    alert.write_text('{"note": "' + pem + '"}')
    code, out, err = run(capsys, "apply", str(policy_file), str(alert))
    assert code == 1 and out == ""
    assert "guard" in err and secret not in err


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"a": 1, "a": 2}', "duplicate key"),
        (b'{"a": NaN}', "NaN"),
        (b'{"a": "\\udc00"}', "surrogate"),
        (b"[" * 70 + b"]" * 70, "deeper"),
        (b"{oops", "not valid JSON"),
    ],
)
def test_apply_refuses_bad_input_with_a_one_line_reason(
    capsys, policy_file, tmp_path, body, fragment
):
    alert = tmp_path / "alert.json"
    alert.write_bytes(body)
    code, out, err = run(capsys, "apply", str(policy_file), str(alert))
    assert code == 2 and out == ""
    assert fragment in err and len(err.strip().splitlines()) == 1


def test_apply_refuses_oversize_input(capsys, policy_file, tmp_path):
    alert = tmp_path / "alert.json"
    alert.write_bytes(b'{"a": "' + b"x" * 2000 + b'"}')
    code, out, err = run(capsys, "apply", str(policy_file), str(alert), "--max-bytes", "1000")
    assert code == 2 and out == "" and "larger than the limit" in err


def test_apply_reads_stdin_and_never_prints_a_traceback(policy_file, tmp_path):
    env = {"PATH": "/usr/bin:/bin", **ENVIRON}
    result = subprocess.run(
        [sys.executable, "-m", "sanitizer.cli", "apply", str(policy_file), "-"],
        input=b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        capture_output=True,
        env=env,
    )
    assert result.returncode == 2 and result.stdout == b""
    assert b"Traceback" not in result.stderr


def test_keygen_prints_a_32_byte_base64_key(capsys):
    code, out, _ = run(capsys, "keygen")
    assert code == 0 and len(base64.b64decode(out.strip(), validate=True)) == 32


def test_keygen_token_prints_a_url_safe_unpadded_base64url_token_of_32_bytes(capsys):
    tokens = set()
    for _ in range(20):
        code, out, _ = run(capsys, "keygen", "--token")
        token = out.strip()
        assert code == 0 and out == token + "\n"
        assert len(token) == 43 and set(token) <= URL_SAFE, token
        assert len(base64.urlsafe_b64decode(token + "=")) == 32
        tokens.add(token)
    assert len(tokens) == 20


def test_reveal_turns_a_token_back(capsys, policy_file, tmp_path):
    alert = tmp_path / "alert.json"
    alert.write_text('{"HOSTNAME": "db-prod-07"}')
    _, out, _ = run(capsys, "apply", str(policy_file), str(alert))
    token = json.loads(out)["HOSTNAME"]
    code, out, _ = run(capsys, "reveal", str(policy_file), token)
    assert code == 0 and out.strip() == "db-prod-07"
    code, out, err = run(capsys, "reveal", str(policy_file), token[:-3] + "xyz")
    assert code == 2 and out == "" and "not a token" in err


def test_every_command_has_help_with_an_example():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"check", "apply", "keygen", "reveal", "serve", "demo", "spool", "send"} <= set(commands)
    for name, sub in commands.items():
        text = sub.format_help()
        assert "example:" in text and "sanitizer " in text, name


def test_test_command_runs_policy_test_files_and_fails_on_a_failure(capsys, tmp_path):
    (tmp_path / "policy.yaml").write_text(
        "version: 1\nname: t\nrules:\n  - {id: d, action: drop, select: secret}\n"
    )
    (tmp_path / "policy.tests.yaml").write_text(
        "policy: policy.yaml\ncases:\n"
        "  - name: drops-secret\n    input: {secret: x, keep: 1}\n    output: {keep: 1}\n"
        "  - name: wrong-on-purpose\n    input: {secret: x}\n    output: {secret: x}\n"
    )
    code, out, _ = run(capsys, "test", str(tmp_path / "policy.tests.yaml"))
    assert code == 1
    assert out.strip().splitlines()[-1] == "1 passed, 1 failed"


def test_check_with_upstream_warns_when_an_allow_loses_a_required_field(capsys, tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(
        "version: 1\nname: t\nrules:\n  - {id: keep, action: allow, select: [entity_id]}\n"
    )
    code, out, _ = run(capsys, "check", str(path), "--upstream", "victorops")
    assert code == 0 and "warning:" in out and "message_type" in out


# ------------------------------------------------------------- check: selects that never match

NEVER = """\
version: 1
name: never
rules:
  - {id: only-safe, action: allow, select: [a, b]}
  - {id: scrub-x, action: scrub, select: c.d}
  - {id: hash-b, action: hash, select: [a, b.z], key: k}
  - {id: info, action: set, select: t, value: INFO, when: "b.w"}
keys:
  k: {env: KEY_A}
"""


@pytest.fixture
def never_policy(tmp_path, monkeypatch):
    for name, value in ENVIRON.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "rules" / "tests").mkdir(parents=True)
    path = tmp_path / "rules" / "never.yaml"
    path.write_text(NEVER)
    return path


def test_check_warns_about_a_select_under_a_field_an_earlier_allow_removed(capsys, never_policy):
    code, out, _ = run(capsys, "check", str(never_policy))
    assert code == 0
    assert (
        "warning: rule 'scrub-x' select 'c.d': never matches: field 'c' was removed by rule "
        "'only-safe' (allow)"
    ) in out.splitlines()
    code, out, err = run(capsys, "check", str(never_policy), "--strict")
    assert code == 1 and "--strict" in err and len(err.strip().splitlines()) == 1


def test_check_runs_the_policys_own_tests_and_warns_about_what_they_never_reach(
    capsys, never_policy
):
    tests = never_policy.parent / "tests"
    (tests / "never.yaml").write_text(
        "policy: ../never.yaml\ncases:\n"
        "  - {name: one, input: {a: CANARYQWERTY, b: {y: 1}, c: {d: CANARYQWERTY}}, "
        "absent: [c]}\n"
    )
    (tests / "other.yaml").write_text("policy: ../elsewhere.yaml\ncases: []\n")
    code, out, _ = run(capsys, "check", str(never_policy))
    assert code == 0
    lines = out.splitlines()
    assert f"  tests: 1 case in {tests / 'never.yaml'}" in lines
    warnings = [line for line in lines if line.startswith("warning:")]
    assert warnings == [
        "warning: rule 'scrub-x' select 'c.d': never matches: field 'c' was removed by rule "
        "'only-safe' (allow)",
        "warning: rule 'hash-b' select 'b.z': never matches anything in the policy's tests "
        "(1 cases)",
        "warning: rule 'info': never ran: its when was never true in the policy's tests (1 cases)",
    ]
    assert "CANARY" not in out


def test_check_tests_option_names_the_test_files_and_refuses_ones_for_another_policy(
    capsys, never_policy, tmp_path
):
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(
        "policy: rules/never.yaml\ncases:\n  - {name: b, input: {a: info, b: {z: 1, w: 1}}, "
        "present: [t]}\n"
    )
    code, out, _ = run(capsys, "check", str(never_policy), "--tests", str(elsewhere))
    assert code == 0
    assert [line for line in out.splitlines() if line.startswith("warning:")] == [
        "warning: rule 'scrub-x' select 'c.d': never matches: field 'c' was removed by rule "
        "'only-safe' (allow)"
    ]
    (tmp_path / "wrong.yaml").write_text(
        "policy: rules/other.yaml\ncases:\n  - {name: b, input: {}, present: [t]}\n"
    )
    (tmp_path / "rules" / "other.yaml").write_text("version: 1\nname: o\nrules: []\n")
    code, out, err = run(
        capsys, "check", str(never_policy), "--tests", str(tmp_path / "wrong.yaml")
    )
    assert code == 2 and "--tests" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "check", str(never_policy), "--tests", str(tmp_path / "none"))
    assert code == 2 and "no such file" in err


def test_check_on_the_victorops_example_with_a_projection_warns(capsys, tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(
        "version: 1\nname: t\nrules:\n"
        '  - {id: keep, action: allow, select: [entity_id, "alerts[*].status"]}\n'
    )
    code, out, _ = run(capsys, "check", str(path), "--upstream", "victorops", "--strict")
    assert code == 1
    assert "warning: rule 'keep' (allow) never keeps 'message_type'" in out


# ------------------------------------------------------------------ apply --upstream


def test_apply_with_upstream_runs_the_contract_after_the_policy(capsys, policy_file, tmp_path):
    alert = tmp_path / "alert.json"
    alert.write_text('{"message_type": "CRITICAL", "state_message": {"nested": "CANARYVALUE"}}')
    code, out, err = run(capsys, "apply", str(policy_file), str(alert), "--upstream", "victorops")
    assert code == 1 and out == ""
    assert "contract:victorops:state_message:type" not in out
    assert "state_message" in err and "CANARYVALUE" not in err
    assert len(err.strip().splitlines()) == 1
    alert.write_text('{"message_type": "CRITICAL", "state_message": "' + "s" * 30000 + '"}')
    code, out, err = run(capsys, "apply", str(policy_file), str(alert), "--upstream", "victorops")
    assert code == 0 and len(json.loads(out)["state_message"]) == 20480
    code, out, _ = run(capsys, "apply", str(policy_file), str(alert))
    assert code == 0 and len(json.loads(out)["state_message"]) == 30000


def test_apply_with_upstream_refuses_a_missing_required_field(capsys, policy_file, tmp_path):
    alert = tmp_path / "alert.json"
    alert.write_text('{"HOSTNAME": "db-1"}')
    code, out, err = run(capsys, "apply", str(policy_file), str(alert), "--upstream", "bigpanda")
    assert code == 1 and out == "" and "status" in err and "db-1" not in err


# ---------------------------------------------------------------------- test --strict


def test_test_command_lists_what_was_not_exercised_and_strict_fails_on_it(capsys, tmp_path):
    (tmp_path / "policy.yaml").write_text(
        "version: 1\nname: t\nrules:\n  - {id: d, action: drop, select: [secret, other]}\n"
    )
    (tmp_path / "policy.tests.yaml").write_text(
        "policy: policy.yaml\ncases:\n"
        "  - name: drops-secret\n    input: {secret: x, keep: 1}\n    output: {keep: 1}\n"
    )
    code, out, _ = run(capsys, "test", str(tmp_path / "policy.tests.yaml"))
    lines = out.strip().splitlines()
    assert code == 0 and lines[-1] == "1 passed, 0 failed"
    assert "  rule 'd' select 'other': never matched" in lines
    code, out, _ = run(capsys, "test", str(tmp_path / "policy.tests.yaml"), "--strict")
    assert code == 1 and out.strip().splitlines()[-1] == "1 passed, 0 failed, 1 not exercised"
