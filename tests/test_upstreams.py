"""Upstream senders against the real stand-in process on loopback: no mocks, real HTTP."""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import os
import re
import secrets
import socket
import string
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanitizer.errors import ConfigError
from sanitizer.proxy.delivery import Delivered, Rejected, RetryLater
from sanitizer.proxy.spool import SpooledAlert
from sanitizer.proxy.upstreams import (
    MAX_RETRY_AFTER,
    TRANSPORTS,
    Upstream,
    build_upstream,
    outcome_of,
    parse_retry_after,
)
from tests import standin as standin_lib
from tests.standin import StandIn, make_tls_files, start_standin

# The stand-in's fixtures, until tests/conftest.py registers them for every module.
standin_server = standin_lib.standin_server
standin = standin_lib.standin

ROUTE = "r1"
ALERT = {"message_type": "CRITICAL", "entity_id": "disk/web-1", "host": "web-1", "check": "disk"}


def alert(
    doc: Any = ALERT, *, routing_key: str | None = None, raw: bytes | None = None
) -> SpooledAlert:
    body = raw if raw is not None else json.dumps(doc).encode()
    return SpooledAlert(
        id=secrets.token_hex(8),
        route=ROUTE,
        routing_key=routing_key,
        body=body,
        created_at=time.time(),
        attempts=0,
    )


