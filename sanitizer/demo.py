"""`sanitizer demo`: start the bundled default, post sample alerts, show before and after.

Runs the real proxy as a child process on a free loopback port with a throw-away state
directory, posts one realistic alert per shipped sender policy, and prints each alert as
sent, as it reached the (capture) upstream, and the audit of what changed. Then stops it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from sanitizer.loader import load_policy
from sanitizer.proxy.defaults import ROUTE_POLICIES, rules_dir
from sanitizer.proxy.upstreams.capture import captured_alert

_DELIVERY_WAIT = 10.0  # seconds

SAMPLES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "nagios",
        "Nagios service problem, as a notification command sends it",
        {
            "NOTIFICATIONTYPE": "PROBLEM",
            "HOSTNAME": "db-prod-07",
            "HOSTADDRESS": "10.20.30.40",
            "HOSTSTATE": "UP",
            "SERVICEDESC": "PostgreSQL connections",
            "SERVICESTATE": "CRITICAL",
            "SERVICEOUTPUT": "CRITICAL - 498 of 500 connections; top client 10.20.31.7 "
            "(owner dba@example.com)",
            "SERVICECHECKCOMMAND": "check_pgsql!/etc/nagios/pg-secrets.cfg",
            "CONTACTEMAIL": "dba-oncall@example.com",
            "CONTACTPAGER": "+44 20 7946 0958",
            "TIMET": 1795500764,
            "org_key": "3f9a1c7e-forwarder-org-key",
        },
    ),
    (
        "victorops",
        "VictorOps REST body from a Flux task, with a token pasted into the message",
        {
            "message_type": "CRITICAL",
            "entity_id": "disk/web-03",
            "entity_display_name": "Disk full on web-03 (192.0.2.33)",
            "state_message": "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIx"
            "In0.c2lnbmF0dXJl' https://admin:hunter2@web-03.example.com/health",
            "monitoring_tool": "flux",
            "vo_annotate.u.Runbook": "https://wiki.example.com/runbooks/disk",
            "inventory": {"owner": "jane.doe@example.com", "rack": "B4"},
        },
    ),
    (
        "logzio",
        "Logz.io alert whose event samples carry raw log lines",
        {
            "alert_title": "Login failures spiking",
            "alert_description": "More than 50 failed logins from 203.0.113.9 in 5 minutes",
            "alert_severity": "HIGH",
            "alert_id": 4711,
            "alert_event_samples": '[{"user": "jane.doe@example.com", "src": '
            '"203.0.113.9", "password": "Winter2026!"}]',
        },
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("sanitizer demo: the proxy did not start; run `sanitizer serve`")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("sanitizer demo: the proxy did not become ready within 30 s")


def _captured(path: Path, alert_id: str) -> Any:
    """The alert the capture upstream wrote for `alert_id`, waiting up to `_DELIVERY_WAIT` s."""
    deadline = time.monotonic() + _DELIVERY_WAIT
    while (alert := captured_alert(path, alert_id)) is None:
        if time.monotonic() >= deadline:
            raise SystemExit(
                "sanitizer demo: the alert was queued but not delivered within "
                f"{_DELIVERY_WAIT:g} s"
            )
        time.sleep(0.02)
    return alert


def _show(title: str, value: Any) -> None:
    print(f"  {title}:")
    for line in json.dumps(value, indent=2, ensure_ascii=False).splitlines():
        print(f"    {line}")


def run_demo() -> int:
    with tempfile.TemporaryDirectory(prefix="sanitizer-demo-") as state:
        state_dir = Path(state)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "SANITIZER_STATE_DIR": state}
        log = open(state_dir / "proxy.log", "wb")
        # -P: the proxy runs this same installed copy, never a sanitizer/ in the current folder.
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-P", "-m", "sanitizer.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            _wait_ready(url, process)
            print(f"Alert Sanitizer demo: proxy on {url}, bundled policies from {rules_dir()}\n")
            key = (state_dir / "pseudonym.key").read_text().strip()
            for route, title, alert in SAMPLES:
                token = (state_dir / "tokens" / route).read_text().strip()
                response = httpx.post(
                    f"{url}/v1/alerts/{route}",
                    json=alert,
                    headers={"authorization": f"Bearer {token}"},
                    timeout=10,
                )
                print(f"== {title}")
                print(f"  POST /v1/alerts/{route} -> {response.status_code} {response.text}")
                _show("sent", alert)
                if response.status_code != 202:
                    continue
                _show(
                    "delivered upstream",
                    _captured(state_dir / "captured.jsonl", response.json()["id"]),
                )
                policy = load_policy(
                    rules_dir() / ROUTE_POLICIES[route],
                    environ={**os.environ, "SANITIZER_KEY_PSEUDONYM": key},
                )
                print("  audit (rule, action, where, changes):")
                for entry in policy.apply(alert).audit:
                    print(f"    {entry.rule:<24} {entry.action:<9} {entry.path:<24} {entry.count}")
                print()
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()
    print("demo finished: the proxy drained and stopped.")
    return 0
