"""`POST /api/preview`: what the proxy would make of an alert, without queuing it.

`{"route": NAME, "alert": {...}}` runs the route's live policy and its receiver's contract;
`{"policy": "<yaml>", "alert": {...}, "upstream": TYPE?}` compiles the pasted policy and runs
it, then TYPE's contract when given (or the contract of `route` when both are given). Both
run exactly as intake's `sanitize` does: `Policy.apply_all` with the contract's check on
each alert. The answer holds the output (one object per alert; a policy with `split:` makes
several), the audit, the refusal if any, and the contract's verdict.

The pasted alert lives only in this request's memory: nothing here queues, delivers, logs or
stores it, and errors say what is wrong without quoting it. The alert is held to the
ingress's `limits` (its size as compact JSON, its depth) and read with the same strict JSON
rules. A pasted policy never reads the server's secrets: each key it declares is a random
per-process preview key (its hashes, tokens and pseudonyms differ from the live ones; the
answer's `note` says so); a route's policy runs with its live keys, as the proxy would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sanitizer import jsonio
from sanitizer.actions import ACTIONS
from sanitizer.console.context import ConsoleContext
from sanitizer.errors import (
    BodyTooLarge,
    ConfigError,
    InputError,
    NotFound,
    PolicyError,
    Refusal,
)
from sanitizer.keys import Key
from sanitizer.loader import read_yaml
from sanitizer.policy.apply import Policy, Sanitized
from sanitizer.policy.compile import compile_policy
from sanitizer.policy.schema import parse_policy
from sanitizer.proxy.intake import check_content_type, read_body
from sanitizer.proxy.upstreams import Contract, contract_for

MAX_POLICY_BYTES = 256 * 1024
SOURCE = "pasted policy"
PREVIEW_KEYS_NOTE = (
    "the pasted policy's keys are random preview keys of this process, never the live keys: "
    "its hashes, tokens and pseudonyms differ from what the proxy would send"
)
_FIELDS = ("route", "policy", "alert", "upstream")
_PREVIEW_SEED = secrets.token_bytes(32)
_GUARD_PATH = re.compile(r"matched the finished alert at (.+?); add a rule")


def preview_key(name: str) -> Key:
    """The preview key of a pasted policy's key `name`: stable within this process."""
    material = hmac.new(_PREVIEW_SEED, name.encode("utf-8"), hashlib.sha256).digest()
    return Key(name, material)


def compile_pasted(text: str) -> Policy:
    """The pasted policy, compiled as `sanitizer.loader.policy_from_text` does but with
    preview keys: the key references it names ({env:…}, {file:…}) are never read, so a
    pasted text cannot probe the server's environment or files."""
    doc = read_yaml(text, source=SOURCE)
    try:
        spec = parse_policy(doc)
        keys = {name: preview_key(name) for name in spec.keys}
        policy = compile_policy(spec, keys, ACTIONS)
    except PolicyError as exc:
        raise exc.located(source=SOURCE) from None
    return dataclasses.replace(policy, digest=hashlib.sha256(text.encode("utf-8")).hexdigest())


@dataclasses.dataclass(frozen=True)
class Subject:
    """What to run: the policy, the contract after it (None: no contract), and a note."""

    policy: Policy
    contract: Contract | None
    note: str | None = None


def _changed_fields(before: Any, after: Any, prefix: str = "") -> list[str]:
    """Field names (dotted) where the contract's fixed copy differs from the policy's output:
    names only, never values."""
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return [] if before == after else [prefix or "@"]
    changed = []
    for key in after:
        if key not in before or before[key] != after[key]:
            changed.extend(_changed_fields(before.get(key), after[key], f"{prefix}{key}."))
    return [name.rstrip(".") for name in changed]


def _refused_path(exc: Refusal) -> str | None:
    """Where the refusal happened, when it says: a guard's path, a contract's field."""
    if exc.rule == "guard":
        found = _GUARD_PATH.search(exc.message)
        return found.group(1) if found else None
    parts = exc.rule.split(":")
    if parts[0] == "contract" and len(parts) >= 3:
        return parts[2]
    return None


