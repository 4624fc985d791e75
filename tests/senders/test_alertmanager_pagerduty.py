"""Alertmanager's own PagerDuty notifier (`pagerduty_configs` with `url:` at the proxy's
/v2/enqueue, the route's inbound token as its routing_key) through the proxy and
rules/pagerduty-events.yaml to a PagerDuty-shaped stand-in."""

from __future__ import annotations

from tests.senders.alertmanager import alert, start_alertmanager
from tests.senders.harness import (
    PAGERDUTY_UPSTREAM_KEY,
    Canaries,
    assert_nothing_leaked,
    pagerduty_upstream,
    start_route_proxy,
    url_safe_token,
    wait_for_bodies,
)


def test_alertmanager_pagerduty_resolve_carries_the_dedup_key_of_its_trigger(
    tmp_path, standin, stopper
):
    token = url_safe_token()
    proxy = stopper(
        start_route_proxy(
            tmp_path, "alertmanager-pd", "pagerduty-events.yaml", pagerduty_upstream(standin), token
        )
    )
    manager = stopper(
        start_alertmanager(
            tmp_path / "alertmanager",
            {
                "pagerduty_configs": [
                    {"routing_key": token, "url": f"{proxy.url}/v2/enqueue", "send_resolved": True}
                ]
            },
        )
    )
    canaries = Canaries.plant()
    labels = {"alertname": "BackupFailed", "severity": "critical", "job": "backup"}
    annotations = {"summary": "nightly backup failed", "description": canaries.prose()}

    def explain() -> str:
        return f"alertmanager:\n{manager.log()}\nproxy:\n{proxy.log()}"

    manager.post(alert(labels, annotations))
    bodies = wait_for_bodies(
        standin,
        lambda got: any(b.get("event_action") == "trigger" for b in got),
        what="a trigger",
        explain=explain,
    )
    trigger = next(b for b in bodies if b["event_action"] == "trigger")

    manager.post(alert(labels, annotations, resolved=True))
    bodies = wait_for_bodies(
        standin,
        lambda got: any(b.get("event_action") == "resolve" for b in got),
        what="a resolve",
        explain=explain,
    )
    resolve = next(b for b in bodies if b["event_action"] == "resolve")

    assert trigger["dedup_key"], "the trigger reached the upstream without a dedup_key"
    assert resolve["dedup_key"] == trigger["dedup_key"]
    assert {b["routing_key"] for b in bodies} == {PAGERDUTY_UPSTREAM_KEY}
    assert trigger["payload"]["severity"] in ("critical", "error", "warning", "info")
    assert_nothing_leaked(standin, canaries, proxy=proxy, also=(token,))
