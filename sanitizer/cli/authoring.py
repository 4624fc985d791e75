"""Commands for writing and checking policies: check, test, apply, keygen, reveal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sanitizer import jsonio
from sanitizer.cli.exits import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, fail, load, read_input
from sanitizer.errors import InputError, Refusal, SanitizerError
from sanitizer.keys import generate_key, generate_token, key_id
from sanitizer.policy.apply import Policy


def _rule_lines(policy: Policy) -> None:
    count = len(policy.rules)
    print(f"policy {policy.name!r}: {count} rule{'' if count == 1 else 's'}, valid")
    for key in policy.keys:
        print(f"  key {key.name}: id {key.id}")
    if policy.split is not None:
        print(f"  split: {policy.split.describe()}  (each element one alert, seen alone)")
    for number, rule in enumerate(policy.rules, 1):
        scope, *details = rule.describe()
        print(f"  {number:>2}. {rule.id:<28} {rule.action:<9} {scope}")
        for line in details:
            print(f"      {line}")
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
            fail(f"--tests {name}: no such file or directory; give a test file or a folder")
    if not files:
        fail(
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
            fail(
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

    policy = load(args.policy)
    _rule_lines(policy)
    static = unreachable(policy)
    warnings = [str(finding) for finding in static]
    skip = {(finding.rule, finding.what) for finding in static}
    warnings += _untested(args.policy, args.tests, skip)
    if args.upstream:
        from sanitizer.proxy.upstreams import check_policy_against

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
        fail("no test files found; give YAML test files or directories holding them")
    failures = run_test_files(files, out=sys.stdout, strict=args.strict)
    return EXIT_REFUSED if failures else EXIT_OK


def cmd_apply(args: argparse.Namespace) -> int:
    """Sanitized JSON on stdout: one document, or with `split:` one line per alert (--pretty:
    a JSON array); nothing at all when any alert is refused."""
    policy = load(args.policy)
    data = read_input(args.input, args.max_bytes)
    try:
        doc = jsonio.parse(data, max_bytes=args.max_bytes, max_depth=args.max_depth)
    except InputError as exc:
        fail(f"input refused: {exc.message}")
    check = None
    if args.upstream:
        from sanitizer.proxy.upstreams import contract_for

        contract = contract_for(args.upstream)
        check = None if contract is None else contract.check
    try:
        results = policy.apply_all(doc, then=check)
    except Refusal as exc:
        fail(f"refused: {exc.message}", EXIT_REFUSED)
    payloads = [result.payload for result in results]
    if args.audit:
        for index, result in enumerate(results, 1):
            for entry in result.audit:
                record = entry.to_dict()
                if policy.split is not None:
                    record = {"alert": index, **record}
                print(jsonio.dumps(record), file=sys.stderr)
    if policy.split is None:
        text = jsonio.dumps(payloads[0], indent=2 if args.pretty else None)
    elif args.pretty:
        text = jsonio.dumps(payloads, indent=2)
    else:
        text = "\n".join(jsonio.dumps(payload) for payload in payloads)
    sys.stdout.write(text + "\n")
    return EXIT_OK


def cmd_keygen(args: argparse.Namespace) -> int:
    if args.token:
        print(generate_token())
        return EXIT_OK
    key = generate_key()
    print(key)
    if sys.stderr.isatty():
        import base64

        print(f"key id: {key_id(base64.b64decode(key))}", file=sys.stderr)
    return EXIT_OK


def cmd_reveal(args: argparse.Namespace) -> int:
    from sanitizer.actions.pseudonyms import reveal

    policy = load(args.policy)
    tokens = args.tokens or [line.strip() for line in sys.stdin if line.strip()]
    status = EXIT_OK
    for token in tokens:
        try:
            print(reveal(token, policy.keys))
        except SanitizerError as exc:
            print(f"sanitizer: {exc.message}", file=sys.stderr)
            status = EXIT_USAGE
    return status
