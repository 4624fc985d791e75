"""Senders that deliver one spooled, sanitized alert to its route's upstream.

A route's `upstream:` mapping becomes a sender through `build_upstream`:

```yaml
upstream: {type: victorops, api_key: {env: VO_KEY}, routing_key: ops}
upstream: {type: webhook, url: https://hooks.example/x, method: PUT,
           headers: {X-Team: ops, X-Api-Key: {env: HOOK_KEY}}}
upstream: {type: bigpanda, token: {env: BP_TOKEN}, app_key: 0123abcd}
upstream: {type: pagerduty, routing_key: {file: /run/secrets/pd}, dedup_key: "host || check"}
upstream: {type: capture, path: var/capture.jsonl}
```

Every HTTP type also takes `timeout` (seconds, default 10: bounds each of connect, write, each
read and the wait for a pooled connection; a whole exchange never exceeds twice it),
`ca_bundle` (PEM file that replaces the default CA roots), `max_connections` (default 16),
`transport` (`aiohttp`, the default, or `default` for httpx's own) and `tls_verify`. TLS
certificates are always verified: `tls_verify: false` is an escape hatch for a test bench only,
and it is logged as a WARNING at every build.

Secrets (API keys, tokens, routing keys, header values given as `{env: X}` / `{file: P}`) are
resolved once at build time and never appear in `repr()`, `describe()` or an Outcome's reason.
(httpx itself logs each request's URL, which holds the VictorOps API key, at INFO on the "httpx"
logger: `sanitizer.proxy.logs` never formats that record's arguments.) URLs come from the config
only, never from a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import email.utils
import errno
import functools
import ipaddress
import json
import logging
import os
import re
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

import httpx
import jmespath
import jmespath.exceptions

from sanitizer import __version__
from sanitizer.errors import ConfigError, PolicyError
from sanitizer.keys import parse_secret_ref, read_secret
from sanitizer.proxy.delivery import Delivered, Outcome, Rejected, RetryLater

if TYPE_CHECKING:
    from sanitizer.proxy.spool import SpooledAlert

logger = logging.getLogger("sanitizer.upstreams")

VICTOROPS_URL = "https://alert.victorops.com/integrations/generic/20131114/alert"
BIGPANDA_URL = "https://api.bigpanda.io/data/v2/alerts"
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
TRANSPORTS = ("aiohttp", "default")
DEFAULT_TRANSPORT = "aiohttp"
WEBHOOK_METHODS = ("POST", "PUT", "PATCH")
MAX_RETRY_AFTER = 86400.0
MAX_DEDUP_KEY = 255
USER_AGENT = f"alert-sanitizer/{__version__}"

DOT_SEGMENT_REASON = "routing key is a dot segment"

_DOT_SEGMENTS = frozenset({".", ".."})
_DRAIN_LIMIT = 65536
_JSON = "application/json"
_NOT_OBJECT = "alert body is not a JSON object"
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
_FRAMING_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_HTTP_COMMON = ("type", "url", "timeout", "ca_bundle", "tls_verify", "max_connections", "transport")
_OPTIONS: dict[str, tuple[str, ...]] = {
    "victorops": (*_HTTP_COMMON, "api_key", "routing_key"),
    "webhook": (*_HTTP_COMMON, "method", "headers"),
    "bigpanda": (*_HTTP_COMMON, "token", "app_key"),
    "pagerduty": (*_HTTP_COMMON, "routing_key", "dedup_key"),
    "capture": ("type", "path"),
}
_DEFAULT_URLS = {"victorops": VICTOROPS_URL, "bigpanda": BIGPANDA_URL, "pagerduty": PAGERDUTY_URL}


class Upstream(Protocol):
    """What the delivery loop needs from a sender."""

    type: str

    async def send(self, alert: SpooledAlert) -> Outcome: ...

    async def aclose(self) -> None: ...

    def describe(self) -> str: ...


# ---------------------------------------------------------------------------- outcomes


def outcome_of(result: httpx.Response | BaseException, *, now: float | None = None) -> Outcome:
    """The one place an HTTP exchange becomes a delivery outcome.

    - 2xx → Delivered.
    - 408, 429 and 5xx → RetryLater("HTTP <code>"); for 429 and 503 a `Retry-After` header
      (seconds or an HTTP-date) becomes `retry_after` in seconds, at most `MAX_RETRY_AFTER`.
    - any other status → Rejected("HTTP <code>"): other 4xx will fail the same way again, and
      1xx/3xx mean a misconfigured URL (redirects are never followed, so secrets stay put).
    - an exception (transport failure or timeout) → RetryLater(<its type name>), in httpx's
      vocabulary whichever transport raised it: ConnectError, ConnectTimeout, ReadTimeout,
      ReadError, RemoteProtocolError, ...; TimeoutError when the whole exchange overran.

    Reasons hold a status code or an exception type name only: never a URL (it may hold an
    API key), a header or a body.
    """
    if isinstance(result, BaseException):
        return RetryLater(_error_reason(result))
    status = result.status_code
    reason = f"HTTP {status}"
    if 200 <= status < 300:
        return Delivered()
    if status in (429, 503):
        return RetryLater(reason, parse_retry_after(result.headers.get("retry-after"), now=now))
    if status == 408 or 500 <= status < 600:
        return RetryLater(reason)
    return Rejected(reason)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(int(value[:12])), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT; "-0000" parses as naive
        when = when.replace(tzinfo=datetime.UTC)
    delay = when.timestamp() - (time.time() if now is None else now)
    return min(max(delay, 0.0), MAX_RETRY_AFTER)


# httpx-aiohttp maps aiohttp's errors onto httpx's lossily (a server disconnect becomes
# ConnectTimeout), so its errors are named here as httpx's own transport names the same failure:
# reasons, logged and used as metrics labels, then do not depend on the transport.
_AIOHTTP_REASONS = {
    "SocketTimeoutError": "ReadTimeout",
    "ConnectionTimeoutError": "ConnectTimeout",
    "ServerTimeoutError": "ReadTimeout",
    "ServerDisconnectedError": "RemoteProtocolError",
    "ClientResponseError": "RemoteProtocolError",
    "ClientPayloadError": "ReadError",
    "ClientConnectorError": "ConnectError",
    "ClientSSLError": "ConnectError",
    "ServerFingerprintMismatch": "ConnectError",
    "ClientOSError": "ReadError",
}


def _error_reason(exc: BaseException) -> str:
    for candidate in (exc, exc.__cause__):
        if candidate is not None and type(candidate).__module__.startswith("aiohttp"):
            for cls in type(candidate).__mro__:
                if cls.__name__ in _AIOHTTP_REASONS:
                    return _AIOHTTP_REASONS[cls.__name__]
            return "TransportError"
    return type(exc).__name__


# ---------------------------------------------------------------------------- HTTP plumbing


@dataclass(frozen=True)
class HttpOptions:
    """Connection settings shared by every HTTP sender."""

    timeout: float = 10.0
    ca_bundle: str | None = None
    tls_verify: bool = True
    max_connections: int = 16
    transport: str = DEFAULT_TRANSPORT

    def ssl_context(self) -> ssl.SSLContext:
        if not self.tls_verify:
            return httpx.create_ssl_context(verify=False, trust_env=False)
        if self.ca_bundle:
            return ssl.create_default_context(cafile=self.ca_bundle)
        return _default_ssl_context()


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """certifi's roots, loaded once (about 20 ms) and shared: contexts are safe to share."""
    return httpx.create_ssl_context(verify=True, trust_env=False)


