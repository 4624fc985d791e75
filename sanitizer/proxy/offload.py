"""Large bodies parsed, sanitized and serialised on a worker thread, one body at a time.

Sanitizing a 1 MiB alert costs up to seconds of CPU; on the event loop it would stall every
other sender and `/healthz` (which is how Kubernetes decides to kill the proxy) as long. A
body of at least `LARGE_BODY_BYTES` therefore takes a *turn*: the parse (`intake.read_json`)
and the policy, contract and serialisation (`intake.accept`) run on the worker thread, and
the loop stays free. Python code releases the GIL every switch interval (5 ms), so the loop
waits for at most that plus the longest single C call of the work (a garbage collection, or
`json.dumps` of a deep document: ~50-130 ms on the reference machine). Bodies below the
threshold stay inline: the hop to the thread costs ~50-120 µs, more than a small alert's
whole parse.

The turn bounds memory: a parsed 1 MiB alert and its sanitized copy take up to ~45 MiB, so
only `WORKERS` bodies are between parse and serialised bytes at once; the others wait their
turn as the bytes they arrived as. When `MAX_WAITING` bodies already wait, the next one is
refused 503 with Retry-After (never a 4xx: senders drop an alert on a 4xx). One worker, not
two: under the GIL a second one adds little throughput (only where C code releases the GIL,
such as Crypto-PAn's AES), costs ~20 MiB more at peak, and is one more thread the loop
waits behind.

A turn belongs to the request that took it (a context variable of its task): `accept` ends it
once the body is serialised, and it ends at the latest when the request's task does, whatever
the ingress did with the body in between.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from sanitizer.errors import Unavailable

LARGE_BODY_BYTES = 16 * 1024  # inline, the expensive policy stalls the loop ~35 ms at this size
WORKERS = 1  # bodies between parse and serialised bytes at once (~45 MiB each at 1 MiB)
MAX_WAITING = 16  # large bodies waiting for a turn before the next is refused 503
RETRY_AFTER = 5  # seconds

P = ParamSpec("P")
T = TypeVar("T")


class _Turn:
    """One body's claim on a worker; `end` is idempotent."""

    __slots__ = ("_ended", "_gate")

    def __init__(self, gate: asyncio.Semaphore) -> None:
        self._gate = gate
        self._ended = False

    def end(self, *_task: object) -> None:
        if not self._ended:
            self._ended = True
            self._gate.release()


_current: ContextVar[_Turn | None] = ContextVar("sanitizer_offload_turn", default=None)


class Offload:
    """The worker thread(s) and the turns that bound them (see the module docstring)."""

    def __init__(self, *, workers: int = WORKERS, max_waiting: int = MAX_WAITING) -> None:
        self._workers = workers
        self._max_waiting = max_waiting
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="sanitize")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._gate = asyncio.Semaphore(workers)
        self._waiting = 0

    def _gate_of_this_loop(self) -> asyncio.Semaphore:
        """The gate of the running loop: one in the proxy; tests may run several in turn."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._gate, self._waiting = loop, asyncio.Semaphore(self._workers), 0
        return self._gate

    async def begin_turn(self) -> None:
        """Wait for a turn for this request's body; `Unavailable` when too many wait already.
        The turn ends with `end_turn`, or when the request's task ends."""
        gate = self._gate_of_this_loop()
        if gate.locked():
            if self._waiting >= self._max_waiting:
                raise Unavailable(
                    "too many large alerts are waiting to be sanitized; retry shortly",
                    retry_after=RETRY_AFTER,
                )
            self._waiting += 1
            try:
                await gate.acquire()
            finally:
                self._waiting -= 1
        else:
            await gate.acquire()
        turn = _Turn(gate)
        _current.set(turn)
        task = asyncio.current_task()
        if task is not None:
            task.add_done_callback(turn.end)

    def holds_turn(self) -> bool:
        """Whether this request holds a turn (its body is large): its work goes to `run`."""
        return _current.get() is not None

    def end_turn(self) -> None:
        """End this request's turn, if it holds one: the next large body may start."""
        turn = _current.get()
        if turn is not None:
            _current.set(None)
            turn.end()

    async def run(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`work(*args, **kwargs)` on the worker thread; its result, or its exception."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(work, *args, **kwargs))


OFFLOAD = Offload()
