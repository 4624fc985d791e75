"""Policy tests users can write and run: `sanitizer test rules/tests/*.yaml`.

A test file is YAML. It names its policy by a path relative to the test file (so it runs
from any directory), may give test-only values for the environment variables the policy's
keys read (so hashes and pseudonyms are deterministic), and lists cases:

```yaml
policy: ../nagios.yaml
keys:                                   # clearly fake, base64 of 32 bytes; never real keys
  SANITIZER_KEY_PSEUDONYM: c2FuaXRpemVyLXRlc3Qta2V5LW5vdC1hLXNlY3JldCE=
cases:
  - name: problem-is-critical
    input_file: ../../tests/fixtures/alerts/nagios-service-critical.json
    equals: {message_type: CRITICAL}
    absent: [CONTACTEMAIL, org_key]
    no_email: true
  - name: recovery-resolves-it
    input: {NOTIFICATIONTYPE: RECOVERY, HOSTNAME: db-1, SERVICEDESC: disk}
    same_entity_id_as: problem-is-critical
```

Each case has an input (`input:` inline, or `input_file:` a JSON file relative to the test
file, read as strictly as the proxy reads a body) and at least one expectation:

output             the whole output, exactly (a failure shows a unified diff)
present / absent   paths that must / must not exist: a top-level key as written (so
                   ``vo_annotate.s.Note`` is the key, not a path) or else a JMESPath path
equals             {path: value}: the value at each path; here a path may also be any
                   JMESPath expression, e.g. {"length(state_message)": 1024}
no_ipv4 / no_ipv6 / no_email   nothing of that kind in any string or key of the output
not_contains       [values]: none of these survives anywhere in the output, as a substring
                   of any key or scalar (numbers, true, false and null compared by their
                   JSON text, so `not_contains: [10.20.30.40, 1795500764]` finds the address
                   inside a message and the number as a value or inside a string); a failure
                   names the value by its position in the list and where it was found
refused            true: the policy must refuse the alert (false: it must not)
refused_by         the rule id the refusal must name (implies refused)
same_entity_id_as  another case's name: both outputs have the same `entity_id`

Output: one line per case, details under each failing one, then what no case exercised,
and `N passed, M failed` alone on the last line. A test file that cannot be used (bad YAML,
unknown field, missing input file, a policy that does not load) is reported on one `ERROR`
line naming the file and the case, and counts as one failure.

Not exercised: while the cases run, every rule records whether it ran (its `when` was true)
and which of its selectors (each `select`, a `rename` source, a `keys` regex) found at least
one place in the document that rule saw. Over all the files that test one policy, each rule
that never ran and each selector that never matched is listed after the results:

    not exercised (policy 'nagios', rules/nagios.yaml):
      rule 'upper-timet' select 'timet': never matched
      rule 'long-host-output': never ran: its when was never true

The list does not fail the run; with `strict` (`sanitizer test --strict`) each entry counts
as a failure and the last line reads `N passed, M failed, K not exercised`.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import jmespath
import jmespath.exceptions

from sanitizer import jsonio
from sanitizer.detectors import DETECTORS
from sanitizer.errors import InputError, PolicyError, Refusal, SanitizerError
from sanitizer.loader import load_policy, read_yaml
from sanitizer.policy.analysis import Coverage
from sanitizer.policy.apply import Policy
from sanitizer.policy.places import Selector, compile_selector
from sanitizer.policy.tree import get_at

__all__ = [
    "CaseSpec",
    "PathCheck",
    "PolicyRun",
    "SuiteSpec",
    "exercise",
    "load_test_file",
    "run_suite",
    "run_test_files",
    "tests_for_policy",
]

_TOP_LEVEL = ("policy", "keys", "cases", "description")
_CASE_FIELDS = (
    "name",
    "description",
    "input",
    "input_file",
    "output",
    "present",
    "absent",
    "equals",
    "no_ipv4",
    "no_ipv6",
    "no_email",
    "not_contains",
    "refused",
    "refused_by",
    "same_entity_id_as",
)
_EXPECTATIONS = frozenset(_CASE_FIELDS) - {"name", "description", "input", "input_file"}
_OUTPUT_EXPECTATIONS = (
    "output",
    "present",
    "absent",
    "equals",
    "no_ipv4",
    "no_ipv6",
    "no_email",
    "not_contains",
)
_KINDS = {"no_ipv4": "ipv4", "no_ipv6": "ipv6", "no_email": "email"}
_KIND_NAMES = {"ipv4": "an IPv4 address", "ipv6": "an IPv6 address", "email": "an e-mail address"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MISSING = object()


@dataclass(frozen=True)
class PathCheck:
    """A path as written in a test: a top-level key first, else a JMESPath place or, in
    `equals` only, any JMESPath expression (``length(state_message)``)."""

    text: str
    selector: Selector | None
    expression: Any = None  # a compiled JMESPath expression, when `text` is not a place

    def lookup(self, doc: Any) -> Any:
        """The value at the path, or `_MISSING`."""
        if isinstance(doc, dict) and self.text in doc:
            return doc[self.text]
        if self.selector is not None:
            static = self.selector.static_path
            if static is not None:
                return get_at(doc, static, _MISSING)
            if not self.selector.find(doc):
                return _MISSING
            return jmespath.search(self.text, doc)
        if self.expression is not None:
            try:
                value = self.expression.search(doc)
            except jmespath.exceptions.JMESPathError:
                return _MISSING
            return _MISSING if value is None else value
        return _MISSING


@dataclass(frozen=True)
class CaseSpec:
    """One validated case of a test file."""

    name: str
    input: Any
    output: Any = _MISSING
    present: tuple[PathCheck, ...] = ()
    absent: tuple[PathCheck, ...] = ()
    equals: tuple[tuple[PathCheck, Any], ...] = ()
    no_kinds: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()  # the listed values as text (numbers as JSON)
    refused: bool | None = None
    refused_by: str | None = None
    same_entity_id_as: str | None = None


@dataclass(frozen=True)
class SuiteSpec:
    """A loaded test file: its policy (compiled with the file's keys) and its cases."""

    path: Path
    policy_ref: str
    policy: Policy
    cases: tuple[CaseSpec, ...]


class _FileProblem(Exception):
    """Internal: a problem in a test file, turned into a `PolicyError` naming file and case."""

    def __init__(self, problem: str, case: str | None = None, field: str | None = None) -> None:
        super().__init__(problem)
        self.problem, self.case, self.field = problem, case, field


def _error(path: Path, problem: _FileProblem) -> PolicyError:
    where = []
    if problem.case is not None:
        where.append(f"case {problem.case!r}")
    if problem.field is not None:
        where.append(f"field {problem.field!r}")
    prefix = ", ".join(where) + ": " if where else ""
    return PolicyError(prefix + problem.problem, source=str(path))


# --------------------------------------------------------------------------- loading


def _json_value(value: Any, case: str, name: str) -> Any:
    """Refuse YAML values JSON cannot hold (dates, non-string keys, sets)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                raise _FileProblem(
                    "object keys must be strings; quote keys such as 'on', 'yes' or numbers",
                    case,
                    name,
                )
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif not isinstance(item, str | int | float | bool | type(None)):
            raise _FileProblem(
                f"holds a YAML {type(item).__name__}, which JSON cannot; quote it", case, name
            )
    return value


def _path_list(raw: Any, case: str, name: str) -> tuple[PathCheck, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(p, str) and p for p in raw):
        raise _FileProblem("must be a path or a list of paths, e.g. [message_type]", case, name)
    return tuple(_path_check(text, case, name) for text in raw)


def _path_check(text: str, case: str, name: str, *, expressions: bool = False) -> PathCheck:
    try:
        return PathCheck(text, compile_selector(text))
    except PolicyError:
        pass
    if expressions:
        try:
            return PathCheck(text, None, jmespath.compile(text))
        except jmespath.exceptions.JMESPathError:
            pass
    if any(c in text for c in "[]()*?|&!=<>`"):
        kind = "JMESPath expression" if expressions else "JMESPath path of fields and indexes"
        raise _FileProblem(
            f"{text!r} is neither a top-level key nor a valid {kind}; quote keys that hold "
            "dots or spaces, e.g. '\"vo_annotate.s.Note\"'",
            case,
            name,
        )
    return PathCheck(text, None)


def _scalar_text(value: Any) -> str:
    """A scalar as `not_contains` compares it: strings as they are, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _not_contains(raw: Any, case: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raw = [raw]
    texts = []
    for item in raw:
        if isinstance(item, bool) or not isinstance(item, str | int | float) or item == "":
            raise _FileProblem(
                "must be a list of non-empty strings or numbers that must not survive, "
                "e.g. [dba@example.com, 10.20.30.40]",
                case,
                "not_contains",
            )
        texts.append(_scalar_text(item))
    return tuple(texts)


def _flag(raw: dict[str, Any], name: str, case: str) -> bool | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, bool):
        raise _FileProblem("must be true or false", case, name)
    return value


def _read_input_file(base: Path, raw: Any, case: str) -> Any:
    if not isinstance(raw, str) or not raw:
        raise _FileProblem("must be a path to a JSON file, relative to the test file", case)
    path = base / raw
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _FileProblem(
            f"no such file {raw!r} (paths are relative to the test file)", case, "input_file"
        ) from None
    except OSError as exc:
        raise _FileProblem(
            f"cannot read {raw!r} ({exc.strerror or type(exc).__name__})", case, "input_file"
        ) from None
    try:
        return jsonio.parse(data)
    except InputError as exc:
        raise _FileProblem(f"{raw!r} is not acceptable JSON: {exc.message}", case) from None


def _parse_case(raw: Any, index: int, base: Path, seen: set[str]) -> CaseSpec:
    label = f"#{index + 1}"
    if not isinstance(raw, dict):
        raise _FileProblem(
            "each case must be a mapping with 'name', an input and expectations", label
        )
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _FileProblem("needs a 'name': a non-empty string, unique in the file", label, "name")
    if name in seen:
        raise _FileProblem("this name is used by an earlier case; names must be unique", name)
    seen.add(name)
    unknown = sorted(str(key) for key in raw if key not in _CASE_FIELDS)
    if unknown:
        raise _FileProblem(
            f"unknown field; a case may have: {', '.join(_CASE_FIELDS)}", name, unknown[0]
        )
    if ("input" in raw) == ("input_file" in raw):
        raise _FileProblem(
            "give exactly one of 'input' (inline) or 'input_file' (a JSON file)", name
        )
    if "input" in raw:
        doc = _json_value(raw["input"], name, "input")
    else:
        doc = _read_input_file(base, raw["input_file"], name)
    if not _EXPECTATIONS & set(raw):
        raise _FileProblem(
            "has no expectation, so it would prove nothing; add one of: "
            + ", ".join(sorted(_EXPECTATIONS)),
            name,
        )
    refused = _flag(raw, "refused", name)
    refused_by = raw.get("refused_by")
    if refused_by is not None:
        if not isinstance(refused_by, str) or not refused_by:
            raise _FileProblem("must be the id of the rule expected to refuse", name, "refused_by")
        if refused is False:
            raise _FileProblem("contradicts 'refused: false'", name, "refused_by")
        refused = True
    if refused:
        clash = [key for key in (*_OUTPUT_EXPECTATIONS, "same_entity_id_as") if key in raw]
        if clash:
            raise _FileProblem("a refused alert has no output to check; remove it", name, clash[0])
    equals_raw = raw.get("equals", {})
    if not isinstance(equals_raw, dict) or not all(isinstance(k, str) and k for k in equals_raw):
        raise _FileProblem(
            "must map paths to expected values, e.g. {message_type: CRITICAL}", name, "equals"
        )
    other = raw.get("same_entity_id_as")
    if other is not None and (not isinstance(other, str) or not other):
        raise _FileProblem(
            "must be the name of another case in this file", name, "same_entity_id_as"
        )
    return CaseSpec(
        name=name,
        input=doc,
        output=_json_value(raw["output"], name, "output") if "output" in raw else _MISSING,
        present=_path_list(raw.get("present", []), name, "present"),
        absent=_path_list(raw.get("absent", []), name, "absent"),
        equals=tuple(
            (_path_check(k, name, "equals", expressions=True), _json_value(v, name, "equals"))
            for k, v in equals_raw.items()
        ),
        no_kinds=tuple(kind for flag, kind in _KINDS.items() if _flag(raw, flag, name)),
        not_contains=_not_contains(raw.get("not_contains"), name),
        refused=refused,
        refused_by=refused_by,
        same_entity_id_as=other,
    )


def _test_environ(raw: Any, environ: Mapping[str, str] | None) -> dict[str, str]:
    base = dict(os.environ if environ is None else environ)
    if raw is None:
        return base
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in raw.items()
    ):
        raise _FileProblem(
            "must map environment variable names to test-only base64 keys, e.g. "
            "{SANITIZER_KEY_PSEUDONYM: <base64 of 32 bytes>}",
            field="keys",
        )
    return {**base, **raw}


