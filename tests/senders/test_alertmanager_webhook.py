"""Alertmanager's `webhook_configs` at the proxy's /v1/alerts/{route} (the token sent as a
Bearer credential through `http_config.authorization`, read from a file) through
rules/alertmanager.yaml, which splits the group, to a VictorOps-shaped stand-in: one incident
per alert."""

from __future__ import annotations

from tests.senders.alertmanager import alert, start_alertmanager
from tests.senders.harness import (
    Canaries,
    assert_nothing_leaked,
    start_route_proxy,
    url_safe_token,
    victorops_upstream,
    wait_for_bodies,
)

DEVICES = ("sda", "sdb", "sdc")


def test_alertmanager_group_of_three_opens_three_incidents_and_one_resolve_closes_one(
    tmp_path, standin, stopper
):
    token = url_safe_token()
    proxy = stopper(
        start_route_proxy(
            tmp_path, "alertmanager", "alertmanager.yaml", victorops_upstream(standin), token
        )
    )
    token_file = tmp_path / "sanitizer.token"
    token_file.write_text(token)
    webhook = {
        "url": f"{proxy.url}/v1/alerts/alertmanager",
        "send_resolved": True,
        "http_config": {"authorization": {"type": "Bearer", "credentials_file": str(token_file)}},
    }
    manager = stopper(start_alertmanager(tmp_path / "alertmanager", {"webhook_configs": [webhook]}))
    canaries = Canaries.plant()

    def disk_alert(device: str, *, resolved: bool = False) -> dict:
        labels = {
            "alertname": "DiskFull",
            "severity": "critical",
            "device": device,
            "instance": "10.42.7.19:9100",
            "owner": canaries.email,
        }
        annotations = {"summary": f"disk {device} is full", "description": canaries.prose()}
        return alert(labels, annotations, resolved=resolved)

    def explain() -> str:
        return f"alertmanager:\n{manager.log()}\nproxy:\n{proxy.log()}"

    def incidents(bodies: list[dict]) -> dict[str, str]:
        return {b["device"]: b["entity_id"] for b in bodies if b["message_type"] == "CRITICAL"}

    manager.post(*(disk_alert(device) for device in DEVICES))
    bodies = wait_for_bodies(
        standin, lambda got: len(incidents(got)) == 3, what="three incidents", explain=explain
    )
    opened = incidents(bodies)
    assert len(set(opened.values())) == 3, "the three alerts share an entity_id"

    before = len(bodies)
    manager.post(disk_alert("sdb", resolved=True))
    bodies = wait_for_bodies(
        standin,
        lambda got: len(got) >= before + 3 and any(b["message_type"] == "RECOVERY" for b in got),
        what="the group again, with one recovery",
        explain=explain,
    )
    recoveries = [b for b in bodies if b["message_type"] == "RECOVERY"]
    assert [r["entity_id"] for r in recoveries] == [opened["sdb"]]
    assert {b["entity_id"] for b in bodies} == set(opened.values())
    assert_nothing_leaked(standin, canaries, proxy=proxy, also=(token, "10.42.7.19"))
