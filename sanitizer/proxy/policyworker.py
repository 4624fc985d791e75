"""Alerts sanitized in a worker process beside the event loop, so the policy uses the other core.

The event loop's process does intake, the spool's commits and delivery, and is the proxy's
bottleneck at about one core; the policy is CPU work that needs none of its state. With
`sanitize.worker` on (the default where the process may use two or more CPUs), a request's
parsed body goes to one forked child, which runs the route's policy and contract and returns
the serialised alerts; the loop serves other requests meanwhile. Large bodies keep their
turn on the worker thread (`sanitizer.proxy.offload`), which bounds their memory.

The child, forked from the proxy, first closes every inherited descriptor but its socket (the
listeners, the spool and its owner lock stay the proxy's alone), ignores SIGINT, SIGTERM and
SIGHUP (the proxy ends it by closing the socket, after its last answer) and compiles its own
copy of each policy from the policy's text and loaded keys (`loader.recompiled`): no lock or
cache another thread of the proxy held at the fork is ever used. Frames are a 4-byte length
then `marshal` data (JSON values only: dicts, lists, strings, numbers, booleans, None) over a
Unix socket pair; the child answers in order, so answers match requests first in, first out.

Fail closed: an alert is queued only with the child's sanitized answer. If the child dies, or
answers nothing for `DEADLINE` seconds while it holds requests (it is then killed: a child
under load keeps answering, a hung one does not), the requests it held are refused 503 with
Retry-After and the child is started again after a back-off. While no child is ready (at
start, after a reload, between restarts) a request is sanitized inline, as without a worker:
the result is the same, only slower.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
import marshal
import os
import signal
import socket
import struct
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from sanitizer.errors import GuardHit, Refusal, RuleFailed, Unavailable
from sanitizer.loader import recompiled
from sanitizer.proxy.intake import SanitizedAlert

if TYPE_CHECKING:
    from sanitizer.proxy.runtime import LiveRoute

__all__ = ["DEADLINE", "PolicyWorkers"]

log = logging.getLogger("sanitizer.proxy")

DEADLINE = 30.0  # seconds without an answer, while it holds requests, before a child is killed
RESTART_DELAYS = (0.1, 1.0, 5.0, 30.0)  # back-off between restarts of a child that keeps dying
STEADY = 60.0  # a child that ran this long before it died restarts after the first delay
RETRY_AFTER = 1  # seconds, on the 503 of a request whose child died

_LENGTH = struct.Struct(">I")
_REFUSALS: dict[str, type[Refusal]] = {cls.__name__: cls for cls in (Refusal, RuleFailed, GuardHit)}

Sanitize = Callable[["LiveRoute", Any], list[SanitizedAlert]]


# ------------------------------------------------------------------ the child


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def _framed(value: Any) -> bytes:
    """`value` as one frame: its marshal data after a 4-byte length."""
    data = marshal.dumps(value)
    return _LENGTH.pack(len(data)) + data


def _stopped() -> Unavailable:
    return Unavailable("the sanitizing worker stopped; retry shortly", retry_after=RETRY_AFTER)


def _answer(routes: Mapping[str, LiveRoute], sanitize: Sanitize, request: Any) -> Any:
    name, doc = request
    try:
        alerts = sanitize(routes[name], doc)
    except Refusal as exc:
        return ("refused", type(exc).__name__, exc.message, exc.rule)
    except Exception as exc:  # a bug: the proxy answers 500 for it, as inline
        return ("failed", type(exc).__name__)
    return ("ok", [(alert.body, alert.hits) for alert in alerts])


def _child(sock: socket.socket, routes: Mapping[str, LiveRoute], sanitize: Sanitize) -> None:
    """The child's whole life: serve requests until the proxy closes the socket."""
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_IGN)
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)
    keep = sock.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 20)
    own: dict[str, LiveRoute] = {}
    for name, route in routes.items():
        with contextlib.suppress(Exception):  # a route it cannot compile stays inline
            own[name] = dataclasses.replace(route, policy=recompiled(route.policy))
    sock.sendall(_framed(("ready", sorted(own))))
    while True:
        head = _read_exactly(sock, _LENGTH.size)
        if head is None:
            return
        body = _read_exactly(sock, _LENGTH.unpack(head)[0])
        if body is None:
            return
        request = marshal.loads(body)  # noqa: S302  # nosec B302: our parent
        sock.sendall(_framed(_answer(own, sanitize, request)))