def load_test_file(path: str | Path, *, environ: Mapping[str, str] | None = None) -> SuiteSpec:
    """Read and validate a test file and load its policy, or raise `PolicyError`.

    The error names the file, and the case and field when the problem is in one.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError("no such test file; check the path", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = "not UTF-8" if isinstance(exc, UnicodeDecodeError) else exc.strerror
        raise PolicyError(f"cannot be read ({reason})", source=str(path)) from None
    doc = read_yaml(text, source=str(path))
    try:
        if not isinstance(doc, dict):
            raise _FileProblem("a test file is a mapping with 'policy' and 'cases'")
        unknown = sorted(str(key) for key in doc if key not in _TOP_LEVEL)
        if unknown:
            raise _FileProblem(f"unknown field; allowed: {', '.join(_TOP_LEVEL)}", field=unknown[0])
        policy_ref = doc.get("policy")
        if not isinstance(policy_ref, str) or not policy_ref:
            raise _FileProblem(
                "must be the policy's path, relative to this test file", field="policy"
            )
        env = _test_environ(doc.get("keys"), environ)
        cases_raw = doc.get("cases")
        if not isinstance(cases_raw, list) or not cases_raw:
            raise _FileProblem("must be a non-empty list of cases", field="cases")
        seen: set[str] = set()
        cases = tuple(_parse_case(raw, i, path.parent, seen) for i, raw in enumerate(cases_raw))
        for case in cases:
            if case.same_entity_id_as is not None and case.same_entity_id_as not in seen:
                raise _FileProblem(
                    f"names no case in this file (cases: {', '.join(sorted(seen))})",
                    case.name,
                    "same_entity_id_as",
                )
    except _FileProblem as problem:
        raise _error(path, problem) from None
    try:
        policy = load_policy(path.parent / policy_ref, environ=env)
    except PolicyError as exc:
        raise PolicyError(f"cannot load its policy: {exc.message}", source=str(path)) from None
    return SuiteSpec(path=path, policy_ref=policy_ref, policy=policy, cases=cases)


# --------------------------------------------------------------------------- running


@dataclass
class _Result:
    output: Any = _MISSING
    refusal: Refusal | None = None
    problems: list[str] = field(default_factory=list)


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _texts(doc: Any) -> list[tuple[str, str]]:
    """Every string value and object key, with a readable path to it."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[Any, str]] = [(doc, "@")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            found.append((where, node))
        elif isinstance(node, dict):
            for key, item in node.items():
                step = key if _IDENTIFIER.match(key) else json.dumps(key, ensure_ascii=False)
                inner = step if where == "@" else f"{where}.{step}"
                found.append((f"the key {inner}", key))
                stack.append((item, inner))
        elif isinstance(node, list):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(node))
    return found


