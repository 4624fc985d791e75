"""PagerDuty Events API v2: the routing key goes into the body, not a header.

```yaml
upstream: {type: pagerduty, routing_key: {file: /run/secrets/pd}, dedup_key: "host || check"}
```
`dedup_key` is a JMESPath expression evaluated on each alert (before the routing key is
added); its value, as a string of at most 255 characters, becomes the event's `dedup_key`.
An alert without `event_action` is sent as a trigger. A change event (what the proxy's
`/v2/change/enqueue` ingress takes) carries `event_action: change` through the policy, so a
policy can tell it apart; it is sent without that field to PagerDuty's change-event endpoint
(`change_url`, by default the `url` with `/v2/enqueue` replaced by `/v2/change/enqueue`).

Contract: `event_action` one of trigger, acknowledge, resolve, change (missing means
trigger, as sent); a change event needs `payload.summary`; a trigger needs `payload.summary`
(at most 1,024 characters), `payload.source` and `payload.severity` (critical, error,
warning, info); `dedup_key`, when present, a string of
at most 255 characters. `event_action` and `severity` are accepted in any case and sent in
lower case. Types, as the Events v2 schema has them: `payload.summary`, `.source`,
`.timestamp` (ISO 8601 text), `.component`, `.group`, `.class`, `client` and `client_url`
strings; `payload.custom_details` anything (an object, typically); `images` and `links` lists
of objects.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx
import jmespath
import jmespath.exceptions

from sanitizer.proxy.delivery import Outcome, Rejected
from sanitizer.proxy.pacing import per_minute
from sanitizer.proxy.upstreams.body import NOT_OBJECT, dumps, json_object
from sanitizer.proxy.upstreams.config import UpstreamConfig
from sanitizer.proxy.upstreams.contract import (
    OBJECTS,
    TEXT,
    Contract,
    FieldType,
    RequiredField,
    Work,
)
from sanitizer.proxy.upstreams.http import (
    HTTP_OPTIONS,
    JSON_CONTENT,
    HttpOptions,
    HttpSender,
    http_options,
    shown_url,
)
from sanitizer.proxy.upstreams.notices import SOURCE, Notice
from sanitizer.proxy.upstreams.upstream import UpstreamType

if TYPE_CHECKING:
    from sanitizer.proxy.spool import SpooledAlert

URL = "https://events.pagerduty.com/v2/enqueue"
OPTIONS = (*HTTP_OPTIONS, "routing_key", "dedup_key", "change_url")

TRIGGER = "trigger"
ACTIONS = (TRIGGER, "acknowledge", "resolve")
CHANGE = "change"  # the proxy's name for a change event, which PagerDuty tells by its URL
SEVERITIES = ("critical", "error", "warning", "info")
SUMMARY_MAX = 1_024
DEDUP_KEY_MAX = 255

_TYPES: dict[str, FieldType] = {
    "client": TEXT,
    "client_url": TEXT,
    "images": OBJECTS,
    "links": OBJECTS,
}
_PAYLOAD_TYPES: dict[str, FieldType] = {
    "summary": TEXT,
    "source": TEXT,
    "timestamp": TEXT,
    "component": TEXT,
    "group": TEXT,
    "class": TEXT,
}


def change_url(url: str) -> str:
    """PagerDuty's change-event endpoint beside an Events v2 `url`."""
    base, found, rest = url.rpartition("/v2/enqueue")
    return f"{base}/v2/change/enqueue{rest}" if found else url.rstrip("/") + "/v2/change/enqueue"


def event_action(doc: dict[str, Any]) -> Any:
    """The event's action: an alert without one is a trigger (the sender writes it so)."""
    return doc.get("event_action") or TRIGGER


