"""Commands that run or feed the proxy: serve, send, demo."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from sanitizer.cli.exits import EXIT_OK, EXIT_REFUSED, fail
from sanitizer.errors import SanitizerError

if TYPE_CHECKING:
    from sanitizer.send import Backlog, Connection


def _serve_settings(args: argparse.Namespace):
    """The settings, the environment the bundled default's secrets come from, how to load the
    settings again (SIGHUP) and, for the bundled default, what to tell its user."""
    from sanitizer.proxy.config import load_settings
    from sanitizer.proxy.defaults import default_settings, default_state_dir

    if args.config:
        settings = load_settings(args.config)
        return settings, None, lambda: load_settings(args.config), None
    state = default_state_dir()
    settings, environ = default_settings(state, port=args.port or 8080)
    width = max(map(len, settings.routes), default=0)
    routes = "\n".join(
        f"    {name:<{width}}  policy {route.policy_path}"
        for name, route in settings.routes.items()
    )
    banner = (
        "sanitizer: no --config given, running the bundled default:\n"
        f"{routes}\n"
        f"  inbound tokens in {state / 'tokens'}/<route>; send one\n"
        "    as 'Authorization: Bearer <token>' to /v1/alerts/<route>,\n"
        "    in VictorOps' URL: /integrations/generic/20131114/alert/<token>/<routing key>,\n"
        "    or as the routing_key of a PagerDuty event to /v2/enqueue (route pagerduty)\n"
        f"  sanitized alerts are captured to {state / 'captured.jsonl'}; nothing leaves "
        "this machine\n"
        "  try `sanitizer demo`, or see `sanitizer serve --help` for a real upstream"
    )
    return settings, environ, None, banner


def cmd_serve(args: argparse.Namespace) -> int:
    import dataclasses

    from sanitizer.proxy import logs

    settings, environ, reload, banner = _serve_settings(args)
    if args.host or args.port:
        settings = dataclasses.replace(
            settings, host=args.host or settings.host, port=args.port or settings.port
        )
    if args.check:
        import asyncio

        from sanitizer.proxy.runtime import build_runtime

        runtime = build_runtime(settings, environ=environ)
        asyncio.run(runtime.aclose())
        print(f"config {settings.source}: valid, {len(runtime.routes)} route(s)")
        for route in runtime.routes.values():
            print(f"  {route.name}: policy {route.policy.name!r} → {route.sender.describe()}")
        return EXIT_OK
    from sanitizer.proxy.server import Service, serve

    if settings.spool_backend == "sqlite":
        from sanitizer.proxy.spool.ownership import check_unowned

        # One line and no "ready" when another proxy runs on this spool, rather than a
        # failed startup in the log.
        check_unowned(settings.spool_path)
    if banner:
        print(banner, file=sys.stderr)
    if settings.spool_backend == "postgres":
        from sanitizer.proxy.spool import open_admin

        # Reach the database (and create or migrate its tables) before serving, so a wrong
        # dsn or a database that is down is one line here, not a failed startup in the log.
        open_admin("postgres", path=settings.spool_path, dsn=settings.spool_dsn).depth()
    logs.configure(args.log_level)
    serve(
        Service(settings, reload_settings=reload, environ=environ), loop=args.loop, http=args.http
    )
    return EXIT_OK


def _connection(args: argparse.Namespace) -> Connection:
    from pathlib import Path

    from sanitizer.send import Connection

    return Connection(
        url=args.flush or args.url,
        token_file=args.token_file,
        timeout=args.timeout,
        ca_bundle=args.ca_bundle,
        client_cert=args.client_cert,
        client_key=args.client_key,
        outbox=Path(args.outbox) if args.outbox else None,
        outbox_max_bytes=args.outbox_max_bytes,
    )


def _report_backlog(backlog: Backlog) -> None:
    if backlog.delivered:
        print(f"delivered {backlog.delivered} alert(s) from the outbox {backlog.outbox}")
    if backlog.rejected:
        print(
            f"sanitizer: the proxy refused {backlog.rejected} queued alert(s) for good; kept "
            f"in {backlog.outbox / 'rejected'}",
            file=sys.stderr,
        )


def cmd_send(args: argparse.Namespace) -> int:
    from sanitizer.send import flush, send

    connection = _connection(args)
    if args.flush:
        try:
            backlog = flush(connection)
        except SanitizerError as exc:
            fail(f"outbox not flushed: {exc.message}", EXIT_REFUSED)
        print(
            f"outbox {backlog.outbox}: {backlog.delivered} delivered, {backlog.rejected} "
            f"rejected (kept in {backlog.outbox / 'rejected'}), {backlog.waiting} waiting"
        )
        if backlog.stopped:
            fail(
                f"flush stopped: {backlog.stopped}; {backlog.waiting} alert(s) stay queued",
                EXIT_REFUSED,
            )
        return EXIT_REFUSED if backlog.rejected else EXIT_OK
    try:
        sent = send(connection)
    except SanitizerError as exc:
        fail(f"alert not sent: {exc.message}", EXIT_REFUSED)
    _report_backlog(sent.backlog)
    if sent.refused:
        fail(f"alert not sent: {sent.refused}", EXIT_REFUSED)
    if sent.queued:
        print(
            f"sanitizer: alert queued locally in {sent.backlog.outbox} ({sent.queued}); "
            f"{sent.backlog.waiting} waiting, delivered by the next send or send --flush",
            file=sys.stderr,
        )
        return EXIT_OK
    print(f"queued as {sent.alert_id}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from sanitizer.demo import run_demo

    return run_demo()
