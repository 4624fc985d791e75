"""Reading one case of a policy test file into a `CaseSpec`, or a `FileProblem` naming the
case and field at fault."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jmespath
import jmespath.exceptions

from sanitizer import jsonio
from sanitizer.errors import InputError, PolicyError
from sanitizer.policy.selectors import compile_selector
from sanitizer.policytest.spec import (
    ALERT_FIELDS,
    CASE_FIELDS,
    EXPECTATIONS,
    KINDS,
    MISSING,
    OUTPUT_EXPECTATIONS,
    CaseSpec,
    OutputChecks,
    PathCheck,
    scalar_text,
)

__all__ = ["FileProblem", "as_policy_error", "parse_case"]


class FileProblem(Exception):
    """A problem in a test file, turned into a `PolicyError` naming file and case."""

    def __init__(self, problem: str, case: str | None = None, field: str | None = None) -> None:
        super().__init__(problem)
        self.problem, self.case, self.field = problem, case, field


def as_policy_error(path: Path, problem: FileProblem) -> PolicyError:
    where = []
    if problem.case is not None:
        where.append(f"case {problem.case!r}")
    if problem.field is not None:
        where.append(f"field {problem.field!r}")
    prefix = ", ".join(where) + ": " if where else ""
    return PolicyError(prefix + problem.problem, source=str(path))


def _json_value(value: Any, case: str, name: str) -> Any:
    """Refuse YAML values JSON cannot hold (dates, non-string keys, sets)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                raise FileProblem(
                    "object keys must be strings; quote keys such as 'on', 'yes' or numbers",
                    case,
                    name,
                )
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif not isinstance(item, str | int | float | bool | type(None)):
            raise FileProblem(
                f"holds a YAML {type(item).__name__}, which JSON cannot; quote it", case, name
            )
    return value


def _path_list(raw: Any, case: str, name: str) -> tuple[PathCheck, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(p, str) and p for p in raw):
        raise FileProblem("must be a path or a list of paths, e.g. [message_type]", case, name)
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
        raise FileProblem(
            f"{text!r} is neither a top-level key nor a valid {kind}; quote keys that hold "
            "dots or spaces, e.g. '\"vo_annotate.s.Note\"'",
            case,
            name,
        )
    return PathCheck(text, None)


def _not_contains(raw: Any, case: str, prefix: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raw = [raw]
    texts = []
    for item in raw:
        if isinstance(item, bool) or not isinstance(item, str | int | float) or item == "":
            raise FileProblem(
                "must be a list of non-empty strings or numbers that must not survive, "
                "e.g. [dba@example.com, 10.20.30.40]",
                case,
                prefix + "not_contains",
            )
        texts.append(scalar_text(item))
    return tuple(texts)


def _flag(raw: dict[str, Any], name: str, case: str, prefix: str = "") -> bool | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, bool):
        raise FileProblem("must be true or false", case, prefix + name)
    return value


def _read_input_file(base: Path, raw: Any, case: str) -> Any:
    if not isinstance(raw, str) or not raw:
        raise FileProblem("must be a path to a JSON file, relative to the test file", case)
    path = base / raw
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileProblem(
            f"no such file {raw!r} (paths are relative to the test file)", case, "input_file"
        ) from None
    except OSError as exc:
        raise FileProblem(
            f"cannot read {raw!r} ({exc.strerror or type(exc).__name__})", case, "input_file"
        ) from None
    try:
        return jsonio.parse(data)
    except InputError as exc:
        raise FileProblem(f"{raw!r} is not acceptable JSON: {exc.message}", case) from None


