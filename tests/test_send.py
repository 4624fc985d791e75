"""`sanitizer send --nagios-env`: what a Nagios notification command runs."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

import pytest

from tests.capture import wait_for_captured
from tests.proxyproc import INBOUND_TOKEN, ROOT, environment, free_port, start_proxy

NAGIOS_ENV = {
    "NAGIOS_NOTIFICATIONTYPE": "PROBLEM",
    "NAGIOS_HOSTNAME": "web-01",
    "NAGIOS_HOSTADDRESS": "192.0.2.10",
    "NAGIOS_SERVICEDESC": "HTTP",
    "NAGIOS_SERVICESTATE": "CRITICAL",
    "NAGIOS_SERVICEOUTPUT": "CRITICAL - Socket timeout connecting to 192.0.2.10:443",
    "NAGIOS_CONTACTEMAIL": "oncall@example.com",
}


def run_send(url: str, *extra: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`sanitizer send`, with an outbox of its own unless `env` names one."""
    env = {"SANITIZER_OUTBOX": tempfile.mkdtemp(prefix="outbox-"), **env}
    return subprocess.run(
        [sys.executable, "-m", "sanitizer.cli", "send", "--nagios-env", url, *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )


@pytest.fixture(scope="module")
def capture_proxy(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("send-proxy")
    config = f"""\
spool: {{path: spool}}
routes:
  nagios:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: {ROOT / "rules/nagios.yaml"}
    upstream: {{type: capture, path: {workdir / "captured.jsonl"}}}
"""
    proxy = start_proxy(workdir, config)
    yield proxy, workdir
    proxy.stop()


def test_macros_from_the_environment_arrive_sanitized(capture_proxy, tmp_path):
    proxy, workdir = capture_proxy
    token_file = tmp_path / "token"
    token_file.write_text(INBOUND_TOKEN + "\n")
    result = run_send(
        f"{proxy.url}/v1/alerts/nagios",
        "--token-file",
        str(token_file),
        env=environment(**NAGIOS_ENV),
    )
    assert result.returncode == 0, result.stderr
    alert = wait_for_captured(workdir / "captured.jsonl", result.stdout.split()[-1])

    assert alert["entity_display_name"].startswith("web-01") and alert["message_type"] == "CRITICAL"
    assert "oncall@example.com" not in json.dumps(alert)
    assert "192.0.2.10" not in json.dumps(alert)


def test_token_can_come_from_the_environment(capture_proxy):
    proxy, _ = capture_proxy
    result = run_send(
        f"{proxy.url}/v1/alerts/nagios",
        env=environment(SANITIZER_TOKEN=INBOUND_TOKEN, **NAGIOS_ENV),
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("env_extra", "args", "fragment"),
    [
        ({}, (), "no token"),
        ({"SANITIZER_TOKEN": "wrong-token-wrong-token"}, (), "401"),
        ({}, ("--token-file", "/nonexistent"), "cannot read the token file"),
    ],
)
def test_failures_exit_1_with_one_line(capture_proxy, env_extra, args, fragment):
    proxy, _ = capture_proxy
    env = environment(**{**NAGIOS_ENV, **env_extra})
    result = run_send(f"{proxy.url}/v1/alerts/nagios", *args, env=env)
    assert result.returncode == 1
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert INBOUND_TOKEN not in result.stderr


def test_unreachable_proxy_queues_the_alert_locally_and_exits_0(tmp_path):
    result = run_send(
        f"http://127.0.0.1:{free_port()}/v1/alerts/nagios",
        env=environment(
            SANITIZER_TOKEN=INBOUND_TOKEN, SANITIZER_OUTBOX=str(tmp_path), **NAGIOS_ENV
        ),
    )
    assert result.returncode == 0, result.stderr
    assert "cannot reach the proxy" in result.stderr and "queued locally" in result.stderr
    assert len(list((tmp_path / "queue").iterdir())) == 1


def test_no_nagios_macros_is_an_error():
    env = {
        k: v
        for k, v in environment(SANITIZER_TOKEN=INBOUND_TOKEN).items()
        if not k.startswith("NAGIOS_")
    }
    result = run_send("http://127.0.0.1:9/v1/alerts/nagios", env=env)
    assert result.returncode == 1 and "enable_environment_macros" in result.stderr
