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
from sanitizer.policytest.spec import MISSING, CaseSpec, SuiteSpec, entity_ref

__all__ = ["PolicyRun", "exercise", "run_suite", "run_test_files"]


@dataclass
class _Result:
    outputs: list[Any] = field(default_factory=list)  # one per alert; none when refused
    refusal: Refusal | None = None
    problems: list[str] = field(default_factory=list)


def _run_case(policy: Policy, case: CaseSpec) -> _Result:
    result = _Result()
    try:
        result.outputs = [sanitized.payload for sanitized in policy.apply_all(case.input)]
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
        shown = result.outputs if policy.split is not None else result.outputs[0]
        result.problems.append("expected a refusal, but the policy produced:\n" + pretty(shown))
        return result
    if policy.split is None:
        result.problems.extend(check_output(case, result.outputs[0]))
    else:
        result.problems.extend(_check_alerts(case, result.outputs))
    return result


def _check_alerts(case: CaseSpec, outputs: list[Any]) -> list[str]:
    """A split case's `alerts:` (count and order) and `each:` against the alerts made."""
    problems = []
    if case.alerts is not None and len(case.alerts) != len(outputs):
        problems.append(
            f"alerts: the body split into {len(outputs)} alert(s), the case lists "
            f"{len(case.alerts)}; give one entry per alert, in order"
        )
    for number, output in enumerate(outputs, 1):
        checks = [case.each] if case.each is not None else []
        if case.alerts is not None and number <= len(case.alerts):
            checks.append(case.alerts[number - 1])
        for expected in checks:
            problems.extend(f"alert #{number}: {p}" for p in check_output(expected, output))
    return problems


def _owners(case: CaseSpec, result: _Result) -> list[tuple[str, str, Any]]:
    """Each `same_entity_id_as` of a case: (its prefix in messages, the reference, the
    output it is about, or MISSING)."""
    found: list[tuple[str, str, Any]] = []
    if case.same_entity_id_as is not None:
        output = result.outputs[0] if result.outputs else MISSING
        found.append(("", case.same_entity_id_as, output))
    for number, entry in enumerate(case.alerts or (), 1):
        if entry.same_entity_id_as is not None:
            output = result.outputs[number - 1] if number <= len(result.outputs) else MISSING
            found.append((f"alert #{number}: ", entry.same_entity_id_as, output))
    return found


def _target(ref: str, results: dict[str, _Result]) -> tuple[Any, str]:
    """The output `ref` names (`case`, or `case#N` for a split case's N-th alert), or
    MISSING and why."""
    target = entity_ref(ref, results)
    assert target is not None  # the file was checked when it was loaded
    name, number = target
    outputs = results[name].outputs
    if not outputs:
        return MISSING, "that case has no output"
    if number is None:
        return outputs[0], ""
    if number > len(outputs):
        return MISSING, f"that case's body split into {len(outputs)} alert(s) only"
    return outputs[number - 1], ""


def _cross_checks(cases: tuple[CaseSpec, ...], results: dict[str, _Result]) -> None:
    for case in cases:
        mine = results[case.name]
        for prefix, ref, output in _owners(case, mine):
            if output is MISSING:
                continue
            theirs, why = _target(ref, results)
            if theirs is MISSING:
                mine.problems.append(f"{prefix}same_entity_id_as {ref}: {why}")
                continue
            ids = [get_at(doc, ("entity_id",), MISSING) for doc in (output, theirs)]
            if ids[0] is MISSING or ids[1] is MISSING:
                mine.problems.append(
                    f"{prefix}same_entity_id_as {ref}: entity_id missing from "
                    f"{'this' if ids[0] is MISSING else 'that'} output"
                )
            elif ids[0] != ids[1]:
                mine.problems.append(
                    f"{prefix}same_entity_id_as {ref}: entity_id {short(ids[0])} "
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
