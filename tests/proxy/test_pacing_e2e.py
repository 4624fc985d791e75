"""Pacing end to end: a real proxy delivering a storm to a rate-limited PagerDuty stand-in."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.proxyproc import INBOUND_TOKEN, start_proxy

ALERTS = 5_000
KEYS = 500
POSTERS = 4
PER_BODY = 50  # a split policy queues many alerts per request, so the storm is queued fast


def pd_config(standin_url: str, rate: str, *, workers: int = 8, cap: float = 5) -> str:
    return f"""\
spool: {{path: spool, max_bytes: 50000000}}
limits: {{max_body_bytes: 20000, max_depth: 16, read_timeout: 5}}
delivery: {{workers: {workers}, backoff_base: 0.05, backoff_cap: {cap}, max_age: 3600}}
routes:
  pd:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: pass.yaml
    upstream:
      type: pagerduty
      url: {standin_url}/v2/enqueue
      routing_key: {{env: VICTOROPS_API_KEY}}
      transport: default
      rate: {rate}
"""


def event_doc(key: int, seq: int) -> dict:
    return {
        "event_action": "trigger",
        "dedup_key": f"key-{key}",
        "payload": {"summary": f"s{seq}", "source": "storm", "severity": "warning"},
    }


def event(key: int, seq: int) -> bytes:
    return json.dumps(event_doc(key, seq)).encode()


def test_a_storm_to_a_paced_pagerduty_is_delivered_completely_in_order_without_a_429(
    tmp_path, standin
):
    (tmp_path / "pass.yaml").write_text("version: 1\nname: storm\nsplit: alerts\nrules: []\n")
    standin.set_mode("ratelimit", per_second=120, burst=60)
    running = start_proxy(tmp_path, pd_config(standin.url, "{per_second: 100, burst: 10}"))
    headers = {"content-type": "application/json", "authorization": f"Bearer {INBOUND_TOKEN}"}

    def post_keys(first: int) -> None:
        with httpx.Client(base_url=running.url, headers=headers, timeout=30) as client:
            mine = list(range(first, KEYS, POSTERS))
            for seq in range(ALERTS // KEYS):  # each key's alerts posted in order
                for at in range(0, len(mine), PER_BODY):
                    body = {"alerts": [event_doc(key, seq) for key in mine[at : at + PER_BODY]]}
                    response = client.post("/v1/alerts/pd", content=json.dumps(body))
                    assert response.status_code == 202, response.text

    try:
        with ThreadPoolExecutor(POSTERS) as pool:
            list(pool.map(post_keys, range(POSTERS)))
        deadline = time.monotonic() + 120
        while running.metric("sanitizer_alerts_delivered_total", route="pd") < ALERTS:
            assert time.monotonic() < deadline, "the storm was not delivered in time"
            time.sleep(0.2)
        requests = standin.requests()
        assert not [r for r in requests if r.get("limited")], "the stand-in answered 429"
        assert len(requests) == ALERTS
        seen: dict[str, list[int]] = {}
        for request in requests:
            doc = json.loads(request["body"])
            seen.setdefault(doc["dedup_key"], []).append(int(doc["payload"]["summary"][1:]))
        assert len(seen) == KEYS
        assert all(order == list(range(ALERTS // KEYS)) for order in seen.values())
        assert running.metric("sanitizer_delivery_retries_total") == 0
        assert running.metric("sanitizer_delivery_paced_seconds_total", route="pd") > 0
    finally:
        running.stop()


def test_a_429_with_retry_after_is_not_retried_sooner(tmp_path, standin):
    (tmp_path / "pass.yaml").write_text("version: 1\nname: pass\nrules: []\n")
    standin.set_mode("429", count=1, retry_after=2)
    running = start_proxy(tmp_path, pd_config(standin.url, "off"))
    try:
        assert running.post("pd", event(1, 0)).status_code == 202
        first, second = standin.wait_for(2, timeout=15)[:2]
        assert (first["mode"], second["mode"]) == ("429", "ok")
        assert first["body"] == second["body"]
        assert second["at"] - first["at"] >= 2.0
    finally:
        running.stop()
