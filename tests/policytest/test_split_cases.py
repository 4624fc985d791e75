"""Policy test files for a policy with `split:`: `alerts:` (one entry per alert, in order),
`each:` (every alert), `case#N` in `same_entity_id_as`, refusals of the whole body."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest

from sanitizer.errors import PolicyError
from sanitizer.policytest import load_test_file, run_test_files

TEST_KEY = base64.b64encode(b"sanitizer-test-key-not-a-secret!").decode()

SPLIT_POLICY = """\
version: 1
name: grouped
keys:
  k: {env: TINY_KEY}
split: {select: alerts, envelope: [receiver]}
rules:
  - id: type
    action: set
    select: message_type
    expr: "status == 'resolved' && 'RECOVERY' || 'CRITICAL'"
  - {id: entity, action: set, select: entity_id, expr: fingerprint}
  - {id: entity-hash, action: hash, select: entity_id, key: k}
  - {id: refuse-marked, action: set, select: x, expr: "abs(boom)", when: "boom"}
  - {id: keep, action: allow, select: [message_type, entity_id, receiver, note]}
  - {id: scrub, action: scrub, detectors: [email]}
"""
PLAIN_POLICY = "version: 1\nname: plain\nrules: []\n"

GROUP = (
    "{receiver: ops, alerts: ["
    "{status: firing, fingerprint: f1, note: 'mail a@example.com'}, "
    "{status: firing, fingerprint: f2}, "
    "{status: firing, fingerprint: f3, receiver: own}]}"
)


@pytest.fixture
def write(tmp_path: Path):
    (tmp_path / "grouped.yaml").write_text(SPLIT_POLICY)
    (tmp_path / "plain.yaml").write_text(PLAIN_POLICY)

    def write(body: str, policy: str = "grouped.yaml") -> Path:
        path = tmp_path / "cases.yaml"
        path.write_text(f"policy: {policy}\nkeys:\n  TINY_KEY: {TEST_KEY}\ncases:\n{body}")
        return path

    return write


def run(path: Path) -> tuple[int, list[str]]:
    out = io.StringIO()
    failures = run_test_files([path], environ={}, out=out)
    return failures, out.getvalue().splitlines()


def test_alerts_and_each_check_every_alert_of_a_split_body_in_order(write):
    path = write(
        f"  - name: group\n"
        f"    input: {GROUP}\n"
        f"    each: {{no_email: true, present: [entity_id], equals: {{message_type: CRITICAL}}}}\n"
        f"    alerts:\n"
        f"      - {{equals: {{receiver: ops, note: 'mail [EMAIL]'}}}}\n"
        f"      - {{}}\n"
        f"      - {{equals: {{receiver: own}}}}\n"
        f"  - name: resolve-second\n"
        f"    input: {{alerts: [{{status: resolved, fingerprint: f2}}]}}\n"
        f"    alerts:\n"
        f"      - {{equals: {{message_type: RECOVERY}}, same_entity_id_as: 'group#2'}}\n"
    )
    failures, lines = run(path)
    assert failures == 0, lines
    assert lines[-1] == "2 passed, 0 failed"


def test_a_wrong_alert_count_and_failed_expectations_name_the_alert(write):
    path = write(
        f"  - name: group\n"
        f"    input: {GROUP}\n"
        f"    each: {{equals: {{receiver: ops}}}}\n"
        f"    alerts: [{{}}, {{absent: [entity_id]}}]\n"
        f"  - name: resolve-second\n"
        f"    input: {{alerts: [{{status: resolved, fingerprint: f2}}]}}\n"
        f"    alerts: [{{same_entity_id_as: 'group#1'}}]\n"
    )
    failures, lines = run(path)
    assert failures == 2
    text = "\n".join(lines)
    assert "the body split into 3 alert(s), the case lists 2" in text
    assert "alert #2: absent entity_id: found in the output" in text
    assert 'alert #3: equals receiver: expected "ops", got "own"' in text
    assert "alert #1: same_entity_id_as group#1: entity_id" in text and "differs" in text


def test_a_reference_past_the_alerts_of_a_case_says_how_many_there_were(write):
    path = write(
        "  - name: one\n"
        "    input: {alerts: [{fingerprint: f1}]}\n"
        "    alerts: [{}]\n"
        "  - name: two\n"
        "    input: {alerts: [{fingerprint: f1}]}\n"
        "    alerts: [{same_entity_id_as: 'one#4'}]\n"
    )
    failures, lines = run(path)
    assert failures == 1
    assert any("one#4: that case's body split into 1 alert(s) only" in line for line in lines)


def test_refused_and_refused_by_are_about_the_whole_body(write):
    path = write(
        "  - name: one-refused\n"
        "    input: {alerts: [{fingerprint: f1}, {fingerprint: f2, boom: x}]}\n"
        "    refused_by: refuse-marked\n"
        "  - name: not-a-group\n"
        "    input: {alerts: nope}\n"
        "    refused_by: split\n"
        "  - name: accepted\n"
        "    input: {alerts: [{fingerprint: f1}]}\n"
        "    refused: false\n"
    )
    failures, lines = run(path)
    assert failures == 0, lines


def test_expecting_a_refusal_of_a_split_body_shows_every_alert(write):
    path = write(
        "  - name: fine\n"
        "    input: {alerts: [{fingerprint: f1}, {fingerprint: f2}]}\n"
        "    refused: true\n"
    )
    failures, lines = run(path)
    assert failures == 1
    assert any("expected a refusal" in line for line in lines)
    assert sum('"entity_id"' in line for line in lines) == 2


@pytest.mark.parametrize(
    ("body", "policy", "says"),
    [
        (
            "  - name: c\n    input: {alerts: [{}]}\n    equals: {receiver: ops}\n",
            "grouped.yaml",
            "the policy splits each body into alerts",
        ),
        (
            "  - name: c\n    input: {alerts: [{}]}\n    each: {present: [a]}\n",
            "plain.yaml",
            "this policy has none",
        ),
        (
            "  - name: c\n    input: {a: 1}\n    present: [a]\n"
            "  - name: d\n    input: {a: 1}\n    same_entity_id_as: 'c#1'\n",
            "plain.yaml",
            "'case#N' names an alert of a split body",
        ),
        (
            "  - name: c\n    input: {alerts: [{}]}\n    alerts: [{}]\n"
            "  - name: d\n    input: {alerts: [{}]}\n    alerts: [{same_entity_id_as: c}]\n",
            "grouped.yaml",
            "name one alert of that case, e.g. 'c#1'",
        ),
        (
            "  - name: c\n    input: {alerts: [{}]}\n    alerts: [{same_entity_id_as: 'x#1'}]\n",
            "grouped.yaml",
            "names no case in this file",
        ),
        (
            "  - name: c\n    input: {alerts: [{}]}\n    alerts: [{refused: true}]\n",
            "grouped.yaml",
            "'refused' belongs to the case",
        ),
        (
            "  - name: c\n    input: {alerts: [{}]}\n    each: {same_entity_id_as: c}\n",
            "grouped.yaml",
            "entity ids are compared per alert",
        ),
        (
            "  - name: c\n    input: {alerts: [{}]}\n    alerts: []\n",
            "grouped.yaml",
            "one mapping of expectations per alert",
        ),
        (
            "  - name: c\n    input: {alerts: [{}]}\n    alerts: [{}]\n    present: [a]\n",
            "grouped.yaml",
            "move this there",
        ),
        (
            "  - name: c\n    input: {alerts: [{}]}\n    refused: true\n    each: {present: [a]}\n",
            "grouped.yaml",
            "has no output to check",
        ),
        (
            "  - name: c\n    input: {alerts: [{}]}\n    alerts: [{equals: x}]\n",
            "grouped.yaml",
            "alerts[1].equals",
        ),
    ],
)
def test_a_misused_alerts_or_each_is_refused_at_load_naming_the_case(write, body, policy, says):
    with pytest.raises(PolicyError) as refused:
        load_test_file(write(body, policy), environ={})
    assert says in str(refused.value)
    assert "case 'c'" in str(refused.value) or "case 'd'" in str(refused.value)


def test_coverage_records_what_the_alerts_of_a_split_body_exercised(write):
    path = write("  - name: c\n    input: {alerts: [{fingerprint: f1}]}\n    alerts: [{}]\n")
    failures, lines = run(path)
    assert failures == 0
    text = "\n".join(lines)
    assert "rule 'refuse-marked': never ran: its when was never true" in text
    assert "rule 'entity'" not in text
