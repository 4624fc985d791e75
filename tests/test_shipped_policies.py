"""The shipped policies in rules/, over the alert corpus and mutated variants of it.

For every policy and every alert: the policy refuses, or its output holds no canary secret,
no e-mail address and none of the input's IP addresses. The sender policies' outputs meet
the VictorOps contract (or the contract refuses them), and each alert meant for a policy
passes it. The shipped test files (rules/tests/*.yaml) all pass.
"""

from __future__ import annotations

import base64
import io
import ipaddress
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanitizer import jsonio
from sanitizer.detectors import DETECTORS, find_ipv4, find_ipv6
from sanitizer.errors import Refusal
from sanitizer.loader import load_policy
from sanitizer.policy.apply import Policy
from sanitizer.policytest import run_test_files
from sanitizer.proxy.upstreams import check_policy_against, contract_for
from sanitizer.proxy.upstreams.victorops import MESSAGE_TYPES as VICTOROPS_MESSAGE_TYPES
from tests.strategies import addresses

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
CORPUS_DIR = ROOT / "tests" / "fixtures" / "alerts"
ENVIRON = {
    "SANITIZER_KEY_PSEUDONYM": base64.b64encode(b"property-test-key-not-a-secret!!").decode()
}

POLICY_NAMES = ("nagios", "victorops-rest", "logzio-samples", "strict")
POLICIES: dict[str, Policy] = {
    name: load_policy(RULES / f"{name}.yaml", environ=ENVIRON) for name in POLICY_NAMES
}
VICTOROPS_SENDERS = ("nagios", "victorops-rest", "logzio-samples")
VICTOROPS = contract_for("victorops")
assert VICTOROPS is not None

CORPUS: dict[str, Any] = {
    path.name: jsonio.parse(path.read_bytes(), require_object=True)
    for path in sorted(CORPUS_DIR.glob("*.json"))
}

# Which policy each corpus alert is meant for (the rest only have to be handled safely).
HOME = {
    "nagios-": "nagios",
    "icinga-": "nagios",
    "flux-": "victorops-rest",
    "grafana-": "victorops-rest",
    "alertmanager-": "victorops-rest",
    "victorops-rest-": "victorops-rest",
    "logzio-": "logzio-samples",
}


def home_of(name: str) -> str | None:
    return next((policy for prefix, policy in HOME.items() if name.startswith(prefix)), None)


# ------------------------------------------------------------------------------ helpers


def texts(doc: Any) -> list[str]:
    """Every string value and object key in a document."""
    found: list[str] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            found.extend(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def addresses_in(doc: Any) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    found: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
    for text in texts(doc):
        for start, end in find_ipv4(text):
            octets = [int(part) for part in text[start:end].split(".")]
            found.add(ipaddress.IPv4Address(bytes(octets)))
        for start, end in find_ipv6(text):
            address = ipaddress.IPv6Address(text[start:end])
            found.add(address)
            if address.ipv4_mapped is not None:
                found.add(address.ipv4_mapped)
    return found


def emails_in(doc: Any) -> list[str]:
    find = DETECTORS["email"].find
    return [text[s:e] for text in texts(doc) for s, e in find(text)]


def assert_safe(name: str, policy: Policy, alert: Any, canaries: tuple[str, ...] = ()) -> Any:
    """Apply `policy`; unless it refuses, the output leaks no canary, e-mail or input IP."""
    try:
        output = policy.apply(alert).payload
    except Refusal:
        return None
    dumped = json.dumps(output, ensure_ascii=False).lower()
    for canary in canaries:
        assert canary.lower() not in dumped, (name, canary)
    assert emails_in(output) == [], name
    for email in emails_in(alert):
        assert email.lower() not in dumped, name
    leaked = addresses_in(output) & addresses_in(alert)
    assert not leaked, (name, sorted(map(str, leaked)))
    return output


def assert_meets_victorops(name: str, output: Any, *, must_pass: bool) -> None:
    try:
        checked = VICTOROPS.check(output)
    except Refusal as exc:
        assert not must_pass, (name, exc.message)
        assert exc.rule.startswith("contract:victorops:")
        return
    assert checked["message_type"].upper() in VICTOROPS_MESSAGE_TYPES
    assert VICTOROPS.check(checked) is checked


# -------------------------------------------------------------------------- the corpus


def test_the_corpus_holds_at_least_twenty_alerts_of_every_kind():
    assert len(CORPUS) >= 20
    for prefix in (*HOME, "bigpanda-", "pagerduty-"):
        assert any(name.startswith(prefix) for name in CORPUS), prefix


@pytest.mark.parametrize("policy_name", POLICY_NAMES)
@pytest.mark.parametrize("alert_name", sorted(CORPUS))
def test_every_policy_handles_every_corpus_alert_safely(policy_name, alert_name):
    output = assert_safe(alert_name, POLICIES[policy_name], CORPUS[alert_name])
    if policy_name in VICTOROPS_SENDERS and output is not None:
        assert_meets_victorops(alert_name, output, must_pass=False)


@pytest.mark.parametrize("alert_name", sorted(n for n in CORPUS if home_of(n)))
def test_each_alert_passes_its_own_policy_and_the_victorops_contract(alert_name):
    policy = POLICIES[home_of(alert_name)]
    output = policy.apply(CORPUS[alert_name]).payload
    assert_meets_victorops(alert_name, output, must_pass=True)


def test_nagios_problem_recovery_and_ack_of_one_service_share_an_entity_id():
    ids = {
        POLICIES["nagios"].apply(CORPUS[name]).payload["entity_id"]
        for name in (
            "nagios-service-critical.json",
            "nagios-service-recovery.json",
            "nagios-service-acknowledgement.json",
            "nagios-lowercase-forwarder.json",
        )
    }
    assert len(ids) == 1


@pytest.mark.parametrize("policy_name", POLICY_NAMES)
def test_no_shipped_policy_provably_drops_what_victorops_requires(policy_name):
    assert check_policy_against(POLICIES[policy_name], "victorops") == []


# ------------------------------------------------------------------ mutated variants

_CORE = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=16, max_size=16)