class _Borrowed(httpx.AsyncBaseTransport):
    """An injected transport: used, never closed, since its owner may share it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        return None


def aiohttp_available() -> bool:
    try:
        import httpx_aiohttp  # noqa: F401
    except ImportError:
        return False
    return True


def make_transport(options: HttpOptions) -> httpx.AsyncBaseTransport:
    """httpx's own transport or the aiohttp one (a third of the CPU per request); TLS verified."""
    limits = httpx.Limits(
        max_connections=options.max_connections,
        max_keepalive_connections=options.max_connections,
    )
    context = options.ssl_context()
    if options.transport == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        return AiohttpTransport(verify=context, limits=limits, trust_env=False)
    return httpx.AsyncHTTPTransport(verify=context, limits=limits, trust_env=False)


def make_client(
    options: HttpOptions, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The sender's one client; proxies and CA settings from the environment are ignored."""
    return httpx.AsyncClient(
        transport=make_transport(options) if transport is None else _Borrowed(transport),
        timeout=httpx.Timeout(options.timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": USER_AGENT},
    )


def _transport_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [httpx.TransportError, TimeoutError]
    try:
        import aiohttp
    except ImportError:
        pass
    else:
        errors.append(aiohttp.ClientError)  # what httpx-aiohttp does not translate
    return tuple(errors)


async def _drain(response: httpx.Response) -> None:
    """Read (a bounded part of) the body so the connection can be reused."""
    seen = 0
    async for chunk in response.aiter_raw():
        seen += len(chunk)
        if seen > _DRAIN_LIMIT:
            return


def _shown_url(url: str) -> str:
    """A URL for humans: no user info, query replaced by '?…'."""
    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    query = "?…" if parsed.query else ""
    return f"{parsed.scheme}://{parsed.host}{port}{parsed.path}{query}"


class _Sender:
    type = "?"

    def describe(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

    __str__ = __repr__


class _HttpSender(_Sender):
    def __init__(
        self, url: str, http: HttpOptions, transport: httpx.AsyncBaseTransport | None
    ) -> None:
        self._url = url
        self._http = http
        self._client = make_client(http, transport)
        self._errors = _transport_errors()
        self._deadline = 2 * http.timeout

    async def _exchange(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> Outcome:
        request = self._client.build_request(method, url, content=body, headers=headers)
        response: httpx.Response | None = None
        try:
            async with asyncio.timeout(self._deadline):
                response = await self._client.send(request, stream=True)
                await _drain(response)
        except self._errors as exc:
            if response is None:
                return outcome_of(exc)
            # The status line arrived, so the upstream has decided; a broken body changes nothing.
        finally:
            if response is not None:
                with contextlib.suppress(*self._errors):
                    await response.aclose()
        return outcome_of(response)

    async def aclose(self) -> None:
        await self._client.aclose()


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _dumps(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ---------------------------------------------------------------------------- senders


class VictorOpsUpstream(_HttpSender):
    """VictorOps (Splunk On-Call) REST endpoint: POST the body to {url}/{api key}/{routing key}."""

    type = "victorops"

    def __init__(
        self,
        *,
        api_key: str,
        routing_key: str | None = None,
        url: str = VICTOROPS_URL,
        http: HttpOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(url, http or HttpOptions(), transport)
        self._base = f"{url.rstrip('/')}/{quote(api_key, safe='')}"
        self._routing_key = routing_key
        self._headers = {"content-type": _JSON}

    async def send(self, alert: SpooledAlert) -> Outcome:
        routing_key = alert.routing_key or self._routing_key
        if routing_key in _DOT_SEGMENTS:
            # "." and ".." survive quote(), and HTTP clients resolve them (aiohttp even after
            # decoding %2E): the alert would go to another path, without the API key segment.
            return Rejected(DOT_SEGMENT_REASON)
        url = f"{self._base}/{quote(routing_key, safe='')}" if routing_key else self._base
        return await self._exchange("POST", url, alert.body, self._headers)

    def describe(self) -> str:
        return f"victorops {_shown_url(self._url).rstrip('/')}/<api key>/<routing key>"


class WebhookUpstream(_HttpSender):
    """Any HTTP endpoint: the sanitized body as is, with configured headers."""

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
        self._headers = {"content-type": _JSON}
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
        return f"webhook {self._method} {_shown_url(self._url)}{extra}"


class BigPandaUpstream(_HttpSender):
    """BigPanda alerts API v2: bearer token, `app_key` added to the alert object."""

    type = "bigpanda"

    def __init__(
        self,
        *,
        token: str,
        app_key: str,
        url: str = BIGPANDA_URL,
        http: HttpOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(url, http or HttpOptions(), transport)
        self._app_key = app_key
        self._headers = {"content-type": _JSON, "authorization": f"Bearer {token}"}

    async def send(self, alert: SpooledAlert) -> Outcome:
        doc = _json_object(alert.body)
        if doc is None:
            return Rejected(_NOT_OBJECT)
        doc["app_key"] = self._app_key
        return await self._exchange("POST", self._url, _dumps(doc), self._headers)

    def describe(self) -> str:
        return f"bigpanda {_shown_url(self._url)} (bearer <token>)"


class PagerDutyUpstream(_HttpSender):
    """PagerDuty Events API v2: the routing key goes into the body, not a header."""

    type = "pagerduty"

    def __init__(
        self,
        *,
        routing_key: str,
        dedup_key: str | None = None,
        url: str = PAGERDUTY_URL,
        http: HttpOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._dedup = None if dedup_key is None else jmespath.compile(dedup_key)
        self._dedup_source = dedup_key
        super().__init__(url, http or HttpOptions(), transport)
        self._routing_key = routing_key
        self._headers = {"content-type": _JSON}

    def dedup_key(self, doc: Any) -> str | None:
        """The configured expression's value on the alert, as a string of ≤255 chars, or None.

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
        return text[:MAX_DEDUP_KEY] or None

    async def send(self, alert: SpooledAlert) -> Outcome:
        doc = _json_object(alert.body)
        if doc is None:
            return Rejected(_NOT_OBJECT)
        dedup = self.dedup_key(doc)  # before the routing key is added, so it can never leak
        if dedup is not None:
            doc["dedup_key"] = dedup
        if not doc.get("event_action"):
            doc["event_action"] = "trigger"
        doc["routing_key"] = self._routing_key
        return await self._exchange("POST", self._url, _dumps(doc), self._headers)

    def describe(self) -> str:
        dedup = f", dedup_key {self._dedup_source}" if self._dedup_source else ""
        return f"pagerduty {_shown_url(self._url)} (routing_key <secret>{dedup})"


class CaptureUpstream(_Sender):
    """No network: append each alert as one JSON line to a file, fsynced before Delivered."""

    type = "capture"

    def __init__(self, *, path: str | Path) -> None:
        self._path = Path(path)
        self._lock = threading.Lock()
        self._fd: int | None = None

    async def send(self, alert: SpooledAlert) -> Outcome:
        try:
            doc = json.loads(alert.body)
        except ValueError:
            return Rejected("alert body is not JSON")
        line = {
            "id": alert.id,
            "route": alert.route,
            "routing_key": alert.routing_key,
            "alert": doc,
        }
        try:
            await asyncio.to_thread(self._append, _dumps(line) + b"\n")
        except OSError as exc:
            code = errno.errorcode.get(exc.errno or 0)
            return RetryLater(f"{type(exc).__name__} {code}" if code else type(exc).__name__)
        return Delivered()

    def _open(self) -> int:
        if self._fd is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            created = not self._path.exists()
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
            self._fd = os.open(self._path, flags, 0o600)
            if created:  # make the new directory entry durable too
                directory = os.open(self._path.parent, os.O_RDONLY)
                try:
                    os.fsync(directory)
                finally:
                    os.close(directory)
        return self._fd

    def _append(self, data: bytes) -> None:
        with self._lock:
            fd = self._open()
            start = os.lseek(fd, 0, os.SEEK_END)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            except OSError:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, start)  # never leave half a line behind
                raise

    def _close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    async def aclose(self) -> None:
        await asyncio.to_thread(self._close)

    def describe(self) -> str:
        return f"capture {self._path}"


# ---------------------------------------------------------------------------- config


class _Config:
    """One route's `upstream:` mapping, with errors that name the field to fix."""

    def __init__(
        self, raw: Mapping[str, Any], route: str, environ: Mapping[str, str] | None
    ) -> None:
        self.raw = raw
        self.route = route
        self.environ = environ
        self.where = f"routes.{route}.upstream"

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(problem, field=f"{self.where}.{key}")

    def check_keys(self, kind: str) -> None:
        allowed = _OPTIONS[kind]
        for key in self.raw:
            if key not in allowed:
                raise self.error(
                    str(key), f"unknown option for type {kind}; allowed: {', '.join(allowed)}"
                )

    def string(self, key: str, default: str | None = None, *, required: bool = False) -> Any:
        value = self.raw.get(key, default)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(
                key, "must be a non-empty string" if key in self.raw else "is required"
            )
        return value

    def number(self, key: str, default: float, *, low: float, high: float, integer: bool) -> Any:
        value = self.raw.get(key, default)
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
            kind = "an integer" if integer else "a number"
            raise self.error(key, f"must be {kind} from {low:g} to {high:g}")
        return value

    def url(self, default: str | None = None) -> str:
        value = self.string("url", default, required=True)
        try:
            parsed = httpx.URL(value)
        except httpx.InvalidURL:
            raise self.error("url", "is not a valid URL") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise self.error("url", "must be an http:// or https:// URL with a host")
        if parsed.userinfo:
            raise self.error(
                "url",
                "holds a user name or password; send credentials in a header given as a "
                "{env: VARIABLE} or {file: PATH} secret",
            )
        if parsed.fragment:
            raise self.error("url", "must not have a #fragment")
        return value

    def secret(self, key: str, *, header: bool = False) -> str:
        raw = self.raw.get(key)
        if raw is None:
            raise self.error(key, "is required, as {env: VARIABLE} or {file: PATH}")
        return self.resolve(raw, key, f"upstream {key} of route {self.route!r}", header=header)

    def resolve(self, raw: Any, key: str, what: str, *, header: bool) -> str:
        try:
            text = read_secret(parse_secret_ref(raw, what=what), what=what, environ=self.environ)
        except PolicyError as exc:
            raise self.error(key, exc.problem) from None
        if header and not _HEADER_VALUE.fullmatch(text):
            raise self.error(
                key, f"{what} holds characters an HTTP header cannot carry (printable ASCII only)"
            )
        return text

    def http(self) -> HttpOptions:
        tls_verify = self.raw.get("tls_verify", True)
        if not isinstance(tls_verify, bool):
            raise self.error("tls_verify", "must be true or false")
        ca_bundle = self.string("ca_bundle")
        if ca_bundle is not None and not tls_verify:
            raise self.error("ca_bundle", "has no effect with tls_verify: false; drop one")
        transport = self.raw.get("transport", DEFAULT_TRANSPORT)
        if transport not in TRANSPORTS:
            raise self.error("transport", f"must be one of: {', '.join(TRANSPORTS)}")
        if transport == "aiohttp" and not aiohttp_available():
            raise self.error(
                "transport",
                "aiohttp needs the httpx-aiohttp package; install it or set transport: default",
            )
        options = HttpOptions(
            timeout=float(self.number("timeout", 10.0, low=0.01, high=600, integer=False)),
            ca_bundle=ca_bundle,
            tls_verify=tls_verify,
            max_connections=self.number("max_connections", 16, low=1, high=1024, integer=True),
            transport=transport,
        )
        try:
            if ca_bundle is not None:
                options.ssl_context()
        except (OSError, ssl.SSLError):
            raise self.error(
                "ca_bundle", "cannot be read as a PEM bundle of CA certificates"
            ) from None
        return options

    def headers(self) -> tuple[dict[str, str], frozenset[str]]:
        raw = self.raw.get("headers", {})
        if not isinstance(raw, Mapping):
            raise self.error("headers", "must be a mapping of header name to value")
        headers: dict[str, str] = {}
        secret: set[str] = set()
        for name, value in raw.items():
            key = f"headers.{name}"
            if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
                raise self.error(key, "is not a valid HTTP header name")
            if name.lower() in _FRAMING_HEADERS:
                raise self.error(key, "is set by the HTTP client and cannot be configured")
            if isinstance(value, str):
                if not _HEADER_VALUE.fullmatch(value):
                    raise self.error(key, "holds characters an HTTP header cannot carry")
                headers[name] = value
            else:
                what = f"header {name} of route {self.route!r}"
                headers[name] = self.resolve(value, key, what, header=True)
                secret.add(name)
        return headers, frozenset(secret)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_upstream(
    config: Mapping[str, Any],
    *,
    route: str,
    environ: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Upstream:
    """A sender for one route's `upstream:` mapping, or `ConfigError` naming the field.

    Secrets are read now, so a config that builds can send. `transport` replaces the network
    (tests); it is borrowed, so the sender's `aclose()` leaves it open.
    """
    cfg = _Config(config, route, environ)
    kind = config.get("type")
    if kind not in _OPTIONS:
        raise cfg.error("type", f"must be one of: {', '.join(_OPTIONS)}")
    cfg.check_keys(kind)
    if kind == "capture":
        path = Path(cfg.string("path", required=True))
        if path.is_dir():
            raise cfg.error("path", "is a directory; name a file to append to")
        return CaptureUpstream(path=path)
    http = cfg.http()
    url = cfg.url(_DEFAULT_URLS.get(kind))
    sender: Upstream
    if kind == "victorops":
        routing_key = cfg.string("routing_key")
        if routing_key in _DOT_SEGMENTS:
            raise cfg.error("routing_key", "must not be '.' or '..' (a URL dot segment)")
        api_key = cfg.secret("api_key")
        if api_key in _DOT_SEGMENTS:
            raise cfg.error("api_key", "must not be '.' or '..' (a URL dot segment)")
        sender = VictorOpsUpstream(
            api_key=api_key,
            routing_key=routing_key,
            url=url,
            http=http,
            transport=transport,
        )
    elif kind == "webhook":
        method = cfg.string("method", "POST").upper()
        if method not in WEBHOOK_METHODS:
            raise cfg.error("method", f"must be one of: {', '.join(WEBHOOK_METHODS)}")
        headers, secret = cfg.headers()
        sender = WebhookUpstream(
            url=url,
            method=method,
            headers=headers,
            secret_headers=secret,
            http=http,
            transport=transport,
        )
    elif kind == "bigpanda":
        sender = BigPandaUpstream(
            token=cfg.secret("token", header=True),
            app_key=cfg.string("app_key", required=True),
            url=url,
            http=http,
            transport=transport,
        )
    else:
        expression = cfg.string("dedup_key")
        routing_key = cfg.secret("routing_key")
        try:
            sender = PagerDutyUpstream(
                routing_key=routing_key,
                dedup_key=expression,
                url=url,
                http=http,
                transport=transport,
            )
        except jmespath.exceptions.JMESPathError as exc:
            raise cfg.error("dedup_key", f"is not a valid JMESPath expression ({exc})") from None
    if not http.tls_verify:
        logger.warning(
            "TLS certificate verification is OFF for route %r (%s): tls_verify: false lets "
            "anyone on the network path read and change alerts and credentials",
            route,
            sender.describe(),
        )
    host = httpx.URL(url).host
    if httpx.URL(url).scheme == "http" and not _is_loopback(host):
        logger.warning(
            "route %r sends to %s over plain http: alerts and credentials cross the network "
            "unencrypted",
            route,
            sender.describe(),
        )
    return sender


def wait_for_captured(path: Path, alert_id: str, timeout: float = 10.0) -> Any | None:
    """The alert a `capture` upstream wrote for `alert_id`, waiting up to `timeout` seconds;
    None if it did not arrive. A line still being written is skipped until it is complete."""
    deadline = time.monotonic() + timeout
    while True:
        if path.exists():
            for line in path.read_text(encoding="utf-8").split("\n"):
                if line.endswith("}"):
                    entry = json.loads(line)
                    if entry["id"] == alert_id:
                        return entry["alert"]
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)
