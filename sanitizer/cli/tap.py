"""`sanitizer tap --admin URL`: the console's live tap (`GET /api/tap`), for a terminal.

Each sanitized alert queued while the tap is open is printed to stdout as one JSON line
(`{"route", "id", "alert"}`, or indented with --pretty), so it pipes into `jq`; the counts
per route go to stderr whenever they change. The admin token comes from an environment
variable (never from the command line, where `ps` and shell history would show it). Ctrl-C
ends the tap with status 0; a console that cannot be reached or refuses the token is one line
saying how to fix it, status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sanitizer.cli.exits import EXIT_OK, EXIT_REFUSED, fail

__all__ = ["DEFAULT_TOKEN_ENV", "Event", "cmd_tap", "parse_events"]

DEFAULT_TOKEN_ENV = "SANITIZER_ADMIN_TOKEN"  # noqa: S105 - a variable's name, not a secret
CONNECT_TIMEOUT = 10.0
# The console sends counts every few seconds: this long without a byte, it is gone.
SILENCE_TIMEOUT = 30.0


@dataclass(frozen=True)
class Event:
    name: str
    data: str


def parse_events(lines: Iterable[str]) -> Iterator[Event]:
    """Server-sent events from the lines of a stream (the `text/event-stream` rules: `event:`
    names the event, `data:` lines are joined with newlines, a blank line ends it, a line
    starting with `:` is a comment; an event without `event:` is a "message")."""
    name = ""
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield Event(name or "message", "\n".join(data))
            name, data = "", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)


def _token(env: str) -> str:
    token = os.environ.get(env, "").strip()
    if not token:
        fail(
            f"no admin token: set ${env} to the token of the config's admin.token "
            "(e.g. `export SANITIZER_ADMIN_TOKEN=$(cat /run/secrets/admin-token)`)"
        )
    return token


def _tap_url(admin: str) -> str:
    import httpx

    try:
        parsed = httpx.URL(admin.rstrip("/") + "/api/tap")
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        fail("--admin wants the console's address (admin.listen), e.g. http://127.0.0.1:8081")
    if parsed.userinfo:
        fail("--admin takes no user:password@; the admin token comes from --token-env")
    return str(parsed)


class _Shown:
    """What the tap printed, and the last counts written to stderr."""

    def __init__(self, pretty: bool) -> None:
        self.pretty = pretty
        self.alerts = 0
        self.counts: Any = None

    def event(self, event: Event) -> None:
        if event.name == "alert":
            alert = json.loads(event.data)
            print(json.dumps(alert, indent=2 if self.pretty else None, ensure_ascii=False))
            sys.stdout.flush()
            self.alerts += 1
        elif event.name == "counts":
            routes = json.loads(event.data).get("routes", {})
            if routes != self.counts:
                self.counts = routes
                print(_counts_line(routes), file=sys.stderr, flush=True)
        elif event.name == "dropped":
            dropped = json.loads(event.data).get("dropped", 0)
            print(
                f"sanitizer: {dropped} alert(s) not shown so far: this terminal fell behind",
                file=sys.stderr,
                flush=True,
            )


def _counts_line(routes: dict[str, Any]) -> str:
    if not routes:
        return "counts: no routes"
    parts = [
        f"{name} {counts.get('queued', 0)} queued, {counts.get('refused', 0)} refused"
        for name, counts in sorted(routes.items())
    ]
    return "counts: " + "; ".join(parts)


def _refusal(status: int, body: bytes, env: str, route: str | None) -> str:
    if status == 401:
        return (
            f"the console refused the admin token (401); set ${env} to the token of the "
            "config's admin.token (or name another variable with --token-env)"
        )
    if status == 404 and route is not None:
        return f"the console has no route {route[:80]!r} (404); GET /api/routes lists them"
    if status == 404:
        return "no tap at this URL (404); --admin wants the console's address (admin.listen)"
    try:
        message = str(json.loads(body).get("message", ""))[:200]
    except (ValueError, AttributeError):
        message = ""
    return f"the console answered {status}" + (f": {message}" if message else "")


def cmd_tap(args: argparse.Namespace) -> int:
    import httpx

    token = _token(args.token_env)
    url = _tap_url(args.admin)
    # Ctrl-C stops the tap even when it was started from a non-interactive shell's
    # background job, which hands its children SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    shown = _Shown(args.pretty)
    headers = {"authorization": f"Bearer {token}", "accept": "text/event-stream"}
    params = {"route": args.route} if args.route else None
    timeout = httpx.Timeout(CONNECT_TIMEOUT, read=SILENCE_TIMEOUT)
    verify: Any = args.ca_bundle or True
    try:
        with httpx.stream(
            "GET", url, params=params, headers=headers, timeout=timeout, verify=verify
        ) as response:
            if response.status_code != 200:
                body = response.read()[:4096]
                fail(_refusal(response.status_code, body, args.token_env, args.route), 1)
            print(f"tap open on {url}; Ctrl-C to stop", file=sys.stderr, flush=True)
            for event in parse_events(response.iter_lines()):
                shown.event(event)
    except KeyboardInterrupt:
        print(f"tap closed: {shown.alerts} alert(s) shown", file=sys.stderr)
        return EXIT_OK
    except httpx.ConnectError:
        fail(
            f"cannot reach the console at {url} (connection refused or no such host); is the "
            "proxy running with an admin.listen in its config, and is --admin its address?",
            EXIT_REFUSED,
        )
    except httpx.TimeoutException:
        fail(f"the console at {url} stopped answering; is the proxy running?", EXIT_REFUSED)
    except httpx.TransportError as exc:
        fail(f"the tap at {url} broke off ({type(exc).__name__}); run it again", EXIT_REFUSED)
    except ValueError:
        fail("the console sent an event that is not JSON; are proxy and CLI the same version?")
    fail(
        f"the console closed the tap after {shown.alerts} alert(s) (the proxy stopped?)",
        EXIT_REFUSED,
    )
