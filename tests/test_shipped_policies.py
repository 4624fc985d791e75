"""The shipped policies in rules/, over the alert corpus and mutated variants of it.

For every policy and every alert: the policy refuses, or its output holds no canary secret,
no e-mail address and none of the input's IP addresses (a policy that splits a body into
alerts: none of its outputs does). The sender policies' outputs meet their upstream's
contract (VictorOps, or PagerDuty for pagerduty-events) or the contract refuses them, and
each alert meant for a policy passes it. The shipped test files (rules/tests/*.yaml) all
pass, and every policy in rules/ is one of those checked here.
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

POLICY_NAMES = (
    "nagios",
    "victorops-rest",
    "logzio-samples",
    "strict",
    "zabbix",
    "alertmanager",
    "pagerduty-events",
)
POLICIES: dict[str, Policy] = {
    name: load_policy(RULES / f"{name}.yaml", environ=ENVIRON) for name in POLICY_NAMES
}
# The upstream type each sender policy is written for (strict has none: any sender's REST body).
UPSTREAM_OF = {
    "nagios": "victorops",
    "victorops-rest": "victorops",
    "logzio-samples": "victorops",
    "zabbix": "victorops",
    "alertmanager": "victorops",
    "pagerduty-events": "pagerduty",
}
VICTOROPS = contract_for("victorops")
PAGERDUTY = contract_for("pagerduty")
assert VICTOROPS is not None and PAGERDUTY is not None

CORPUS: dict[str, Any] = {
    path.name: jsonio.parse(path.read_bytes(), require_object=True)
    for path in sorted(CORPUS_DIR.glob("*.json"))
}

# Which policy each corpus alert is meant for (the rest only have to be handled safely).
HOME = {
    "alertmanager-webhook-": "alertmanager",  # before "alertmanager-": the first match wins
    "zabbix-victorops-": "zabbix",
    "pagerduty-events-": "pagerduty-events",
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


def outputs_of(policy: Policy, alert: Any) -> list[Any]:
    """The sanitized alerts `policy` makes of a body: one, or one per element it splits."""
    return [result.payload for result in policy.apply_all(alert)]


def assert_safe(
    name: str, policy: Policy, alert: Any, canaries: tuple[str, ...] = ()
) -> list[Any] | None:
    """Apply `policy`; unless it refuses, no output leaks a canary, an e-mail or an input IP."""
    try:
        outputs = outputs_of(policy, alert)
    except Refusal:
        return None
    for output in outputs:
        dumped = json.dumps(output, ensure_ascii=False).lower()
        for canary in canaries:
            assert canary.lower() not in dumped, (name, canary)
        assert emails_in(output) == [], name
        for email in emails_in(alert):
            assert email.lower() not in dumped, name
        leaked = addresses_in(output) & addresses_in(alert)
        assert not leaked, (name, sorted(map(str, leaked)))
    return outputs


def assert_meets_contract(policy_name: str, name: str, output: Any, *, must_pass: bool) -> None:
    """The output passes the contract of the upstream `policy_name` is written for, or (when
    it need not) that contract refuses it naming one of its own checks."""
    upstream = UPSTREAM_OF[policy_name]
    contract = VICTOROPS if upstream == "victorops" else PAGERDUTY
    try:
        checked = contract.check(output)
    except Refusal as exc:
        assert not must_pass, (name, exc.message)
        assert exc.rule.startswith(f"contract:{upstream}:")
        return
    if upstream == "victorops":
        assert checked["message_type"].upper() in VICTOROPS_MESSAGE_TYPES
    assert contract.check(checked) is checked


# -------------------------------------------------------------------------- the corpus


def test_the_corpus_holds_at_least_twenty_alerts_of_every_kind():
    assert len(CORPUS) >= 20
    for prefix in (*HOME, "bigpanda-", "pagerduty-"):
        assert any(name.startswith(prefix) for name in CORPUS), prefix


@pytest.mark.parametrize("policy_name", POLICY_NAMES)
@pytest.mark.parametrize("alert_name", sorted(CORPUS))
def test_every_policy_handles_every_corpus_alert_safely(policy_name, alert_name):
    outputs = assert_safe(alert_name, POLICIES[policy_name], CORPUS[alert_name])
    if policy_name in UPSTREAM_OF:
        for output in outputs or ():
            assert_meets_contract(policy_name, alert_name, output, must_pass=False)


@pytest.mark.parametrize("alert_name", sorted(n for n in CORPUS if home_of(n)))
def test_each_alert_passes_its_own_policy_and_its_upstreams_contract(alert_name):
    policy_name = home_of(alert_name)
    for output in outputs_of(POLICIES[policy_name], CORPUS[alert_name]):
        assert_meets_contract(policy_name, alert_name, output, must_pass=True)


def test_every_policy_in_rules_is_checked_here():
    assert {path.stem for path in RULES.glob("*.yaml")} == set(POLICY_NAMES)


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
def test_no_shipped_policy_provably_drops_what_its_upstream_requires(policy_name):
    upstream = UPSTREAM_OF.get(policy_name, "victorops")
    assert check_policy_against(POLICIES[policy_name], upstream) == []


def test_zabbix_problem_update_and_recovery_share_an_entity_id():
    ids = {
        output["entity_id"]
        for name in (
            "zabbix-victorops-problem.json",
            "zabbix-victorops-update.json",
            "zabbix-victorops-recovery.json",
        )
        for output in outputs_of(POLICIES["zabbix"], CORPUS[name])
    }
    assert len(ids) == 1


def test_a_resolved_alertmanager_alert_resolves_exactly_its_own_incident():
    policy = POLICIES["alertmanager"]
    firing = outputs_of(policy, CORPUS["alertmanager-webhook-firing.json"])
    later = outputs_of(policy, CORPUS["alertmanager-webhook-one-resolved.json"])
    assert len(firing) == len(later) == 3
    assert len({alert["entity_id"] for alert in firing}) == 3
    assert [alert["entity_id"] for alert in later] == [alert["entity_id"] for alert in firing]
    assert [alert["message_type"] for alert in later] == ["CRITICAL", "RECOVERY", "CRITICAL"]


def test_a_pagerduty_resolve_carries_its_triggers_hashed_dedup_key():
    policy = POLICIES["pagerduty-events"]
    for trigger, resolve in (
        (
            "pagerduty-events-alertmanager-trigger.json",
            "pagerduty-events-alertmanager-resolve.json",
        ),
        ("pagerduty-events-zabbix-trigger.json", "pagerduty-events-zabbix-acknowledge.json"),
        ("pagerduty-events-v2-trigger.json", "pagerduty-events-v2-resolve.json"),
    ):
        opened = policy.apply(CORPUS[trigger]).payload["dedup_key"]
        assert policy.apply(CORPUS[resolve]).payload["dedup_key"] == opened
        assert opened != CORPUS[trigger]["dedup_key"]


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
        outputs = assert_safe(name, policy, alert, canaries)
        if outputs is None or policy_name not in UPSTREAM_OF:
            continue
        for output in outputs:
            assert_meets_contract(policy_name, name, output, must_pass=policy_name == "nagios")


# ---------------------------------------------------------------- shipped test files


def test_every_shipped_policy_has_a_test_file_and_they_all_pass():
    files = sorted((RULES / "tests").glob("*.yaml"))
    assert {path.stem for path in files} >= set(POLICY_NAMES)
    out = io.StringIO()
    failures = run_test_files(files, environ={}, out=out)
    assert failures == 0, out.getvalue()
    assert out.getvalue().splitlines()[-1].endswith(" passed, 0 failed")
