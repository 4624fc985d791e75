"""`sanitizer tap` as a terminal user runs it: against a tiny real SSE server started here
(the stream's parsing, split writes, Ctrl-C, a refused token) and against a real proxy with
its console on an admin listener (a posted alert comes out sanitized)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import pytest

from sanitizer.cli.tap import Event, parse_events
from tests.console.adminproc import NAGIOS_ALERT, start_admin
from tests.proxyproc import environment, free_port
from tests.standin import StandIn

TOKEN = "tap-test-admin-token-9c1f4e2b"
ALERTS = [
    {"route": "nagios", "id": "0001", "alert": {"entity_id": "host-1", "state_message": "a\nb"}},
    {"route": "nagios", "id": "0002", "alert": {"entity_id": "host-2", "n": [1, 2]}},
]


def test_events_are_parsed_as_the_event_stream_rules_say():
    lines = [
        ": a comment\r\n",
        "event: counts\n",
        'data: {"routes": {}}\n',
        "\n",
        "data: first\n",
        "data:second\n",
        "\n",
        "event: alert\n",
        "\n",  # no data: no event
        "event: dropped\n",
        'data: {"dropped": 3}\n',
        "\n",
        "event: alert\n",
        "data: unfinished",  # the stream ended before the blank line: not an event
    ]
    assert list(parse_events(lines)) == [
        Event("counts", '{"routes": {}}'),
        Event("message", "first\nsecond"),
        Event("dropped", '{"dropped": 3}'),
    ]


class _Tap(BaseHTTPRequestHandler):
    """GET /api/tap as the console answers it, the events written in awkward pieces; then
    the stream stays open until the client leaves, or ends when `server.close_after`."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        server: Any = self.server
        server.requests.append((self.path, self.headers.get("authorization")))
        if self.headers.get("authorization") != f"Bearer {TOKEN}":
            body = b'{"error": "unauthorized", "message": "the console needs the admin token"}'
            self.send_response(401)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("connection", "close")
        self.end_headers()
        stream = 'event: counts\ndata: {"routes": {"nagios": {"queued": 2, "refused": 1}}}\n\n'
        for alert in ALERTS:
            stream += f"event: alert\ndata: {json.dumps(alert)}\n\n"
        stream += 'event: dropped\ndata: {"dropped": 4}\n\n'
        data = stream.encode()
        for start in range(0, len(data), 7):  # pieces that cut lines and events anywhere
            self.wfile.write(data[start : start + 7])
            self.wfile.flush()
        if server.close_after:
            return
        try:
            while True:  # until the client goes away
                self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
                server.gone.wait(0.2)
        except OSError:
            return

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def sse_server() -> Iterator[Any]:
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), _Tap)
    server.daemon_threads = True
    server.requests = []
    server.close_after = False
    server.gone = threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.gone.set()
    server.shutdown()
    server.server_close()


def start_tap(url: str, *args: str, token: str | None = TOKEN, env_name: str | None = None):
    extra = {} if token is None else {env_name or "SANITIZER_ADMIN_TOKEN": token}
    env = environment(**extra)
    if token is None:
        env.pop("SANITIZER_ADMIN_TOKEN", None)
    return subprocess.Popen(
        [sys.executable, "-m", "sanitizer.cli", "tap", "--admin", url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def read_until(stream: IO[str], wanted: str) -> list[str]:
    """Lines of `stream` up to and including the first holding `wanted` (readiness)."""
    lines = []
    for line in stream:
        lines.append(line)
        if wanted in line:
            return lines
    raise AssertionError(f"{wanted!r} never came; got {lines}")


def test_each_alert_is_one_json_line_counts_go_to_stderr_and_ctrl_c_exits_0(sse_server):
    url = f"http://127.0.0.1:{sse_server.server_port}"
    tap = start_tap(url, "--route", "nagios")
    try:
        assert tap.stdout is not None and tap.stderr is not None
        shown = [json.loads(tap.stdout.readline()) for _ in ALERTS]
        assert shown == ALERTS
        read_until(tap.stderr, "4 alert(s) not shown so far")
        tap.send_signal(signal.SIGINT)
        out, err = tap.communicate(timeout=30)
    finally:
        tap.kill()
    assert tap.returncode == 0
    assert out == ""
    assert "tap closed: 2 alert(s) shown" in err and "Traceback" not in err
    assert sse_server.requests == [("/api/tap?route=nagios", f"Bearer {TOKEN}")]


def test_pretty_indents_each_alert(sse_server):
    sse_server.close_after = True
    done = start_tap(f"http://127.0.0.1:{sse_server.server_port}/", "--pretty")
    out, err = done.communicate(timeout=30)
    assert out.startswith(json.dumps(ALERTS[0], indent=2, ensure_ascii=False) + "\n")
    assert "counts: nagios 2 queued, 1 refused" in err
    # The console ended the stream: said in one line, status 1.
    assert err.splitlines()[-1] == (
        "sanitizer: the console closed the tap after 2 alert(s) (the proxy stopped?)"
    )
    assert done.returncode == 1


def test_a_refused_token_is_one_line_saying_how_to_fix_it(sse_server):
    done = start_tap(
        f"http://127.0.0.1:{sse_server.server_port}",
        "--token-env",
        "MY_TAP_TOKEN",
        token="wrong-token-CANARY-77",
        env_name="MY_TAP_TOKEN",
    )
    out, err = done.communicate(timeout=30)
    assert done.returncode == 1 and out == ""
    assert err.splitlines() == [
        "sanitizer: the console refused the admin token (401); set $MY_TAP_TOKEN to the token "
        "of the config's admin.token (or name another variable with --token-env)"
    ]
    assert "CANARY" not in err


def test_an_unreachable_console_is_one_line_saying_how_to_fix_it():
    done = start_tap(f"http://127.0.0.1:{free_port()}")
    out, err = done.communicate(timeout=30)
    assert done.returncode == 1 and out == ""
    [line] = err.splitlines()
    assert line.startswith("sanitizer: cannot reach the console at http://127.0.0.1:")
    assert "admin.listen" in line


def test_a_missing_token_variable_is_a_usage_error():
    done = start_tap("http://127.0.0.1:9", token=None)
    out, err = done.communicate(timeout=30)
    assert done.returncode == 2 and out == ""
    assert err.startswith("sanitizer: no admin token: set $SANITIZER_ADMIN_TOKEN")


def test_a_real_proxys_tap_shows_a_posted_alert_sanitized(tmp_path: Path, standin: StandIn):
    admin = start_admin(tmp_path / "proxy", standin.url)
    try:
        tap = start_tap(admin.url, "--route", "nagios", token=admin.token)
        try:
            assert tap.stdout is not None and tap.stderr is not None
            read_until(tap.stderr, "counts: nagios 0 queued, 0 refused")  # listening now
            posted = admin.proxy.post("nagios", json.dumps(NAGIOS_ALERT))
            assert posted.status_code == 202, posted.text
            shown = json.loads(tap.stdout.readline())
            tap.send_signal(signal.SIGINT)
            _, err = tap.communicate(timeout=30)
        finally:
            tap.kill()
        assert tap.returncode == 0, err
        assert (shown["route"], shown["id"]) == ("nagios", posted.json()["id"])
        delivered = json.loads(standin.wait_for(1)[0]["body"])
        assert shown["alert"] == delivered  # what goes upstream, never the raw alert
        assert shown["alert"] != NAGIOS_ALERT
        assert admin.token not in err
    finally:
        admin.proxy.stop()