# Each shape wraps a unique core in something a detector or a key=value scrub recognises.
SHAPES: list[Callable[[str], str]] = [
    lambda c: f"AKIA{c}",
    lambda c: f"Authorization: Bearer {c}",
    lambda c: f"https://deploy:{c}@git.example.com/app.git",
    lambda c: f"{c.lower()}@canary.example.org",
    lambda c: f"password={c}",
    lambda c: f"api_key: {c}",
    lambda c: f"token={c}",
    lambda c: f"eyJhbGciOiJIUzI1NiJ9.eyJ{c}.c2lnbmF0dXJl",
    lambda c: f"-----BEGIN PRIVATE KEY-----\n{c}\n-----END PRIVATE KEY-----",
]


def string_places(doc: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(doc, str):
        return [path]
    if isinstance(doc, dict):
        return [p for key, item in doc.items() for p in string_places(item, (*path, key))]
    if isinstance(doc, list):
        return [p for index, item in enumerate(doc) for p in string_places(item, (*path, index))]
    return []


def put(doc: Any, path: tuple, value: Any) -> None:
    for step in path[:-1]:
        doc = doc[step]
    doc[path[-1]] = value


@st.composite
def mutated_alerts(draw: st.DrawFn) -> tuple[str, dict[str, Any], tuple[str, ...]]:
    """A corpus alert with canaries and addresses added, keys lower-cased, fields dropped."""
    name = draw(st.sampled_from(sorted(CORPUS)))
    alert = json.loads(json.dumps(CORPUS[name]))
    if draw(st.booleans()):
        lowered = {key.lower(): value for key, value in alert.items()}
        if len(lowered) == len(alert):
            alert = lowered
    keys = sorted(alert)
    for key in draw(st.lists(st.sampled_from(keys), max_size=len(keys) // 2, unique=True)):
        del alert[key]
    canaries = []
    for _ in range(draw(st.integers(1, 4))):
        places = string_places(alert)
        if not places or draw(st.integers(0, 9)) == 0:
            alert[f"extra_{len(canaries)}"] = ""
            places = string_places(alert)
        place = draw(st.sampled_from(places))
        if draw(st.booleans()):
            core = draw(_CORE)
            canaries.append(core)
            addition = draw(st.sampled_from(SHAPES))(core)
        else:
            addition = str(draw(addresses))
        original = alert
        for step in place:
            original = original[step]
        put(alert, place, f"{original} {addition}" if original else addition)
    return name, alert, tuple(canaries)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=mutated_alerts())
def test_mutated_alerts_are_refused_or_leak_nothing(case):
    name, alert, canaries = case
    for policy_name, policy in POLICIES.items():
        output = assert_safe(name, policy, alert, canaries)
        if output is None or policy_name not in VICTOROPS_SENDERS:
            continue
        assert_meets_victorops(name, output, must_pass=policy_name == "nagios")


# ---------------------------------------------------------------- shipped test files


def test_every_shipped_policy_has_a_test_file_and_they_all_pass():
    files = sorted((RULES / "tests").glob("*.yaml"))
    assert {path.stem for path in files} >= set(POLICY_NAMES)
    out = io.StringIO()
    failures = run_test_files(files, environ={}, out=out)
    assert failures == 0, out.getvalue()
    assert out.getvalue().splitlines()[-1].endswith(" passed, 0 failed")
