"""Who may use the console: the admin token, and the browser sessions it opens.

A request is let in by `Authorization: Bearer <admin token>`, or by the session cookie
`sanitizer_session` that `POST /api/login` sets (HttpOnly, SameSite=Strict, Path=/, Secure
when the console's listener has TLS). A request by cookie that changes state (any method
but GET and HEAD) must also carry its session's CSRF token in `X-CSRF-Token`: a forged
cross-site request has the cookie at most, never the token. Tokens are compared in constant
time over SHA-256 digests (fixed length). Sessions are random ids kept in memory, keyed by
their digest, for `SESSION_SECONDS` at most; a new admin token (SIGHUP) ends every session
opened with the old one; a restart ends them all.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from sanitizer.errors import AuthError, CsrfRefused

SESSION_COOKIE = "sanitizer_session"
CSRF_HEADER = "x-csrf-token"
SESSION_SECONDS = 8 * 3600
MAX_SESSIONS = 256  # the oldest goes first beyond this
_SAFE_METHODS = ("GET", "HEAD")
_WHY_UNAUTHORIZED = (
    "the console needs the admin token: send 'Authorization: Bearer <token>', or log in "
    "with POST /api/login"
)


def _digest(value: str | bytes) -> bytes:
    data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
    return hashlib.sha256(data).digest()


def token_matches(presented: str | None, token: bytes) -> bool:
    """Whether `presented` is `token`, in time independent of where they differ."""
    if presented is None:
        return False
    return hmac.compare_digest(_digest(presented), _digest(token))


def bearer(request: Request) -> str | None:
    """The credential of an `Authorization: Bearer …` header, or None."""
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()


@dataclass(frozen=True)
class Session:
    csrf: str
    expires: float
    token_digest: bytes  # of the admin token it was opened with


class ConsoleAuth:
    """Checks requests against the current admin token (`token()`, read on every request so
    a reload's new token counts at once) and keeps the sessions."""

    def __init__(
        self,
        token: Callable[[], bytes],
        *,
        secure_cookie: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._token = token
        self._secure = secure_cookie
        self._clock = clock
        self._sessions: dict[bytes, Session] = {}

    def login(self, presented: str | None) -> tuple[str, Session]:
        """Open a session for the right token: its id (for `set_cookie`) and the session."""
        token = self._token()
        if not token_matches(presented, token):
            raise AuthError("the admin token is not right; log in with the console's token")
        self._forget_expired()
        while len(self._sessions) >= MAX_SESSIONS:
            del self._sessions[next(iter(self._sessions))]
        session_id = secrets.token_urlsafe(32)
        session = Session(
            csrf=secrets.token_urlsafe(32),
            expires=self._clock() + SESSION_SECONDS,
            token_digest=_digest(token),
        )
        self._sessions[_digest(session_id)] = session
        return session_id, session

    def set_cookie(self, response: Response, session_id: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            session_id,
            max_age=SESSION_SECONDS,
            path="/",
            secure=self._secure,
            httponly=True,
            samesite="strict",
        )

    def logout(self, request: Request, response: Response) -> None:
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id is not None:
            self._sessions.pop(_digest(session_id), None)
        response.delete_cookie(
            SESSION_COOKIE, path="/", secure=self._secure, httponly=True, samesite="strict"
        )

    def session(self, request: Request) -> Session | None:
        """The live session the request's cookie names, or None."""
        session_id = request.cookies.get(SESSION_COOKIE)
        if not session_id:
            return None
        key = _digest(session_id)
        session = self._sessions.get(key)
        if session is None:
            return None
        current = _digest(self._token())
        if session.expires <= self._clock() or not hmac.compare_digest(
            session.token_digest, current
        ):
            del self._sessions[key]
            return None
        return session

    def require(self, request: Request) -> None:
        """Let the request in, or raise `AuthError` (401) or `CsrfRefused` (403). A bearer
        token, when sent, decides alone: a wrong one is refused even beside a valid cookie."""
        presented = bearer(request)
        if presented is not None or "authorization" in request.headers:
            if token_matches(presented, self._token()):
                return
            raise AuthError(_WHY_UNAUTHORIZED)
        session = self.session(request)
        if session is None:
            raise AuthError(_WHY_UNAUTHORIZED)
        if request.method not in _SAFE_METHODS and not token_matches(
            request.headers.get(CSRF_HEADER), session.csrf.encode("ascii")
        ):
            raise CsrfRefused(
                "a request by session cookie that changes something needs the session's "
                "CSRF token in the X-CSRF-Token header (GET /api/session gives it)"
            )

    def _forget_expired(self) -> None:
        now = self._clock()
        for key in [key for key, each in self._sessions.items() if each.expires <= now]:
            del self._sessions[key]
