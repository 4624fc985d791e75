"""VictorOps (Splunk On-Call) REST endpoint.

```yaml
upstream: {type: victorops, api_key: {env: VO_KEY}, routing_key: ops}
```
The body is POSTed as is to {url}/{api key}/{routing key}; the alert's own routing key (from
the inbound URL) wins over the configured one.

Contract: `message_type` present, one of CRITICAL, WARNING, ACKNOWLEDGEMENT, INFO, RECOVERY,
OK (any case); `entity_id` a string of at most 512 characters, `state_message` at most 20,480,
every other top-level string at most 1,024. Types: `entity_display_name`, `state_message`,
`monitoring_tool`, `ack_msg`, `ack_author`, `routing_key` and annotations (`vo_annotate.*`)
strings; `state_start_time` and `timestamp` a number or a string of digits (epoch seconds);
`entity_is_host` a boolean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from sanitizer.proxy.delivery import Outcome, Rejected
from sanitizer.proxy.pacing import per_minute
from sanitizer.proxy.upstreams.body import json_object
from sanitizer.proxy.upstreams.config import UpstreamConfig
from sanitizer.proxy.upstreams.contract import (
    BOOLEAN,
    EPOCH,
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

URL = "https://alert.victorops.com/integrations/generic/20131114/alert"
OPTIONS = (*HTTP_OPTIONS, "api_key", "routing_key")

MESSAGE_TYPES = ("CRITICAL", "WARNING", "ACKNOWLEDGEMENT", "INFO", "RECOVERY", "OK")
ENTITY_ID_MAX = 512
STATE_MESSAGE_MAX = 20_480
FIELD_MAX = 1_024
DOT_SEGMENT_REASON = "routing key is a dot segment"

_DOT_SEGMENTS = frozenset({".", ".."})
_ANNOTATION = "vo_annotate."
_DOCUMENTED = frozenset(
    {
        "message_type",
        "entity_id",
        "entity_display_name",
        "entity_is_host",
        "state_message",
        "state_start_time",
        "timestamp",
        "monitoring_tool",
        "ack_msg",
        "ack_author",
        "routing_key",
    }
)
_TYPES: dict[str, FieldType] = {
    "entity_display_name": TEXT,
    "state_message": TEXT,
    "monitoring_tool": TEXT,
    "ack_msg": TEXT,
    "ack_author": TEXT,
    "routing_key": TEXT,
    "state_start_time": EPOCH,
    "timestamp": EPOCH,
    "entity_is_host": BOOLEAN,
}


class VictorOpsUpstream(HttpSender):
    """POST the body to {url}/{api key}/{routing key}."""

    type = "victorops"

    def __init__(
        self,
        *,
        api_key: str,
        routing_key: str | None = None,
        url: str = URL,
        http: HttpOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(url, http or HttpOptions(), transport)
        self._base = f"{url.rstrip('/')}/{quote(api_key, safe='')}"
        self._routing_key = routing_key
        self._headers = {"content-type": JSON_CONTENT}

    def order_key(self, alert: SpooledAlert) -> str | None:
        """The incident's `entity_id`: a RECOVERY must not overtake its CRITICAL."""
        doc = json_object(alert.body)
        key = None if doc is None else doc.get("entity_id")
        return key if isinstance(key, str) and key else None

    def pace_key(self, alert: SpooledAlert) -> str:
        return alert.routing_key or self._routing_key or ""

    async def send(self, alert: SpooledAlert) -> Outcome:
        routing_key = alert.routing_key or self._routing_key
        if routing_key in _DOT_SEGMENTS:
            # "." and ".." survive quote(), and HTTP clients resolve them (aiohttp even after
            # decoding %2E): the alert would go to another path, without the API key segment.
            return Rejected(DOT_SEGMENT_REASON)
        url = f"{self._base}/{quote(routing_key, safe='')}" if routing_key else self._base
        return await self._exchange("POST", url, alert.body, self._headers)

    def describe(self) -> str:
        return f"victorops {shown_url(self._url).rstrip('/')}/<api key>/<routing key>"


def build(cfg: UpstreamConfig, transport: httpx.AsyncBaseTransport | None) -> VictorOpsUpstream:
    http = http_options(cfg)
    url = cfg.url(URL)
    routing_key = cfg.string("routing_key")
    if routing_key in _DOT_SEGMENTS:
        raise cfg.error("routing_key", "must not be '.' or '..' (a URL dot segment)")
    api_key = cfg.secret("api_key")
    if api_key in _DOT_SEGMENTS:
        raise cfg.error("api_key", "must not be '.' or '..' (a URL dot segment)")
    return VictorOpsUpstream(
        api_key=api_key, routing_key=routing_key, url=url, http=http, transport=transport
    )


def check(contract: Contract, work: Work) -> None:
    contract.enum(work, ("message_type",), MESSAGE_TYPES, "message_type", lower=False)
    contract.identity(work, ("entity_id",), ENTITY_ID_MAX, "entity_id")
    contract.types(work.doc, _TYPES)
    for key, value in work.doc.items():
        if key.startswith(_ANNOTATION) and value is not None and not TEXT.test(value):
            contract.type_error("an annotation (vo_annotate.*)", "annotation", value, TEXT)
    contract.limit_text(
        work, ("state_message",), STATE_MESSAGE_MAX, "state_message", "'state_message'"
    )
    for key in list(work.doc):
        if key in ("message_type", "entity_id", "state_message"):
            continue
        if key in _DOCUMENTED:
            name = repr(key)
        elif key.startswith(_ANNOTATION):
            name = "an annotation (vo_annotate.*)"
        else:
            name = "a field VictorOps does not document"
        contract.limit_text(work, (key,), FIELD_MAX, "length", name)


def notice(withheld: Notice) -> dict[str, Any]:
    return {
        "message_type": "WARNING",
        "entity_id": withheld.entity,
        "entity_display_name": f"Alerts withheld on route {withheld.route} (rule {withheld.rule})",
        "state_message": withheld.summary,
        "monitoring_tool": SOURCE,
    }


TYPE = UpstreamType(
    name="victorops",
    options=OPTIONS,
    build=build,
    sender=VictorOpsUpstream,
    notice=notice,
    checks=check,
    required=(RequiredField((("message_type",),), MESSAGE_TYPES),),
    # Splunk On-Call publishes no limit for the REST integration; PagerDuty's figure, per key.
    rate=per_minute(120, burst=10),
)
