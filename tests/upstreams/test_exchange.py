"""What every HTTP sender promises on the wire, whichever client sends (aiohttp or httpx):
the URL byte for byte, proxies from the environment ignored, the whole exchange bounded."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from sanitizer.proxy.delivery import Delivered, RetryLater
from sanitizer.proxy.upstreams import TRANSPORTS
from tests.standin import StandIn
from tests.upstreams.sending import build, send_one


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


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
