"""Envelopes of the senders that post a body of their own shape, not VictorOps REST fields.

Each builds the body the real sender posts (see tests/fixtures/alerts/ for recorded ones),
with a slot's text wherever the sender writes that macro or annotation, and benign text
elsewhere. Benign bodies keep to public names (example.com) where a sender would write an
internal host or an address, as the other senders do, so that the share of benign alerts a
policy changes measures the text, not the envelope.

- `alertmanager_webhook`: Alertmanager's `webhook_configs` body (version 4), a group of one
  to four alerts of one alertname; the slots' texts go into one alert of the group, chosen
  at random, and Alertmanager's `commonAnnotations` repeats them when every alert shares
  them (a group of one);
- `alertmanager_pagerduty`, `pdjs_event`, `pdjs_text_details`, `pdjs_change`,
  `zabbix_pagerduty`: PagerDuty Events API v2 bodies from Alertmanager's
  `pagerduty_configs` (its default `firing`/`resolved` details, `__text_alert_list`), from
  `@pagerduty/pdjs` scripts (trigger, acknowledge and resolve events; change events, marked
  `event_action: change` as the proxy's ingress marks them) and from Zabbix 6.0's
  PagerDuty media type (its trigger body: acknowledge and resolve carry no text);
- `zabbix_problem`, `zabbix_update`, `zabbix_recovery`: the body Zabbix 6.0's VictorOps
  media type posts with its shipped message templates, lines ended by CRLF, as are the
  trigger descriptions and update comments typed into the frontend.
"""

from __future__ import annotations

from random import Random
from typing import Any

from tests.corpus import benign
from tests.corpus.secrets import ALNUM, HEX, chars, digits, pick

Fields = dict[str, str]

AM_ALERTNAMES = [
    "KubePodCrashLooping",
    "TargetDown",
    "HighErrorRate",
    "DiskWillFillIn4h",
    "NodeFilesystemAlmostFull",
    "PostgresReplicationLag",
]
AM_SEVERITIES = ["critical", "critical", "warning", "info", "page"]
AM_NAMESPACES = ["payments", "checkout", "monitoring", "default"]
PROMETHEUS = "http://prometheus.example.com:9090"
ALERTMANAGER = "http://alertmanager.example.com:9093"


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def iso_time(rng: Random) -> str:
    return (
        f"2026-11-{rng.randint(1, 28):02}T{rng.randint(0, 23):02}:{rng.randint(0, 59):02}:"
        f"{rng.randint(0, 59):02}.{digits(rng, 3)}Z"
    )


def routing_key(rng: Random) -> str:
    return chars(rng, ALNUM, 32)


def runbook(rng: Random, name: str) -> str:
    return pick(
        rng,
        [
            f"https://runbooks.example.com/{name}",
            f"https://github.com/example/runbooks/blob/main/{name.lower()}.md",
        ],
    )


def instance(host: str) -> str:
    """An `instance` label: host:port, or the bare value when it has a colon already (an
    IPv6 address, written as relabelling leaves it)."""
    return host if ":" in host else f"{host}:9100"


# ------------------------------------------------------------------ Alertmanager webhook


def am_alert(
    rng: Random, name: str, namespace: str, texts: Fields, *, status: str
) -> dict[str, Any]:
    """One element of `alerts[]`; `texts` holds description, summary, instance and an
    optional runbook URL."""
    labels = {
        "alertname": name,
        "instance": instance(texts["labels.instance"]),
        "job": pick(rng, ["node-exporter", "kube-state-metrics", "blackbox"]),
        "namespace": namespace,
        "pod": benign.pod(rng),
        "severity": pick(rng, AM_SEVERITIES),
    }
    if rng.random() < 0.5:
        labels["cluster"] = "prod-eu-1"
    annotations = {
        "description": texts["annotations.description"],
        "summary": texts["annotations.summary"],
    }
    if "annotations.runbook_url" in texts:
        annotations["runbook_url"] = texts["annotations.runbook_url"]
    expr = f"up%7Bjob%3D%22{labels['job']}%22%7D+%3D%3D+0"
    return {
        "status": status,
        "labels": dict(sorted(labels.items())),
        "annotations": dict(sorted(annotations.items())),
        "startsAt": iso_time(rng),
        "endsAt": iso_time(rng) if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": f"{PROMETHEUS}/graph?g0.expr={expr}&g0.tab=1",
        "fingerprint": chars(rng, HEX, 16),
    }


