"""What every HTTP receiver shares: connection options, transport, client and the exchange.

Every HTTP type takes `url`, `timeout` (seconds, default 10: bounds each of connect, write,
each read and the wait for a pooled connection; a whole exchange never exceeds twice it),
`ca_bundle` (PEM file that replaces the default CA roots), `max_connections` (default 32,
as many as delivery has workers: fewer would bound the sends in flight to one receiver),
`transport` (`aiohttp`, the default, or `default` for httpx's own) and `tls_verify`. TLS
certificates are always verified: `tls_verify: false` is an escape hatch for a test bench only,
and it is logged as a WARNING at every build.

`transport: aiohttp` sends through a plain aiohttp session (`aiohttp_client.py`, a third of
the CPU per alert; a stalled write is cut by the whole-exchange bound only); `default`, and any
transport a test injects, through an httpx client.
(httpx itself logs each request's URL, which holds the VictorOps API key, at INFO on the "httpx"
logger: `sanitizer.proxy.logs` never formats that record's arguments.) URLs come from the config
only, never from a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import httpx

from sanitizer import __version__
from sanitizer.proxy.delivery import Outcome
from sanitizer.proxy.upstreams.aiohttp_client import (
    DRAIN_LIMIT,
    IDLE_CONNECTION_SECONDS,
    AiohttpExchange,
)
from sanitizer.proxy.upstreams.config import UpstreamConfig
from sanitizer.proxy.upstreams.errortext import READ_BYTES
from sanitizer.proxy.upstreams.outcome import explain, outcome_of
from sanitizer.proxy.upstreams.upstream import Sender

logger = logging.getLogger("sanitizer.upstreams")

TRANSPORTS = ("aiohttp", "default")
DEFAULT_TRANSPORT = "aiohttp"
USER_AGENT = f"alert-sanitizer/{__version__}"
DEFAULT_MAX_CONNECTIONS = 32
JSON_CONTENT = "application/json"
# The options every HTTP type takes, in the order error messages list them.
HTTP_OPTIONS = ("url", "timeout", "ca_bundle", "tls_verify", "max_connections", "transport")

# One HTTP exchange (method, url, body, headers) → its delivery outcome.
Exchange = Callable[[str, str, bytes, Mapping[str, str]], Awaitable[Outcome]]


@dataclass(frozen=True)
class HttpOptions:
    """Connection settings shared by every HTTP sender."""

    timeout: float = 10.0
    ca_bundle: str | None = None
    tls_verify: bool = True
    max_connections: int = DEFAULT_MAX_CONNECTIONS
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


def http_options(cfg: UpstreamConfig) -> HttpOptions:
    """The connection options of an HTTP type's mapping, validated."""
    tls_verify = cfg.raw.get("tls_verify", True)
    if not isinstance(tls_verify, bool):
        raise cfg.error("tls_verify", "must be true or false")
    ca_bundle = cfg.string("ca_bundle")
    if ca_bundle is not None and not tls_verify:
        raise cfg.error("ca_bundle", "has no effect with tls_verify: false; drop one")
    transport = cfg.raw.get("transport", DEFAULT_TRANSPORT)
    if transport not in TRANSPORTS:
        raise cfg.error("transport", f"must be one of: {', '.join(TRANSPORTS)}")
    options = HttpOptions(
        timeout=float(cfg.number("timeout", 10.0, low=0.01, high=600, integer=False)),
        ca_bundle=ca_bundle,
        tls_verify=tls_verify,
        max_connections=cfg.number(
            "max_connections", DEFAULT_MAX_CONNECTIONS, low=1, high=1024, integer=True
        ),
        transport=transport,
    )
    try:
        if ca_bundle is not None:
            options.ssl_context()
    except (OSError, ssl.SSLError):
        raise cfg.error("ca_bundle", "cannot be read as a PEM bundle of CA certificates") from None
    return options


class _Borrowed(httpx.AsyncBaseTransport):
    """An injected transport: used, never closed, since its owner may share it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        return None


def make_client(
    options: HttpOptions, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """An httpx client over its own transport (TLS verified) or a borrowed one; proxies and CA
    settings from the environment are ignored."""
    if transport is None:
        limits = httpx.Limits(
            max_connections=options.max_connections,
            max_keepalive_connections=options.max_connections,
            keepalive_expiry=IDLE_CONNECTION_SECONDS,
        )
        used: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(
            verify=options.ssl_context(), limits=limits, trust_env=False
        )
    else:
        used = _Borrowed(transport)
    return httpx.AsyncClient(
        transport=used,
        timeout=httpx.Timeout(options.timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": USER_AGENT},
    )


class HttpxExchange:
    """HTTP exchanges through one httpx client (`transport: default`, and injected transports)."""

    def __init__(self, options: HttpOptions, transport: httpx.AsyncBaseTransport | None) -> None:
        self._client = make_client(options, transport)
        self._deadline = 2 * options.timeout

    async def exchange(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> Outcome:
        request = self._client.build_request(method, url, content=body, headers=headers)
        response: httpx.Response | None = None
        head = b""
        try:
            async with asyncio.timeout(self._deadline):
                response = await self._client.send(request, stream=True)
                head = await _drain(response)
        except (httpx.TransportError, TimeoutError) as exc:
            if response is None:
                return outcome_of(exc)
            # The status line arrived, so the upstream has decided; a broken body changes nothing.
        finally:
            if response is not None:
                with contextlib.suppress(httpx.TransportError, TimeoutError):
                    await response.aclose()
        return await explain(outcome_of(response), head, url=url, body=body, headers=headers)

    async def aclose(self) -> None:
        await self._client.aclose()


async def _drain(response: httpx.Response) -> bytes:
    """Read (a bounded part of) the body so the connection can be reused; its first
    `READ_BYTES` (as sent) are returned for a refusal's reason."""
    seen = 0
    head = b""
    async for chunk in response.aiter_raw():
        if seen < READ_BYTES:
            head += chunk[: READ_BYTES - seen]
        seen += len(chunk)
        if seen > DRAIN_LIMIT:
            break
    return head


def shown_url(url: str) -> str:
    """A URL for humans: no user info, query replaced by '?…'."""
    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    query = "?…" if parsed.query else ""
    return f"{parsed.scheme}://{parsed.host}{port}{parsed.path}{query}"


class HttpSender(Sender):
    """A sender that makes one HTTP exchange per alert through its own client."""

    def __init__(
        self, url: str, http: HttpOptions, transport: httpx.AsyncBaseTransport | None
    ) -> None:
        self._url = url
        self._http = http
        client = (
            AiohttpExchange(http, USER_AGENT)
            if transport is None and http.transport == "aiohttp"
            else HttpxExchange(http, transport)
        )
        self._client = client
        self._exchange: Exchange = client.exchange

    async def aclose(self) -> None:
        await self._client.aclose()

    def warn_if_exposed(self, route: str) -> None:
        """Log a WARNING when this sender's traffic can be read on the network path."""
        if not self._http.tls_verify:
            logger.warning(
                "TLS certificate verification is OFF for route %r (%s): tls_verify: false lets "
                "anyone on the network path read and change alerts and credentials",
                route,
                self.describe(),
            )
        url = httpx.URL(self._url)
        if url.scheme == "http" and not _is_loopback(url.host):
            logger.warning(
                "route %r sends to %s over plain http: alerts and credentials cross the network "
                "unencrypted",
                route,
                self.describe(),
            )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
