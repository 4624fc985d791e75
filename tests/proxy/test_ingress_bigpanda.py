"""BigPanda's alerts API ingress (POST /data/v2/alerts) on a real proxy process, delivering to a
BigPanda-shaped stand-in (and a capture file for batches)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from sanitizer.keys import generate_token
from tests.capture import wait_for_captured
from tests.proxyproc import ProxyProcess, environment, start_proxy

INBOUND = generate_token()  # what Logz.io holds as its "BigPanda token"
BATCH_INBOUND = generate_token()
UPSTREAM_TOKEN = "bp-org-token-" + uuid.uuid4().hex  # the real org token, upstream only
UPSTREAM_APP_KEY = "bp-app-key-upstream"
SENDER_APP_KEY = "CANARY-app-key-" + uuid.uuid4().hex  # what the sender put in its body

POLICY = """\
version: 1
name: bigpanda-test
rules:
  - {id: keep, action: allow, select: [status, host, check, description, alerts]}
  - {id: scrub, action: scrub, detectors: [email]}
"""


@pytest.fixture(scope="module")
def proxy(tmp_path_factory, standin_server):
    workdir = tmp_path_factory.mktemp("bigpanda")
    (workdir / "bigpanda.yaml").write_text(POLICY, encoding="utf-8")
    config = f"""\
spool: {{path: spool}}
delivery: {{workers: 2, backoff_base: 0.05, backoff_cap: 0.3}}
routes:
  logzio:
    credentials: [{{env: BP_INBOUND}}]
    policy: bigpanda.yaml
    upstream:
      type: bigpanda
      url: '{standin_server.url}/data/v2/alerts'
      token: {{env: BP_UPSTREAM_TOKEN}}
      app_key: {UPSTREAM_APP_KEY}
  batches:
    credentials: [{{env: BP_BATCH_INBOUND}}]
    policy: bigpanda.yaml
    upstream: {{type: capture, path: captured.jsonl}}
"""
    env = environment(
        BP_INBOUND=INBOUND, BP_BATCH_INBOUND=BATCH_INBOUND, BP_UPSTREAM_TOKEN=UPSTREAM_TOKEN
    )
    running = start_proxy(workdir, config, env=env)
    yield running
    running.stop()


def post(proxy: ProxyProcess, body: Any, **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    with proxy.died_explained():
        return httpx.post(
            f"{proxy.url}/data/v2/alerts",
            content=content,
            headers={"content-type": "application/json", **headers},
            timeout=10,
        )


ALERT = {
    "app_key": SENDER_APP_KEY,
    "status": "critical",
    "host": "web-03",
    "check": "5xx rate",
    "description": "errors for jane.doe@example.com",
}


def test_an_alert_is_created_and_reaches_bigpanda_with_the_upstreams_credentials_only(
    proxy, standin
):
    answer = post(proxy, ALERT, authorization=f"Bearer {INBOUND}")
    assert answer.status_code == 201, answer.text
    assert set(answer.json()) == {"id"}
    [request] = standin.wait_for(1)
    body = json.loads(request["body"])
    assert body["app_key"] == UPSTREAM_APP_KEY
    assert request["headers"]["authorization"] == f"Bearer {UPSTREAM_TOKEN}"
    assert body["status"] == "critical" and "jane.doe@example.com" not in request["body"]
    seen = json.dumps(request) + proxy.log()
    assert SENDER_APP_KEY not in seen and INBOUND not in seen
    assert UPSTREAM_TOKEN not in proxy.log()


def test_a_batchs_app_keys_are_removed_before_the_policy(proxy):
    batch = {
        "app_key": SENDER_APP_KEY,
        "alerts": [{**ALERT, "host": "web-04"}, {**ALERT, "host": "web-05"}],
    }
    answer = post(proxy, batch, authorization=f"Bearer {BATCH_INBOUND}")
    assert answer.status_code == 201, answer.text
    captured = wait_for_captured(proxy.workdir / "captured.jsonl", answer.json()["id"])
    assert captured is not None and [a["host"] for a in captured["alerts"]] == ["web-04", "web-05"]
    assert SENDER_APP_KEY not in (proxy.workdir / "captured.jsonl").read_text()


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-configured-token-at-all", f"Basic {INBOUND}"],
    ids=["none", "empty", "unknown", "basic"],
)
def test_a_missing_or_unknown_token_is_401_and_nothing_is_queued(proxy, standin, authorization):
    headers = {} if authorization is None else {"authorization": authorization}
    before = proxy.metric("sanitizer_alerts_received_total")
    answer = post(proxy, ALERT, **headers)
    assert answer.status_code == 401 and answer.json()["error"] == "unauthorized"
    assert proxy.metric("sanitizer_alerts_received_total") == before
    assert standin.requests() == []


def test_a_body_that_is_not_json_is_400(proxy, standin):
    answer = post(proxy, b"{not json", authorization=f"Bearer {INBOUND}")
    assert answer.status_code == 400 and answer.json()["error"] == "bad_request"
    assert standin.requests() == []


def test_an_alert_the_bigpanda_contract_refuses_is_422_naming_the_check(proxy, standin):
    answer = post(proxy, {"status": "critical"}, authorization=f"Bearer {INBOUND}")
    assert answer.status_code == 422, answer.text
    assert answer.json()["rule"] == "contract:bigpanda:primary_property"
    assert standin.requests() == []
