"""What every HTTP sender promises on the wire, whichever client sends (aiohttp or httpx):
the URL byte for byte, proxies from the environment ignored, the whole exchange bounded, idle
connections given up before a receiver's idle timeout closes them."""

from __future__ import annotations

import asyncio
import http.server
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from sanitizer.proxy.delivery import Delivered, RetryLater
from sanitizer.proxy.upstreams import TRANSPORTS
from sanitizer.proxy.upstreams.aiohttp_client import IDLE_CONNECTION_SECONDS
from tests.standin import StandIn
from tests.upstreams.sending import alert, build, send_one


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


def test_the_url_is_sent_as_configured_with_its_encoded_dot_segments(
    standin: StandIn, transport: str
) -> None:
    # aiohttp's own requoting decodes %2E and resolves the segment: /hook/x would be sent.
    sender = build(
        {"type": "webhook", "url": f"{standin.url}/hook/%2E%2E/x", "transport": transport}
    )
    assert send_one(sender) == Delivered()
    (request,) = standin.wait_for(1)
    assert request["path"] == "/hook/%2E%2E/x"


def test_proxy_settings_in_the_environment_are_ignored(
    standin: StandIn, transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = _unused_port()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{dead}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    sender = build({"type": "webhook", "url": f"{standin.url}/direct", "transport": transport})
    assert send_one(sender) == Delivered()
    assert standin.wait_for(1)[0]["path"] == "/direct"


@pytest.fixture
def trickler() -> Iterator[tuple[int, threading.Event]]:
    """A server that sends a status line and then one header byte at a time, every 0.1 s,
    forever: each read is within any timeout, the exchange never ends. Yields (port, a flag
    set once a request arrived)."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    arrived = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                arrived.set()
                conn.sendall(b"HTTP/1.1 200 OK\r\nx-slow: ")
                while not stop.wait(0.1):
                    try:
                        conn.sendall(b"a")
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], arrived
    finally:
        stop.set()
        thread.join(5)
        server.close()


def test_an_answer_that_never_ends_is_cut_at_twice_the_timeout(
    trickler: tuple[int, threading.Event], transport: str
) -> None:
    port, arrived = trickler
    sender = build(
        {
            "type": "webhook",
            "url": f"http://127.0.0.1:{port}/x",
            "timeout": 0.5,
            "transport": transport,
        }
    )
    started = time.monotonic()
    outcome = send_one(sender)
    elapsed = time.monotonic() - started
    assert arrived.is_set()
    assert outcome == RetryLater("TimeoutError")
    assert elapsed < 3  # 2 x timeout, with room for a loaded machine


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive that never closes an idle connection itself: which connection
    a request came on is the client's choice alone."""

    protocol_version = "HTTP/1.1"
    peers: list[int]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.peers.append(self.client_address[1])
        self.send_response(202)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def counting_receiver() -> Iterator[tuple[int, list[int]]]:
    """Yields (port, the client port of each request in arrival order)."""
    peers: list[int] = []
    handler = type("Handler", (_CountingHandler,), {"peers": peers})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], peers
    finally:
        server.shutdown()
        server.server_close()


def test_an_idle_connection_is_given_up_well_before_common_receivers_close_theirs(
    counting_receiver: tuple[int, list[int]], transport: str
) -> None:
    # A receiver closes an idle connection after its own timeout (uvicorn, Node.js, Apache 5 s,
    # gunicorn 2 s); a request sent on it as it closes is lost in flight and costs a retry.
    assert IDLE_CONNECTION_SECONDS < 2
    port, peers = counting_receiver
    sender = build({"type": "webhook", "url": f"http://127.0.0.1:{port}/x", "transport": transport})

    async def go() -> list[object]:
        try:
            outcomes = [await sender.send(alert()), await sender.send(alert())]
            await asyncio.sleep(IDLE_CONNECTION_SECONDS + 0.5)  # the idle time under test
            outcomes.append(await sender.send(alert()))
            return outcomes
        finally:
            await sender.aclose()

    assert asyncio.run(go()) == [Delivered()] * 3
    first, second, after_idle = peers
    assert second == first, "a connection in use is reused"
    assert after_idle != first, "a connection idle past the expiry is not reused"


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
