"""The argument parser: every command, its options and an example, and `main`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from sanitizer import __version__, jsonio
from sanitizer.cli.authoring import cmd_apply, cmd_check, cmd_keygen, cmd_reveal, cmd_test
from sanitizer.cli.exits import EXIT_OK, EXIT_USAGE, fail
from sanitizer.cli.running import cmd_demo, cmd_send, cmd_serve
from sanitizer.cli.spool import cmd_spool
from sanitizer.cli.tap import DEFAULT_TOKEN_ENV, cmd_tap
from sanitizer.detectors import DETECTORS
from sanitizer.errors import SanitizerError
from sanitizer.outbox import DEFAULT_MAX_BYTES as DEFAULT_OUTBOX_BYTES
from sanitizer.proxy.upstreams import CONTRACT_TYPES

_MAIN_EPILOG = """\
examples:
  sanitizer keygen > pseudonym.key
  SANITIZER_KEY_PSEUDONYM=$(cat pseudonym.key) sanitizer check rules/nagios.yaml
  sanitizer apply rules/nagios.yaml alert.json --audit
  sanitizer serve                      # the proxy on 127.0.0.1:8080, bundled Nagios policy

Each command has its own --help with an example.
"""


def _command(
    sub: argparse._SubParsersAction,
    name: str,
    handler: Callable[[argparse.Namespace], int],
    summary: str,
    example: str,
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=f"example:\n{example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sanitizer",
        description="Sanitize monitoring alerts inside your network before they reach an "
        "incident-management SaaS.",
        epilog=_MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    check = _command(
        sub,
        "check",
        cmd_check,
        "Validate a policy and print a summary of its rules (keys must be resolvable).",
        "  SANITIZER_KEY_PSEUDONYM=$(sanitizer keygen) sanitizer check rules/nagios.yaml "
        "--upstream victorops",
    )
    check.epilog = (
        (check.epilog or "")
        + "\n\nbuilt-in detectors (scrub detectors:, guard:):\n"
        + ("\n".join(f"  {d.name:<18} {d.label:<17} {d.summary}" for d in DETECTORS.values()))
    )
    check.add_argument("policy", metavar="POLICY", help="policy YAML file")
    check.add_argument(
        "--upstream",
        choices=CONTRACT_TYPES,
        help="also warn when the policy can never produce a field this upstream requires",
    )
    check.add_argument(
        "--tests",
        metavar="PATH",
        action="append",
        help="policy test files (or folders of them) to run, to warn about selectors no case "
        "reaches (repeatable; default: the files in tests/ beside the policy that name it)",
    )
    check.add_argument("--strict", action="store_true", help="exit 1 when there is any warning")

    test = _command(
        sub,
        "test",
        cmd_test,
        "Run policy test files (YAML: a policy path relative to the file, cases with an "
        "input alert and expectations). Prints a diff per failing case; exits 1 on any "
        "failure. Directories are searched for *.yaml.",
        "  sanitizer test rules/tests/\n  sanitizer test my-policy.tests.yaml",
    )
    test.add_argument("paths", metavar="PATH", nargs="+", help="test files or directories")
    test.add_argument(
        "--strict",
        action="store_true",
        help="also fail when a rule never ran or a selector never matched in any case",
    )

    apply = _command(
        sub,
        "apply",
        cmd_apply,
        "Sanitize one JSON alert and print the result. On any refusal stdout stays empty "
        "and the exit code is 1 (2 for bad input or a bad policy).",
        "  sanitizer apply rules/nagios.yaml alert.json --audit --pretty\n"
        "  curl -s ... | sanitizer apply rules/strict.yaml -",
    )
    apply.add_argument("policy", metavar="POLICY", help="policy YAML file")
    apply.add_argument(
        "input", metavar="FILE", nargs="?", default="-", help="JSON alert file, or - for stdin"
    )
    apply.add_argument(
        "--upstream",
        choices=CONTRACT_TYPES,
        help="then check this receiver's contract, as the proxy does; a refusal exits 1",
    )
    apply.add_argument("--audit", action="store_true", help="print audit records to stderr")
    apply.add_argument("--pretty", action="store_true", help="indent the output")
    apply.add_argument(
        "--max-depth", type=int, default=jsonio.DEFAULT_MAX_DEPTH, help="nesting limit (64)"
    )
    apply.add_argument(
        "--max-bytes", type=int, default=jsonio.DEFAULT_MAX_BYTES, help="size limit (1 MiB)"
    )

    keygen = _command(
        sub,
        "keygen",
        cmd_keygen,
        "Print a new random 32-byte key in base64, for a policy's 'keys:' section; with "
        "--token, an inbound credential for a route.",
        "  sanitizer keygen > /run/secrets/pseudonym-key && chmod 600 /run/secrets/pseudonym-key\n"
        "  sanitizer keygen --token > /run/secrets/nagios-inbound-token",
    )
    keygen.add_argument(
        "--token",
        action="store_true",
        help="print a URL-safe inbound credential instead (base64url, no padding: it works "
        "in a VictorOps URL path, a header or a JSON body as it is)",
    )

    reveal = _command(
        sub,
        "reveal",
        cmd_reveal,
        "Turn tokens made by a 'tokenize' rule back into their original values, with the "
        "policy's keys. For people inside the network only.",
        "  sanitizer reveal rules/mine.yaml tok:1a2b3c4d:q83vEjRW...",
    )
    reveal.add_argument("policy", metavar="POLICY", help="policy YAML file")
    reveal.add_argument(
        "tokens", metavar="TOKEN", nargs="*", help="tokens; read one per line from stdin if none"
    )

    serve = _command(
        sub,
        "serve",
        cmd_serve,
        "Run the proxy. Without --config: 127.0.0.1:8080, the bundled Nagios policy, and a "
        "capture upstream that writes sanitized alerts to ./var/captured.jsonl. "
        "SIGHUP reloads the config (a config that fails validation is refused and the old one "
        "keeps serving); SIGTERM drains and stops. Environment overrides: "
        "SANITIZER_LISTEN_HOST, SANITIZER_LISTEN_PORT, SANITIZER_SPOOL_PATH.",
        "  sanitizer serve                                  # bundled default\n"
        "  sanitizer serve --config /etc/sanitizer/config.yaml --check\n"
        "  sanitizer serve --config /etc/sanitizer/config.yaml",
    )
    serve.add_argument("--config", metavar="FILE", help="proxy config YAML")
    serve.add_argument("--check", action="store_true", help="validate the config and exit")
    serve.add_argument("--host", help="listen address (overrides the config)")
    serve.add_argument("--port", type=int, help="listen port (overrides the config)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    serve.add_argument(
        "--loop", default="auto", choices=["auto", "asyncio", "uvloop"], help="event loop"
    )
    serve.add_argument(
        "--http", default="auto", choices=["auto", "h11", "httptools"], help="HTTP parser"
    )

    _command(
        sub,
        "demo",
        cmd_demo,
        "Start the bundled default on a free port, post sample Nagios, VictorOps REST and "
        "Logz.io alerts, print each as sent and as delivered with the audit, then stop.",
        "  sanitizer demo",
    )

    send = _command(
        sub,
        "send",
        cmd_send,
        "Post one alert built from Nagios' NAGIOS_* environment macros (prefix stripped) to "
        "the proxy, for a Nagios notification command. The token comes from --token-file or "
        "SANITIZER_TOKEN, never from the command line. When the proxy cannot take the alert "
        "now (unreachable, timeout, 408, 429, 5xx) it is kept in a local outbox and send exits "
        "0; every later send delivers that backlog first, oldest first, and --flush delivers "
        "it alone (run it from a timer). Exits 1 with a one-line reason when the proxy refuses "
        "the alert for good (401, 403, 404, 413, 415, 422), or the outbox is full.",
        "  sanitizer send --nagios-env http://127.0.0.1:8080/v1/alerts/nagios \\\n"
        "      --token-file /etc/nagios/sanitizer.token\n"
        "  sanitizer send --flush http://127.0.0.1:8080/v1/alerts/nagios \\\n"
        "      --token-file /etc/nagios/sanitizer.token",
    )
    target = send.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--nagios-env",
        dest="url",
        metavar="URL",
        help="the proxy's route URL, e.g. http://127.0.0.1:8080/v1/alerts/nagios",
    )
    target.add_argument(
        "--flush",
        metavar="URL",
        help="deliver the outbox's alerts for this route URL, oldest first, and nothing else; "
        "exits 1 when some stay queued or the proxy refused some (kept in OUTBOX/rejected)",
    )
    send.add_argument("--token-file", metavar="FILE", help="file holding the route's token")
    send.add_argument("--timeout", type=float, default=10.0, help="seconds (10)")
    send.add_argument("--ca-bundle", metavar="FILE", help="CA bundle for an https proxy URL")
    send.add_argument(
        "--client-cert", metavar="FILE", help="PEM client certificate, for a proxy with client_ca"
    )
    send.add_argument(
        "--client-key", metavar="FILE", help="PEM private key of --client-cert (unencrypted)"
    )
    send.add_argument(
        "--outbox",
        metavar="DIR",
        help="where alerts wait that the proxy could not take (default: $SANITIZER_OUTBOX, "
        "else /var/spool/sanitizer-outbox if it exists and is writable, else "
        "$XDG_STATE_HOME/sanitizer/outbox or ~/.local/state/sanitizer/outbox)",
    )
    send.add_argument(
        "--outbox-max-bytes",
        type=int,
        default=DEFAULT_OUTBOX_BYTES,
        metavar="N",
        help="past this size the outbox takes no more alerts and send exits 1 (64 MiB)",
    )

    _spool_commands(sub)
    _tap_command(sub)
    return parser


def _spool_commands(sub: argparse._SubParsersAction) -> None:
    spool = _command(
        sub,
        "spool",
        cmd_spool,
        "Inspect and manage the spool's dead letters (alerts an upstream refused for good, "
        "or that grew older than max_age), whether the proxy runs or not. Bodies are never "
        "printed; the reason holds the upstream's status and its own error text, scrubbed.",
        "  sanitizer spool list --config /etc/sanitizer/config.yaml\n"
        "  sanitizer spool retry --config /etc/sanitizer/config.yaml --id 0194c2...\n"
        "  sanitizer spool purge --spool /var/lib/sanitizer/spool --all",
    )
    where = argparse.ArgumentParser(add_help=False)
    place = where.add_mutually_exclusive_group()
    place.add_argument(
        "--config",
        metavar="FILE",
        help="take the spool (its path, or its database) from this config",
    )
    place.add_argument(
        "--spool", metavar="DIR", help="the spool directory (default: the bundled default's)"
    )
    actions = spool.add_subparsers(title="actions", metavar="ACTION", dest="action")
    actions.required = True

    def action(name: str, summary: str, example: str) -> argparse.ArgumentParser:
        return actions.add_parser(
            name,
            parents=[where],
            help=summary,
            description=summary,
            epilog=f"example:\n{example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    listing = action(
        "list",
        "Print how many alerts are queued and dead, then the dead letters, oldest first: id, "
        "route, when it died (UTC, and how long ago), attempts, size, when it was queued, and "
        'the reason (e.g. \'HTTP 400: {"message": "..."}\'). --json prints one JSON '
        "document instead (times as Unix seconds), for scripts.",
        "  sanitizer spool list --config /etc/sanitizer/config.yaml\n"
        "  sanitizer spool list --spool /var/lib/sanitizer/spool --json | jq -r "
        "'.dead_letters[].id'",
    )
    listing.add_argument("--limit", type=int, default=100, help="dead letters to list (100)")
    listing.add_argument(
        "--json",
        action="store_true",
        help='print {"queued", "dead_count", "dead_letters": [{"id", "route", "created_at", '
        '"dead_at", "attempts", "reason", "size"}]}',
    )
    retry = action(
        "retry",
        "Queue dead letters again (attempts from 0, due now): those named by --id, or every "
        "one. An id that is not a dead letter: nothing is queued, exit 1. A running proxy "
        "delivers them at once.",
        "  sanitizer spool retry --config /etc/sanitizer/config.yaml --id 0194c2...\n"
        "  sanitizer spool retry --config /etc/sanitizer/config.yaml      # all of them",
    )
    retry.add_argument(
        "--id", dest="ids", metavar="ID", action="append", help="one alert id (repeatable)"
    )
    retry.add_argument("--all", action="store_true", help="every dead letter (the default)")
    purge = action(
        "purge",
        "Delete dead letters for good: those named by --id, or --all. Says how many first, "
        "then asks on a terminal; anywhere else (a script, a pipe) it needs --yes, else it "
        "purges nothing and exits 2. An id that is not a dead letter: nothing purged, exit 1.",
        "  sanitizer spool purge --config /etc/sanitizer/config.yaml --id 0194c2...\n"
        "  sanitizer spool purge --spool /var/lib/sanitizer/spool --all --yes",
    )
    chosen = purge.add_mutually_exclusive_group()
    chosen.add_argument(
        "--id", dest="ids", metavar="ID", action="append", help="one alert id (repeatable)"
    )
    chosen.add_argument("--all", action="store_true", help="every dead letter")
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def _tap_command(sub: argparse._SubParsersAction) -> None:
    tap = _command(
        sub,
        "tap",
        cmd_tap,
        "Print sanitized alerts as the proxy queues them, from its console's live tap "
        "(GET /api/tap on the admin listener): one JSON line per alert on stdout "
        '({"route", "id", "alert"}: what goes upstream, never the raw alert), the counts of '
        "queued and refused alerts per route on stderr when they change. Only alerts queued "
        "while it runs are shown. The admin token is read from an environment variable, never "
        "from the command line. Ctrl-C stops it (exit 0); an unreachable console or a refused "
        "token exits 1 with what to fix.",
        "  export SANITIZER_ADMIN_TOKEN=$(cat /run/secrets/sanitizer-admin-token)\n"
        "  sanitizer tap --admin http://127.0.0.1:8081\n"
        "  sanitizer tap --admin http://127.0.0.1:8081 --route nagios | jq .alert\n"
        "  sanitizer tap --admin https://sanitizer.internal:8081 --ca-bundle ca.pem --pretty",
    )
    tap.add_argument(
        "--admin",
        metavar="URL",
        required=True,
        help="the console's address: admin.listen of the proxy's config, e.g. "
        "http://127.0.0.1:8081",
    )
    tap.add_argument("--route", metavar="NAME", help="only this route's alerts")
    tap.add_argument(
        "--token-env",
        metavar="NAME",
        default=DEFAULT_TOKEN_ENV,
        help=f"environment variable holding the admin token (default {DEFAULT_TOKEN_ENV})",
    )
    tap.add_argument("--pretty", action="store_true", help="indent each alert")
    tap.add_argument("--ca-bundle", metavar="FILE", help="CA bundle for an https console")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`sanitizer check ... | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except SanitizerError as exc:
        fail(exc.message)
    except Exception as exc:  # a last line of defence: one line, no trace, no values
        fail(f"internal error ({type(exc).__name__}); please report it")
