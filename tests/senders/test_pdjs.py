"""The PagerDuty JS client (@pagerduty/pdjs, https only) pointed at the proxy with
`server: "127.0.0.1:PORT"`: the proxy listens with TLS (certificates from a test CA that Node
trusts through NODE_EXTRA_CA_CERTS), takes the event's routing_key as the route's credential,
and forwards through rules/pagerduty-events.yaml to a PagerDuty-shaped stand-in."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.proxyproc import ROOT, https_client
from tests.senders.harness import (
    PAGERDUTY_UPSTREAM_KEY,
    SERVICES,
    Canaries,
    assert_nothing_leaked,
    pagerduty_upstream,
    program,
    start_route_proxy,
    url_safe_token,
    wait_for_bodies,
)
from tests.tlscerts import Authority, Pair

PDJS = ROOT / "tests" / "senders" / "pdjs"
SEND_EVENT = PDJS / "send-event.js"


def send_event(
    port: int, data: dict[str, Any], ca: Path, client: Pair | None = None
) -> dict[str, Any]:
    """pdjs's `event()` from a Node process; its HTTP status and the JSON it got back."""
    node = program("node")
    if not (PDJS / "node_modules" / "@pagerduty" / "pdjs").is_dir():
        pytest.fail(f"@pagerduty/pdjs is not installed in {PDJS}: run {SERVICES}")
    request: dict[str, Any] = {"server": f"127.0.0.1:{port}", "data": data}
    if client is not None:
        request |= {"client_cert": str(client.cert), "client_key": str(client.key)}
    result = subprocess.run(
        [node, str(SEND_EVENT), json.dumps(request)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=PDJS,
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(ca)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("mutual", [False, True], ids=["tls", "mutual-tls"])
def test_pdjs_trigger_and_resolve_over_tls_reach_the_upstream_sanitized_with_one_dedup_key(
    tmp_path, standin, stopper, mutual
):
    authority = Authority.create(tmp_path / "tls")
    server = authority.issue(tmp_path / "tls", "proxy", server_names=("localhost", "127.0.0.1"))
    tls = {"cert": str(server.cert), "key": str(server.key)}
    client = None
    if mutual:
        tls["client_ca"] = str(authority.cert)
        client = authority.issue(tmp_path / "tls", "pdjs", client=True)
    token = url_safe_token()
    proxy = stopper(
        start_route_proxy(
            tmp_path,
            "pdjs",
            "pagerduty-events.yaml",
            pagerduty_upstream(standin),
            token,
            tls=tls,
            https=https_client(authority.cert, *((client.cert, client.key) if client else ())),
        )
    )
    canaries = Canaries.plant()
    trigger = {
        "routing_key": token,
        "event_action": "trigger",
        "payload": {
            "summary": "nightly backup failed on db-prod-07",
            "source": "db-prod-07",
            "severity": "critical",
            "custom_details": {"log": canaries.prose(), "owner": canaries.email},
        },
    }

    answer = send_event(proxy.port, trigger, authority.cert, client)
    assert answer["status"] == 202, answer
    assert answer["data"]["status"] == "success"
    dedup_key = answer["data"]["dedup_key"]
    assert dedup_key

    resolve = {"routing_key": token, "event_action": "resolve", "dedup_key": dedup_key}
    answer = send_event(proxy.port, resolve, authority.cert, client)
    assert answer["status"] == 202, answer

    bodies = wait_for_bodies(
        standin, lambda got: len(got) == 2, what="the trigger and its resolve", explain=proxy.log
    )
    actions = {body["event_action"]: body for body in bodies}
    assert set(actions) == {"trigger", "resolve"}
    assert actions["trigger"]["dedup_key"] == actions["resolve"]["dedup_key"]
    assert {body["routing_key"] for body in bodies} == {PAGERDUTY_UPSTREAM_KEY}
    assert_nothing_leaked(standin, canaries, proxy=proxy, also=(token,))
