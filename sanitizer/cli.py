"""The `sanitizer` command: a thin argparse front over the library.

Exit codes: 0 success; 1 the policy refused the alert (or a test failed); 2 bad usage, a bad
policy or bad input. Errors are one line on stderr, never a traceback, never a payload value.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from sanitizer import __version__, jsonio
from sanitizer.detectors import DETECTORS, Scrubber
from sanitizer.errors import InputError, Refusal, SanitizerError
from sanitizer.keys import generate_key, key_id
from sanitizer.loader import load_policy
from sanitizer.policy.apply import Policy

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
_CONTRACTED = ["victorops", "bigpanda", "pagerduty"]  # upstream types with a contract

_MAIN_EPILOG = """\
examples:
  sanitizer keygen > pseudonym.key
  SANITIZER_KEY_PSEUDONYM=$(cat pseudonym.key) sanitizer check rules/nagios.yaml
  sanitizer apply rules/nagios.yaml alert.json --audit
  sanitizer serve                      # the proxy on 127.0.0.1:8080, bundled Nagios policy

Each command has its own --help with an example.
"""


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    print(f"sanitizer: {message}", file=sys.stderr)
    raise SystemExit(code)


def _load(path: str) -> Policy:
    try:
        return load_policy(path)
    except SanitizerError as exc:
        _fail(exc.message)


def _rule_lines(policy: Policy) -> None:
    print(f"policy {policy.name!r}: {len(policy.rules)} rules, valid")
    for key in policy.keys:
        print(f"  key {key.name}: id {key.id}")
    for number, rule in enumerate(policy.rules, 1):
        where = []
        if rule.locator is not None:
            where += [s.expression for s in rule.locator.selectors]
            if rule.locator.keys is not None:
                where.append(f"keys /{rule.locator.keys.pattern.pattern}/")
        scope = ", ".join(where) if where else "every string"
        if rule.action in ("set", "rename"):
            scope = "its own path"
        condition = "  (conditional)" if rule.when is not None else ""
        print(f"  {number:>2}. {rule.id:<28} {rule.action:<9} {scope}{condition}")
        scrubber = getattr(rule.effect, "fn", None)
        if isinstance(scrubber, Scrubber):
            print(f"      detectors: {', '.join(scrubber.names)}")
    if policy.guard_names:
        print(f"  guard: {', '.join(policy.guard_names)}")


def _test_files(policy_path: str, given: list[str] | None) -> list[Path]:
    from sanitizer.policytest import tests_for_policy

    if not given:
        return tests_for_policy(policy_path)
    files: list[Path] = []
    for name in given:
        path = Path(name)
        if path.is_dir():
            files.extend(tests_for_policy(policy_path, path))
        elif path.is_file():
            files.append(path)
        else:
            _fail(f"--tests {name}: no such file or directory; give a test file or a folder")
    if not files:
        _fail(
            "--tests: no test file there names this policy in its 'policy:' field; "
            "give the test files of this policy"
        )
    return files


def _untested(policy_path: str, given: list[str] | None, skip: set[tuple[str, str]]) -> list[str]:
    """Warnings from running the policy's own tests: what no case ever reached."""
    from sanitizer.policytest import exercise

    files = _test_files(policy_path, given)
    if not files:
        folder = Path(policy_path).resolve().parent / "tests"
        print(
            f"  tests: none name this policy in {folder}; give --tests to check which "
            "selectors the cases reach"
        )
        return []
    runs, problems = exercise(files)
    warnings = [f"tests unusable: {problem}" for problem in problems]
    run = runs.get(Path(policy_path).resolve())
    if run is None:
        if given and not problems:
            _fail(
                "--tests: those test files name another policy in their 'policy:' field; "
                "give the test files of this policy"
            )
        return warnings
    shown = ", ".join(str(path) for path in run.files)
    print(f"  tests: {run.cases} case{'s' if run.cases != 1 else ''} in {shown}")
    source = f"in the policy's tests ({run.cases} cases)"
    for finding in run.coverage.not_exercised():
        if (finding.rule, finding.what) in skip:
            continue
        if finding.what:
            warnings.append(f"{finding.where()}: never matches anything {source}")
        else:
            warnings.append(f"{finding.where()}: {finding.problem} {source}")
    return warnings


