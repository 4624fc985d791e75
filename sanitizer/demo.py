"""`sanitizer demo`: start the bundled default, post sample alerts, show before and after.

Runs the real proxy as a child process on a free loopback port with a throw-away state
directory, posts one realistic alert per shipped sender policy, and prints each alert as
sent, as it reached the (capture) upstream, and the audit of what changed. A body the
route's policy splits (an Alertmanager group) is answered with one id per alert, and each
alert is shown. Then stops it.
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
    (
        "alertmanager",
        "Alertmanager webhook group of two alerts, one incident each (one already resolved)",
        {
            "version": "4",
            "groupKey": '{}:{alertname="KubePodCrashLooping"}',
            "truncatedAlerts": 0,
            "status": "firing",
            "receiver": "payments-victorops",
            "groupLabels": {"alertname": "KubePodCrashLooping"},
            "commonLabels": {"alertname": "KubePodCrashLooping", "namespace": "payments"},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager-0.monitoring.svc.cluster.local:9093",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {
                        "alertname": "KubePodCrashLooping",
                        "instance": "10.42.7.19:8080",
                        "namespace": "payments",
                        "pod": "payments-api-7d9c5b-x2x8q",
                        "severity": "critical",
                        "owner_email": "payments-oncall@example.com",
                    },
                    "annotations": {
                        "summary": "payments-api is crash looping",
                        "description": "FATAL connecting to postgres://payments:Pa55word@"
                        "10.42.0.5:5432/payments",
                        "runbook_url": "https://runbooks.example.com/KubePodCrashLooping",
                    },
                    "startsAt": "2026-11-24T05:02:11.512Z",
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus-0.monitoring.svc:9090/graph?g0.expr=up",
                    "fingerprint": "a3c9f0b41d2e7c58",
                },
                {
                    "status": "resolved",
                    "labels": {
                        "alertname": "KubePodCrashLooping",
                        "instance": "10.42.7.23:8080",
                        "namespace": "payments",
                        "pod": "payments-api-7d9c5b-q8w2e",
                        "severity": "warning",
                    },
                    "annotations": {"summary": "payments-api is crash looping"},
                    "startsAt": "2026-11-24T05:02:11.512Z",
                    "endsAt": "2026-11-24T05:21:41.512Z",
                    "generatorURL": "http://prometheus-0.monitoring.svc:9090/graph?g0.expr=up",
                    "fingerprint": "5e81d2c7a09b4f36",
                },
            ],
        },
    ),
    (
        "pagerduty",
        "PagerDuty Events v2 trigger (as senders post it to /v2/enqueue), secrets in details",
        {
            "routing_key": "R0UT1NGKEYF4KE0000000000000000AB",
            "event_action": "trigger",
            "dedup_key": "checkout-latency/api-gw-3.prod.corp.internal",
            "payload": {
                "summary": "Checkout p99 4.2s on api-gw-3.prod.corp.internal (10.60.1.33)",
                "source": "api-gw-3.prod.corp.internal",
                "severity": "warning",
                "custom_details": {
                    "p99_ms": 4210,
                    "upstream": "http://svc-user:s3cr3t@10.60.2.15:8443/v1/charge",
                    "on_call_email": "sre-oncall@example.com",
                },
            },
            "images": [{"src": "https://grafana.corp.internal/render/checkout.png"}],
            "client": "checkout-monitor",
            "client_url": "https://checkout-monitor.corp.internal/alerts/991",
        },
    ),
    (
        "zabbix",
        "Zabbix 6.0 VictorOps media type problem, CRLF text and the frontend's event link",
        {
            "entity_display_name": "Problem: MySQL: Failed to fetch info data on db-billing-02",
            "entity_id": "48213",
            "hostname": "db-billing-02.corp.internal",
            "monitoring_tool": "Zabbix",
            "operational_data": "Current value: 0",
            "severity": "High",
            "state_message": "Problem started at 05:12:44 on 2026.11.24\r\nHost: "
            "db-billing-02.corp.internal\r\nOriginal problem ID: 48213\r\n"
            "mysql://zbx_monitor:Zbx!Mysql2026@10.20.40.12:3306/",
            "trigger_description": "Escalate to dba-oncall@example.com or +44 20 7946 0958",
            "message_type": "WARNING",
            "event_info": "https://zabbix.corp.internal/zabbix/tr_events.php?triggerid=23870"
            "&eventid=48213",
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


def _queued_ids(answer: Any) -> list[str]:
    """The ids a 202 names: `{"id": ...}` for one alert, `{"ids": [...]}` for a split body."""
    if isinstance(answer, dict) and isinstance(answer.get("ids"), list):
        return [str(alert_id) for alert_id in answer["ids"]]
    return [str(answer["id"])]


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
                ids = _queued_ids(response.json())
                for number, alert_id in enumerate(ids, 1):
                    title = "delivered upstream"
                    if len(ids) > 1:
                        title += f" (alert {number} of {len(ids)})"
                    _show(title, _captured(state_dir / "captured.jsonl", alert_id))
                policy = load_policy(
                    rules_dir() / ROUTE_POLICIES[route],
                    environ={**os.environ, "SANITIZER_KEY_PSEUDONYM": key},
                )
                results = policy.apply_all(alert)
                for number, result in enumerate(results, 1):
                    heading = "  audit (rule, action, where, changes)"
                    if len(results) > 1:
                        heading += f" of alert {number} of {len(results)}"
                    print(f"{heading}:")
                    for entry in result.audit:
                        print(
                            f"    {entry.rule:<24} {entry.action:<9} {entry.path:<24} {entry.count}"
                        )
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
