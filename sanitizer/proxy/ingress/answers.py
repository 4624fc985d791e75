"""The proxy's own answers: `{"id"}`/`{"ids"}` with 202, `{"error", "message"}` on failure."""

from __future__ import annotations

from starlette.responses import JSONResponse

from sanitizer.errors import SanitizerError, Unavailable
from sanitizer.proxy.intake import Accepted


def retry_after_headers(exc: SanitizerError) -> dict[str, str]:
    """`Retry-After` for an Unavailable (spool full or broken), so senders wait, then retry."""
    return {"Retry-After": str(exc.retry_after)} if isinstance(exc, Unavailable) else {}


def error_response(exc: SanitizerError) -> JSONResponse:
    """The error's status and JSON body; 503s say when to retry (senders drop alerts on 4xx)."""
    return JSONResponse(exc.to_json(), status_code=exc.status, headers=retry_after_headers(exc))


def accepted_response(accepted: Accepted) -> JSONResponse:
    """202 with the queued alert's id, or `{"ids": [...]}` in the body's order when the route's
    policy splits bodies (even into one alert, so a sender's parser sees one shape)."""
    if len(accepted.ids) == 1 and not accepted.split:
        return JSONResponse({"id": accepted.ids[0]}, status_code=202)
    return JSONResponse({"ids": accepted.ids}, status_code=202)