def cmd_check(args: argparse.Namespace) -> int:
    from sanitizer.policy.analysis import unreachable

    policy = _load(args.policy)
    _rule_lines(policy)
    static = unreachable(policy)
    warnings = [str(finding) for finding in static]
    skip = {(finding.rule, finding.what) for finding in static}
    warnings += _untested(args.policy, args.tests, skip)
    if args.upstream:
        from sanitizer.contracts import check_policy_against

        upstream = check_policy_against(policy, args.upstream)
        warnings += upstream
        if not upstream:
            print(f"  {args.upstream} contract: no required field is provably removed")
    for warning in warnings:
        print(f"warning: {warning}")
    if warnings and args.strict:
        print(
            f"sanitizer: {len(warnings)} warning(s) and --strict; fix them or drop --strict",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    return EXIT_OK


def cmd_test(args: argparse.Namespace) -> int:
    from sanitizer.policytest import run_test_files

    files: list[Path] = []
    for name in args.paths:
        path = Path(name)
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    if not files:
        _fail("no test files found; give YAML test files or directories holding them")
    failures = run_test_files(files, out=sys.stdout, strict=args.strict)
    return EXIT_REFUSED if failures else EXIT_OK


def _read_input(source: str, max_bytes: int) -> bytes:
    try:
        if source == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            with open(source, "rb") as handle:
                data = handle.read(max_bytes + 1)
    except OSError as exc:
        _fail(f"cannot read {source}: {exc.strerror or type(exc).__name__}")
    return data


def cmd_apply(args: argparse.Namespace) -> int:
    policy = _load(args.policy)
    data = _read_input(args.input, args.max_bytes)
    try:
        doc = jsonio.parse(data, max_bytes=args.max_bytes, max_depth=args.max_depth)
    except InputError as exc:
        _fail(f"input refused: {exc.message}")
    try:
        result = policy.apply(doc)
        payload = result.payload
        if args.upstream:
            from sanitizer.contracts import contract_for

            contract = contract_for(args.upstream)
            if contract is not None:
                payload = contract.check(payload)
    except Refusal as exc:
        _fail(f"refused: {exc.message}", EXIT_REFUSED)
    if args.audit:
        for entry in result.audit:
            print(jsonio.dumps(entry.to_dict()), file=sys.stderr)
    sys.stdout.write(jsonio.dumps(payload, indent=2 if args.pretty else None) + "\n")
    return EXIT_OK


def cmd_keygen(args: argparse.Namespace) -> int:
    key = generate_key()
    print(key)
    if sys.stderr.isatty():
        import base64

        print(f"key id: {key_id(base64.b64decode(key))}", file=sys.stderr)
    return EXIT_OK


def cmd_reveal(args: argparse.Namespace) -> int:
    from sanitizer.actions.pseudonyms import reveal

    policy = _load(args.policy)
    tokens = args.tokens or [line.strip() for line in sys.stdin if line.strip()]
    status = EXIT_OK
    for token in tokens:
        try:
            print(reveal(token, policy.keys))
        except SanitizerError as exc:
            print(f"sanitizer: {exc.message}", file=sys.stderr)
            status = EXIT_USAGE
    return status


def _serve_settings(args: argparse.Namespace):
    from sanitizer.proxy.config import load_settings
    from sanitizer.proxy.defaults import default_settings, default_state_dir

    if args.config:
        settings = load_settings(args.config)
        return settings, None, lambda: load_settings(args.config)
    state = default_state_dir()
    settings, environ = default_settings(state, port=args.port or 8080)
    routes = "\n".join(
        f"    {name:<10} policy {route.policy_path}" for name, route in settings.routes.items()
    )
    print(
        "sanitizer: no --config given, running the bundled default:\n"
        f"{routes}\n"
        f"  inbound tokens in {state / 'tokens'}/<route> (send one as "
        "'Authorization: Bearer <token>' to /v1/alerts/<route>)\n"
        f"  sanitized alerts are captured to {state / 'captured.jsonl'}; nothing leaves "
        "this machine\n"
        "  try `sanitizer demo`, or see `sanitizer serve --help` for a real upstream",
        file=sys.stderr,
    )
    return settings, environ, None


def cmd_serve(args: argparse.Namespace) -> int:
    import dataclasses

    from sanitizer.proxy import logs

    settings, environ, reload = _serve_settings(args)
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

    logs.configure(args.log_level)
    serve(
        Service(settings, reload_settings=reload, environ=environ), loop=args.loop, http=args.http
    )
    return EXIT_OK


def cmd_spool(args: argparse.Namespace) -> int:
    from sanitizer.proxy.spool import Spool

    if args.config:
        from sanitizer.proxy.config import load_settings

        directory = load_settings(args.config).spool_path
    else:
        from sanitizer.proxy.defaults import default_state_dir

        directory = args.spool or default_state_dir() / "spool"
    spool = Spool(directory, max_bytes=1 << 62)
    if args.action == "list":
        rows = spool.list_dead(limit=args.limit)
        print(f"{spool.depth()} queued, {spool.dead_count()} dead letters")
        for row in rows:
            print(jsonio.dumps(row))
    elif args.action == "retry":
        print(f"{spool.retry_dead(args.ids or None)} dead letter(s) queued again")
    else:
        print(f"{spool.purge_dead(args.ids or None)} dead letter(s) purged")
    return EXIT_OK


def cmd_send(args: argparse.Namespace) -> int:
    from sanitizer.send import send

    try:
        alert_id = send(
            args.url, token_file=args.token_file, timeout=args.timeout, ca_bundle=args.ca_bundle
        )
    except SanitizerError as exc:
        _fail(f"alert not sent: {exc.message}", EXIT_REFUSED)
    print(f"queued as {alert_id}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from sanitizer.demo import run_demo

    return run_demo()


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
        choices=_CONTRACTED,
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
        choices=_CONTRACTED,
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

    _command(
        sub,
        "keygen",
        cmd_keygen,
        "Print a new random 32-byte key in base64, for a policy's 'keys:' section.",
        "  sanitizer keygen > /run/secrets/pseudonym-key && chmod 600 /run/secrets/pseudonym-key",
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
        "SANITIZER_TOKEN, never from the command line. Exits 1 with a one-line reason when "
        "the proxy refuses the alert or cannot be reached.",
        "  sanitizer send --nagios-env http://127.0.0.1:8080/v1/alerts/nagios \\\n"
        "      --token-file /etc/nagios/sanitizer.token",
    )
    send.add_argument(
        "--nagios-env",
        dest="url",
        metavar="URL",
        required=True,
        help="the proxy's route URL, e.g. http://127.0.0.1:8080/v1/alerts/nagios",
    )
    send.add_argument("--token-file", metavar="FILE", help="file holding the route's token")
    send.add_argument("--timeout", type=float, default=10.0, help="seconds (10)")
    send.add_argument("--ca-bundle", metavar="FILE", help="CA bundle for an https proxy URL")

    spool = _command(
        sub,
        "spool",
        cmd_spool,
        "Inspect and manage the spool's dead letters (alerts an upstream refused for good, "
        "or that grew older than max_age). Bodies are never printed.",
        "  sanitizer spool list --config /etc/sanitizer/config.yaml\n"
        "  sanitizer spool retry --config /etc/sanitizer/config.yaml --id 0f3c...\n"
        "  sanitizer spool purge --spool /var/lib/sanitizer/spool",
    )
    spool.add_argument("action", choices=["list", "retry", "purge"])
    where = spool.add_mutually_exclusive_group()
    where.add_argument("--config", metavar="FILE", help="take the spool path from this config")
    where.add_argument("--spool", metavar="DIR", help="the spool directory")
    spool.add_argument("--id", dest="ids", action="append", help="one alert id (repeatable)")
    spool.add_argument("--limit", type=int, default=100, help="rows to list (100)")
    return parser


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
        _fail(exc.message)
    except Exception as exc:  # a last line of defence: one line, no trace, no values
        _fail(f"internal error ({type(exc).__name__}); please report it")


if __name__ == "__main__":
    sys.exit(main())
