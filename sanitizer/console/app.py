"""The console's Starlette app, served only on the admin listener (`admin.listen`).

    GET  /                      the page (static/index.html); public, it holds no data
    GET  /static/<file>         its assets; public
    POST /api/login             {"token"} → {"csrf"} and the session cookie
    POST /api/logout            ends the session
    GET  /api/session           {"csrf"} while the cookie's session lives, else 401
    GET  /api/routes            routes, policies and their digests, the last reload
    GET  /api/samples           example alerts
    POST /api/preview           a route's or a pasted policy on an alert, nothing queued
    GET  /api/dead-letters      POST /api/dead-letters/{id}/retry, /api/dead-letters/{id}/purge
    GET  /api/tap[?route=NAME]  server-sent events of queued alerts and counts

Every /api request but login needs the admin token (`sanitizer.console.auth`). Every answer
carries a strict Content-Security-Policy (the page runs no inline script or style and talks
only to this origin), `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`;
/api answers are never cached. Errors are JSON bodies from `sanitizer.errors`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sanitizer import jsonio
from sanitizer.console import deadletters_api, preview, routes_api
from sanitizer.console.context import ConsoleContext
from sanitizer.console.tap import tap_response
from sanitizer.errors import AuthError, InputError, NotFound, SanitizerError
from sanitizer.proxy.intake import check_content_type, read_body

log = logging.getLogger("sanitizer.console")

STATIC = Path(__file__).parent / "static"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
_NO_STORE = (b"cache-control", b"no-store")
_LOGIN_BYTES = 4096
_READ_SECONDS = 10.0

Handler = Callable[[Request, ConsoleContext], Awaitable[Response]]


class SecurityHeaders:
    """Adds the console's headers to every answer, streams included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(_HEADERS)
        if scope["path"].startswith("/api/"):
            extra.append(_NO_STORE)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                named = {name for name, _ in extra}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in named]
                message = {**message, "headers": kept + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def error_response(exc: SanitizerError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="sanitizer console"'} if exc.status == 401 else {}
    return JSONResponse(exc.to_json(), status_code=exc.status, headers=headers)


def _endpoint(context: ConsoleContext, handler: Handler, *, guarded: bool = True) -> Callable:
    """`handler` behind the token check, its errors as JSON bodies; anything unexpected is a
    500 whose body and log line name only the exception's type."""

    async def endpoint(request: Request) -> Response:
        try:
            if guarded:
                context.auth.require(request)
            return await handler(request, context)
        except SanitizerError as exc:
            return error_response(exc)
        except Exception as exc:
            log.error("console request failed", extra={"reason": type(exc).__name__})
            return JSONResponse(
                {"error": "internal", "message": f"internal error ({type(exc).__name__})"},
                status_code=500,
            )

    return endpoint


async def _login(request: Request, context: ConsoleContext) -> Response:
    check_content_type(request)
    body = await read_body(request, _LOGIN_BYTES, _READ_SECONDS)
    doc = jsonio.parse(body, max_bytes=_LOGIN_BYTES, max_depth=2, require_object=True)
    token = doc.get("token")
    if not isinstance(token, str):
        raise InputError('send {"token": "<the admin token>"}')
    session_id, session = context.auth.login(token)
    response = JSONResponse({"csrf": session.csrf})
    context.auth.set_cookie(response, session_id)
    return response


async def _logout(request: Request, context: ConsoleContext) -> Response:
    response = JSONResponse({"logged_out": True})
    context.auth.logout(request, response)
    return response


async def _session(request: Request, context: ConsoleContext) -> Response:
    session = context.auth.session(request)
    if session is None:
        raise AuthError("no live session; log in with POST /api/login")
    return JSONResponse({"csrf": session.csrf})


async def _tap(request: Request, context: ConsoleContext) -> Response:
    route = request.query_params.get("route") or None
    if route is not None and route not in context.runtime().routes:
        raise NotFound("no such route; GET /api/routes lists them")
    return tap_response(context.tap, route, lambda: context.runtime().routes)


async def _index(request: Request) -> Response:
    page = STATIC / "index.html"
    if not page.is_file():
        return error_response(NotFound("the console page is not installed with this proxy"))
    return FileResponse(page, media_type="text/html; charset=utf-8")


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(NotFound("no such console endpoint; the API is under /api/"))


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {"error": "method_not_allowed", "message": "this endpoint does not take that method"},
        status_code=405,
    )


def _routes(context: ConsoleContext) -> list[BaseRoute]:
    def api(path: str, handler: Handler, method: str, *, guarded: bool = True) -> Route:
        return Route(path, _endpoint(context, handler, guarded=guarded), methods=[method])

    return [
        Route("/", _index, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static"),
        api("/api/login", _login, "POST", guarded=False),
        api("/api/logout", _logout, "POST"),
        api("/api/session", _session, "GET", guarded=False),
        api("/api/routes", routes_api.list_routes, "GET"),
        api("/api/samples", routes_api.list_samples, "GET"),
        api("/api/preview", preview.preview, "POST"),
        api("/api/dead-letters", deadletters_api.list_dead_letters, "GET"),
        api("/api/dead-letters/{alert_id}/retry", deadletters_api.retry_dead_letter, "POST"),
        api("/api/dead-letters/{alert_id}/purge", deadletters_api.purge_dead_letter, "POST"),
        api("/api/tap", _tap, "GET"),
    ]


def build_console_app(context: ConsoleContext) -> ASGIApp:
    """The console app, wrapped in its security headers."""
    app = Starlette(
        routes=_routes(context),
        exception_handlers={404: _not_found, 405: _not_allowed},
    )
    return SecurityHeaders(app)