def benign_am_texts(rng: Random) -> Fields:
    texts = {
        "annotations.description": benign.message(rng),
        "annotations.summary": benign.title(rng),
        "labels.instance": benign.host(rng),
    }
    if rng.random() < 0.3:
        texts["annotations.runbook_url"] = benign.link(rng)
    return texts


def common(maps: list[dict[str, str]]) -> dict[str, str]:
    """What Alertmanager writes as commonLabels / commonAnnotations: the pairs every alert
    of the group has."""
    first, *rest = maps
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in rest)}


def alertmanager_webhook(rng: Random, f: Fields) -> dict[str, Any]:
    name, namespace = pick(rng, AM_ALERTNAMES), pick(rng, AM_NAMESPACES)
    size = rng.randint(1, 4)
    planted_at = rng.randrange(size)
    alerts = [
        am_alert(
            rng,
            name,
            namespace,
            f if index == planted_at else benign_am_texts(rng),
            status="resolved" if rng.random() < 0.25 else "firing",
        )
        for index in range(size)
    ]
    firing = any(alert["status"] == "firing" for alert in alerts)
    return {
        "receiver": pick(rng, ["victorops", "payments-victorops", "sanitizer"]),
        "status": "firing" if firing else "resolved",
        "alerts": alerts,
        "groupLabels": {"alertname": name, "namespace": namespace},
        "commonLabels": common([alert["labels"] for alert in alerts]),
        "commonAnnotations": common([alert["annotations"] for alert in alerts]),
        "externalURL": ALERTMANAGER,
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}", namespace="{namespace}"}}',
        "truncatedAlerts": 0,
    }


# ------------------------------------------------------------------ PagerDuty Events v2


def text_alert_list(rng: Random, name: str, texts: list[Fields]) -> str:
    """Alertmanager's `__text_alert_list` template over alerts with these annotations."""
    out = []
    for alert in texts:
        labels = {
            "alertname": name,
            "instance": instance(alert["labels.instance"]),
            "namespace": pick(rng, AM_NAMESPACES),
            "severity": pick(rng, AM_SEVERITIES),
        }
        annotations = {
            "description": alert["annotations.description"],
            "summary": alert["annotations.summary"],
        }
        out.append(
            "Labels:\n"
            + "".join(f" - {k} = {v}\n" for k, v in sorted(labels.items()))
            + "Annotations:\n"
            + "".join(f" - {k} = {v}\n" for k, v in sorted(annotations.items()))
            + f"Source: {PROMETHEUS}/graph?g0.expr=up+%3D%3D+0&g0.tab=1\n"
        )
    return "".join(out)


def alertmanager_pagerduty(rng: Random, f: Fields) -> dict[str, Any]:
    """`pagerduty_configs` with Alertmanager's defaults; the slot's description is the
    first alert of the instances list (so a details cap cuts benign alerts first)."""
    name = pick(rng, AM_ALERTNAMES)
    resolve = rng.random() < 0.25
    first = {
        "annotations.description": f["custom_details.firing"],
        "annotations.summary": benign.title(rng),
        "labels.instance": benign.host(rng),
    }
    alerts = [first] + [benign_am_texts(rng) for _ in range(rng.randint(0, 2))]
    instances = text_alert_list(rng, name, alerts)
    count = str(len(alerts))
    state = "RESOLVED" if resolve else f"FIRING:{count}"
    body: dict[str, Any] = {
        "routing_key": routing_key(rng),
        "event_action": "resolve" if resolve else "trigger",
        "dedup_key": chars(rng, HEX, 64),
        "payload": {
            "summary": f"[{state}] {name} ({f['payload.summary']})",
            "source": "Alertmanager",
            "severity": pick(rng, ["critical", "error", "warning"]),
            "custom_details": {
                "firing": "" if resolve else instances,
                "resolved": instances if resolve else "",
                "num_firing": "0" if resolve else count,
                "num_resolved": count if resolve else "0",
            },
        },
        "client": "Alertmanager",
        "client_url": f"{ALERTMANAGER}/#/alerts?receiver=pagerduty",
    }
    if rng.random() < 0.4:
        body["links"] = [{"href": runbook(rng, name), "text": "Runbook"}]
    return body


