"""What a running proxy logs when it refuses a credential or cannot start, as real processes."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import subprocess
import sys
from pathlib import Path

import httpx

from tests.proxyproc import ROOT, environment, free_port, start_proxy
from tests.standin import StandIn

REFUSED = "inbound credential refused"


def config(standin_url: str) -> str:
    return f"""\
spool: {{path: spool, max_bytes: 2000000}}
routes:
  nagios:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: {ROOT / "rules/nagios.yaml"}
    upstream: {{type: victorops, url: '{standin_url}/integrations/generic/20131114/alert',
      api_key: {{env: VICTOROPS_API_KEY}}, routing_key: ops, transport: default}}
  other:
    credentials: [{{env: OTHER_TOKEN}}]
    policy: {ROOT / "rules/nagios.yaml"}
    upstream: {{type: victorops, url: '{standin_url}/integrations/generic/20131114/alert',
      api_key: {{env: VICTOROPS_API_KEY}}, routing_key: ops, transport: default}}
"""


def forms_of(credential: str) -> list[str]:
    """The credential and what could stand for it in a log: digests and a prefix."""
    digest = hashlib.sha256(credential.encode()).digest()
    return [
        credential,
        credential[:10],
        digest.hex(),
        digest.hex()[:12],
        base64.b64encode(digest).decode()[:16],
        base64.urlsafe_b64encode(digest).decode()[:16],
    ]


def test_a_refused_credential_is_logged_with_the_route_it_tried_and_nothing_of_it(
    tmp_path: Path, standin: StandIn
):
    other = "other-route-token-" + secrets.token_hex(8)
    canary = "CANARY-cred-" + secrets.token_hex(12)
    proxy = start_proxy(tmp_path, config(standin.url), env=environment(OTHER_TOKEN=other))
    try:
        alert = json.dumps({"message_type": "INFO", "HOSTNAME": "h"})
        bearer = {"content-type": "application/json", "authorization": f"Bearer {canary}"}
        answers = {
            "wrong": proxy.post("nagios", alert, authorization=f"Bearer {canary}"),
            "missing": proxy.post("nagios", alert, authorization=""),
            "other": proxy.post("nagios", alert, authorization=f"Bearer {other}"),
            "victorops": httpx.post(
                f"{proxy.url}/integrations/generic/20131114/alert/{canary}/ops",
                content=alert,
                headers={"content-type": "application/json"},
            ),
            "bigpanda": httpx.post(f"{proxy.url}/data/v2/alerts", content=alert, headers=bearer),
            "pagerduty": httpx.post(
                f"{proxy.url}/v2/enqueue",
                json={"routing_key": canary, "event_action": "trigger"},
            ),
        }
        statuses = {name: answer.status_code for name, answer in answers.items()}
        assert statuses == {
            "wrong": 401,
            "missing": 401,
            "other": 401,
            "victorops": 401,
            "bigpanda": 401,
            "pagerduty": 400,
        }
        lines = [json.loads(line) for line in proxy.log().splitlines() if REFUSED in line]
        seen = [(line["route"], line["reason"], line["path"]) for line in lines]
        assert seen == [
            ("nagios", "unknown", "/v1/alerts/{route}"),
            ("nagios", "missing", "/v1/alerts/{route}"),
            ("nagios", "other_route", "/v1/alerts/{route}"),
            ("-", "unknown", "/integrations/generic/20131114/alert/{key}/{routing_key}"),
            ("-", "unknown", "/data/v2/alerts"),
            ("-", "unknown", "/v2/enqueue"),
        ]
        assert all(line["level"] == "warning" for line in lines)
        log = proxy.log()
        for credential in (canary, other):
            for form in forms_of(credential):
                assert form not in log, f"{form!r} of a credential reached the log"
    finally:
        proxy.stop()


def serve_beside(tmp_path: Path, *program: str) -> subprocess.CompletedProcess[str]:
    """`serve` of the config in `tmp_path` (whose spool a proxy already owns) on another
    port, run to its end; `program` is how Python starts the command line."""
    config_file, port = str(tmp_path / "config.yaml"), str(free_port())
    return subprocess.run(
        [sys.executable, *program, "serve", "--config", config_file, "--port", port],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=environment(OTHER_TOKEN="o" * 24),
        timeout=60,
        check=False,
    )


def test_a_second_proxy_on_an_owned_spool_fails_in_one_line_before_any_ready(
    tmp_path: Path, standin: StandIn
):
    first = start_proxy(tmp_path, config(standin.url), env=environment(OTHER_TOKEN="o" * 24))
    try:
        second = serve_beside(tmp_path, "-m", "sanitizer.cli")
        assert second.returncode == 2
        assert second.stdout == ""
        assert second.stderr.splitlines() == [
            f"sanitizer: another running proxy owns the spool directory {tmp_path / 'spool'}; "
            "stop it, or give each proxy its own spool path (spool.path, or "
            "SANITIZER_SPOOL_PATH)"
        ]
        assert "ready" not in second.stderr
        assert httpx.get(f"{first.url}/readyz", timeout=5).status_code == 200
    finally:
        first.stop()


# The serve command with its early ownership check skipped: what a proxy that loses a race
# (two started at the same moment, both past the check) goes through.
_SERVE_PAST_THE_CHECK = """
import sys
from sanitizer.proxy.spool import ownership
ownership.check_unowned = lambda directory: None
from sanitizer.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_proxy_that_loses_the_race_for_a_spool_stops_in_one_line_before_any_ready(
    tmp_path: Path, standin: StandIn
):
    first = start_proxy(tmp_path, config(standin.url), env=environment(OTHER_TOKEN="o" * 24))
    try:
        second = serve_beside(tmp_path, "-c", _SERVE_PAST_THE_CHECK)
        assert second.returncode == 2
        lines = [json.loads(line) for line in second.stderr.splitlines()]
        assert [line["outcome"] for line in lines] == ["spool_owned"]
        assert lines[0]["msg"].startswith("another running proxy owns the spool directory")
        assert "Traceback" not in second.stderr
        assert httpx.get(f"{first.url}/readyz", timeout=5).status_code == 200
    finally:
        first.stop()
