"""The shared HTTP sender against the real stand-in process on loopback: no mocks, real HTTP."""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sanitizer.proxy.delivery import Delivered, Rejected, RetryLater
from sanitizer.proxy.upstreams import TRANSPORTS, Upstream, build_upstream
from tests.standin import StandIn, make_tls_files, start_standin
from tests.upstreams.sending import ROUTE, alert, assert_clean, build, send, send_one


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


def test_many_concurrent_sends_all_arrive(standin: StandIn, transport: str) -> None:
    sender = build({"type": "webhook", "url": f"{standin.url}/bulk", "transport": transport})

    async def go() -> list[Any]:
        try:
            return await asyncio.gather(*(sender.send(alert()) for _ in range(40)))
        finally:
            await sender.aclose()

    assert asyncio.run(go()) == [Delivered()] * 40
    assert len(standin.wait_for(40)) == 40


def test_injected_transport_is_borrowed_not_closed(standin: StandIn) -> None:
    async def go() -> list[Any]:
        async with httpx.AsyncHTTPTransport() as shared:
            config = {"type": "webhook", "url": f"{standin.url}/x"}
            first = build_upstream(config, route=ROUTE, transport=shared)
            second = build_upstream(config, route=ROUTE, transport=shared)
            outcomes = [await first.send(alert())]
            await first.aclose()
            outcomes.append(await second.send(alert()))
            await second.aclose()
            return outcomes

    assert asyncio.run(go()) == [Delivered(), Delivered()]


@pytest.fixture
def vo_key() -> str:
    return secrets.token_hex(16)


def victorops(standin: StandIn, api_key: str, transport: str, **extra: Any) -> Upstream:
    config = {
        "type": "victorops",
        "url": f"{standin.url}/alert",
        "api_key": {"env": "VO"},
        "transport": transport,
        **extra,
    }
    return build(config, {"VO": api_key})


@pytest.mark.parametrize(
    ("mode", "options", "expected"),
    [
        ("fail500", {}, RetryLater("HTTP 500")),
        ("429", {"retry_after": 2}, RetryLater("HTTP 429", 2.0)),
        ("fail503", {"retry_after": 7}, RetryLater("HTTP 503", 7.0)),
        ("fail503", {}, RetryLater("HTTP 503")),
        ("status", {"status": 408}, RetryLater("HTTP 408")),
        ("status", {"status": 502}, RetryLater("HTTP 502")),
        ("404", {}, Rejected("HTTP 404")),
        ("status", {"status": 400}, Rejected("HTTP 400")),
        ("status", {"status": 302}, Rejected("HTTP 302")),
        ("status", {"status": 200}, Delivered()),
    ],
)
def test_status_maps_to_outcome(
    standin: StandIn, transport: str, vo_key: str, mode: str, options: Any, expected: Any
) -> None:
    standin.set_mode(mode, **options)
    outcome = send_one(victorops(standin, vo_key, transport))
    assert outcome == expected
    if not isinstance(outcome, Delivered):
        assert_clean(outcome, vo_key)


def test_stall_past_timeout_is_retry_later(standin: StandIn, transport: str, vo_key: str) -> None:
    standin.set_mode("stall")
    started = time.monotonic()
    outcome = send_one(victorops(standin, vo_key, transport, timeout=0.5))
    assert time.monotonic() - started < 3
    assert outcome == RetryLater("ReadTimeout")  # httpx's name, whichever the transport


def test_reset_connection_is_retry_later(standin: StandIn, transport: str, vo_key: str) -> None:
    standin.set_mode("reset", count=1)
    sender = victorops(standin, vo_key, transport)
    reset, after = send(sender, alert(), alert())
    assert reset in (RetryLater("ReadError"), RetryLater("RemoteProtocolError"))
    assert after == Delivered()  # the pool recovers on the next send


def test_refused_connection_is_retry_later(transport: str, vo_key: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {
        "type": "victorops",
        "url": f"http://127.0.0.1:{port}/alert",
        "api_key": {"env": "VO"},
        "transport": transport,
    }
    assert send_one(build(config, {"VO": vo_key})) == RetryLater("ConnectError")


@pytest.fixture(scope="module")
def tls_standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StandIn, Path]]:
    directory = tmp_path_factory.mktemp("tls-standin")
    files = make_tls_files(directory / "pki")
    server = start_standin(directory, certfile=files.cert, keyfile=files.key, ca=files.ca)
    try:
        yield server, files.ca
    finally:
        server.stop()


def test_tls_with_ca_bundle_delivers(
    tls_standin: tuple[StandIn, Path], transport: str, vo_key: str
) -> None:
    server, ca = tls_standin
    for host in ("localhost", "127.0.0.1"):
        url = server.url.replace("localhost", host)
        sender = build(
            {
                "type": "victorops",
                "url": f"{url}/alert",
                "api_key": {"env": "VO"},
                "ca_bundle": str(ca),
                "transport": transport,
            },
            {"VO": vo_key},
        )
        assert send_one(sender) == Delivered()


def test_tls_without_the_ca_is_refused(
    tls_standin: tuple[StandIn, Path], transport: str, vo_key: str
) -> None:
    server, _ = tls_standin
    sender = build(
        {"type": "webhook", "url": f"{server.url}/x", "transport": transport}, {"VO": vo_key}
    )
    assert send_one(sender) == RetryLater("ConnectError")


def test_tls_verify_false_works_and_warns(
    tls_standin: tuple[StandIn, Path], caplog: pytest.LogCaptureFixture
) -> None:
    server, _ = tls_standin
    token = secrets.token_hex(16)
    with caplog.at_level(logging.WARNING, logger="sanitizer.upstreams"):
        sender = build(
            {
                "type": "bigpanda",
                "url": f"{server.url}/x",
                "token": {"env": "T"},
                "app_key": "a",
                "tls_verify": False,
            },
            {"T": token},
        )
    (record,) = [r for r in caplog.records if r.name == "sanitizer.upstreams"]
    assert record.levelno == logging.WARNING
    assert "tls_verify" in record.getMessage()
    assert token not in record.getMessage()
    assert send_one(sender) == Delivered()


def test_plain_http_to_a_remote_host_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sanitizer.upstreams"):
        build({"type": "webhook", "url": "http://relay.invalid/x"})
        build({"type": "webhook", "url": "http://127.0.0.1:9/x"})
    messages = [r.getMessage() for r in caplog.records if r.name == "sanitizer.upstreams"]
    assert len(messages) == 1
    assert "plain http" in messages[0]