def build(config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Upstream:
    return build_upstream(config, route=ROUTE, environ=environ or {})


def send(sender: Upstream, *alerts: SpooledAlert) -> list[Any]:
    """Send each alert in turn on one event loop, then close the sender."""

    async def go() -> list[Any]:
        try:
            return [await sender.send(a) for a in alerts]
        finally:
            await sender.aclose()

    return asyncio.run(go())


def send_one(sender: Upstream, item: SpooledAlert | None = None) -> Any:
    return send(sender, item or alert())[0]


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


# ---------------------------------------------------------------------------- request shapes


def test_victorops_posts_to_api_key_and_alert_routing_key(standin: StandIn) -> None:
    api_key = secrets.token_hex(16)
    sender = build(
        {
            "type": "victorops",
            "url": f"{standin.url}/integrations/alert/",
            "api_key": {"env": "VO_KEY"},
            "routing_key": "default-team",
        },
        {"VO_KEY": api_key},
    )
    assert send_one(sender, alert(routing_key="team a/b")) == Delivered()
    (request,) = standin.wait_for(1)
    assert request["method"] == "POST"
    assert request["path"] == f"/integrations/alert/{api_key}/team%20a%2Fb"
    assert json.loads(request["body"]) == ALERT
    assert request["headers"]["content-type"] == "application/json"
    assert request["headers"]["user-agent"].startswith("alert-sanitizer/")


def test_victorops_default_routing_key_and_none(standin: StandIn) -> None:
    config = {"type": "victorops", "url": f"{standin.url}/alert", "api_key": {"env": "K"}}
    send(build({**config, "routing_key": "ops"}, {"K": "key1"}), alert())
    send(build(config, {"K": "key2"}), alert())
    paths = [r["path"] for r in standin.wait_for(2)]
    assert paths == ["/alert/key1/ops", "/alert/key2"]


def test_webhook_method_and_headers_with_secret_refs(standin: StandIn, tmp_path: Path) -> None:
    env_secret, file_secret = secrets.token_hex(12), secrets.token_hex(12)
    (tmp_path / "hook").write_text(file_secret + "\n")
    raw = b'{"a": 1,  "b": "\xc3\xa9"}'
    sender = build(
        {
            "type": "webhook",
            "url": f"{standin.url}/hook?x=1",
            "method": "put",
            "headers": {
                "X-Team": "ops",
                "X-Api-Key": {"env": "HOOK_KEY"},
                "Authorization": {"file": str(tmp_path / "hook")},
            },
        },
        {"HOOK_KEY": env_secret},
    )
    assert send_one(sender, alert(raw=raw)) == Delivered()
    (request,) = standin.wait_for(1)
    assert (request["method"], request["path"]) == ("PUT", "/hook?x=1")
    assert request["body"].encode() == raw  # sent as is, byte for byte
    headers = request["headers"]
    assert headers["x-team"] == "ops"
    assert headers["x-api-key"] == env_secret
    assert headers["authorization"] == file_secret


def test_bigpanda_bearer_token_and_app_key(standin: StandIn) -> None:
    token = secrets.token_hex(16)
    sender = build(
        {
            "type": "bigpanda",
            "url": f"{standin.url}/data/v2/alerts",
            "token": {"env": "BP"},
            "app_key": "app-123",
        },
        {"BP": token},
    )
    assert send_one(sender) == Delivered()
    (request,) = standin.wait_for(1)
    assert request["path"] == "/data/v2/alerts"
    assert request["headers"]["authorization"] == f"Bearer {token}"
    assert json.loads(request["body"]) == {**ALERT, "app_key": "app-123"}


def test_pagerduty_routing_key_dedup_key_and_event_action(standin: StandIn) -> None:
    routing_key = secrets.token_hex(16)
    sender = build(
        {
            "type": "pagerduty",
            "url": f"{standin.url}/v2/enqueue",
            "routing_key": {"env": "PD"},
            "dedup_key": "join('/', [host, check])",
        },
        {"PD": routing_key},
    )
    send(sender, alert(), alert({**ALERT, "event_action": "resolve"}), alert({"x": 1}))
    first, second, third = (json.loads(r["body"]) for r in standin.wait_for(3))
    assert first == {
        **ALERT,
        "routing_key": routing_key,
        "dedup_key": "web-1/disk",
        "event_action": "trigger",
    }
    assert second["event_action"] == "resolve"
    assert "dedup_key" not in third  # the expression gave null (a type error in join)


@pytest.mark.parametrize(
    ("expression", "doc", "expected"),
    [
        ("host", {"host": "web-1"}, "web-1"),
        ("n", {"n": 42}, "42"),
        ("flag", {"flag": True}, "true"),
        ("tags", {"tags": ["a", "b"]}, '["a","b"]'),
        ("missing", {"host": "x"}, None),
        ("long", {"long": "x" * 300}, "x" * 255),
        ("empty", {"empty": ""}, None),
        ("routing_key", {"host": "x"}, None),  # evaluated on the alert, before the key is added
    ],
)
def test_pagerduty_dedup_key_is_stringified_and_bounded(
    expression: str, doc: Any, expected: str | None
) -> None:
    sender = build(
        {"type": "pagerduty", "routing_key": {"env": "PD"}, "dedup_key": expression},
        {"PD": "secret-routing-key"},
    )
    assert sender.dedup_key(doc) == expected  # type: ignore[attr-defined]


def test_pagerduty_and_bigpanda_reject_a_body_that_is_not_an_object(standin: StandIn) -> None:
    pd = build({"type": "pagerduty", "url": standin.url, "routing_key": {"env": "K"}}, {"K": "k"})
    bp = build(
        {"type": "bigpanda", "url": standin.url, "token": {"env": "K"}, "app_key": "a"},
        {"K": "k"},
    )
    assert send_one(pd, alert([1, 2])) == Rejected("alert body is not a JSON object")
    assert send_one(bp, alert(raw=b"not json")) == Rejected("alert body is not a JSON object")
    assert standin.requests() == []


def test_capture_appends_fsynced_json_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    path = tmp_path / "out" / "capture.jsonl"
    sender = build({"type": "capture", "path": str(path)})
    first, second = alert(routing_key="ops"), alert({"b": "é"})
    assert send(sender, first, second) == [Delivered(), Delivered()]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"id": first.id, "route": ROUTE, "routing_key": "ops", "alert": ALERT},
        {"id": second.id, "route": ROUTE, "routing_key": None, "alert": {"b": "é"}},
    ]
    assert len(synced) >= 2  # every line, plus the new directory entry
    assert path.stat().st_mode & 0o777 == 0o600
    assert send_one(build({"type": "capture", "path": str(path)}), alert(raw=b"{")) == Rejected(
        "alert body is not JSON"
    )


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


# ---------------------------------------------------------------------------- failure modes


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


def assert_clean(outcome: Any, *secret_values: str) -> None:
    reason = outcome.reason
    assert re.fullmatch(r"HTTP \d{3}|[A-Za-z]+", reason), reason
    for value in secret_values:
        assert value not in reason


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


