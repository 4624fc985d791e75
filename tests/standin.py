"""A real upstream stand-in for end-to-end tests: a Starlette app under uvicorn, in its own process.

Run it as `python -m tests.standin --port 0 --record FILE [--certfile C --keyfile K]`; it prints
`LISTENING <port>` once bound. Every request except the control endpoints is recorded as one
JSON line `{"method", "path", "headers": [[name, value], ...], "body", "mode"}` in FILE
(`path` as sent, still percent-encoded, with the query string).

`POST /_control {"mode": M, "count": N, "retry_after": S, "status": C, "stall": S}` sets what the
next N requests get (all of them when `count` is absent; then back to "ok"):

    ok        202 {"status": "ok"}
    fail500   500
    fail503   503 with Retry-After when `retry_after` is given
    429       429 with Retry-After: `retry_after` (default 2)
    404       404
    status    any `status` code; with `"echo": true` a JSON body that repeats the request
              (path, authorization header, body), as a careless receiver's error might
    stall     no answer until the client gives up (or `stall` seconds, default 60)
    reset     the connection is reset without an answer
    ratelimit 202 within `per_second` (burst `burst`, default one second's worth) per routing
              key (the body's `routing_key`, else the path's last segment), else 429 with
              Retry-After: `retry_after` (default 1); such records carry `"limited": true`

`POST /_clear` forgets the recorded requests; `GET /_health` answers 200.

Tests use the `standin` fixture (one server per test module, reset before each test) and
`start_standin()` for a server of their own, e.g. over TLS with `make_tls_files()`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import ipaddress
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
MODES = ("ok", "fail500", "fail503", "429", "404", "status", "stall", "reset", "ratelimit")

# ---------------------------------------------------------------------------- server side


class _State:
    """What the next requests get; shared by the handlers of the one server process."""

    def __init__(self, record: Path) -> None:
        self.record = record
        self.lock = threading.Lock()
        self.mode = "ok"
        self.count: int | None = None
        self.options: dict[str, Any] = {}
        self.buckets: dict[str, tuple[float, float]] = {}  # routing key → (tokens, updated)

    def limited(self, key: str, options: dict[str, Any]) -> bool:
        """Whether a request of `key` is over the rate now (a token bucket per key)."""
        rate = float(options.get("per_second", 1))
        burst = float(options.get("burst", max(1, int(rate))))
        now = time.monotonic()
        tokens, updated = self.buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - updated) * rate)
        if tokens < 1:
            self.buckets[key] = (tokens, now)
            return True
        self.buckets[key] = (tokens - 1, now)
        return False

    def next_mode(self) -> tuple[str, dict[str, Any]]:
        mode, options = self.mode, self.options
        if self.count is not None:
            self.count -= 1
            if self.count <= 0:
                self.mode, self.count, self.options = "ok", None, {}
        return mode, options

    def write(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self.lock, self.record.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()


_TRANSPORTS: dict[tuple[str, int], asyncio.Transport] = {}


def _protocol_class() -> type:
    """uvicorn's h11 protocol, remembering each connection's transport so "reset" can kill it."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class RecordingProtocol(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if self.client:
                _TRANSPORTS[tuple(self.client)] = transport

        def connection_lost(self, exc: Exception | None) -> None:
            if self.client:
                _TRANSPORTS.pop(tuple(self.client), None)
            super().connection_lost(exc)

    return RecordingProtocol