def _scalars(doc: Any) -> list[tuple[str, str]]:
    """Every object key and scalar as text (numbers, booleans and null as JSON), with a
    readable path to it."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[Any, str]] = [(doc, "@")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                step = key if _IDENTIFIER.match(key) else json.dumps(key, ensure_ascii=False)
                inner = step if where == "@" else f"{where}.{step}"
                found.append((f"the key {inner}", key))
                stack.append((item, inner))
        elif isinstance(node, list):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(node))
        else:
            found.append((where, _scalar_text(node)))
    return found


def _check_output(case: CaseSpec, output: Any) -> list[str]:
    problems = []
    if case.output is not _MISSING and output != case.output:
        diff = difflib.unified_diff(
            _pretty(case.output).splitlines(),
            _pretty(output).splitlines(),
            "expected output",
            "actual output",
            lineterm="",
        )
        problems.append("output differs:\n" + "\n".join(diff))
    for check in case.present:
        if check.lookup(output) is _MISSING:
            problems.append(f"present {check.text}: missing from the output")
    for check in case.absent:
        if check.lookup(output) is not _MISSING:
            problems.append(f"absent {check.text}: found in the output")
    for check, expected in case.equals:
        actual = check.lookup(output)
        if actual is _MISSING:
            problems.append(f"equals {check.text}: missing, expected {_short(expected)}")
        elif actual != expected or isinstance(actual, bool) != isinstance(expected, bool):
            problems.append(
                f"equals {check.text}: expected {_short(expected)}, got {_short(actual)}"
            )
    for kind in case.no_kinds:
        find = DETECTORS[kind].find
        hits = [where for where, text in _texts(output) if find(text)]
        if hits:
            problems.append(f"no_{kind}: the output holds {_KIND_NAMES[kind]} at {', '.join(hits)}")
    if case.not_contains:
        scalars = _scalars(output)
        for index, needle in enumerate(case.not_contains):
            hits = sorted(where for where, text in scalars if needle in text)
            if hits:
                problems.append(f"not_contains[{index}]: survives at {', '.join(hits)}")
    return problems


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
            "expected a refusal, but the policy produced:\n" + _pretty(result.output)
        )
        return result
    result.problems.extend(_check_output(case, result.output))
    return result


def _cross_checks(cases: tuple[CaseSpec, ...], results: dict[str, _Result]) -> None:
    for case in cases:
        if case.same_entity_id_as is None:
            continue
        mine, theirs = results[case.name], results[case.same_entity_id_as]
        if mine.output is _MISSING or theirs.output is _MISSING:
            if mine.output is not _MISSING:
                mine.problems.append(
                    f"same_entity_id_as {case.same_entity_id_as}: that case has no output"
                )
            continue
        ids = [get_at(r.output, ("entity_id",), _MISSING) for r in (mine, theirs)]
        if ids[0] is _MISSING or ids[1] is _MISSING:
            mine.problems.append(
                f"same_entity_id_as {case.same_entity_id_as}: entity_id missing from "
                f"{'this' if ids[0] is _MISSING else 'that'} output"
            )
        elif ids[0] != ids[1]:
            mine.problems.append(
                f"same_entity_id_as {case.same_entity_id_as}: entity_id {_short(ids[0])} "
                f"differs from {_short(ids[1])}"
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


def tests_for_policy(policy: str | Path, directory: str | Path | None = None) -> list[Path]:
    """The test files in `directory` (by default `tests/` beside `policy`) whose `policy:`
    names that policy file. Files that cannot be read as a test file are left out."""
    folder = Path(policy).parent / "tests" if directory is None else Path(directory)
    policy = Path(policy).resolve()
    found = []
    for candidate in sorted(folder.glob("*.yaml")):
        try:
            doc = read_yaml(candidate.read_text(encoding="utf-8"), source=str(candidate))
        except (OSError, UnicodeDecodeError, PolicyError):
            continue
        ref = doc.get("policy") if isinstance(doc, dict) else None
        if isinstance(ref, str) and ref and (candidate.parent / ref).resolve() == policy:
            found.append(candidate)
    return found


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