# ------------------------------------------------------------------ the proxy's side


def _fork() -> int:
    with warnings.catch_warnings():
        # Python 3.12 warns on fork() in a process with threads; the child runs no code of
        # another thread's making (see the module docstring), so the warning does not apply.
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


class _Child(asyncio.Protocol):
    """One forked child serving one set of routes, and the requests it holds. Answers are
    read as a protocol (frames cut in `data_received`): per request a future, no task, no
    stream coroutine, no timer (one watchdog per child)."""

    def __init__(self, routes: Mapping[str, LiveRoute], sanitize: Sanitize) -> None:
        self.routes = dict(routes)
        self.serves: frozenset[str] = frozenset()  # routes the child compiled, once ready
        self.ready = False
        self.stopping = False
        loop = asyncio.get_running_loop()
        self.started = loop.time()
        self.done: asyncio.Future[int] = loop.create_future()  # its wait status, once reaped
        self._loop = loop
        self._pending: collections.deque[asyncio.Future[Any]] = collections.deque()
        self._progress = 0.0  # loop time of the last answer, or of the first request held
        self._watchdog: asyncio.TimerHandle | None = None
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        parent, child = socket.socketpair()
        self.pid = _fork()
        if self.pid == 0:  # pragma: no cover - the child; covered by the end-to-end tests
            code = 0
            try:
                parent.close()
                _child(child, self.routes, sanitize)
            except BaseException:
                code = 70
            finally:
                os._exit(code)
        child.close()
        connecting = asyncio.ensure_future(loop.connect_accepted_socket(lambda: self, parent))
        connecting.add_done_callback(self._connected)

    def _connected(self, connecting: asyncio.Future[Any]) -> None:
        if connecting.cancelled() or connecting.exception() is not None:
            self.kill()
            self.connection_lost(None)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        if self.stopping:
            self._transport.write_eof()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while len(buffer) >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(buffer)
            end = _LENGTH.size + size
            if len(buffer) < end:
                return
            frame = bytes(buffer[_LENGTH.size : end])
            del buffer[:end]
            try:
                answer = marshal.loads(frame)  # noqa: S302  # nosec B302: our own child
            except (EOFError, ValueError, TypeError):
                self.kill()
                return
            if not self.ready:
                kind, names = answer
                self.serves, self.ready = frozenset(names), kind == "ready"
            elif self._pending:
                self._progress = self._loop.time()
                future = self._pending.popleft()
                if not future.done():
                    future.set_result(answer)

    def connection_lost(self, exc: Exception | None) -> None:
        self.ready = False
        if self._watchdog is not None:
            self._watchdog.cancel()
        while self._pending:
            future = self._pending.popleft()
            if not future.done():
                future.set_exception(_stopped())
        reaping = asyncio.ensure_future(asyncio.to_thread(os.waitpid, self.pid, 0))
        reaping.add_done_callback(self._reaped)

    def _reaped(self, reaping: asyncio.Future[tuple[int, int]]) -> None:
        failed = reaping.cancelled() or reaping.exception() is not None
        if not self.done.done():
            self.done.set_result(-1 if failed else reaping.result()[1])

    def _stalled(self) -> None:
        """The watchdog: a child that answered nothing for DEADLINE seconds while holding
        requests is killed, and its oldest request told why."""
        self._watchdog = None
        if not self._pending:
            return
        due = self._progress + DEADLINE
        if self._loop.time() < due:
            self._watchdog = self._loop.call_at(due, self._stalled)
            return
        oldest = self._pending[0]
        if not oldest.done():
            oldest.set_exception(
                Unavailable(
                    f"sanitizing took longer than {DEADLINE:g} seconds; retry shortly",
                    retry_after=RETRY_AFTER,
                )
            )
        self.kill()

    async def sanitize(self, name: str, doc: Any) -> list[SanitizedAlert]:
        frame = _framed((name, doc))
        transport = self._transport
        if transport is None or transport.is_closing():
            raise _stopped()
        future: asyncio.Future[Any] = self._loop.create_future()
        if not self._pending:
            self._progress = self._loop.time()
        if self._watchdog is None:
            self._watchdog = self._loop.call_at(self._progress + DEADLINE, self._stalled)
        self._pending.append(future)
        transport.write(frame)
        answer = await future
        if answer[0] == "ok":
            return [SanitizedAlert(body, hits) for body, hits in answer[1]]
        if answer[0] == "refused":
            _, kind, message, rule = answer
            raise _REFUSALS.get(kind, Refusal)(message, rule=rule)
        raise RuntimeError(f"the policy failed in the sanitizing worker ({answer[1]})")

    def close(self) -> None:
        """End the child once it has answered every request it holds."""
        self.stopping = True
        if self._transport is not None and not self._transport.is_closing():
            with contextlib.suppress(OSError):
                self._transport.write_eof()

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)


