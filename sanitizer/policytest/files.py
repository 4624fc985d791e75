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
from sanitizer.policytest.spec import SuiteSpec

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
        for case in cases:
            if case.same_entity_id_as is not None and case.same_entity_id_as not in seen:
                raise FileProblem(
                    f"names no case in this file (cases: {', '.join(sorted(seen))})",
                    case.name,
                    "same_entity_id_as",
                )
    except FileProblem as problem:
        raise as_policy_error(path, problem) from None
    try:
        policy = load_policy(path.parent / policy_ref, environ=env)
    except PolicyError as exc:
        raise PolicyError(f"cannot load its policy: {exc.message}", source=str(path)) from None
    return SuiteSpec(path=path, policy_ref=policy_ref, policy=policy, cases=cases)


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
