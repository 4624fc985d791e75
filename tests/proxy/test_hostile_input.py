"""Hostile input over HTTP against the real proxy process, with a real upstream stand-in.

The corpus lives in `tests/fixtures/hostile/`: one body per file and `manifest.json` giving
each case's headers, expected status and error code, and a canary string inside the body.
Every case must get its precise status and a JSON error body, queue nothing (the queued counter
does not move and the stand-in receives nothing) and never show its canary in the proxy's log
or in the error body.

Streaming limits are proven on raw sockets, where the test controls every byte: an oversized
chunked body is answered 413 after a small fraction of it was sent, and a slow body (stalled or
dripped) is answered 408 once `read_timeout` has passed, however steadily bytes keep coming.
"""

from __future__ import annotations

import json
import select
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from sanitizer.errors import ConfigError
from sanitizer.proxy.upstreams import build_upstream
from tests.proxyproc import (
    INBOUND_TOKEN,
    ROOT,
    VICTOROPS_KEY,
    ProxyProcess,
    environment,
    start_proxy,
)
from tests.standin import start_standin

HOSTILE = ROOT / "tests/fixtures/hostile"
MANIFEST = json.loads((HOSTILE / "manifest.json").read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = MANIFEST["cases"]
OTHER_TOKEN = "other-route-token-9a8b7c6d5e4f3a2b"
MAX_BODY = 8192
READ_TIMEOUT = 1.0
KEEP_POLICY = """\
version: 1
name: keep-marker
rules:
  - {id: keep, action: allow, select: [marker, note]}
"""


def hostile_config(standin_url: str, policy: Path) -> str:
    return f"""\
spool: {{path: spool, max_bytes: 1000000}}
limits: {{max_body_bytes: {MAX_BODY}, max_depth: 16, read_timeout: {READ_TIMEOUT}}}
delivery: {{workers: 1, backoff_base: 0.05, backoff_cap: 0.3, max_age: 3600}}
routes:
  hostile:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: {policy}
    upstream: {{type: webhook, url: '{standin_url}/hook'}}
  other:
    credentials: [{{env: OTHER_TOKEN}}]
    policy: {policy}
    upstream: {{type: webhook, url: '{standin_url}/other'}}
"""


@pytest.fixture(scope="module")
def hostile_proxy(tmp_path_factory, standin_server):
    workdir = tmp_path_factory.mktemp("hostile-proxy")
    policy = workdir / "keep.yaml"
    policy.write_text(KEEP_POLICY, encoding="utf-8")
    proxy = start_proxy(
        workdir,
        hostile_config(standin_server.url, policy),
        env=environment(OTHER_TOKEN=OTHER_TOKEN),
    )
    yield proxy
    proxy.stop()


def request_for(case: dict[str, Any], proxy: ProxyProcess) -> tuple[str, dict[str, str]]:
    """The URL and headers a manifest case asks for."""
    headers: dict[str, str] = {}
    content_type = case.get("content_type", "application/json")
    if content_type is not None:
        headers["content-type"] = content_type
    auth = case.get("auth", "valid")
    tokens = {
        "valid": f"Bearer {INBOUND_TOKEN}",
        "empty-bearer": "Bearer",
        "basic": f"Basic {INBOUND_TOKEN}",
        "canary": f"Bearer {case['canary']}",
        "truncated": f"Bearer {INBOUND_TOKEN[:-1]}",
        "suffixed": f"Bearer {INBOUND_TOKEN}x",
        "other-route": f"Bearer {OTHER_TOKEN}",
    }
    if auth != "none":
        headers["authorization"] = tokens[auth]
    endpoint = case.get("endpoint", "bearer")
    paths = {
        "bearer": "/v1/alerts/hostile",
        "unknown-route": "/v1/alerts/no-such-route",
        "victorops-canary-key": f"/integrations/generic/20131114/alert/{case['canary']}/ops",
    }
    return proxy.url + paths[endpoint], headers


def sentinel_arrives_alone(proxy: ProxyProcess, standin, marker: str) -> None:
    """Queue one valid alert and wait for it upstream: with one delivery worker taking alerts in
    queue order, anything queued before it would have arrived first."""
    response = proxy.post("hostile", json.dumps({"marker": marker}))
    assert response.status_code == 202, response.text
    [request] = standin.wait_for(1, timeout=10)
    assert json.loads(request["body"]) == {"marker": marker}
    time.sleep(0.2)  # a late extra request would show up now
    assert len(standin.requests()) == 1


def test_every_hostile_body_in_the_corpus_gets_its_precise_status_and_queues_nothing(
    hostile_proxy, standin
):
    proxy = hostile_proxy
    queued_before = proxy.metric("sanitizer_alerts_queued_total")
    refused_before = proxy.metric("sanitizer_alerts_refused_total")
    by_status: dict[int, int] = {}
    with httpx.Client(timeout=10) as client:
        for case in CASES:
            body = (HOSTILE / case["file"]).read_bytes()
            url, headers = request_for(case, proxy)
            response = client.post(url, content=body, headers=headers)
            where = f"case {case['name']} ({case['why']})"
            assert response.status_code == case["status"], f"{where}: {response.text}"
            assert response.headers["content-type"].startswith("application/json"), where
            error = response.json()
            assert error["error"] == case["error"], where
            assert isinstance(error["message"], str) and error["message"], where
            if case["canary"]:
                assert case["canary"] not in response.text, f"{where}: error body quotes input"
            assert proxy.metric("sanitizer_alerts_queued_total") == queued_before, where
            by_status[case["status"]] = by_status.get(case["status"], 0) + 1
    assert proxy.metric("sanitizer_alerts_refused_total") == refused_before + len(CASES)
    sentinel_arrives_alone(proxy, standin, "after-the-corpus")
    log = proxy.log()
    leaked = [case["name"] for case in CASES if case["canary"] and case["canary"] in log]
    assert leaked == [], f"canaries of these cases reached the log: {leaked}"
    print(f"\nhostile corpus: {len(CASES)} cases, by status {dict(sorted(by_status.items()))}")
    assert len(CASES) >= 60


def raw_connection(proxy: ProxyProcess, head: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
    sock.sendall(head.encode("ascii"))
    return sock


def request_head(*, length: int | None = None, chunked: bool = False) -> str:
    lines = [
        "POST /v1/alerts/hostile HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Authorization: Bearer {INBOUND_TOKEN}",
    ]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return "\r\n".join(lines) + "\r\n\r\n"


def read_response(sock: socket.socket, deadline: float) -> tuple[int, dict[str, Any]]:
    """Status and JSON body of one HTTP/1.1 response (Content-Length framed), within a deadline."""
    data = b""
    while b"\r\n\r\n" not in data:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")[1:]
        if line.lower().startswith(b"content-length:")
    )
    while len(rest) < length:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the response body"
        rest += chunk
    return status, json.loads(rest[:length])


def test_an_oversized_chunked_body_is_refused_while_streaming_before_the_client_finishes(
    hostile_proxy, standin
):
    proxy = hostile_proxy
    queued_before = proxy.metric("sanitizer_alerts_queued_total")
    total = 64 << 20  # 64 MiB offered, 8 KiB allowed
    piece = b"%x\r\n" % 65536 + b'"CANARY-STREAMED-OVERSIZE"  '.ljust(65536, b" ") + b"\r\n"
    sock = raw_connection(proxy, request_head(chunked=True))
    sock.setblocking(False)
    sent = 0
    pending = b""
    answer = b""
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline and b"\r\n\r\n" not in answer:
            wants_write = [sock] if sent < total else []
            readable, writable, _ = select.select([sock], wants_write, [], 0.5)
            if readable:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
                continue
            if writable:
                pending = pending or piece
                try:
                    written = sock.send(pending)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:  # the proxy closed the connection: the answer is buffered
                    break
                sent += written
                pending = pending[written:]
        sock.setblocking(True)
        status, body = read_response(_Prefilled(sock, answer), time.monotonic() + 5)
    finally:
        sock.close()
    print(f"\n413 arrived after {sent:,} of {total:,} bytes were sent ({sent / total:.2%})")
    assert status == 413 and body["error"] == "body_too_large"
    assert sent < total // 4, "the proxy read (nearly) the whole body before refusing it"
    assert proxy.metric("sanitizer_alerts_queued_total") == queued_before
    assert "CANARY-STREAMED-OVERSIZE" not in proxy.log()
    assert standin.requests() == []


class _Prefilled:
    """A socket whose first bytes were already received."""

    def __init__(self, sock: socket.socket, data: bytes) -> None:
        self._sock = sock
        self._data = data

    def settimeout(self, value: float) -> None:
        self._sock.settimeout(value)

    def recv(self, size: int) -> bytes:
        if self._data:
            data, self._data = self._data[:size], self._data[size:]
            return data
        return self._sock.recv(size)


def test_a_declared_oversized_length_is_refused_before_any_body_byte_is_sent(
    hostile_proxy, standin
):
    proxy = hostile_proxy
    queued_before = proxy.metric("sanitizer_alerts_queued_total")
    sock = raw_connection(proxy, request_head(length=1 << 30))
    try:
        status, body = read_response(sock, time.monotonic() + 5)
    finally:
        sock.close()
    assert status == 413 and body["error"] == "body_too_large"
    assert proxy.metric("sanitizer_alerts_queued_total") == queued_before
    assert standin.requests() == []


def test_a_stalled_body_is_answered_408_after_the_read_timeout(hostile_proxy, standin):
    proxy = hostile_proxy
    queued_before = proxy.metric("sanitizer_alerts_queued_total")
    sock = raw_connection(proxy, request_head(length=200) + '{"note": "CANARY-STALLED-BODY"')
    try:
        status, body = read_response(sock, time.monotonic() + READ_TIMEOUT + 5)
    finally:
        sock.close()
    assert status == 408 and body["error"] == "body_timeout"
    assert proxy.metric("sanitizer_alerts_queued_total") == queued_before
    assert "CANARY-STALLED-BODY" not in proxy.log()
    assert standin.requests() == []


def test_a_dripped_body_cannot_extend_the_read_timeout(hostile_proxy, standin):
    """One byte every 50 ms keeps data flowing; the deadline covers the whole body anyway."""
    proxy = hostile_proxy
    queued_before = proxy.metric("sanitizer_alerts_queued_total")
    drip = b'{"note": "CANARY-DRIPPED-BODY' + b" " * 400 + b'"}'
    sock = raw_connection(proxy, request_head(length=len(drip)))
    started = time.monotonic()
    answer = b""
    try:
        sock.settimeout(0.05)
        for byte in drip:  # bounded: 430 bytes, about 21 s at most; answered after ~1 s
            try:
                sock.send(bytes([byte]))
            except OSError:
                break
            try:
                answer += sock.recv(65536)
            except TimeoutError:
                continue
            if b"\r\n\r\n" in answer:
                break
        elapsed = time.monotonic() - started
        sock.settimeout(5)
        status, body = read_response(_Prefilled(sock, answer), time.monotonic() + 5)
    finally:
        sock.close()
    print(f"\ndripped body answered after {elapsed:.2f}s")
    assert status == 408 and body["error"] == "body_timeout"
    assert elapsed < len(drip) * 0.05, "the whole drip was read: the deadline did not hold"
    assert proxy.metric("sanitizer_alerts_queued_total") == queued_before
    assert "CANARY-DRIPPED-BODY" not in proxy.log()
    assert standin.requests() == []


FRAMING = {
    "content-length-and-chunked": "Content-Length: 15\r\nTransfer-Encoding: chunked\r\n",
    "two-content-lengths": "Content-Length: 15\r\nContent-Length: 3\r\n",
    "negative-content-length": "Content-Length: -1\r\n",
    "signed-content-length": "Content-Length: +15\r\n",
    "non-ascii-digit-length": "Content-Length: \u00b2\r\n",
    "nul-in-a-header": "Content-Length: 15\r\nX-Note: a\x00b\r\n",
}


@pytest.mark.parametrize("framing", list(FRAMING))
def test_ambiguous_http_framing_is_refused_and_queues_nothing(hostile_proxy, standin, framing):
    """Request smuggling shapes: the HTTP parser refuses them with 400 before the app runs
    (uvicorn's plain-text body, not JSON), and nothing is queued."""
    proxy = hostile_proxy
    queued_before = proxy.metric("sanitizer_alerts_queued_total")
    head = request_head().removesuffix("\r\n") + FRAMING[framing] + "\r\n"
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
    try:
        sock.sendall(head.encode("latin-1") + b'{"marker": "x"}')
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(65536)
            assert chunk, "closed without an answer"
            answer += chunk
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:80]
    assert proxy.metric("sanitizer_alerts_queued_total") == queued_before
    assert standin.requests() == []