def _reset(client: Any) -> None:
    transport = _TRANSPORTS.get(tuple(client)) if client else None
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Linger 0 turns the close into a TCP RST instead of an orderly FIN.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def make_app(record: Path) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    state = _State(record)

    async def control(request: Request) -> Response:
        command = await request.json()
        mode = command.get("mode", "ok")
        if mode not in MODES:
            return JSONResponse({"error": f"unknown mode; one of {', '.join(MODES)}"}, 400)
        with state.lock:
            state.mode = mode
            state.count = command.get("count")
            state.options = {k: v for k, v in command.items() if k not in ("mode", "count")}
        return JSONResponse({"mode": mode})

    async def clear(request: Request) -> Response:
        with state.lock:
            state.record.write_bytes(b"")
            state.mode, state.count, state.options = "ok", None, {}
            state.buckets.clear()
        return JSONResponse({"cleared": True})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def anything(request: Request) -> Response:
        body = await request.body()
        with state.lock:
            mode, options = state.next_mode()
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        query = request.scope.get("query_string", b"")
        path = (raw_path + (b"?" + query if query else b"")).decode("latin-1")
        entry = {
            "method": request.method,
            "path": path,
            "headers": [[k, v] for k, v in request.headers.items()],
            "body": body.decode("utf-8", "replace"),
            "mode": mode,
            "at": time.time(),
        }
        limited = False
        if mode == "ratelimit":
            try:
                key = str(json.loads(body).get("routing_key"))
            except (ValueError, AttributeError):
                key = path.rstrip("/").rsplit("/", 1)[-1]
            with state.lock:
                limited = state.limited(key, options)
            entry["limited"] = limited
        state.write(entry)
        retry_after = options.get("retry_after")
        if limited:
            return JSONResponse(
                {"error": "rate limited"}, 429, headers={"retry-after": str(retry_after or 1)}
            )
        if mode == "fail500":
            return JSONResponse({"error": "stand-in failure"}, 500)
        if mode == "fail503":
            headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
            return JSONResponse({"error": "unavailable"}, 503, headers=headers)
        if mode == "429":
            return JSONResponse(
                {"error": "slow down"}, 429, headers={"retry-after": str(retry_after or 2)}
            )
        if mode == "404":
            return JSONResponse({"error": "not found"}, 404)
        if mode == "status" and options.get("echo"):
            echoed = {
                "message": "Invalid event: check the fields",
                "received": {
                    "path": path,
                    "authorization": request.headers.get("authorization"),
                    "body": body.decode("utf-8", "replace"),
                },
            }
            return JSONResponse(echoed, int(options.get("status", 400)))
        if mode == "status":
            return Response(b"", int(options.get("status", 500)))
        if mode == "stall":
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(float(options.get("stall", 60))):
                    while (await request.receive())["type"] != "http.disconnect":
                        pass
            return Response(b"", 504)
        if mode == "reset":
            _reset(request.scope.get("client"))
            await asyncio.sleep(0.05)
            return Response(b"", 500)
        return JSONResponse({"status": "ok"}, 202)

    return Starlette(
        routes=[
            Route("/_control", control, methods=["POST"]),
            Route("/_clear", clear, methods=["POST"]),
            Route("/_health", health, methods=["GET"]),
            Route("/{path:path}", anything, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Upstream stand-in for end-to-end tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record", type=Path, required=True)
    parser.add_argument("--certfile")
    parser.add_argument("--keyfile")
    args = parser.parse_args(argv)
    args.record.touch()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    print(f"LISTENING {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(
        make_app(args.record),
        http=_protocol_class(),
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
        ssl_certfile=args.certfile,
        ssl_keyfile=args.keyfile,
    )
    uvicorn.Server(config).run(sockets=[sock])


# ---------------------------------------------------------------------------- test side


@dataclass
class StandIn:
    """A running stand-in process and the client-side controls for it."""

    url: str
    record: Path
    process: subprocess.Popen[bytes]
    verify: Any = True

    def _control(self, path: str, payload: dict[str, Any]) -> None:
        response = httpx.post(f"{self.url}{path}", json=payload, verify=self.verify, timeout=5)
        response.raise_for_status()

    def set_mode(
        self,
        mode: str,
        *,
        count: int | None = None,
        retry_after: float | str | None = None,
        status: int | None = None,
        stall: float | None = None,
        per_second: float | None = None,
        burst: int | None = None,
        echo: bool | None = None,
    ) -> None:
        """What the next `count` requests (all when None) get; see the module docstring."""
        payload: dict[str, Any] = {"mode": mode}
        for name, value in (
            ("count", count),
            ("retry_after", retry_after),
            ("status", status),
            ("stall", stall),
            ("per_second", per_second),
            ("burst", burst),
            ("echo", echo),
        ):
            if value is not None:
                payload[name] = value
        self._control("/_control", payload)

    def clear(self) -> None:
        """Forget recorded requests and go back to mode "ok"."""
        self._control("/_clear", {})

    def requests(self) -> list[dict[str, Any]]:
        """Every recorded request so far, oldest first; `headers` as a lower-case dict."""
        entries = []
        text = self.record.read_text(encoding="utf-8")
        # The stand-in may be writing a record right now: one without its newline yet is not
        # complete, and is read on a later call.
        for line in text[: text.rfind("\n") + 1].splitlines():
            if line.strip():
                entry = json.loads(line)
                entry["headers"] = {k.lower(): v for k, v in entry["headers"]}
                entries.append(entry)
        return entries

    def wait_for(self, n: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until at least `n` requests were recorded; fail the test after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            entries = self.requests()
            if len(entries) >= n or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        if len(entries) < n:
            pytest.fail(f"stand-in saw {len(entries)} requests, expected {n} within {timeout}s")
        return entries

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_standin(
    workdir: Path,
    *,
    certfile: Path | None = None,
    keyfile: Path | None = None,
    ca: Path | None = None,
) -> StandIn:
    """Start a stand-in process on a free loopback port and wait until it answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    record = workdir / "requests.jsonl"
    command = [sys.executable, "-m", "tests.standin", "--port", "0", "--record", str(record)]
    if certfile is not None and keyfile is not None:
        command += ["--certfile", str(certfile), "--keyfile", str(keyfile)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE)
    assert process.stdout is not None
    line = process.stdout.readline().decode().strip()
    if not line.startswith("LISTENING "):
        process.kill()
        raise RuntimeError(f"stand-in did not start (said {line!r})")
    scheme = "https" if certfile else "http"
    host = "localhost" if certfile else "127.0.0.1"
    standin = StandIn(
        url=f"{scheme}://{host}:{line.split()[1]}",
        record=record,
        process=process,
        verify=ssl.create_default_context(cafile=str(ca)) if ca else True,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.get(f"{standin.url}/_health", verify=standin.verify, timeout=1).raise_for_status()
            return standin
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                standin.stop()
                raise
            time.sleep(0.05)


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


def make_tls_files(directory: Path) -> TlsFiles:
    """A throwaway CA and a server certificate for localhost and 127.0.0.1 signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stand-in test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(
        ca=directory / "ca.pem", cert=directory / "cert.pem", key=directory / "key.pem"
    )
    files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@pytest.fixture(scope="module")
def standin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    """One plain-HTTP stand-in process for the whole test module."""
    server = start_standin(tmp_path_factory.mktemp("standin"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def standin(standin_server: StandIn) -> StandIn:
    """The module's stand-in, with no recorded requests and in mode "ok"."""
    standin_server.clear()
    return standin_server


if __name__ == "__main__":
    main()
