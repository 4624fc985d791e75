"""The `sanitizer` command line: check, apply, keygen, reveal, and --help for each."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest

from sanitizer.cli import build_parser, main
from tests.conftest import ENVIRON, FIXTURES

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
