"""Reading a whole policy test file (its policy, test keys and cases) into a `SuiteSpec`,
and finding the test files that name a given policy."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sanitizer.errors import PolicyError
from sanitizer.loader import load_policy, read_yaml
from sanitizer.policytest.cases import FileProblem, as_policy_error, parse_case
from sanitizer.policytest.spec import CaseSpec, SuiteSpec, entity_ref

__all__ = ["load_test_file", "tests_for_policy"]

_TOP_LEVEL = ("policy", "keys", "cases", "description")


def _test_environ(raw: Any, environ: Mapping[str, str] | None) -> dict[str, str]:
    base = dict(os.environ if environ is None else environ)
    if raw is None:
        return base
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in raw.items()
    ):
        raise FileProblem(
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
            raise FileProblem("a test file is a mapping with 'policy' and 'cases'")
        unknown = sorted(str(key) for key in doc if key not in _TOP_LEVEL)
        if unknown:
            raise FileProblem(f"unknown field; allowed: {', '.join(_TOP_LEVEL)}", field=unknown[0])
        policy_ref = doc.get("policy")
        if not isinstance(policy_ref, str) or not policy_ref:
            raise FileProblem(
                "must be the policy's path, relative to this test file", field="policy"
            )
        env = _test_environ(doc.get("keys"), environ)
        cases_raw = doc.get("cases")
        if not isinstance(cases_raw, list) or not cases_raw:
            raise FileProblem("must be a non-empty list of cases", field="cases")
        seen: set[str] = set()
        cases = tuple(parse_case(raw, i, path.parent, seen) for i, raw in enumerate(cases_raw))
    except FileProblem as problem:
        raise as_policy_error(path, problem) from None
    try:
        policy = load_policy(path.parent / policy_ref, environ=env)
    except PolicyError as exc:
        raise PolicyError(f"cannot load its policy: {exc.message}", source=str(path)) from None
    try:
        _check_against(policy.split is not None, cases)
    except FileProblem as problem:
        raise as_policy_error(path, problem) from None
    return SuiteSpec(path=path, policy_ref=policy_ref, policy=policy, cases=cases)


def _references(case: CaseSpec) -> list[tuple[str, str]]:
    """Every `same_entity_id_as` of a case, with the field that holds it."""
    found = []
    if case.same_entity_id_as is not None:
        found.append(("same_entity_id_as", case.same_entity_id_as))
    for number, entry in enumerate(case.alerts or (), 1):
        if entry.same_entity_id_as is not None:
            found.append((f"alerts[{number}].same_entity_id_as", entry.same_entity_id_as))
    return found


def _check_against(splits: bool, cases: tuple[CaseSpec, ...]) -> None:
    """Each case's expectations fit its policy (`alerts:`/`each:` for a policy with `split:`,
    the case's own otherwise), and each `same_entity_id_as` names an output that can exist."""
    names = [case.name for case in cases]
    for case in cases:
        if splits and case.checks_own_output:
            raise FileProblem(
                "the policy splits each body into alerts (split:); check them under "
                "'alerts:' (one entry per alert, in order) or 'each:' (every alert)",
                case.name,
            )
        if not splits and case.splits:
            raise FileProblem(
                "'alerts:' and 'each:' check the alerts of a policy with split:, and this "
                "policy has none; write the expectations at the case's top level",
                case.name,
                "alerts" if case.alerts is not None else "each",
            )
        for field, ref in _references(case):
            target = entity_ref(ref, names)
            if target is None:
                raise FileProblem(
                    f"names no case in this file (cases: {', '.join(sorted(names))}); a split "
                    "case's alerts are 'case#1', 'case#2'…",
                    case.name,
                    field,
                )
            if splits and target[1] is None:
                raise FileProblem(
                    f"the policy splits bodies: name one alert of that case, e.g. '{ref}#1'",
                    case.name,
                    field,
                )
            if not splits and target[1] is not None:
                raise FileProblem(
                    "'case#N' names an alert of a split body, and this policy has no split:; "
                    "name the case",
                    case.name,
                    field,
                )


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
