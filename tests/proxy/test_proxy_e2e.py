"""The proxy as a real process, against a real upstream stand-in, both on 127.0.0.1."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.proxyproc import (
    INBOUND_TOKEN,
    ROOT,
    VICTOROPS_KEY,
    environment,
    start_proxy,
)

NAGIOS = (ROOT / "tests/fixtures/alerts/nagios-service-critical.json").read_bytes()
GUARDED_POLICY = """\
version: 1
name: guarded
rules:
  - {id: drop-contact, action: drop, select: CONTACTEMAIL}
guard: [email]
"""


def config(standin_url: str, policy: str, *, upstream: str | None = None, extra: str = "") -> str:
    upstream = upstream or (
        "{type: victorops, url: '" + standin_url + "/integrations/generic/20131114/alert', "
        "api_key: {env: VICTOROPS_API_KEY}, routing_key: ops, transport: default}"
    )
    return f"""\
spool: {{path: spool, max_bytes: 200000}}
limits: {{max_body_bytes: 20000, max_depth: 16, read_timeout: 2}}
delivery: {{workers: 4, backoff_base: 0.05, backoff_cap: 0.3, max_age: 3600}}
routes:
  nagios:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: {policy}
    upstream: {upstream}
{extra}"""


def spool_command(action: str, spool: Path) -> subprocess.CompletedProcess[str]:
    """Run `sanitizer spool ACTION --spool DIR` as an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "sanitizer.cli", "spool", action, "--spool", str(spool)],
        capture_output=True,
        text=True,
        env=environment(),
        check=True,
    )


@pytest.fixture
def proxy(tmp_path, standin):
    running = start_proxy(tmp_path, config(standin.url, str(ROOT / "rules/nagios.yaml")))
    yield running
    running.stop()


def test_alert_posted_to_the_victorops_url_shape_arrives_sanitized_with_the_real_key(
    proxy, standin
):
    response = httpx.post(
        f"{proxy.url}/integrations/generic/20131114/alert/{INBOUND_TOKEN}/database",
        content=NAGIOS,
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    alert_id = response.json()["id"]
    [request] = standin.wait_for(1)
    assert request["path"] == f"/integrations/generic/20131114/alert/{VICTOROPS_KEY}/database"
    body = json.loads(request["body"])
    assert body["message_type"] == "CRITICAL"
    text = request["body"]
    for raw in ["dba-oncall@example.com", "10.20.30.40", "AKIAIOSFODNN7EXAMPLE", "S3cretPass"]:
        assert raw not in text
    assert alert_id in proxy.log()
    assert INBOUND_TOKEN not in proxy.log() and VICTOROPS_KEY not in proxy.log()


def test_bearer_route_uses_the_configured_routing_key(proxy, standin):
    assert proxy.post("nagios", NAGIOS).status_code == 202
    [request] = standin.wait_for(1)
    assert request["path"].endswith(f"/{VICTOROPS_KEY}/ops")


@pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        ({"authorization": ""}, NAGIOS, 401, "unauthorized"),
        ({"authorization": "Bearer wrong-token-wrong-token"}, NAGIOS, 401, "unauthorized"),
        ({"authorization": f"Basic {INBOUND_TOKEN}"}, NAGIOS, 401, "unauthorized"),
        ({"content-type": "text/plain"}, NAGIOS, 415, "unsupported_media_type"),
        (
            {"content-type": "application/json; charset=latin-1"},
            NAGIOS,
            415,
            "unsupported_media_type",
        ),
        ({}, b"{not json", 400, "bad_request"),
        ({}, b"", 400, "bad_request"),
        ({}, b"[1, 2]", 400, "bad_request"),
        ({}, b'{"a": 1, "a": 2}', 400, "bad_request"),
        ({}, b'{"a": NaN}', 400, "bad_request"),
        ({}, b'{"a": "\xff"}', 400, "bad_request"),
        ({}, b'{"a": "\\ud800"}', 400, "bad_request"),
        ({}, b"[" * 17 + b"]" * 17, 400, "bad_request"),
        ({}, b'{"a": ' + b"1" * 5000 + b"}", 400, "bad_request"),
        ({}, b'{"a": "' + b"x" * 30000 + b'"}', 413, "body_too_large"),
    ],
)
def test_bad_requests_get_a_precise_status_and_nothing_is_queued(
    proxy, standin, headers, body, status, code
):
    response = proxy.post("nagios", body, **headers)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert proxy.metric("sanitizer_alerts_queued_total") == 0
    time.sleep(0.1)
    assert standin.requests() == []