def pdjs_payload(rng: Random, f: Fields, details: Any) -> dict[str, Any]:
    return {
        "summary": f["payload.summary"],
        "source": f["payload.source"],
        "severity": pick(rng, ["critical", "error", "warning", "info"]),
        "timestamp": iso_time(rng),
        "component": pick(rng, ["checkout", "postgres", "api-gateway", "billing"]),
        "group": pick(rng, ["prod-eu-1", "prod-us-2", "staging"]),
        "class": pick(rng, ["latency", "availability", "errors", "capacity"]),
        "custom_details": details,
    }


def pdjs_links(rng: Random, f: Fields) -> list[dict[str, str]]:
    links = [{"href": f"https://status.example.com/incidents/{digits(rng, 5)}", "text": "Status"}]
    if "links.Runbook" in f:
        links.insert(0, {"href": f["links.Runbook"], "text": "Runbook"})
    return links


def pdjs_envelope(rng: Random, f: Fields, details: Any) -> dict[str, Any]:
    service = pick(rng, ["checkout-latency", "pg-connections", "api-errors", "disk-var"])
    return {
        "routing_key": routing_key(rng),
        "event_action": pick(rng, ["trigger", "trigger", "trigger", "acknowledge", "resolve"]),
        "dedup_key": f"{service}/{benign.host(rng)}",
        "payload": pdjs_payload(rng, f, details),
        "links": pdjs_links(rng, f),
        "client": pick(rng, ["checkout-monitor", "cron-check", "deploy-bot"]),
        "client_url": f"https://monitor.example.com/alerts/{digits(rng, 4)}",
    }


def pdjs_event(rng: Random, f: Fields) -> dict[str, Any]:
    """A script's event: custom_details of numbers and text, a nested object (which the
    policy drops, so nothing is planted in it) and the slots' texts."""
    details: dict[str, Any] = {
        "p99_ms": rng.randint(200, 9000),
        "error_rate": round(rng.random() * 10, 2),
        "last_error": f["custom_details.last_error"],
        "region": pick(rng, ["eu-west-1", "us-east-2"]),
        "thresholds": {"warn_ms": 1000, "crit_ms": 2000},
    }
    if "custom_details.response" in f:
        details["response"] = f["custom_details.response"]
    return pdjs_envelope(rng, f, details)


def pdjs_text_details(rng: Random, f: Fields) -> dict[str, Any]:
    """A script that passes custom_details as one text."""
    return pdjs_envelope(rng, f, f["payload.custom_details"])


def pdjs_change(rng: Random, f: Fields) -> dict[str, Any]:
    """`pdjs.change()`: the body of /v2/change/enqueue, marked as the ingress marks it."""
    return {
        "routing_key": routing_key(rng),
        "event_action": "change",
        "payload": {
            "summary": f["payload.summary"],
            "timestamp": iso_time(rng),
            "source": f["payload.source"],
            "custom_details": {
                "revision": chars(rng, HEX, 7),
                "environment": pick(rng, ["prod-eu-1", "staging"]),
                "changelog": f["custom_details.changelog"],
            },
        },
        "links": pdjs_links(rng, f),
    }


ZABBIX_SEVERITIES = {  # name: (PagerDuty severity, VictorOps message_type)
    "Not classified": ("info", "INFO"),
    "Information": ("info", "INFO"),
    "Warning": ("warning", "INFO"),
    "Average": ("warning", "WARNING"),
    "High": ("error", "WARNING"),
    "Disaster": ("critical", "CRITICAL"),
}


def zabbix_date(rng: Random) -> tuple[str, str]:
    return (
        f"2026.11.{rng.randint(1, 28):02}",
        f"{rng.randint(0, 23):02}:{rng.randint(0, 59):02}:{rng.randint(0, 59):02}",
    )


def zabbix_url(rng: Random) -> str:
    return pick(rng, ["{$ZABBIX.URL}", "https://zabbix.example.com/zabbix"])


def zabbix_pagerduty(rng: Random, f: Fields) -> dict[str, Any]:
    """The trigger body of Zabbix 6.0's PagerDuty media type (its script, unchanged)."""
    severity = pick(rng, sorted(ZABBIX_SEVERITIES))
    event_id, trigger_id = digits(rng, 5).lstrip("0") or "1", digits(rng, 5).lstrip("0") or "1"
    date, time = zabbix_date(rng)
    url = zabbix_url(rng)
    return {
        "routing_key": routing_key(rng),
        "dedup_key": event_id,
        "event_action": "trigger",
        "payload": {
            "summary": f"Problem: {f['EVENT.NAME']}",
            "source": f"{f['HOST.NAME']} : {f['HOST.IP']}",
            "severity": ZABBIX_SEVERITIES[severity][0],
            "custom_details": {
                "Event date": date,
                "Event time": time,
                "Trigger description": crlf(f.get("TRIGGER.DESCRIPTION", "")),
                "Trigger opdata": f["EVENT.OPDATA"],
                "Event tags": pick(rng, ["component:mysql, scope:availability", "", "app:web"]),
                "Event host": f["HOST.NAME"],
                "Event host ip": f["HOST.IP"],
            },
        },
        "links": [
            {
                "href": f"{url}/tr_events.php?triggerid={trigger_id}&eventid={event_id}",
                "text": "Event link",
            }
        ],
        "client": "Zabbix",
        "client_url": url,
    }