class PagerDutyUpstream(HttpSender):
    """POST the alert with `routing_key`, `event_action` and the computed `dedup_key` added."""

    type = "pagerduty"

    def __init__(
        self,
        *,
        routing_key: str,
        dedup_key: str | None = None,
        url: str = URL,
        change: str | None = None,
        http: HttpOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._dedup = None if dedup_key is None else jmespath.compile(dedup_key)
        self._dedup_source = dedup_key
        super().__init__(url, http or HttpOptions(), transport)
        self._routing_key = routing_key
        self._change_url = change or change_url(url)
        self._headers = {"content-type": JSON_CONTENT}

    def dedup_key(self, doc: Any) -> str | None:
        """The configured expression's value on the alert, cut to `DEDUP_KEY_MAX`, or None.

        An expression that fails on this alert (a type error in a function) gives None: the
        alert is still worth delivering without a dedup key.
        """
        if self._dedup is None:
            return None
        try:
            value = self._dedup.search(doc)
        except jmespath.exceptions.JMESPathError:
            return None
        if value is None:
            return None
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        return text[:DEDUP_KEY_MAX] or None

    def order_key(self, alert: SpooledAlert) -> str | None:
        """The dedup_key the event is sent with: its resolve must not overtake its trigger.
        Change events (no incident) and events without a key are not ordered."""
        doc = json_object(alert.body)
        if doc is None or doc.get("event_action") == CHANGE:
            return None
        key = self.dedup_key(doc) if self._dedup is not None else doc.get("dedup_key")
        return key if isinstance(key, str) and key else None

    async def send(self, alert: SpooledAlert) -> Outcome:
        doc = json_object(alert.body)
        if doc is None:
            return Rejected(NOT_OBJECT)
        if doc.get("event_action") == CHANGE:
            del doc["event_action"]
            doc["routing_key"] = self._routing_key
            return await self._exchange("POST", self._change_url, dumps(doc), self._headers)
        dedup = self.dedup_key(doc)  # before the routing key is added, so it can never leak
        if dedup is not None:
            doc["dedup_key"] = dedup
        doc["event_action"] = event_action(doc)
        doc["routing_key"] = self._routing_key
        return await self._exchange("POST", self._url, dumps(doc), self._headers)

    def describe(self) -> str:
        dedup = f", dedup_key {self._dedup_source}" if self._dedup_source else ""
        return f"pagerduty {shown_url(self._url)} (routing_key <secret>{dedup})"


def build(cfg: UpstreamConfig, transport: httpx.AsyncBaseTransport | None) -> PagerDutyUpstream:
    http = http_options(cfg)
    url = cfg.url(URL)
    change = cfg.string("change_url")
    expression = cfg.string("dedup_key")
    routing_key = cfg.secret("routing_key")
    try:
        return PagerDutyUpstream(
            routing_key=routing_key,
            dedup_key=expression,
            url=url,
            change=change,
            http=http,
            transport=transport,
        )
    except jmespath.exceptions.JMESPathError as exc:
        raise cfg.error("dedup_key", f"is not a valid JMESPath expression ({exc})") from None


def _check_change(contract: Contract, work: Work) -> None:
    payload = work.doc.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("summary"), str):
        payload = None
    if payload is None or not payload["summary"]:
        raise contract.refuse(
            "summary",
            "a change event needs 'payload.summary' (a non-empty string); keep or `set` it "
            "in the policy",
        )
    contract.types(work.doc, {"links": OBJECTS})
    contract.types(payload, _PAYLOAD_TYPES, "payload.")
    contract.limit_text(work, ("payload", "summary"), SUMMARY_MAX, "summary", "'payload.summary'")


def check(contract: Contract, work: Work) -> None:
    if work.doc.get("event_action") == CHANGE:
        _check_change(contract, work)
        return
    if work.doc.get("event_action") is not None:
        contract.enum(work, ("event_action",), ACTIONS, "event_action", lower=True)
    contract.identity(work, ("dedup_key",), DEDUP_KEY_MAX, "dedup_key")
    contract.types(work.doc, _TYPES)
    payload = work.doc.get("payload")
    if event_action(work.doc) == TRIGGER:
        if not isinstance(payload, dict):
            raise contract.refuse(
                "payload",
                "a trigger event needs a 'payload' object with summary, source and severity; "
                "build it in the policy with `set` rules (select: payload.summary, ...)",
            )
        for field in ("summary", "source"):
            value = payload.get(field)
            if not isinstance(value, str) or not value:
                raise contract.refuse(
                    field,
                    f"'payload.{field}' is missing or not a non-empty string; PagerDuty refuses "
                    f"a trigger without it: `set` it in the policy (select: payload.{field})",
                )
        contract.enum(work, ("payload", "severity"), SEVERITIES, "severity", lower=True)
    if isinstance(payload, dict):
        contract.types(payload, _PAYLOAD_TYPES, "payload.")
    if isinstance(work.doc.get("payload"), dict):
        contract.limit_text(
            work, ("payload", "summary"), SUMMARY_MAX, "summary", "'payload.summary'"
        )


def notice(withheld: Notice) -> dict[str, Any]:
    return {
        "event_action": TRIGGER,
        "dedup_key": withheld.entity,
        "payload": {
            "summary": withheld.summary[:SUMMARY_MAX],
            "source": SOURCE,
            "severity": "warning",
            "custom_details": {
                "route": withheld.route,
                "rule": withheld.rule,
                "count": withheld.count,
            },
        },
    }


TYPE = UpstreamType(
    name="pagerduty",
    options=OPTIONS,
    build=build,
    sender=PagerDutyUpstream,
    notice=notice,
    checks=check,
    # PagerDuty: about 120 events per minute per routing key (one per upstream), 429 above.
    rate=per_minute(120, burst=10),
    required=(
        RequiredField((("payload", "summary"),)),
        RequiredField((("payload", "source"),)),
        RequiredField((("payload", "severity"),), SEVERITIES),
    ),
)
