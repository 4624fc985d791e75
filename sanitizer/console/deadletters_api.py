"""`GET /api/dead-letters`, `POST /api/dead-letters/{id}/retry` and `…/purge`: the spool's
management side (`SpoolAdmin`, what `sanitizer spool` uses), its blocking calls on a worker
thread. Listing never shows a body. A retried alert is due at once, and delivery is woken."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sanitizer.console.context import ConsoleContext
from sanitizer.errors import InputError, NotFound

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise InputError(f"'limit' must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def _unknown() -> NotFound:
    return NotFound("no dead letter has this id; GET /api/dead-letters lists them")


async def list_dead_letters(request: Request, context: ConsoleContext) -> Response:
    rows = await asyncio.to_thread(context.dead_letters.list_dead, _limit(request))
    return JSONResponse({"dead_letters": rows})


async def retry_dead_letter(request: Request, context: ConsoleContext) -> Response:
    alert_id = request.path_params["alert_id"]
    moved = await asyncio.to_thread(context.dead_letters.retry_dead, [alert_id])
    if not moved:
        raise _unknown()
    context.wake_delivery()
    return JSONResponse({"retried": moved})


async def purge_dead_letter(request: Request, context: ConsoleContext) -> Response:
    alert_id = request.path_params["alert_id"]
    purged = await asyncio.to_thread(context.dead_letters.purge_dead, [alert_id])
    if not purged:
        raise _unknown()
    return JSONResponse({"purged": purged})
