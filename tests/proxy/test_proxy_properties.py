"""Properties of the running proxy over HTTP, for arbitrary JSON bodies."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanitizer.loader import load_policy
from tests.capture import wait_for_captured
from tests.proxyproc import PSEUDONYM_KEY, ROOT, start_proxy
from tests.strategies import json_docs, json_objects

POLICY = ROOT / "rules/nagios.yaml"


@pytest.fixture(scope="module")
def capture_proxy(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("capture-proxy")
    config = f"""\
spool: {{path: spool}}
limits: {{max_body_bytes: 65536, max_depth: 32}}
routes:
  nagios:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: {POLICY}
    upstream: {{type: capture, path: {workdir / "captured.jsonl"}}}
"""
    proxy = start_proxy(workdir, config)
    yield proxy, workdir / "captured.jsonl"
    proxy.stop()


policy = load_policy(POLICY, environ={"SANITIZER_KEY_PSEUDONYM": PSEUDONYM_KEY})

nagios_like = st.fixed_dictionaries(
    {
        "NOTIFICATIONTYPE": st.sampled_from(["PROBLEM", "RECOVERY", "ACKNOWLEDGEMENT", "CUSTOM"]),
        "HOSTNAME": st.text(max_size=20),
        "SERVICESTATE": st.sampled_from(["OK", "WARNING", "CRITICAL", "UNKNOWN"]),
        "SERVICEOUTPUT": st.text(max_size=60),
    },
    optional={"CONTACTEMAIL": st.emails(), "HOSTADDRESS": st.ip_addresses().map(str)},
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=json_docs | json_objects | nagios_like)
def test_proxy_answers_202_4xx_or_503_and_forwards_only_what_the_policy_produces(
    capture_proxy, body
):
    proxy, capture = capture_proxy
    response = proxy.post("nagios", json.dumps(body))
    assert response.status_code in (202, 400, 413, 422, 503), response.text
    if response.status_code != 202:
        assert "error" in response.json()
        return
    expected = policy.apply(body).payload
    assert wait_for_captured(capture, response.json()["id"]) == expected