def test_a_client_that_never_finishes_its_headers_is_disconnected(hostile_proxy):
    proxy = hostile_proxy
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
    try:
        sock.sendall(b"POST /v1/alerts/hostile HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sock.settimeout(READ_TIMEOUT + 3)
        try:
            closed_or_answered = sock.recv(65536) is not None
        except TimeoutError:
            closed_or_answered = False
    finally:
        sock.close()
    assert closed_or_answered, "the half-sent request still holds a connection"


HUGE_POLICY = """\
version: 1
name: huge
rules:
  - {id: drop-secrets, action: drop, keys: '(?i)password|secret|token'}
  - {id: scrub-all, action: scrub}
  - {id: mask-ips, action: mask_ip, mode: fixed}
guard: [email, ipv4, ipv6, aws_access_key, jwt, bearer]
"""
MIB = 1 << 20
HUGE_BODIES = {
    "6 MiB string": lambda: {"note": "x" * 6 * MIB},
    "2 MiB of IPv4 near-misses": lambda: {"note": "1.2.3." * (2 * MIB // 6)},
    "2 MiB of e-mail near-misses": lambda: {"note": "a@" * MIB},
    "2 MiB of IPv6 near-misses": lambda: {"note": "1:" * MIB},
    "2 MiB of card-number near-misses": lambda: {"note": "4111 " * (2 * MIB // 5)},
    "2 MiB of URL-credential near-misses": lambda: {"note": "https://a@" * (2 * MIB // 10)},
    "500k integers": lambda: {"v": list(range(500_000))},
    "200k strings": lambda: {"v": ["ab"] * 200_000},
    "100k keys": lambda: {f"k{i}": i for i in range(100_000)},
}


def test_huge_arrays_and_strings_within_the_size_limit_are_answered(tmp_path, standin):
    """No quadratic work: each body is answered within the client timeout (times printed)."""
    (tmp_path / "huge.yaml").write_text(HUGE_POLICY, encoding="utf-8")
    config = f"""\
spool: {{path: spool, max_bytes: 200000000}}
limits: {{max_body_bytes: {8 * MIB}, max_depth: 64, read_timeout: 30}}
routes:
  hostile:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: huge.yaml
    upstream: {{type: webhook, url: '{standin.url}/hook'}}
"""
    proxy = start_proxy(tmp_path, config)
    timings = []
    try:
        with httpx.Client(timeout=120) as client:
            for name, build in HUGE_BODIES.items():
                body = json.dumps(build()).encode()
                assert len(body) <= 8 * MIB
                started = time.perf_counter()
                response = client.post(
                    f"{proxy.url}/v1/alerts/hostile",
                    content=body,
                    headers={
                        "content-type": "application/json",
                        "authorization": f"Bearer {INBOUND_TOKEN}",
                    },
                )
                elapsed = time.perf_counter() - started
                timings.append(f"  {name:<36} {len(body) / MIB:5.1f} MiB  {elapsed:6.3f}s")
                assert response.status_code in (202, 422), f"{name}: {response.text[:200]}"
    finally:
        proxy.stop()
    print("\nhuge bodies within the limit (status 202/422):\n" + "\n".join(timings))


# ---------------------------------------------------------------------------- no SSRF

VICTOROPS_PREFIX = "/integrations/generic/20131114/alert"
SSRF_POLICY = """\
version: 1
name: keep-urls
rules:
  - {id: keep, action: allow, select: [message_type, marker, url, callback, webhook_url, host]}
"""
# Routing keys as sent in the URL's last segment (still percent-encoded), and what must happen:
# "dead": queued, then refused by the sender without any request (a dot segment would be
# resolved by the HTTP client), or refused at ingress with 400 (a dot segment, or a "/" once
# the segment is decoded); "one segment": delivered to the configured URL with the key,
# percent-encoded, as its last segment.
HOSTILE_ROUTING_KEYS = {
    "..%2F..%2Fevil": "dead",
    "http:%2F%2Fevil.example%2Fx": "dead",
    "%2F": "dead",
    "..": "dead",
    ".": "dead",
    "%2E%2E": "dead",
    "%252F..%252Fevil": "one segment",
    "..%5C..%5Cevil": "one segment",
    "a%3Fx%3D1": "one segment",
    "evil.example%40x": "one segment",
    "%23fragment": "one segment",
    "%C3%A9vil%20key": "one segment",
}


@pytest.fixture(scope="module")
def ssrf_setup(tmp_path_factory, standin_server):
    workdir = tmp_path_factory.mktemp("ssrf")
    evil = start_standin(workdir / "evil")
    (workdir / "keep-urls.yaml").write_text(SSRF_POLICY, encoding="utf-8")
    config = f"""\
spool: {{path: spool}}
delivery: {{workers: 2, backoff_base: 0.05, backoff_cap: 0.3}}
routes:
  hostile:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: keep-urls.yaml
    upstream:
      type: victorops
      url: '{standin_server.url}{VICTOROPS_PREFIX}'
      api_key: {{env: VICTOROPS_API_KEY}}
      routing_key: ops
"""
    proxy = start_proxy(workdir, config)
    yield proxy, evil
    proxy.stop()
    evil.stop()


def raw_post(
    proxy: ProxyProcess, path: str, body: bytes, extra_headers: str = "", host: str = "127.0.0.1"
) -> int:
    """POST with the path exactly as given (HTTP clients would resolve dot segments)."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{extra_headers}Connection: close\r\n\r\n"
    )
    sock = raw_connection(proxy, head)
    try:
        sock.sendall(body)
        status, _ = read_response(sock, time.monotonic() + 10)
    finally:
        sock.close()
    return status


def test_request_headers_fields_and_routing_keys_never_change_where_an_alert_goes(
    ssrf_setup, standin
):
    proxy, evil = ssrf_setup
    evil.clear()
    evil_url = f"{evil.url}/stolen"
    evil_host = evil.url.removeprefix("http://")
    alert = {
        "message_type": "CRITICAL",
        "marker": "headers-and-fields",
        "url": evil_url,
        "callback": evil_url,
        "webhook_url": evil_url,
        "host": evil_host,
    }
    hostile_headers = (
        f"X-Forwarded-Host: {evil_host}\r\nX-Forwarded-Proto: http\r\n"
        f"Forwarded: host={evil_host};proto=http\r\nX-Original-URL: {evil_url}\r\n"
        f"X-Rewrite-URL: {evil_url}\r\nX-Forwarded-Prefix: /stolen\r\n"
        f"Referer: {evil_url}\r\nAuthorization: Bearer {INBOUND_TOKEN}\r\n"
    )
    body = json.dumps(alert).encode()
    assert raw_post(proxy, "/v1/alerts/hostile", body, hostile_headers, host=evil_host) == 202
    expected: dict[str, str] = {"headers-and-fields": "ops"}
    dead = 0
    for key, fate in HOSTILE_ROUTING_KEYS.items():
        marker = f"routing-key {key}"
        body = json.dumps({**alert, "marker": marker}).encode()
        path = f"{VICTOROPS_PREFIX}/{INBOUND_TOKEN}/{key}"
        status = raw_post(proxy, path, body, f"X-Forwarded-Host: {evil_host}\r\n", evil_host)
        allowed = {"dead": {202, 400}, "one segment": {202}}[fate]
        assert status in allowed, f"{key}: {status}"  # 400: refused at ingress (proposed fix)
        if fate == "one segment":
            expected[marker] = unquote(key)
        dead += fate == "dead" and status == 202
    deadline = time.monotonic() + 10
    while proxy.metric("sanitizer_spool_depth") > 0:
        assert time.monotonic() < deadline, "the spool did not drain"
        time.sleep(0.05)
    assert evil.requests() == [], "a request reached a host named in the alert or its headers"
    arrived = {json.loads(r["body"])["marker"]: r["path"] for r in standin.requests()}
    assert set(arrived) == set(expected)
    for marker, path in arrived.items():
        prefix = f"{VICTOROPS_PREFIX}/{VICTOROPS_KEY}/"
        assert path.startswith(prefix), f"{marker} went to {path}"
        segment = path.removeprefix(prefix)
        assert "/" not in segment and "?" not in segment and "#" not in segment, path
        assert unquote(segment) == expected[marker], f"{marker} arrived as {segment}"
    assert (
        proxy.metric("sanitizer_alerts_dead_lettered_total", reason="routing key is a dot segment")
        == dead
    )
    print(f"\nno SSRF: {len(HOSTILE_ROUTING_KEYS)} routing keys, 9 headers, 4 URL-like fields")


@pytest.mark.parametrize("key", ["..", ".", "%2E%2E"])
def test_a_dot_segment_routing_key_is_refused_at_ingress(ssrf_setup, key):
    proxy, _ = ssrf_setup
    body = json.dumps({"message_type": "CRITICAL", "marker": "dot"}).encode()
    status = raw_post(proxy, f"{VICTOROPS_PREFIX}/{INBOUND_TOKEN}/{key}", body)
    assert status == 400


@pytest.mark.parametrize("field", ["routing_key", "api_key"])
def test_a_configured_dot_segment_in_the_victorops_url_is_refused_at_load(field):
    config = {
        "type": "victorops",
        "url": "https://alerts.example/integrations/generic/20131114/alert",
        "api_key": {"env": "KEY"},
        "routing_key": "ops",
    }
    environ = {"KEY": "a-real-looking-api-key"}
    if field == "routing_key":
        config["routing_key"] = ".."
    else:
        environ["KEY"] = ".."
    with pytest.raises(ConfigError) as caught:
        build_upstream(config, route="r", environ=environ)
    assert caught.value.field == f"routes.r.upstream.{field}"