def run(subject: Subject, alert: dict[str, Any]) -> dict[str, Any]:
    """The preview answer for `alert`: pure, no I/O (run on a worker thread)."""
    contract = subject.contract
    fixed: list[str] = []

    def check(payload: Any) -> Any:
        assert contract is not None
        kept = contract.check(payload)
        if kept is not payload:
            fixed.extend(_changed_fields(payload, kept))
        return kept

    answer: dict[str, Any] = {
        "output": None,
        "audit": [],
        "refused": None,
        "contract": None,
        "policy": {"name": subject.policy.name, "digest": subject.policy.digest},
        "note": subject.note,
    }
    try:
        results: list[Sanitized] = subject.policy.apply_all(
            alert, then=None if contract is None else check
        )
    except Refusal as exc:
        answer["refused"] = {"rule": exc.rule, "path": _refused_path(exc), "reason": exc.message}
        if contract is not None and exc.rule.startswith("contract:"):
            answer["contract"] = {
                "upstream": contract.upstream_type,
                "verdict": "refused",
                "reason": exc.message,
            }
        return answer
    answer["output"] = [result.payload for result in results]
    answer["audit"] = [
        {**entry.to_dict(), "alert": index}
        for index, result in enumerate(results, 1)
        for entry in result.audit
    ]
    if contract is not None:
        verdict: dict[str, Any] = {"upstream": contract.upstream_type, "verdict": "ok"}
        if fixed:
            verdict["verdict"] = "truncated"
            verdict["reason"] = (
                "the receiver's contract fitted these fields to its limits and spelling: "
                + ", ".join(dict.fromkeys(fixed))
            )
        answer["contract"] = verdict
    return answer


def _subject(request_doc: dict[str, Any], context: ConsoleContext) -> Callable[[], Subject]:
    """What the request asks to run, checked; compiling a pasted policy is left to the
    returned function (it runs on a worker thread)."""
    route_name = request_doc.get("route")
    text = request_doc.get("policy")
    upstream = request_doc.get("upstream")
    if route_name is None and text is None:
        raise InputError("name a 'route', or paste a 'policy' (YAML text), to run on the alert")
    route = None
    if route_name is not None:
        if not isinstance(route_name, str):
            raise InputError("'route' must be a route's name")
        route = context.runtime().routes.get(route_name)
        if route is None:
            raise NotFound("no such route; GET /api/routes lists them")
    contract = None if route is None else route.contract
    if upstream is not None:
        if not isinstance(upstream, str):
            raise InputError("'upstream' must be an upstream type, e.g. victorops")
        try:
            contract = contract_for(upstream)
        except ConfigError as exc:
            raise InputError(f"'upstream': {exc.problem}") from None
    if text is None:
        assert route is not None
        live, checked = route.policy, contract
        return lambda: Subject(live, checked)
    if not isinstance(text, str):
        raise InputError("'policy' must be the policy's YAML text")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_POLICY_BYTES:
        raise BodyTooLarge(f"the policy text is larger than {MAX_POLICY_BYTES} bytes")

    def pasted() -> Subject:
        policy = compile_pasted(text)
        return Subject(policy, contract, PREVIEW_KEYS_NOTE if policy.keys else None)

    return pasted


async def preview(request: Request, context: ConsoleContext) -> Response:
    limits = context.runtime().settings.limits
    check_content_type(request)
    limit = limits.max_body_bytes + MAX_POLICY_BYTES
    body = await read_body(request, limit, limits.read_timeout)
    doc = jsonio.parse(body, max_bytes=limit, max_depth=limits.max_depth + 1, require_object=True)
    unknown = sorted(set(doc) - set(_FIELDS))
    if unknown:
        raise InputError(f"unknown field; a preview takes {', '.join(_FIELDS)}")
    alert = doc.get("alert")
    if not isinstance(alert, dict):
        raise InputError("'alert' must be the alert as a JSON object ({...})")
    if len(jsonio.dumps(alert).encode("utf-8")) > limits.max_body_bytes:
        raise BodyTooLarge(
            f"the alert is larger than the ingress limit of {limits.max_body_bytes} bytes"
        )
    subject = _subject(doc, context)

    def work() -> dict[str, Any]:
        return run(subject(), alert)

    try:
        answer = await asyncio.to_thread(work)
    except PolicyError as exc:
        return JSONResponse({"error": "policy_invalid", "message": exc.message}, status_code=422)
    return JSONResponse(answer)
