"""`POST /api/preview` against a real proxy: it answers what the proxy would deliver, explains
refusals and contract verdicts, refuses a bad policy naming the rule, and never queues,
delivers, logs or stores the pasted alert."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.console.adminproc import NAGIOS_ALERT, start_admin
from tests.proxyproc import ROOT

STRICT = """\
version: 1
name: pasted
rules:
  - {id: keep, action: allow, select: [message_type, entity_id, monitoring_tool, state_message]}
  - {id: scrub-text, action: scrub, select: state_message}
guard: [email]
"""


@pytest.fixture(scope="module")
def admin(tmp_path_factory, standin_server):
    running = start_admin(tmp_path_factory.mktemp("console-preview"), standin_server.url)
    yield running
    running.proxy.stop()


def test_the_preview_of_a_route_is_exactly_what_its_upstream_receives_for_the_alert(admin, standin):
    answer = admin.preview(route="nagios", alert=NAGIOS_ALERT)
    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert preview["refused"] is None
    assert preview["contract"] == {"upstream": "victorops", "verdict": "ok"}
    assert admin.proxy.post("nagios", json.dumps(NAGIOS_ALERT)).status_code == 202
    [delivered] = standin.wait_for(1)
    assert preview["output"] == [json.loads(delivered["body"])]
    rules = {entry["rule"] for entry in preview["audit"]}
    assert {"drop-contacts", "only-needed-macros"} <= rules
    assert all(set(entry) >= {"rule", "action", "path", "count"} for entry in preview["audit"])


def test_a_bad_policy_text_is_422_naming_the_rule_and_the_problem(admin):
    text = STRICT + "  - {id: broken-rule, action: hash, select: entity_id}\n"
    text = text.replace("guard: [email]\n", "") + "guard: [email]\n"
    answer = admin.preview(policy=text, alert=NAGIOS_ALERT)
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "policy_invalid"
    assert "broken-rule" in body["message"] and "key" in body["message"]


def test_invalid_yaml_is_422_naming_the_line(admin):
    answer = admin.preview(policy="version: 1\nrules: [\n", alert={"a": 1})
    assert answer.status_code == 422 and "line" in answer.json()["message"]


def test_a_guard_refusal_names_the_rule_the_path_and_why_and_outputs_nothing(admin):
    text = STRICT.replace("  - {id: scrub-text, action: scrub, select: state_message}\n", "")
    alert = {"message_type": "CRITICAL", "state_message": "call ops@example.com"}
    preview = admin.preview(policy=text, alert=alert, upstream="victorops").json()
    assert preview["output"] is None
    assert preview["refused"]["rule"] == "guard"
    assert preview["refused"]["path"] == "state_message"
    assert "email" in preview["refused"]["reason"]
    assert "ops@example.com" not in json.dumps(preview["refused"])
    assert preview["contract"] is None  # the contract never ran


def test_a_contract_refusal_and_a_truncation_are_explained(admin):
    refused = admin.preview(policy=STRICT, alert={"entity_id": "x"}, upstream="victorops")
    verdict = refused.json()["contract"]
    assert verdict["verdict"] == "refused" and verdict["upstream"] == "victorops"
    assert refused.json()["refused"]["rule"] == "contract:victorops:message_type"
    assert refused.json()["refused"]["path"] == "message_type"

    alert = {"message_type": "CRITICAL", "monitoring_tool": "t" * 2000}
    cut = admin.preview(policy=STRICT, alert=alert, upstream="victorops").json()
    assert cut["contract"]["verdict"] == "truncated"
    assert "monitoring_tool" in cut["contract"]["reason"]
    assert len(cut["output"][0]["monitoring_tool"]) == 1024

    no_contract = admin.preview(policy=STRICT, alert={"entity_id": "x"}).json()
    assert no_contract["contract"] is None and no_contract["output"] == [{"entity_id": "x"}]


def test_a_split_policy_previews_one_output_and_audit_entries_per_alert(admin):
    policy = (ROOT / "rules/alertmanager.yaml").read_text(encoding="utf-8")
    body = json.loads((ROOT / "tests/fixtures/alerts/alertmanager-webhook-firing.json").read_text())
    preview = admin.preview(policy=policy, alert=body, upstream="victorops").json()
    assert preview["refused"] is None
    assert len(preview["output"]) == len(body["alerts"])
    assert {entry["alert"] for entry in preview["audit"]} == set(range(1, len(body["alerts"]) + 1))


def test_a_pasted_policy_runs_with_preview_keys_and_never_reads_its_key_references(admin):
    text = (
        "version: 1\nname: keyed\nkeys:\n"
        "  k: {file: /nonexistent/never-read.key}\n"
        "  live: {env: SANITIZER_KEY_PSEUDONYM}\n"
        "rules:\n  - {id: hash-host, action: hash, select: HOSTNAME, key: live}\n"
        "  - {id: keep, action: allow, select: HOSTNAME}\n"
    )
    first = admin.preview(policy=text, alert={"HOSTNAME": "db-prod-07"}).json()
    again = admin.preview(policy=text, alert={"HOSTNAME": "db-prod-07"}).json()
    assert "preview keys" in first["note"]
    assert first["output"] == again["output"]  # stable within the process
    live = admin.preview(route="nagios", alert=NAGIOS_ALERT).json()
    assert live["note"] is None
    assert first["output"][0]["HOSTNAME"] not in json.dumps(live["output"])


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b'{"route": "nagios"}', 400, "bad_request"),
        (b'{"route": "nagios", "alert": [1]}', 400, "bad_request"),
        (b'{"alert": {}}', 400, "bad_request"),
        (b'{"route": "nope", "alert": {}}', 404, "not_found"),
        (b'{"route": "nagios", "alert": {}, "extra": 1}', 400, "bad_request"),
        (b'{"policy": "x", "alert": {}, "upstream": "nope"}', 400, "bad_request"),
        (b'{"route": "nagios", "alert": {"a": 1, "a": 2}}', 400, "bad_request"),
        (b'{"route": "nagios", "alert": {"a": NaN}}', 400, "bad_request"),
        (b'{"route": "nagios", "alert": ' + b'{"a":' * 17 + b"1" + b"}" * 18, 400, "bad_request"),
        (b'{"route": "nagios", "alert": {"a": "' + b"x" * 20000 + b'"}}', 413, "body_too_large"),
        (b"{not json", 400, "bad_request"),
    ],
)
def test_bad_preview_requests_get_a_precise_status_and_a_json_error(admin, body, status, error):
    answer = admin.post(
        "/api/preview",
        content=body,
        headers={**admin.headers(), "content-type": "application/json"},
    )
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == error


def test_a_preview_without_json_content_type_is_415(admin):
    answer = admin.post(
        "/api/preview", content=b"{}", headers={**admin.headers(), "content-type": "text/plain"}
    )
    assert answer.status_code == 415


CANARY = st.text(alphabet=string.ascii_letters + string.digits, min_size=10, max_size=20).map(
    lambda text: "cnry" + text
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(canary=CANARY, where=st.sampled_from(["value", "key", "nested", "policy"]))
def test_a_canary_in_a_previewed_alert_reaches_no_log_no_spool_file_and_no_upstream(
    admin, standin_server, canary, where
):
    alert = dict(NAGIOS_ALERT)
    if where == "value":
        alert["SERVICEOUTPUT"] = f"CRITICAL {canary} at 10.1.2.3 by {canary}@example.com"
    elif where == "key":
        alert[canary] = "x"
    else:
        alert["nested"] = {"deep": [canary, {canary: canary}]}
    if where == "policy":
        text = STRICT + f"  - {{id: r-{canary}, action: set, select: x, value: {canary}}}\n"
        answers = [admin.preview(policy=text, alert=alert)]
    else:
        answers = [
            admin.preview(route="nagios", alert=alert),
            admin.preview(policy=STRICT, alert=alert, upstream="victorops"),
            admin.preview(policy="rules: [", alert=alert),
        ]
    assert all(answer.status_code in (200, 422) for answer in answers)
    assert canary not in admin.proxy.log()
    spool = admin.proxy.workdir / "spool"
    for path in spool.iterdir():
        assert canary.encode() not in path.read_bytes(), path.name
    assert all(canary not in json.dumps(request) for request in standin_server.requests())


def test_previews_are_neither_received_nor_queued_alerts(admin):
    counters = ("sanitizer_alerts_received_total", "sanitizer_alerts_queued_total")
    before = [admin.proxy.metric(name) for name in counters]
    for _ in range(3):
        assert admin.preview(route="nagios", alert=NAGIOS_ALERT).status_code == 200
    assert [admin.proxy.metric(name) for name in counters] == before
