"""Any HTTP endpoint: the sanitized body as is, with configured headers.

```yaml
upstream: {type: webhook, url: https://hooks.example/x, method: PUT,
           headers: {X-Team: ops, X-Api-Key: {env: HOOK_KEY}}}
```
A header value given as `{env: X}` / `{file: P}` is a secret: read once at build time, shown
as `<secret>`. No contract: the receiver takes any JSON. Refusal notices take the VictorOps
shape, a flat alert any receiver can read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import httpx

from sanitizer.proxy.delivery import Outcome
from sanitizer.proxy.upstreams import victorops
from sanitizer.proxy.upstreams.config import HEADER_VALUE, UpstreamConfig
from sanitizer.proxy.upstreams.http import (
    HTTP_OPTIONS,
    JSON_CONTENT,
    HttpOptions,
    HttpSender,
    http_options,
    shown_url,
)
from sanitizer.proxy.upstreams.upstream import UpstreamType

if TYPE_CHECKING:
    from sanitizer.proxy.spool import SpooledAlert

OPTIONS = (*HTTP_OPTIONS, "method", "headers")
METHODS = ("POST", "PUT", "PATCH")

_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FRAMING_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class WebhookUpstream(HttpSender):
    """Send the body as is, with the configured method and headers."""

    type = "webhook"

    def __init__(
        self,
        *,
        url: str,
        method: str = "POST",
        headers: Mapping[str, str] | None = None,
        secret_headers: frozenset[str] = frozenset(),
        http: HttpOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(url, http or HttpOptions(), transport)
        self._method = method
        self._headers = {"content-type": JSON_CONTENT}
        self._headers.update({name.lower(): value for name, value in (headers or {}).items()})
        self._secret_headers = frozenset(name.lower() for name in secret_headers)

    async def send(self, alert: SpooledAlert) -> Outcome:
        return await self._exchange(self._method, self._url, alert.body, self._headers)

    def describe(self) -> str:
        shown = ", ".join(
            f"{name}: <secret>" if name in self._secret_headers else name
            for name in self._headers
            if name != "content-type"
        )
        extra = f" (headers {shown})" if shown else ""
        return f"webhook {self._method} {shown_url(self._url)}{extra}"


def _headers(cfg: UpstreamConfig) -> tuple[dict[str, str], frozenset[str]]:
    """The configured headers, and the names of those given as secrets."""
    raw = cfg.raw.get("headers", {})
    if not isinstance(raw, Mapping):
        raise cfg.error("headers", "must be a mapping of header name to value")
    headers: dict[str, str] = {}
    secret: set[str] = set()
    for name, value in raw.items():
        key = f"headers.{name}"
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise cfg.error(key, "is not a valid HTTP header name")
        if name.lower() in _FRAMING_HEADERS:
            raise cfg.error(key, "is set by the HTTP client and cannot be configured")
        if isinstance(value, str):
            if not HEADER_VALUE.fullmatch(value):
                raise cfg.error(key, "holds characters an HTTP header cannot carry")
            headers[name] = value
        else:
            what = f"header {name} of route {cfg.route!r}"
            headers[name] = cfg.resolve(value, key, what, header=True)
            secret.add(name)
    return headers, frozenset(secret)


def build(cfg: UpstreamConfig, transport: httpx.AsyncBaseTransport | None) -> WebhookUpstream:
    http = http_options(cfg)
    url = cfg.url()
    method = cfg.string("method", "POST").upper()
    if method not in METHODS:
        raise cfg.error("method", f"must be one of: {', '.join(METHODS)}")
    headers, secret = _headers(cfg)
    return WebhookUpstream(
        url=url,
        method=method,
        headers=headers,
        secret_headers=secret,
        http=http,
        transport=transport,
    )


TYPE = UpstreamType(
    name="webhook",
    options=OPTIONS,
    build=build,
    sender=WebhookUpstream,
    notice=victorops.notice,
)
