"""Alert envelopes per sender, and the free-text fields each shipped policy keeps.

A secret is only planted in a field the sender's policy keeps (read from the header comment
of each file in rules/): a field the policy drops proves nothing about detection.

    nagios.yaml          SERVICEOUTPUT / HOSTOUTPUT, LONGSERVICEOUTPUT / LONGHOSTOUTPUT
                         (state_message), HOSTNAME and SERVICEDESC (entity_display_name),
                         upper or lower case macro names, Icinga 2's multi-line output
    victorops-rest.yaml  state_message, entity_display_name, entity_id, ack_msg, vo_annotate.*
                         (Flux and scripts, Alertmanager and Grafana notifier bodies)
    logzio-samples.yaml  alert_title, alert_description, alert_view_link (custom endpoint);
                         state_message, entity_display_name, alert_view_link (notifier)
    strict.yaml          entity_display_name and state_message of REST-shaped bodies
    alertmanager.yaml    annotations description and summary, the instance label and the
                         runbook_url annotation of any alert of a webhook group (the policy
                         splits the body: one alert per element)
    pagerduty-events.yaml  payload.summary, payload.source, the top-level text entries of
                         payload.custom_details (or custom_details as one text) whose names
                         are not about a person or a secret, Runbook links
    zabbix.yaml          {EVENT.NAME} (entity_display_name, state_message), {HOST.NAME},
                         {EVENT.OPDATA} (operational_data, state_message),
                         {TRIGGER.DESCRIPTION} (trigger_description), an update's
                         {EVENT.UPDATE.MESSAGE} (state_message)

Nagios writes a multi-line long output into one macro with literal ``\\n`` separators, so
those fields hold no newline; Icinga 2's output and the REST fields hold real ones; Zabbix's
texts end their lines with CRLF. A slot's `max_length` keeps a planted text within the cap the
policy puts on its field, so that a truncation never counts as a catch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from random import Random
from typing import Any

from tests.corpus import benign
from tests.corpus import webhook_senders as hooks
from tests.corpus.secrets import HEX, chars, digits, pick


@dataclass(frozen=True)
class Slot:
    field: str
    kind: str  # "text", "name", "url" or "host"
    single_line: bool = False
    optional: bool = False  # present in a share of alerts only (unless a secret is in it)
    max_length: int | None = None  # the longest planted text the policy keeps whole


Fields = dict[str, str]


@dataclass(frozen=True)
class Sender:
    name: str
    policy: str
    slots: tuple[Slot, ...]
    envelope: Callable[[Random, Fields], dict[str, Any]]

    def build(self, rng: Random, placed: Fields) -> dict[str, Any]:
        """An alert with `placed` texts in their fields and benign text in the other slots."""
        fields = dict(placed)
        for slot in self.slots:
            if slot.field not in fields and (not slot.optional or rng.random() < 0.3):
                fields[slot.field] = benign.text_for(rng, slot.kind, single_line=slot.single_line)
        return self.envelope(rng, fields)


def nagios_time(rng: Random) -> tuple[str, str]:
    timet = 1795400000 + rng.randrange(10**6)
    return (
        str(timet),
        f"Tue Nov 24 {rng.randint(0, 23):02}:{rng.randint(0, 59):02}:"
        f"{rng.randint(0, 59):02} UTC 2026",
    )


def nagios_service(rng: Random, f: Fields) -> dict[str, Any]:
    state = pick(rng, ["CRITICAL", "CRITICAL", "WARNING", "UNKNOWN", "OK"])
    kind = "RECOVERY" if state == "OK" else pick(rng, ["PROBLEM", "PROBLEM", "ACKNOWLEDGEMENT"])
    timet, long_time = nagios_time(rng)
    return {
        "NOTIFICATIONTYPE": kind,
        "HOSTNAME": f["HOSTNAME"],
        "HOSTALIAS": pick(rng, ["Primary PostgreSQL (rack B4)", "Edge web node", "Batch worker"]),
        "HOSTADDRESS": f["HOSTNAME"],
        "HOSTSTATE": "UP",
        "SERVICEDESC": f["SERVICEDESC"],
        "SERVICESTATE": state,
        "SERVICEOUTPUT": f["SERVICEOUTPUT"],
        "LONGSERVICEOUTPUT": f["LONGSERVICEOUTPUT"].replace("\n", "\\n"),
        "SERVICEPERFDATA": benign.perfdata(rng),
        "SERVICECHECKCOMMAND": pick(
            rng,
            [
                "check_pgsql!/usr/local/nagios/etc/pg.cfg",
                "check_http!-S -u /healthz",
                "check_disk!10%!5%!/var",
            ],
        ),
        "SERVICEATTEMPT": "3",
        "SERVICEDURATION": benign.duration(rng),
        "LONGDATETIME": long_time,
        "TIMET": timet,
        "NOTIFICATIONNUMBER": str(rng.randint(1, 9)),
    }


def nagios_host(rng: Random, f: Fields) -> dict[str, Any]:
    state = pick(rng, ["DOWN", "DOWN", "UNREACHABLE", "UP"])
    timet, long_time = nagios_time(rng)
    return {
        "NOTIFICATIONTYPE": "RECOVERY" if state == "UP" else "PROBLEM",
        "NOTIFICATIONNUMBER": "1",
        "HOSTNAME": f["HOSTNAME"],
        "HOSTALIAS": "DC1 edge router B",
        "HOSTADDRESS": f["HOSTNAME"],
        "HOSTSTATE": state,
        "HOSTSTATETYPE": "HARD",
        "HOSTOUTPUT": f["HOSTOUTPUT"],
        "LONGHOSTOUTPUT": f["LONGHOSTOUTPUT"].replace("\n", "\\n"),
        "HOSTPERFDATA": benign.perfdata(rng),
        "HOSTCHECKCOMMAND": "check-host-alive",
        "LONGDATETIME": long_time,
        "TIMET": timet,
    }


def lower_case(envelope: Callable[[Random, Fields], dict[str, Any]]):
    def build(rng: Random, f: Fields) -> dict[str, Any]:
        upper = {key.upper(): value for key, value in f.items()}
        return {key.lower(): value for key, value in envelope(rng, upper).items()}

    return build


def icinga_service(rng: Random, f: Fields) -> dict[str, Any]:
    state = pick(rng, ["CRITICAL", "WARNING", "OK"])
    return {
        "NOTIFICATIONTYPE": "RECOVERY" if state == "OK" else "PROBLEM",
        "HOSTNAME": f["HOSTNAME"],
        "HOSTDISPLAYNAME": pick(rng, ["RabbitMQ node 2", "Web frontend", "Batch runner"]),
        "HOSTADDRESS": f["HOSTNAME"],
        "SERVICENAME": pick(rng, ["rabbitmq-queue-depth", "http-api", "disk-var", "load"]),
        "SERVICEDISPLAYNAME": benign.service(rng),
        "SERVICESTATE": state,
        "SERVICEOUTPUT": f["SERVICEOUTPUT"],
        "LONGDATETIME": f"2026-11-24 05:{rng.randint(0, 59):02}:11 +0000",
        "NOTIFICATIONAUTHORNAME": "",
        "NOTIFICATIONCOMMENT": "",
    }


def icinga_host(rng: Random, f: Fields) -> dict[str, Any]:
    return {
        "NOTIFICATIONTYPE": "PROBLEM",
        "HOSTNAME": f["HOSTNAME"],
        "HOSTDISPLAYNAME": "Core switch 1",
        "HOSTADDRESS": f["HOSTNAME"],
        "HOSTSTATE": "DOWN",
        "HOSTOUTPUT": f["HOSTOUTPUT"],
        "LONGDATETIME": f"2026-11-24 05:{rng.randint(0, 59):02}:11 +0000",
    }


def rest_script(rng: Random, f: Fields) -> dict[str, Any]:
    kind = pick(rng, ["CRITICAL", "CRITICAL", "WARNING", "RECOVERY", "INFO"])
    alert: dict[str, Any] = {
        "message_type": kind,
        "entity_id": f.get("entity_id") or f"disk-space/{benign.host(rng)}",
        "entity_display_name": f["entity_display_name"],
        "state_message": f["state_message"],
        "monitoring_tool": pick(rng, ["flux", "InfluxDB", "cron-check 1.4"]),
        "state_start_time": 1795400000 + rng.randrange(10**6),
    }
    for field in ("vo_annotate.u.Runbook", "vo_annotate.s.Note"):
        if field in f:
            alert[field] = f[field]
    if "ack_msg" in f:
        alert["message_type"], alert["ack_msg"] = "ACKNOWLEDGEMENT", f["ack_msg"]
    return alert


def alertmanager(rng: Random, f: Fields) -> dict[str, Any]:
    name = pick(rng, ["KubePodCrashLooping", "TargetDown", "HighErrorRate", "DiskWillFillIn4h"])
    description = f["state_message"].replace("\n", "\n   ")
    display = f["entity_display_name"]
    message = (
        f"Alerts Firing:\nLabels:\n - alertname = {name}\n - namespace = payments\n"
        f" - pod = {benign.pod(rng)}\n - instance = {benign.host(rng)}:9100\n"
        f"Annotations:\n - description = {description}\n"
        f" - summary = {name} for {benign.duration(rng)}\n"
        "Source: http://prometheus.example.com/graph?g0.expr=up%3D%3D0&g0.tab=1\n"
    )
    return {
        "message_type": "CRITICAL",
        "entity_id": chars(rng, HEX, 64),
        "entity_display_name": display if display.startswith("[") else f"[FIRING:1] {display}",
        "state_message": message,
        "monitoring_tool": "Prometheus Alertmanager 0.27.0",
        "cluster": "prod-eu-1",
        "runbook": "https://runbooks.example.com/" + name,
    }


def grafana(rng: Random, f: Fields) -> dict[str, Any]:
    summary = f["state_message"].replace("\n", "\n   ")
    return {
        "message_type": pick(rng, ["CRITICAL", "WARNING"]),
        "entity_id": chars(rng, HEX, 64),
        "entity_display_name": f["entity_display_name"],
        "timestamp": 1795400000 + rng.randrange(10**6),
        "state_message": (
            f"**Firing**\n\nValue: B={rng.random() * 100:.1f}\nLabels:\n - alertname = HighMemory\n"
            f" - job = node\nAnnotations:\n - summary = {summary}\n"
            "Source: https://grafana.example.com/alerting/grafana/cdx9z1/view?orgId=1\n"
        ),
        "monitoring_tool": "Grafana v10.4.2",
        "alert_url": "https://grafana.example.com/alerting/list",
    }


def samples(rng: Random) -> str:
    return (
        "["
        + ",".join(
            f'{{"@timestamp":"{benign.stamp(rng)}","message":"{benign.log_line(rng)}"}}'
            for _ in range(2)
        )
        + "]"
    )


# Top-level fields that carry the sender's own credential in every alert, by sender: the
# token a Logz.io custom endpoint's body template sends for the receiver to verify. Scrubbing
# replaces it (a field named `token` holds a secret), so it is no benign text.
CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {"logzio-custom-endpoint": ("token",)}


def logzio_custom(rng: Random, f: Fields) -> dict[str, Any]:
    return {
        "token": f"verify-{chars(rng, HEX, 8)}",
        "alert_title": f["alert_title"],
        "alert_description": f["alert_description"],
        "alert_severity": pick(rng, ["HIGH", "MEDIUM", "LOW", "SEVERE"]),
        "alert_event_samples": samples(rng),
        "alert_tags": ["checkout", "latency"],
        "alert_id": rng.randint(1000, 9999),
        "alert_view_link": f["alert_view_link"],
    }


def logzio_notifier(rng: Random, f: Fields) -> dict[str, Any]:
    return {
        "message_type": "CRITICAL",
        "entity_id": f"Logz.io alert {digits(rng, 4)}",
        "entity_display_name": f["entity_display_name"],
        "state_message": f["state_message"],
        "monitoring_tool": "Logz.io",
        "alert_severity": "HIGH",
        "alert_event_samples": samples(rng),
        "alert_view_link": f["alert_view_link"],
    }


NAGIOS_SERVICE_SLOTS = (
    Slot("SERVICEOUTPUT", "text", single_line=True),
    Slot("LONGSERVICEOUTPUT", "text", single_line=True),
    Slot("SERVICEDESC", "name"),
    Slot("HOSTNAME", "host"),
)
NAGIOS_HOST_SLOTS = (
    Slot("HOSTOUTPUT", "text", single_line=True),
    Slot("LONGHOSTOUTPUT", "text", single_line=True),
    Slot("HOSTNAME", "host"),
)
REST_SLOTS = (
    Slot("state_message", "text"),
    Slot("entity_display_name", "name"),
    Slot("entity_id", "host", optional=True),
    Slot("ack_msg", "text", single_line=True, optional=True),
    Slot("vo_annotate.s.Note", "text", single_line=True, optional=True),
    Slot("vo_annotate.u.Runbook", "url", optional=True),
)
NOTIFIER_SLOTS = (Slot("state_message", "text"), Slot("entity_display_name", "name"))
STRICT_SLOTS = (Slot("state_message", "text"), Slot("entity_display_name", "name"))
# pagerduty-events cuts each custom_details entry at 8192 characters and the summary at 1024,
# zabbix every field but state_message at 1024; room is left for the envelope's own text.
PD_DETAILS_ROOM = 7000
PDJS_SLOTS = (
    Slot("payload.summary", "text", single_line=True, max_length=1024),
    Slot("payload.source", "host"),
    Slot("links.Runbook", "url", optional=True),
)
ZABBIX_SLOTS = (
    Slot("EVENT.NAME", "name"),
    Slot("HOST.NAME", "host"),
    Slot("EVENT.OPDATA", "text", single_line=True, max_length=1024),
)

SENDERS: tuple[Sender, ...] = (
    Sender("nagios-service", "nagios", NAGIOS_SERVICE_SLOTS, nagios_service),
    Sender("nagios-host", "nagios", NAGIOS_HOST_SLOTS, nagios_host),
    Sender(
        "nagios-lowercase",
        "nagios",
        tuple(Slot(s.field.lower(), s.kind, s.single_line) for s in NAGIOS_SERVICE_SLOTS),
        lower_case(nagios_service),
    ),
    Sender(
        "icinga-service",
        "nagios",
        (Slot("SERVICEOUTPUT", "text"), Slot("HOSTNAME", "host")),
        icinga_service,
    ),
    Sender(
        "icinga-host", "nagios", (Slot("HOSTOUTPUT", "text"), Slot("HOSTNAME", "host")), icinga_host
    ),
    Sender("victorops-rest-script", "victorops-rest", REST_SLOTS, rest_script),
    Sender("alertmanager", "victorops-rest", NOTIFIER_SLOTS, alertmanager),
    Sender("grafana", "victorops-rest", NOTIFIER_SLOTS, grafana),
    Sender(
        "logzio-custom-endpoint",
        "logzio-samples",
        (
            Slot("alert_description", "text"),
            Slot("alert_title", "name"),
            Slot("alert_view_link", "url"),
        ),
        logzio_custom,
    ),
    Sender(
        "logzio-notifier",
        "logzio-samples",
        (*NOTIFIER_SLOTS, Slot("alert_view_link", "url")),
        logzio_notifier,
    ),
    Sender("strict-rest-script", "strict", STRICT_SLOTS, rest_script),
    Sender("strict-alertmanager", "strict", STRICT_SLOTS, alertmanager),
    Sender(
        "alertmanager-webhook",
        "alertmanager",
        (
            Slot("annotations.description", "text"),
            Slot("annotations.summary", "name"),
            Slot("labels.instance", "host"),
            Slot("annotations.runbook_url", "url", optional=True),
        ),
        hooks.alertmanager_webhook,
    ),
    Sender(
        "pagerduty-alertmanager",
        "pagerduty-events",
        (
            Slot("custom_details.firing", "text", max_length=PD_DETAILS_ROOM),
            Slot("payload.summary", "name"),
        ),
        hooks.alertmanager_pagerduty,
    ),
    Sender(
        "pagerduty-pdjs",
        "pagerduty-events",
        (
            *PDJS_SLOTS,
            Slot("custom_details.last_error", "text", max_length=PD_DETAILS_ROOM),
            Slot("custom_details.response", "text", optional=True, max_length=PD_DETAILS_ROOM),
        ),
        hooks.pdjs_event,
    ),
    Sender(
        "pagerduty-pdjs-text-details",
        "pagerduty-events",
        (*PDJS_SLOTS, Slot("payload.custom_details", "text", max_length=PD_DETAILS_ROOM)),
        hooks.pdjs_text_details,
    ),
    Sender(
        "pagerduty-pdjs-change",
        "pagerduty-events",
        (*PDJS_SLOTS, Slot("custom_details.changelog", "text", max_length=PD_DETAILS_ROOM)),
        hooks.pdjs_change,
    ),
    Sender(
        "pagerduty-zabbix",
        "pagerduty-events",
        (
            *ZABBIX_SLOTS,
            Slot("TRIGGER.DESCRIPTION", "text", optional=True, max_length=PD_DETAILS_ROOM),
            Slot("HOST.IP", "host"),
        ),
        hooks.zabbix_pagerduty,
    ),
    Sender(
        "zabbix-victorops-problem",
        "zabbix",
        (*ZABBIX_SLOTS, Slot("TRIGGER.DESCRIPTION", "text", optional=True, max_length=1024)),
        hooks.zabbix_problem,
    ),
    Sender(
        "zabbix-victorops-update",
        "zabbix",
        (*ZABBIX_SLOTS, Slot("EVENT.UPDATE.MESSAGE", "text")),
        hooks.zabbix_update,
    ),
    Sender("zabbix-victorops-recovery", "zabbix", ZABBIX_SLOTS, hooks.zabbix_recovery),
)
POLICIES: tuple[str, ...] = (
    "nagios",
    "victorops-rest",
    "logzio-samples",
    "strict",
    "alertmanager",
    "pagerduty-events",
    "zabbix",
)
