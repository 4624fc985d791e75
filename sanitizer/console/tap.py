"""The live tap: sanitized alerts as they are queued, and value-free counts per route.

Intake calls `TapHub.queued` once a body's alerts are durable and `TapHub.refused` when a
policy or contract refuses one: the counts always (two dict updates), the alerts only while
someone listens. Each listener has a bounded queue; a listener too slow to keep up loses
alerts (counted, and told with `event: dropped`) and never slows intake down. Nothing is
kept for absent listeners: a tap opened now sees only alerts queued from now on.

`GET /api/tap[?route=NAME]` streams server-sent events: `event: alert` with
`{"route", "id", "alert"}` per queued alert, `event: counts` with
`{"routes": {NAME: {"queued": n, "refused": n}}}` at once and every `COUNTS_EVERY` seconds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable, Sequence

from starlette.responses import StreamingResponse

LISTENER_QUEUE = 256  # alerts a listener may fall behind before it loses some
COUNTS_EVERY = 2.0  # seconds between `counts` events
_CLOSED = None  # what a listener's queue gets when the hub closes


class Listener:
    """One open tap: the alerts (SSE `data` texts) waiting for it, and how many it lost."""

    def __init__(self, route: str | None) -> None:
        self.route = route
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(LISTENER_QUEUE)
        self.dropped = 0

    def offer(self, data: str) -> None:
        try:
            self.queue.put_nowait(data)
        except asyncio.QueueFull:
            self.dropped += 1


class TapHub:
    """Counts per route, and the open listeners. Event-loop thread only."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = {}
        self.listeners: set[Listener] = set()
        self.dropped = 0  # alerts any listener lost, for the record
        self.closed = False

    def _count(self, route: str) -> dict[str, int]:
        counts = self.counts.get(route)
        if counts is None:
            counts = self.counts[route] = {"queued": 0, "refused": 0}
        return counts

    def queued(self, route: str, ids: Sequence[str], bodies: Callable[[], Iterable[bytes]]) -> None:
        """Alerts of `route` are durable under `ids`; `bodies` gives their sanitized JSON, read
        only when someone listens."""
        self._count(route)["queued"] += len(ids)
        if not self.listeners:
            return
        takers = [each for each in self.listeners if each.route in (None, route)]
        if not takers:
            return
        prefix = '{"route":' + json.dumps(route) + ',"id":'
        for alert_id, body in zip(ids, bodies(), strict=True):
            data = prefix + json.dumps(alert_id) + ',"alert":' + body.decode("utf-8") + "}"
            for listener in takers:
                before = listener.dropped
                listener.offer(data)
                self.dropped += listener.dropped - before

    def refused(self, route: str) -> None:
        self._count(route)["refused"] += 1

    def snapshot(self, routes: Iterable[str]) -> dict[str, dict[str, int]]:
        """Counts of `routes` (zero for one with none yet) and of any other route counted."""
        names = dict.fromkeys([*routes, *self.counts])
        return {name: dict(self.counts.get(name) or {"queued": 0, "refused": 0}) for name in names}

    def listen(self, route: str | None) -> Listener:
        listener = Listener(route)
        if self.closed:
            listener.queue.put_nowait(_CLOSED)
        else:
            self.listeners.add(listener)
        return listener

    def leave(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    def close(self) -> None:
        """End every open stream (the console is stopping)."""
        self.closed = True
        for listener in list(self.listeners):
            while True:
                try:
                    listener.queue.put_nowait(_CLOSED)
                    break
                except asyncio.QueueFull:
                    listener.queue.get_nowait()
        self.listeners.clear()


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"


async def stream(
    hub: TapHub, route: str | None, routes: Callable[[], Iterable[str]]
) -> AsyncIterator[str]:
    """The SSE text of one listener until the hub closes or the client goes away. It listens
    from before its first event: a client that has read the first `counts` sees every alert
    queued after it."""
    listener = hub.listen(route)
    reported = 0
    try:
        yield _event("counts", json.dumps({"routes": hub.snapshot(routes())}))
        loop = asyncio.get_running_loop()
        next_counts = loop.time() + COUNTS_EVERY
        while True:
            try:
                async with asyncio.timeout(max(0.0, next_counts - loop.time())):
                    data = await listener.queue.get()
            except TimeoutError:
                data = ""
            if data is _CLOSED:
                return
            if listener.dropped != reported:
                reported = listener.dropped
                yield _event("dropped", json.dumps({"dropped": reported}))
            if data:
                yield _event("alert", data)
            if loop.time() >= next_counts:
                next_counts = loop.time() + COUNTS_EVERY
                yield _event("counts", json.dumps({"routes": hub.snapshot(routes())}))
    finally:
        hub.leave(listener)


def tap_response(
    hub: TapHub, route: str | None, routes: Callable[[], Iterable[str]]
) -> StreamingResponse:
    return StreamingResponse(
        stream(hub, route, routes),
        media_type="text/event-stream",
        headers={"X-Accel-Buffering": "no"},
    )
