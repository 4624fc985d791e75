"""The one place an HTTP exchange becomes a delivery outcome, for every HTTP receiver."""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import time
from collections.abc import Mapping

import httpx

from sanitizer.proxy.delivery import Delivered, Outcome, Rejected, RetryLater
from sanitizer.proxy.upstreams.errortext import upstream_error_text

MAX_RETRY_AFTER = 86400.0


def outcome_of(result: httpx.Response | BaseException, *, now: float | None = None) -> Outcome:
    """The delivery outcome of a response or of the exception that stood in for one
    (`status_outcome` for a status and its Retry-After, whichever client read them).

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
        return RetryLater(error_reason(result))
    status = result.status_code
    retry_after = result.headers.get("retry-after") if status in (429, 503) else None
    return status_outcome(status, retry_after, now=now)


_DELIVERED = Delivered()


def status_outcome(status: int, retry_after: str | None, *, now: float | None = None) -> Outcome:
    """The outcome of an HTTP status, as `outcome_of` documents; `retry_after` is the header's
    value (read only for 429 and 503)."""
    if 200 <= status < 300:
        return _DELIVERED
    reason = f"HTTP {status}"
    if status in (429, 503):
        return RetryLater(reason, parse_retry_after(retry_after, now=now))
    if status == 408 or 500 <= status < 600:
        return RetryLater(reason)
    return Rejected(reason)


def explained(
    outcome: Outcome, head: bytes, *, url: str, body: bytes, headers: Mapping[str, str]
) -> Outcome:
    """A Rejected outcome with the receiver's own words from `head`, the first bytes of its
    answer, bounded and scrubbed for the request it answered (`errortext.py`); any other
    outcome as it is."""
    if not isinstance(outcome, Rejected) or not head:
        return outcome
    detail = upstream_error_text(head, url=url, body=body, headers=headers)
    return outcome if detail is None else Rejected(outcome.reason, detail)


async def explain(
    outcome: Outcome, head: bytes, *, url: str, body: bytes, headers: Mapping[str, str]
) -> Outcome:
    """`explained`, on a worker thread for a refusal (the alert's values are looked for in
    the answer, thousands for a large alert; the event loop keeps serving meanwhile)."""
    if not isinstance(outcome, Rejected) or not head:
        return outcome
    return await asyncio.to_thread(explained, outcome, head, url=url, body=body, headers=headers)


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


# aiohttp's errors (and those an aiohttp transport for httpx maps lossily: a server disconnect
# becomes ConnectTimeout) are named here as httpx's own transport names the same failure:
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


def error_reason(exc: BaseException) -> str:
    """A transport failure's name, as httpx's own transport would give it."""
    for candidate in (exc, exc.__cause__):
        if candidate is not None and type(candidate).__module__.startswith("aiohttp"):
            for cls in type(candidate).__mro__:
                if cls.__name__ in _AIOHTTP_REASONS:
                    return _AIOHTTP_REASONS[cls.__name__]
            return "TransportError"
    if isinstance(exc, OSError) and not isinstance(exc, TimeoutError):
        return "NetworkError"  # a socket error no client wrapped (reset, broken pipe, TLS)
    return type(exc).__name__