class PolicyWorkers:
    """The current child for the current routes: started, restarted when it dies, replaced
    on reload. `sanitize` runs a request's body there, or inline while none is ready."""

    def __init__(self, sanitize: Sanitize, *, on_restart: Callable[[], None] = lambda: None):
        self._sanitize = sanitize
        self._on_restart = on_restart
        self._child: _Child | None = None
        self._routes: Mapping[str, LiveRoute] = {}
        self._enabled = False
        self._failures = 0
        self._restart: asyncio.TimerHandle | None = None

    @property
    def pid(self) -> int | None:
        """The ready child's process id (None when alerts are sanitized inline)."""
        child = self._child
        return child.pid if child is not None and child.ready else None

    def serve(self, routes: Mapping[str, LiveRoute], *, enabled: bool) -> None:
        """Sanitize for `routes` from now on: a new child for them (the old one ends after
        its last answer), or none when `enabled` is false."""
        self._routes, self._enabled, self._failures = routes, enabled, 0
        self._replace()

    def _replace(self) -> None:
        if self._restart is not None:
            self._restart.cancel()
            self._restart = None
        old, self._child = self._child, None
        if old is not None:
            old.close()
        if self._enabled and self._routes:
            try:
                child = _Child(self._routes, self._sanitize)
            except OSError as exc:  # no process to be had: inline, and try again later
                log.error(
                    "the sanitizing worker could not be started (%s); alerts are sanitized "
                    "inline until it is",
                    exc.strerror or type(exc).__name__,
                    extra={"outcome": "worker_stopped"},
                )
                self._restart = asyncio.get_running_loop().call_later(
                    RESTART_DELAYS[-1], self._replace
                )
                return
            child.done.add_done_callback(lambda done: self._ended(child, done))
            self._child = child

    def _ended(self, child: _Child, done: asyncio.Future[int]) -> None:
        if child is not self._child or child.stopping:
            return
        status = done.result()
        loop = asyncio.get_running_loop()
        if loop.time() - child.started >= STEADY:
            self._failures = 0
        delay = RESTART_DELAYS[min(self._failures, len(RESTART_DELAYS) - 1)]
        self._failures += 1
        log.error(
            "the sanitizing worker stopped (%s); alerts are sanitized inline until it is "
            "started again in %g s",
            _describe(status),
            delay,
            extra={"outcome": "worker_stopped"},
        )
        self._child = None
        self._on_restart()
        self._restart = loop.call_later(delay, self._replace)

    def serves(self, route: LiveRoute) -> bool:
        """Whether a ready child holds exactly this route (of the current runtime)."""
        child = self._child
        return (
            child is not None
            and child.ready
            and route.name in child.serves
            and child.routes.get(route.name) is route
        )

    async def sanitize(self, route: LiveRoute, doc: Any) -> list[SanitizedAlert]:
        child = self._child
        if child is None or not self.serves(route):
            return self._sanitize(route, doc)
        try:
            return await child.sanitize(route.name, doc)
        except ValueError:  # a value marshal cannot carry (never from a JSON parse): inline
            return self._sanitize(route, doc)

    async def close(self) -> None:
        """End the child after its last answer, and wait for it."""
        self._enabled = False
        child = self._child
        self._replace()
        if child is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(child.done), DEADLINE)


def _describe(status: int) -> str:
    if status < 0:
        return "its socket failed"
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