def test_outcome_mapping_without_network() -> None:
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert outcome_of(httpx.Response(204)) == Delivered()
    assert outcome_of(httpx.Response(429, headers={"retry-after": date}), now=now) == RetryLater(
        "HTTP 429", 30.0
    )
    assert outcome_of(httpx.Response(500, headers={"retry-after": "9"})) == RetryLater("HTTP 500")
    assert outcome_of(httpx.ReadTimeout("https://x/KEY")) == RetryLater("ReadTimeout")
    assert outcome_of(httpx.Response(410)) == Rejected("HTTP 410")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        (" 12 ", 12.0),
        ("99999999999999999999", MAX_RETRY_AFTER),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("\u0662", None),  # a non-ASCII digit
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=time.time()) == expected


# ---------------------------------------------------------------------------- TLS


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


# ---------------------------------------------------------------------------- secrets


_SECRET_CHARS = string.ascii_letters + string.digits + "-_.~+/=!$%&*"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    api_key=st.text(_SECRET_CHARS, min_size=12, max_size=64),
    token=st.text(_SECRET_CHARS, min_size=12, max_size=64),
    routing_key=st.text(_SECRET_CHARS, min_size=12, max_size=64),
    header=st.text(_SECRET_CHARS, min_size=12, max_size=64),
)
def test_secrets_never_in_repr_or_describe(
    api_key: str, token: str, routing_key: str, header: str
) -> None:
    environ = {"A": api_key, "T": token, "R": routing_key, "H": header}
    senders = [
        build({"type": "victorops", "api_key": {"env": "A"}, "routing_key": "ops"}, environ),
        build(
            {"type": "webhook", "url": "https://h.example/x", "headers": {"X-K": {"env": "H"}}},
            environ,
        ),
        build({"type": "bigpanda", "token": {"env": "T"}, "app_key": "app"}, environ),
        build({"type": "pagerduty", "routing_key": {"env": "R"}, "dedup_key": "host"}, environ),
    ]
    for sender in senders:
        shown = repr(sender) + str(sender) + sender.describe()
        for value in environ.values():
            assert value not in shown
    assert "<api key>" in senders[0].describe()
    assert "X-K: <secret>".lower() in senders[1].describe().lower()


def test_describe_names_type_and_endpoint(tmp_path: Path) -> None:
    environ = {"K": "k" * 20}
    described = [
        build({"type": "victorops", "api_key": {"env": "K"}}, environ).describe(),
        build({"type": "bigpanda", "token": {"env": "K"}, "app_key": "a"}, environ).describe(),
        build(
            {"type": "pagerduty", "routing_key": {"env": "K"}, "dedup_key": "host"}, environ
        ).describe(),
        build(
            {"type": "webhook", "url": "https://h.example:8443/x", "headers": {"X-T": "ops"}}
        ).describe(),
        build({"type": "capture", "path": str(tmp_path / "c.jsonl")}).describe(),
    ]
    assert described == [
        "victorops https://alert.victorops.com/integrations/generic/20131114/alert"
        "/<api key>/<routing key>",
        "bigpanda https://api.bigpanda.io/data/v2/alerts (bearer <token>)",
        "pagerduty https://events.pagerduty.com/v2/enqueue (routing_key <secret>, dedup_key host)",
        "webhook POST https://h.example:8443/x (headers x-t)",
        f"capture {tmp_path / 'c.jsonl'}",
    ]


def test_describe_hides_query_strings() -> None:
    sender = build({"type": "webhook", "url": "https://h.example/hook?token=abc123"})
    assert sender.describe() == "webhook POST https://h.example/hook?…"
    assert "abc123" not in repr(sender)


def test_secret_outcomes_on_every_failure(standin: StandIn) -> None:
    """Reasons from each type, on failure, never carry a secret."""
    keys = {name: secrets.token_hex(16) for name in ("A", "T", "R", "H")}
    configs = [
        {"type": "victorops", "url": standin.url, "api_key": {"env": "A"}},
        {"type": "webhook", "url": standin.url, "headers": {"X-K": {"env": "H"}}},
        {"type": "bigpanda", "url": standin.url, "token": {"env": "T"}, "app_key": "a"},
        {"type": "pagerduty", "url": standin.url, "routing_key": {"env": "R"}},
    ]
    for config in configs:
        standin.set_mode("fail500", count=1)
        standin_outcomes = send(build(config, keys), alert())
        standin.set_mode("404", count=1)
        standin_outcomes += send(build(config, keys), alert())
        standin.set_mode("reset", count=1)
        standin_outcomes += send(build(config, keys), alert())
        for outcome in standin_outcomes:
            assert not isinstance(outcome, Delivered)
            assert_clean(outcome, *keys.values())