def test_unknown_route_and_unknown_credential(proxy):
    assert proxy.post("nope", NAGIOS).status_code == 404
    response = httpx.post(
        f"{proxy.url}/integrations/generic/20131114/alert/not-a-credential/ops",
        content=NAGIOS,
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    assert httpx.get(f"{proxy.url}/v1/alerts/nagios", timeout=5).status_code == 405


def test_slow_body_times_out_with_408(proxy):
    def slow():
        yield b'{"a": '
        time.sleep(3)
        yield b"1}"

    response = httpx.post(
        f"{proxy.url}/v1/alerts/nagios",
        content=slow(),
        headers={"content-type": "application/json", "authorization": f"Bearer {INBOUND_TOKEN}"},
        timeout=10,
    )
    assert response.status_code == 408


def test_policy_refusal_is_422_naming_the_rule_and_a_notice_goes_upstream(tmp_path, standin):
    (tmp_path / "guarded.yaml").write_text(GUARDED_POLICY)
    running = start_proxy(
        tmp_path,
        config(
            standin.url,
            "guarded.yaml",
            upstream="{type: webhook, url: '" + standin.url + "/hook', transport: default}",
        ).replace(
            "    policy: guarded.yaml\n", "    policy: guarded.yaml\n    on_refusal: notify\n"
        ),
    )
    try:
        response = running.post("nagios", json.dumps({"note": "mail secret.person@example.com"}))
        assert response.status_code == 422
        assert response.json() == {
            "error": "guard_hit",
            "rule": "guard",
            "message": response.json()["message"],
        }
        assert "secret.person" not in response.text
        [notice] = standin.wait_for(1)
        assert "secret.person" not in notice["body"]
        assert json.loads(notice["body"])["entity_id"] == "alert-sanitizer/refused/nagios/guard"
        assert running.metric("sanitizer_rule_refusals_total", rule="guard") == 1
        assert "secret.person" not in running.log()
    finally:
        running.stop()


def test_upstream_errors_are_retried_until_delivered(proxy, standin):
    standin.set_mode("fail500", count=2)
    assert proxy.post("nagios", NAGIOS).status_code == 202
    requests = standin.wait_for(3, timeout=10)
    assert len(requests) == 3
    deadline = time.monotonic() + 5
    while proxy.metric("sanitizer_alerts_delivered_total") < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proxy.metric("sanitizer_delivery_retries_total") == 2
    assert proxy.metric("sanitizer_alerts_delivered_total") == 1


def test_a_final_4xx_goes_to_dead_letters_and_spool_retry_resends_it(proxy, standin, tmp_path):
    standin.set_mode("404", count=1)
    assert proxy.post("nagios", NAGIOS).status_code == 202
    standin.wait_for(1)
    deadline = time.monotonic() + 5
    while proxy.metric("sanitizer_dead_letters") < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proxy.metric("sanitizer_alerts_dead_lettered_total") == 1
    listed = spool_command("list", tmp_path / "spool")
    assert "1 dead letters" in listed.stdout and "dba-oncall" not in listed.stdout
    retried = spool_command("retry", tmp_path / "spool")
    assert "1 dead letter(s) queued again" in retried.stdout
    standin.wait_for(2, timeout=10)


def test_alerts_queued_while_upstream_is_down_survive_a_restart(tmp_path, standin):
    text = config(standin.url, str(ROOT / "rules/nagios.yaml"))
    first = start_proxy(tmp_path, text)
    standin.set_mode("fail503")
    ids = [first.post("nagios", NAGIOS).json()["id"] for _ in range(5)]
    assert first.stop() == 0
    standin.clear()
    second = start_proxy(tmp_path, text)
    try:
        standin.wait_for(5, timeout=15)
        deadline = time.monotonic() + 5
        while second.metric("sanitizer_spool_depth") > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert second.metric("sanitizer_spool_depth") == 0
        assert len(ids) == 5
    finally:
        second.stop()


def test_sighup_with_a_bad_policy_keeps_the_old_one_serving(tmp_path, standin):
    policy = tmp_path / "policy.yaml"
    policy.write_text(GUARDED_POLICY)
    running = start_proxy(tmp_path, config(standin.url, "policy.yaml"))
    try:
        policy.write_text(GUARDED_POLICY.replace("action: drop", "action: explode"))
        running.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "reload refused" not in running.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "reload refused" in running.log() and "explode" not in running.log()
        assert running.metric("sanitizer_config_reloads_total", result="failed") == 1
        body = {"message_type": "INFO", "CONTACTEMAIL": "x"}
        assert running.post("nagios", json.dumps(body)).status_code == 202
        policy.write_text(GUARDED_POLICY.replace("select: CONTACTEMAIL", "select: other"))
        running.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while running.metric("sanitizer_config_reloads_total", result="ok") < 1:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert running.post("nagios", json.dumps({"note": "x@example.com"})).status_code == 422
    finally:
        running.stop()


def test_sigterm_exits_cleanly_and_leaves_the_spool(tmp_path, standin):
    standin.set_mode("fail503")
    running = start_proxy(tmp_path, config(standin.url, str(ROOT / "rules/nagios.yaml")))
    assert running.post("nagios", NAGIOS).status_code == 202
    assert running.stop(signal.SIGTERM) == 0
    assert (Path(tmp_path) / "spool" / "spool.db").exists()
    listed = spool_command("list", tmp_path / "spool")
    assert listed.stdout.startswith("1 queued")


def test_health_readiness_and_metrics(proxy):
    assert httpx.get(f"{proxy.url}/healthz", timeout=5).json() == {"status": "alive"}
    ready = httpx.get(f"{proxy.url}/readyz", timeout=5).json()
    assert ready == {"ready": True, "route_count": 1, "spool_writable": True}
    text = httpx.get(f"{proxy.url}/metrics", timeout=5).text
    for name in [
        "sanitizer_alerts_received_total",
        "sanitizer_spool_depth",
        "sanitizer_request_duration_seconds_bucket",
        "sanitizer_dead_letters",
    ]:
        assert name in text or name.replace("_total", "") in text


def test_a_full_spool_answers_503_with_retry_after_and_recovers(tmp_path, standin):
    standin.set_mode("fail503")
    text = config(standin.url, str(ROOT / "rules/nagios.yaml")).replace(
        "max_bytes: 200000", "max_bytes: 4096"
    )
    running = start_proxy(tmp_path, text)
    try:
        statuses = [running.post("nagios", NAGIOS) for _ in range(12)]
        codes = [r.status_code for r in statuses]
        assert 202 in codes and 503 in codes
        assert set(codes) <= {202, 503}
        refused = next(r for r in statuses if r.status_code == 503)
        assert int(refused.headers["retry-after"]) > 0
        assert refused.json()["error"] == "unavailable"
        standin.set_mode("ok")
        deadline = time.monotonic() + 10
        while running.metric("sanitizer_spool_depth") > 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert running.post("nagios", NAGIOS).status_code == 202
    finally:
        running.stop()


def test_an_alert_the_upstream_contract_would_drop_is_refused_422(tmp_path, standin):
    (tmp_path / "pass.yaml").write_text("version: 1\nname: pass\nrules: []\n")
    running = start_proxy(tmp_path, config(standin.url, "pass.yaml"))
    try:
        response = running.post("nagios", json.dumps({"entity_id": "x", "state_message": "y"}))
        assert response.status_code == 422
        assert response.json()["rule"] == "contract:victorops:message_type"
        long_text = json.dumps({"message_type": "CRITICAL", "entity_display_name": "z" * 5000})
        assert running.post("nagios", long_text).status_code == 202
        [request] = standin.wait_for(1)
        assert len(json.loads(request["body"])["entity_display_name"]) == 1024
    finally:
        running.stop()
