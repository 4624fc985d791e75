"""The bundled default (`sanitizer serve` without --config) through its ingress shapes: URL-safe
tokens, older tokens still working, and each route's receiver contract run as in production."""

from __future__ import annotations

import base64
import json
import os
import string
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from sanitizer.errors import ConfigError
from sanitizer.proxy.defaults import ROUTE_CONTRACTS, ROUTE_POLICIES, default_settings
from sanitizer.proxy.runtime import build_runtime
from sanitizer.proxy.upstreams import build_upstream
from tests.capture import wait_for_captured
from tests.proxyproc import ROOT, ProxyProcess, free_port

URL_SAFE = set(string.ascii_letters + string.digits + "-_")
# A token file as older versions wrote it: standard base64, with '/', '+' and '='.
OLD_STYLE_TOKEN = base64.b64encode(bytes([0xFB, 0xFF, 0xBF] * 10 + [1, 2])).decode()


def start_default(state: Path) -> ProxyProcess:
    """`sanitizer serve` with no config on a free port, state in `state`, once ready."""
    port = free_port()
    log_path = state.parent / f"default-{port}.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SANITIZER_STATE_DIR": str(state)}
    env.pop("SANITIZER_KEY_PSEUDONYM", None)  # the default makes its own
    command = [sys.executable, "-m", "sanitizer.cli", "serve", "--port", str(port)]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command, cwd=state.parent, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    proxy = ProxyProcess(f"http://127.0.0.1:{port}", port, state, process, log_path)
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{proxy.url}/readyz", timeout=1).status_code == 200:
                return proxy
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            proxy.stop()
            raise RuntimeError(f"the bundled default did not start:\n{proxy.log()}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    state = tmp_path_factory.mktemp("default") / "var"
    (state / "tokens").mkdir(parents=True)
    (state / "tokens" / "victorops").write_text(OLD_STYLE_TOKEN + "\n")
    running = start_default(state)
    yield running
    running.stop()


def token(proxy: ProxyProcess, route: str) -> str:
    return (proxy.workdir / "tokens" / route).read_text().strip()


def captured(proxy: ProxyProcess, alert_id: str) -> Any:
    alert = wait_for_captured(proxy.workdir / "captured.jsonl", alert_id)
    assert alert is not None, f"alert {alert_id} was not captured:\n{proxy.log()}"
    return alert


def post(proxy: ProxyProcess, path: str, body: Any, **headers: str) -> httpx.Response:
    with proxy.died_explained():
        return httpx.post(
            f"{proxy.url}{path}",
            content=json.dumps(body).encode(),
            headers={"content-type": "application/json", **headers},
            timeout=10,
        )


def test_every_route_runs_the_contract_of_the_receiver_its_policy_writes_for(tmp_path):
    settings, environ = default_settings(tmp_path / "var")
    assert set(settings.routes) == set(ROUTE_POLICIES) == set(ROUTE_CONTRACTS)
    runtime = build_runtime(settings, environ=environ)
    for name, route in runtime.routes.items():
        assert route.contract is not None, name
        assert route.contract.upstream_type == ROUTE_CONTRACTS[name], name


@pytest.mark.parametrize("contract", ["webhook", "capture", "VictorOps", 3])
def test_a_capture_contract_that_names_no_receiver_is_refused_at_load(tmp_path, contract):
    config = {"type": "capture", "path": str(tmp_path / "c.jsonl"), "contract": contract}
    with pytest.raises(ConfigError) as caught:
        build_upstream(config, route="r")
    assert caught.value.field == "routes.r.upstream.contract"


def test_new_tokens_are_url_safe_and_an_old_token_file_keeps_working(default):
    for route in ROUTE_POLICIES:
        if route != "victorops":
            assert set(token(default, route)) <= URL_SAFE and len(token(default, route)) == 43
    assert token(default, "victorops") == OLD_STYLE_TOKEN
    alert = {"message_type": "CRITICAL", "entity_id": "disk/web-03", "state_message": "full"}
    path = f"/integrations/generic/20131114/alert/{quote(OLD_STYLE_TOKEN, safe='')}/ops"
    answer = post(default, path, alert)
    assert answer.status_code == 202, answer.text
    assert captured(default, answer.json()["id"])["message_type"] == "CRITICAL"


def test_a_generated_token_works_unencoded_in_the_victorops_url(default):
    path = f"/integrations/generic/20131114/alert/{token(default, 'nagios')}/ops"
    answer = post(
        default,
        path,
        {
            "NOTIFICATIONTYPE": "PROBLEM",
            "HOSTNAME": "db-prod-07",
            "SERVICESTATE": "CRITICAL",
            "SERVICEDESC": "disk",
        },
    )
    assert answer.status_code == 202, answer.text


def test_an_alert_the_real_receiver_would_refuse_is_refused_by_the_default_too(default):
    answer = post(
        default,
        "/v1/alerts/victorops",
        {"entity_id": "disk/web-03", "state_message": "no message type"},
        authorization=f"Bearer {token(default, 'victorops')}",
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["rule"].startswith("contract:victorops:")


def test_the_pagerduty_route_takes_its_token_as_routing_key_and_checks_pagerdutys_contract(
    default,
):
    routing_key = token(default, "pagerduty")
    event = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": "disk/web-03",
        "payload": {"summary": "disk full", "source": "web-03", "severity": "Critical"},
    }
    answer = post(default, "/v2/enqueue", event)
    assert answer.status_code == 202, answer.text
    assert answer.json()["dedup_key"] == "disk/web-03"
    lines = (default.workdir / "captured.jsonl").read_text()
    deadline = time.monotonic() + 10
    while '"route":"pagerduty"' not in lines.replace(" ", ""):
        assert time.monotonic() < deadline, "the pagerduty event was not captured"
        time.sleep(0.05)
        lines = (default.workdir / "captured.jsonl").read_text()
    [entry] = [
        json.loads(line) for line in lines.splitlines() if json.loads(line)["route"] == "pagerduty"
    ]
    assert entry["alert"]["payload"]["severity"] == "critical", "the contract writes lower case"
    assert routing_key not in lines