def parse_case(raw: Any, index: int, base: Path, seen: set[str]) -> CaseSpec:
    label = f"#{index + 1}"
    if not isinstance(raw, dict):
        raise FileProblem(
            "each case must be a mapping with 'name', an input and expectations", label
        )
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise FileProblem("needs a 'name': a non-empty string, unique in the file", label, "name")
    if name in seen:
        raise FileProblem("this name is used by an earlier case; names must be unique", name)
    seen.add(name)
    unknown = sorted(str(key) for key in raw if key not in CASE_FIELDS)
    if unknown:
        raise FileProblem(
            f"unknown field; a case may have: {', '.join(CASE_FIELDS)}", name, unknown[0]
        )
    if ("input" in raw) == ("input_file" in raw):
        raise FileProblem(
            "give exactly one of 'input' (inline) or 'input_file' (a JSON file)", name
        )
    if "input" in raw:
        doc = _json_value(raw["input"], name, "input")
    else:
        doc = _read_input_file(base, raw["input_file"], name)
    if not EXPECTATIONS & set(raw):
        raise FileProblem(
            "has no expectation, so it would prove nothing; add one of: "
            + ", ".join(sorted(EXPECTATIONS)),
            name,
        )
    refused = _flag(raw, "refused", name)
    refused_by = raw.get("refused_by")
    if refused_by is not None:
        if not isinstance(refused_by, str) or not refused_by:
            raise FileProblem("must be the id of the rule expected to refuse", name, "refused_by")
        if refused is False:
            raise FileProblem("contradicts 'refused: false'", name, "refused_by")
        refused = True
    own = [key for key in ALERT_FIELDS if key in raw]
    if refused:
        clash = [*own, *(key for key in ("alerts", "each") if key in raw)]
        if clash:
            raise FileProblem("a refused alert has no output to check; remove it", name, clash[0])
    if own and ("alerts" in raw or "each" in raw):
        raise FileProblem(
            "a split body's outputs are checked under 'alerts:' (one entry per alert) or "
            "'each:' (every alert); move this there",
            name,
            own[0],
        )
    return CaseSpec(
        name=name,
        input=doc,
        refused=refused,
        refused_by=refused_by,
        alerts=_alerts(raw["alerts"], name) if "alerts" in raw else None,
        each=_each(raw["each"], name) if "each" in raw else None,
        **vars(_output_checks(raw, name, "")),
    )


def _alerts(raw: Any, case: str) -> tuple[OutputChecks, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(item, dict) for item in raw):
        raise FileProblem(
            "must list one mapping of expectations per alert the body splits into, in order "
            "(an alert with nothing to check is {}), e.g. [{equals: {entity_id: x}}, {}]",
            case,
            "alerts",
        )
    entries = []
    for number, item in enumerate(raw, 1):
        where = f"alerts[{number}]"
        unknown = sorted(str(key) for key in item if key not in ALERT_FIELDS)
        if unknown:
            raise FileProblem(
                f"unknown field; an alert may have: {', '.join(ALERT_FIELDS)} (the whole body "
                "is refused or not: 'refused' belongs to the case)",
                case,
                f"{where}.{unknown[0]}",
            )
        entries.append(_output_checks(item, case, where + "."))
    return tuple(entries)


def _each(raw: Any, case: str) -> OutputChecks:
    if not isinstance(raw, dict) or not raw:
        raise FileProblem(
            "must be a mapping of expectations every alert of the body meets, e.g. "
            "{no_email: true, present: [entity_id]}",
            case,
            "each",
        )
    unknown = sorted(str(key) for key in raw if key not in OUTPUT_EXPECTATIONS)
    if unknown:
        raise FileProblem(
            f"unknown field; 'each' may have: {', '.join(OUTPUT_EXPECTATIONS)} (entity ids "
            "are compared per alert, under 'alerts:')",
            case,
            f"each.{unknown[0]}",
        )
    return _output_checks(raw, case, "each.")


def _output_checks(raw: dict[str, Any], name: str, prefix: str) -> OutputChecks:
    """The output expectations in `raw` (a case, an `alerts:` entry or `each:`); `prefix`
    locates its fields in messages (`alerts[2].`)."""
    equals_raw = raw.get("equals", {})
    if not isinstance(equals_raw, dict) or not all(isinstance(k, str) and k for k in equals_raw):
        raise FileProblem(
            "must map paths to expected values, e.g. {message_type: CRITICAL}",
            name,
            prefix + "equals",
        )
    other = raw.get("same_entity_id_as")
    if other is not None and (not isinstance(other, str) or not other):
        raise FileProblem(
            "must be the name of another case in this file, or 'case#N' for the N-th alert "
            "of a split case",
            name,
            prefix + "same_entity_id_as",
        )
    output = raw.get("output", MISSING)
    return OutputChecks(
        output=output if output is MISSING else _json_value(output, name, prefix + "output"),
        present=_path_list(raw.get("present", []), name, prefix + "present"),
        absent=_path_list(raw.get("absent", []), name, prefix + "absent"),
        equals=tuple(
            (
                _path_check(k, name, prefix + "equals", expressions=True),
                _json_value(v, name, prefix + "equals"),
            )
            for k, v in equals_raw.items()
        ),
        no_kinds=tuple(kind for flag, kind in KINDS.items() if _flag(raw, flag, name, prefix)),
        not_contains=_not_contains(raw.get("not_contains"), name, prefix),
        same_entity_id_as=other,
    )
