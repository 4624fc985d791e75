"""Running the cases of policy test files: one line per case, details under a failing one,
and what no case exercised of each policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sanitizer.errors import Refusal, SanitizerError
from sanitizer.policy.analysis import Coverage
from sanitizer.policy.apply import Policy
from sanitizer.policy.tree import get_at
from sanitizer.policytest.expectations import check_output, pretty, short
from sanitizer.policytest.files import load_test_file
from sanitizer.policytest.spec import MISSING, CaseSpec, SuiteSpec

__all__ = ["PolicyRun", "exercise", "run_suite", "run_test_files"]


@dataclass
class _Result:
    output: Any = MISSING
    refusal: Refusal | None = None
    problems: list[str] = field(default_factory=list)


def _run_case(policy: Policy, case: CaseSpec) -> _Result:
    result = _Result()
    try:
        result.output = policy.apply(case.input).payload
    except Refusal as exc:
        result.refusal = exc
    if result.refusal is not None:
        if not case.refused:
            result.problems.append(
                f"refused by rule {result.refusal.rule!r}: {result.refusal.message}"
            )
        elif case.refused_by is not None and result.refusal.rule != case.refused_by:
            result.problems.append(
                f"refused by rule {result.refusal.rule!r}, expected {case.refused_by!r}: "
                f"{result.refusal.message}"
            )
        return result
    if case.refused:
        result.problems.append(
            "expected a refusal, but the policy produced:\n" + pretty(result.output)
        )
        return result
    result.problems.extend(check_output(case, result.output))
    return result


def _cross_checks(cases: tuple[CaseSpec, ...], results: dict[str, _Result]) -> None:
    for case in cases:
        if case.same_entity_id_as is None:
            continue
        mine, theirs = results[case.name], results[case.same_entity_id_as]
        if mine.output is MISSING or theirs.output is MISSING:
            if mine.output is not MISSING:
                mine.problems.append(
                    f"same_entity_id_as {case.same_entity_id_as}: that case has no output"
                )
            continue
        ids = [get_at(r.output, ("entity_id",), MISSING) for r in (mine, theirs)]
        if ids[0] is MISSING or ids[1] is MISSING:
            mine.problems.append(
                f"same_entity_id_as {case.same_entity_id_as}: entity_id missing from "
                f"{'this' if ids[0] is MISSING else 'that'} output"
            )
        elif ids[0] != ids[1]:
            mine.problems.append(
                f"same_entity_id_as {case.same_entity_id_as}: entity_id {short(ids[0])} "
                f"differs from {short(ids[1])}"
            )


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


@dataclass
class PolicyRun:
    """What the cases naming one policy file exercised of it."""

    path: Path  # the policy file, resolved
    coverage: Coverage
    files: list[Path] = field(default_factory=list)
    cases: int = 0


def _policy_path(suite: SuiteSpec) -> Path:
    return (suite.path.parent / suite.policy_ref).resolve()


def _record(runs: dict[Path, PolicyRun], suite: SuiteSpec) -> Policy:
    """The suite's policy, instrumented to record into the run of its policy file."""
    where = _policy_path(suite)
    run = runs.get(where)
    if run is None or [r.id for r in run.coverage.policy.rules] != [
        r.id for r in suite.policy.rules
    ]:  # a new file, or one that changed between two suites: start over
        run = runs[where] = PolicyRun(where, Coverage(suite.policy))
    run.files.append(suite.path)
    run.cases += len(suite.cases)
    return run.coverage.instrument(suite.policy)


def run_suite(
    suite: SuiteSpec, out: TextIO, *, runs: dict[Path, PolicyRun] | None = None
) -> tuple[int, int]:
    """Run one loaded test file; print a line per case; return (passed, failed).

    With `runs`, what the cases exercise of the policy is recorded there.
    """
    print(
        f"{suite.path}: policy {suite.policy.name!r} ({suite.policy_ref}), "
        f"{len(suite.cases)} case{'s' if len(suite.cases) != 1 else ''}",
        file=out,
    )
    policy = suite.policy if runs is None else _record(runs, suite)
    results = {case.name: _run_case(policy, case) for case in suite.cases}
    _cross_checks(suite.cases, results)
    passed = failed = 0
    for case in suite.cases:
        problems = results[case.name].problems
        if problems:
            failed += 1
            print(f"  FAIL {case.name}", file=out)
            for problem in problems:
                print(_indent(problem, "      "), file=out)
        else:
            passed += 1
            print(f"  ok   {case.name}", file=out)
    return passed, failed


def _shown(path: Path) -> str:
    """A policy path as the user would write it: relative to the working directory if below."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run_test_files(
    paths: Sequence[str | Path],
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO,
    strict: bool = False,
) -> int:
    """Run every test file in `paths`, report on `out`, return the number of failures.

    A file that cannot be loaded counts as one failure (reported as an ERROR line). What no
    case exercised is listed after the results; with `strict` each entry is a failure too.
    """
    passed = failed = 0
    runs: dict[Path, PolicyRun] = {}
    for path in paths:
        try:
            suite = load_test_file(path, environ=environ)
        except SanitizerError as exc:
            print(f"ERROR {exc.message}", file=out)
            failed += 1
            continue
        file_passed, file_failed = run_suite(suite, out, runs=runs)
        passed += file_passed
        failed += file_failed
    unexercised = 0
    for run in runs.values():
        findings = run.coverage.not_exercised()
        if not findings:
            continue
        unexercised += len(findings)
        name = run.coverage.policy.name
        print(f"not exercised (policy {name!r}, {_shown(run.path)}):", file=out)
        for finding in findings:
            print(f"  {finding}", file=out)
    if strict and unexercised:
        print(f"{passed} passed, {failed} failed, {unexercised} not exercised", file=out)
        return failed + unexercised
    print(f"{passed} passed, {failed} failed", file=out)
    return failed


def exercise(
    paths: Sequence[str | Path], *, environ: Mapping[str, str] | None = None
) -> tuple[dict[Path, PolicyRun], list[str]]:
    """Run every case of the test files silently; return what they exercised, by policy
    file, and one message per file that could not be used (it names the file)."""
    runs: dict[Path, PolicyRun] = {}
    problems: list[str] = []
    for path in paths:
        try:
            suite = load_test_file(path, environ=environ)
        except SanitizerError as exc:
            problems.append(exc.message)
            continue
        policy = _record(runs, suite)
        for case in suite.cases:
            _run_case(policy, case)
    return runs, problems
