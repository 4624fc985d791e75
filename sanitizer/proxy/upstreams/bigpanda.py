"""BigPanda alerts API v2: bearer token, `app_key` added to the alert object.

```yaml
upstream: {type: bigpanda, token: {env: BP_TOKEN}, app_key: 0123abcd}
```

Contract: a flat object (no nested objects or lists); `status` one of ok, critical, warning,
unknown, acknowledged (any case, sent in lower case); a primary property: the field
`primary_property` names, else one of host, service, application, device;
`secondary_property`, when given, names a present field; `description` at most 2,048
characters. Types: `host`, `service`, `application`, `device`, `check`, `description`
strings, `timestamp` a number or a string of digits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from sanitizer.proxy.delivery import Outcome, Rejected
from sanitizer.proxy.pacing import per_minute
from sanitizer.proxy.upstreams.body import NOT_OBJECT, dumps, json_object
from sanitizer.proxy.upstreams.config import UpstreamConfig
from sanitizer.proxy.upstreams.contract import (
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

URL = "https://api.bigpanda.io/data/v2/alerts"
OPTIONS = (*HTTP_OPTIONS, "token", "app_key")

STATUSES = ("ok", "critical", "warning", "unknown", "acknowledged")
PRIMARY = ("host", "service", "application", "device")
DESCRIPTION_MAX = 2_048

_TYPES: dict[str, FieldType] = {
    "host": TEXT,
    "service": TEXT,
    "application": TEXT,
    "device": TEXT,
    "check": TEXT,
    "description": TEXT,
    "timestamp": EPOCH,
}


class BigPandaUpstream(HttpSender):
    """POST the alert with `app_key` added, authenticated by a bearer token."""

    type = "bigpanda"

    def __init__(
        self,
        *,
        token: str,
        app_key: str,
        url: str = URL,
        http: HttpOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(url, http or HttpOptions(), transport)
        self._app_key = app_key
        self._headers = {"content-type": JSON_CONTENT, "authorization": f"Bearer {token}"}

    async def send(self, alert: SpooledAlert) -> Outcome:
        doc = json_object(alert.body)
        if doc is None:
            return Rejected(NOT_OBJECT)
        doc["app_key"] = self._app_key
        return await self._exchange("POST", self._url, dumps(doc), self._headers)

    def describe(self) -> str:
        return f"bigpanda {shown_url(self._url)} (bearer <token>)"


def build(cfg: UpstreamConfig, transport: httpx.AsyncBaseTransport | None) -> BigPandaUpstream:
    http = http_options(cfg)
    url = cfg.url(URL)
    return BigPandaUpstream(
        token=cfg.secret("token", header=True),
        app_key=cfg.string("app_key", required=True),
        url=url,
        http=http,
        transport=transport,
    )


def _present(doc: dict[str, Any], key: Any) -> bool:
    return isinstance(key, str) and doc.get(key) not in (None, "")


def check(contract: Contract, work: Work) -> None:
    doc = work.doc
    if any(isinstance(value, dict | list) for value in doc.values()):
        raise contract.refuse(
            "flat",
            "BigPanda takes one flat object (string, number or boolean values) but a field "
            "holds an object or a list; batches are not supported: drop or flatten it in the "
            "policy (`rename` nested fields to top-level ones, then `allow` only those)",
        )
    contract.enum(work, ("status",), STATUSES, "status", lower=True)
    contract.types(doc, _TYPES)
    primary = doc.get("primary_property")
    if primary is not None:
        if not _present(doc, primary):
            raise contract.refuse(
                "primary_property",
                "'primary_property' does not name a field present in the alert; set it to "
                "the name of a field the policy keeps",
            )
    elif not any(_present(doc, name) for name in PRIMARY):
        raise contract.refuse(
            "primary_property",
            f"the alert has none of {', '.join(PRIMARY)} and no 'primary_property'; "
            "BigPanda needs one to group it: keep or `set` one of them in the policy",
        )
    secondary = doc.get("secondary_property")
    if secondary is not None and not _present(doc, secondary):
        raise contract.refuse(
            "secondary_property",
            "'secondary_property' does not name a field present in the alert; set it to "
            "the name of a field the policy keeps, or drop it",
        )
    contract.limit_text(work, ("description",), DESCRIPTION_MAX, "description", "'description'")


def notice(withheld: Notice) -> dict[str, Any]:
    return {
        "status": "warning",
        "host": SOURCE,
        "check": f"refused/{withheld.route}/{withheld.rule}",
        "description": withheld.summary,
    }


TYPE = UpstreamType(
    name="bigpanda",
    options=OPTIONS,
    build=build,
    sender=BigPandaUpstream,
    notice=notice,
    checks=check,
    required=(
        RequiredField((("status",),), STATUSES),
        RequiredField(tuple((name,) for name in PRIMARY)),
    ),
    # BigPanda publishes no number for its alerts API (429 when over); a conservative default.
    rate=per_minute(300, burst=20),
)
