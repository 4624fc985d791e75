"""The `transport: aiohttp` exchange: one plain aiohttp session per sender.

About a third of the CPU per delivered alert of httpx over an aiohttp transport (issue 13, a
3 KB alert to a local receiver: ~190 µs against ~440-540 µs, httpx's own ~1,000-1,400 µs), with
the promises of `http.py` kept:

- TLS verified with the sender's context (`HttpOptions.ssl_context`); proxies and the
  environment's settings ignored (`trust_env=False`); redirects never followed;
- the URL sent as httpx would send it, byte for byte (normalized by `httpx.URL` once per URL,
  then handed to aiohttp as already encoded: aiohttp's own requoting would decode `%2E` and
  resolve the dot segment, dropping the API key segment of a VictorOps URL);
- `timeout` bounds the wait for a pooled connection plus connecting, and each read once the
  request is written; a write that stalls is cut with the whole exchange, which never exceeds
  twice the timeout;
- at most `max_connections` connections; a bounded part of the body is read so the
  connection can be reused (aiohttp closes one whose body was not read to the end);
- failures named as httpx's own transport names them (`outcome.error_reason`).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING

import aiohttp
import httpx
import yarl

from sanitizer.proxy.upstreams.errortext import READ_BYTES
from sanitizer.proxy.upstreams.outcome import explain, outcome_of, status_outcome

if TYPE_CHECKING:
    from sanitizer.proxy.delivery import Outcome
    from sanitizer.proxy.upstreams.http import HttpOptions

DRAIN_LIMIT = 65536
# How long an idle pooled connection is reused, for both transports. Well under the idle
# timeouts common receivers close connections at (uvicorn, Node.js, Apache: 5 s; gunicorn: 2 s):
# with equal timeouts a request sent on a connection the server is just closing is lost in
# flight and costs a delivery retry (seen as one retry in a paced 5,000-alert storm to a
# uvicorn receiver, whose idle clock starts before the client's).
IDLE_CONNECTION_SECONDS = 1.5
_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)


@functools.lru_cache(maxsize=1024)
def wire_url(url: str) -> yarl.URL:
    """The URL as httpx puts it on the wire, for aiohttp to send without requoting."""
    return yarl.URL(str(httpx.URL(url)), encoded=True)


class AiohttpExchange:
    """HTTP exchanges over one aiohttp session, opened on first use (it needs a running loop)."""

    def __init__(self, options: HttpOptions, user_agent: str) -> None:
        self._options = options
        self._user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None
        self._deadline = 2 * options.timeout

    def _open(self) -> aiohttp.ClientSession:
        options = self._options
        connector = aiohttp.TCPConnector(
            limit=options.max_connections,
            limit_per_host=0,
            ssl=options.ssl_context(),
            keepalive_timeout=IDLE_CONNECTION_SECONDS,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"user-agent": self._user_agent},
            timeout=aiohttp.ClientTimeout(
                total=None,
                connect=options.timeout,
                sock_connect=options.timeout,
                sock_read=options.timeout,
            ),
            trust_env=False,
            auto_decompress=False,
            raise_for_status=False,
        )
        return self._session

    async def exchange(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> Outcome:
        session = self._session or self._open()
        response: aiohttp.ClientResponse | None = None
        head = b""
        try:
            async with asyncio.timeout(self._deadline):
                response = await session.request(
                    method, wire_url(url), data=body, headers=headers, allow_redirects=False
                )
                head = await _drain(response.content)
        except _ERRORS as exc:
            if response is None:
                return outcome_of(exc)
            # The status line arrived, so the upstream has decided; a broken body changes nothing.
        finally:
            if response is not None:
                response.release()  # back to the pool, or closed when the body was not all read
        return await explain(_outcome(response), head, url=url, body=body, headers=headers)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _outcome(response: aiohttp.ClientResponse) -> Outcome:
    status = response.status
    retry_after = response.headers.get("retry-after") if status in (429, 503) else None
    return status_outcome(status, retry_after)


async def _drain(content: aiohttp.StreamReader) -> bytes:
    """Read (a bounded part of) the body so the connection can be reused; its first
    `READ_BYTES` (as sent) are returned for a refusal's reason."""
    seen = 0
    head = b""
    while seen <= DRAIN_LIMIT:
        chunk = await content.readany()
        if not chunk:
            break
        if seen < READ_BYTES:
            head += chunk[: READ_BYTES - seen]
        seen += len(chunk)
    return head