# ---------------------------------------------------------------------------- config errors


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"type": "splunk"}, "type"),
        ({"api_key": {"env": "K"}}, "type"),
        ({"type": "victorops", "api_key": {"env": "K"}, "bogus": 1}, "bogus"),
        ({"type": "victorops"}, "api_key"),
        ({"type": "victorops", "api_key": "inline-key"}, "api_key"),
        ({"type": "victorops", "api_key": {"env": "UNSET"}}, "api_key"),
        ({"type": "victorops", "api_key": {"file": "/nonexistent/key"}}, "api_key"),
        ({"type": "victorops", "api_key": {"env": "K"}, "url": "ftp://x/y"}, "url"),
        ({"type": "victorops", "api_key": {"env": "K"}, "url": "https://u:p@x/y"}, "url"),
        ({"type": "victorops", "api_key": {"env": "K"}, "url": "not a url"}, "url"),
        ({"type": "victorops", "api_key": {"env": "K"}, "routing_key": 5}, "routing_key"),
        ({"type": "victorops", "api_key": {"env": "K"}, "timeout": 0}, "timeout"),
        ({"type": "victorops", "api_key": {"env": "K"}, "timeout": "10"}, "timeout"),
        ({"type": "victorops", "api_key": {"env": "K"}, "max_connections": 0}, "max_connections"),
        ({"type": "victorops", "api_key": {"env": "K"}, "transport": "curl"}, "transport"),
        ({"type": "victorops", "api_key": {"env": "K"}, "tls_verify": "no"}, "tls_verify"),
        ({"type": "victorops", "api_key": {"env": "K"}, "ca_bundle": "/nonexistent"}, "ca_bundle"),
        (
            {"type": "victorops", "api_key": {"env": "K"}, "ca_bundle": "/x", "tls_verify": False},
            "ca_bundle",
        ),
        ({"type": "webhook"}, "url"),
        ({"type": "webhook", "url": "https://x/y", "method": "DELETE"}, "method"),
        ({"type": "webhook", "url": "https://x/y", "headers": ["X-A"]}, "headers"),
        ({"type": "webhook", "url": "https://x/y", "headers": {"X A": "v"}}, "headers.X A"),
        ({"type": "webhook", "url": "https://x/y", "headers": {"Host": "h"}}, "headers.Host"),
        ({"type": "webhook", "url": "https://x/y", "headers": {"X-A": "a\nb"}}, "headers.X-A"),
        (
            {"type": "webhook", "url": "https://x/y", "headers": {"X-A": {"env": "NL"}}},
            "headers.X-A",
        ),
        ({"type": "webhook", "url": "https://x/y", "headers": {"X-A": 5}}, "headers.X-A"),
        ({"type": "bigpanda", "token": {"env": "K"}}, "app_key"),
        ({"type": "bigpanda", "token": {"env": "NL"}, "app_key": "a"}, "token"),
        ({"type": "pagerduty", "routing_key": {"env": "K"}, "dedup_key": "a[?"}, "dedup_key"),
        ({"type": "pagerduty", "dedup_key": "a"}, "routing_key"),
        ({"type": "capture"}, "path"),
        ({"type": "capture", "path": "/tmp"}, "path"),
        ({"type": "capture", "path": "/tmp/x.jsonl", "timeout": 5}, "timeout"),
    ],
)
def test_config_errors_name_the_field(config: dict[str, Any], field: str) -> None:
    secret = "line-one\nline-two-" + secrets.token_hex(8)
    with pytest.raises(ConfigError) as caught:
        build(config, {"K": "some-key", "NL": secret})
    assert caught.value.field == f"routes.{ROUTE}.upstream.{field}"
    assert f"routes.{ROUTE}.upstream.{field}" in caught.value.message
    assert secret.split("\n")[1] not in caught.value.message
    assert "some-key" not in caught.value.message