# ---------------------------------------------------------------- Zabbix VictorOps webhook

ZABBIX_USERS = ["Zabbix Administrator (Admin)", "On-call Engineer (oncall)", "NOC Operator (noc)"]
ZABBIX_ACTIONS = ["acknowledged", "commented", "acknowledged and commented", "changed severity"]


def zabbix_common(rng: Random, f: Fields, severity: str) -> tuple[dict[str, Any], str]:
    """The fields every VictorOps body has, and the problem's event id."""
    event_id = digits(rng, 5).lstrip("0") or "1"
    url = zabbix_url(rng)
    body = {
        "entity_id": event_id,
        "hostname": f["HOST.NAME"],
        "monitoring_tool": "Zabbix",
        "operational_data": f["EVENT.OPDATA"],
        "severity": severity,
        "event_info": f"{url}/tr_events.php?triggerid={digits(rng, 5)}&eventid={event_id}",
    }
    return body, event_id


def trigger_url(rng: Random) -> str:
    return pick(rng, ["{TRIGGER.URL}", benign.link(rng)])


def zabbix_problem(rng: Random, f: Fields) -> dict[str, Any]:
    severity = pick(rng, sorted(ZABBIX_SEVERITIES))
    body, event_id = zabbix_common(rng, f, severity)
    date, time = zabbix_date(rng)
    message = (
        f"Problem started at {time} on {date}\nProblem name: {f['EVENT.NAME']}\n"
        f"Host: {f['HOST.NAME']}\nSeverity: {severity}\nOperational data: "
        f"{f['EVENT.OPDATA']}\nOriginal problem ID: {event_id}\n{trigger_url(rng)}"
    )
    body |= {
        "entity_display_name": f"Problem: {f['EVENT.NAME']}",
        "state_message": crlf(message),
        "message_type": ZABBIX_SEVERITIES[severity][1],
    }
    if "TRIGGER.DESCRIPTION" in f:
        body["trigger_description"] = crlf(f["TRIGGER.DESCRIPTION"])
    return body


def zabbix_update(rng: Random, f: Fields) -> dict[str, Any]:
    body, _ = zabbix_common(rng, f, pick(rng, sorted(ZABBIX_SEVERITIES)))
    date, time = zabbix_date(rng)
    acknowledged = pick(rng, ["Yes", "No"])
    message = (
        f"{pick(rng, ZABBIX_USERS)} {pick(rng, ZABBIX_ACTIONS)} problem at {date} {time}.\n"
        f"{f['EVENT.UPDATE.MESSAGE']}\n\n"
        f"Current problem status is PROBLEM, acknowledged: {acknowledged}."
    )
    return body | {
        "entity_display_name": f"[PROBLEM] {f['EVENT.NAME']}",
        "state_message": crlf(message),
        "message_type": "INFO",
    }


def zabbix_recovery(rng: Random, f: Fields) -> dict[str, Any]:
    severity = pick(rng, sorted(ZABBIX_SEVERITIES))
    body, event_id = zabbix_common(rng, f, severity)
    date, time = zabbix_date(rng)
    took = f"{rng.randint(1, 59)}m {rng.randint(0, 59)}s"
    message = (
        f"Problem has been resolved at {time} on {date}\nProblem name: {f['EVENT.NAME']}\n"
        f"Problem duration: {took}\nHost: {f['HOST.NAME']}\nSeverity: {severity}\n"
        f"Original problem ID: {event_id}\n{trigger_url(rng)}"
    )
    return body | {
        "entity_display_name": f"Resolved in {took}: {f['EVENT.NAME']}",
        "state_message": crlf(message),
        "event_duration": took,
        "recovery time": f"{date} {time}",
        "message_type": "OK",
    }
