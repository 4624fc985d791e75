"""Zabbix 6.0's own webhook media types (the scripts and parameters Debian's zabbix-server-pgsql
seeds its database with) run by zabbix_js against the proxy: the VictorOps one through the
VictorOps URL shape and rules/zabbix.yaml, the PagerDuty one (its URL line changed to the
proxy's, as rules/zabbix.yaml says) through /v2/enqueue and rules/pagerduty-events.yaml."""

from __future__ import annotations

from tests.senders.harness import (
    PAGERDUTY_UPSTREAM_KEY,
    VICTOROPS_ROUTING_KEY,
    Canaries,
    assert_nothing_leaked,
    pagerduty_upstream,
    start_route_proxy,
    url_safe_token,
    victorops_upstream,
    wait_for_bodies,
)
from tests.senders.zabbix import MediaType, expand, run_webhook, shipped_media_type

RESOLVED = ("RECOVERY", "OK")  # VictorOps resolves on either; Zabbix's webhook sends OK
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
HOST_IP = "10.20.30.40"


def macros(canaries: Canaries, *, recovery: bool) -> dict[str, str]:
    """What Zabbix expands the media types' macros to for a disaster-severity problem on
    db-prod-07 (event 48213), or for its recovery; lines end in CRLF as Zabbix writes them."""
    problem = {
        "{ALERT.SENDTO}": VICTOROPS_ROUTING_KEY,
        "{ALERT.SUBJECT}": "Problem: Backup failed on db-prod-07",
        "{ALERT.MESSAGE}": (
            "Problem started at 10:00:00 on 2026.12.01\r\nProblem name: Backup failed\r\n"
            "Host: db-prod-07\r\nSeverity: Disaster\r\n"
            f"Operational data: {canaries.prose()}\r\nOriginal problem ID: 48213\r\n"
        ),
        "{EVENT.ID}": "48213",
        "{EVENT.NSEVERITY}": "5",
        "{EVENT.SEVERITY}": "Disaster",
        "{EVENT.SOURCE}": "0",
        "{EVENT.UPDATE.STATUS}": "0",
        "{EVENT.ACK.STATUS}": "No",
        "{EVENT.VALUE}": "1",
        "{EVENT.DATE}": "2026.12.01",
        "{EVENT.TIME}": "10:00:00",
        "{EVENT.OPDATA}": f"last run: {canaries.prose()}",
        "{EVENT.TAGS}": f"service:backup, owner:{canaries.email}",
        "{HOST.NAME}": "db-prod-07",
        "{HOST.IP}": HOST_IP,
        "{TRIGGER.DESCRIPTION}": f"contact {canaries.email} before restarting",
        "{TRIGGER.ID}": "17021",
    }
    if not recovery:
        return problem
    return {
        **problem,
        "{ALERT.SUBJECT}": "Resolved in 5m 0s: Backup failed",
        "{ALERT.MESSAGE}": (
            "Problem has been resolved at 10:05:00 on 2026.12.01\r\n"
            "Problem name: Backup failed\r\nProblem duration: 5m 0s\r\nHost: db-prod-07\r\n"
            f"Severity: Disaster\r\nOriginal problem ID: 48213\r\n{canaries.prose()}\r\n"
        ),
        "{EVENT.VALUE}": "0",
        "{EVENT.RECOVERY.VALUE}": "0",
        "{EVENT.DURATION}": "5m 0s",
        "{EVENT.RECOVERY.DATE}": "2026.12.01",
        "{EVENT.RECOVERY.TIME}": "10:05:00",
    }


def test_zabbix_victorops_webhook_recovery_resolves_the_incident_its_problem_opened(
    tmp_path, standin, stopper
):
    token = url_safe_token()
    proxy = stopper(
        start_route_proxy(tmp_path, "zabbix", "zabbix.yaml", victorops_upstream(standin), token)
    )
    media = shipped_media_type("VictorOps")
    canaries = Canaries.plant()
    endpoint = {"vops_endpoint": f"{proxy.url}/integrations/generic/20131114/alert/{token}"}

    for recovery in (False, True):
        parameters = {**expand(media.parameters, macros(canaries, recovery=recovery)), **endpoint}
        assert run_webhook(media, parameters, tmp_path).strip() == "OK"

    bodies = wait_for_bodies(
        standin,
        lambda got: len(got) == 2,
        what="the problem and its recovery",
        explain=proxy.log,
    )
    problem, recovery = bodies
    assert problem["message_type"] == "CRITICAL"
    assert recovery["message_type"] in RESOLVED
    assert problem["entity_id"] == recovery["entity_id"] != "48213"
    assert "\r" not in problem["state_message"]
    assert all(
        request["path"].endswith(f"/{VICTOROPS_ROUTING_KEY}") for request in standin.requests()
    )
    assert_nothing_leaked(standin, canaries, proxy=proxy, also=(token,))


def test_zabbix_pagerduty_webhook_resolve_carries_the_dedup_key_of_its_trigger(
    tmp_path, standin, stopper
):
    token = url_safe_token()
    proxy = stopper(
        start_route_proxy(
            tmp_path, "zabbix-pd", "pagerduty-events.yaml", pagerduty_upstream(standin), token
        )
    )
    shipped = shipped_media_type("PagerDuty")
    assert shipped.script.count(PAGERDUTY_URL) == 1
    media = MediaType(
        "PagerDuty-sanitizer",
        shipped.script.replace(PAGERDUTY_URL, f"{proxy.url}/v2/enqueue"),
        shipped.parameters,
    )
    canaries = Canaries.plant()

    for recovery in (False, True):
        parameters = expand(media.parameters, macros(canaries, recovery=recovery))
        parameters["token"] = token
        assert run_webhook(media, parameters, tmp_path).strip() == "OK"

    bodies = wait_for_bodies(
        standin, lambda got: len(got) == 2, what="the trigger and its resolve", explain=proxy.log
    )
    trigger, resolve = bodies
    assert (trigger["event_action"], resolve["event_action"]) == ("trigger", "resolve")
    assert trigger["dedup_key"] == resolve["dedup_key"]
    assert trigger["payload"]["severity"] == "critical"
    assert {body["routing_key"] for body in bodies} == {PAGERDUTY_UPSTREAM_KEY}
    assert_nothing_leaked(standin, canaries, proxy=proxy, also=(token, HOST_IP))
