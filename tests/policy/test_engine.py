"""Each action, on small documents and on realistic Nagios and VictorOps REST alerts."""

from __future__ import annotations

import copy
import hashlib
import hmac
import ipaddress
import json

import pytest

from sanitizer.actions.pseudonyms import reveal
from sanitizer.errors import GuardHit, Refusal, RuleFailed, TokenError
from tests.conftest import KEY_A, make_policy


def run(rules: str, doc, **kwargs):
    return make_policy(rules, **kwargs).apply(doc)


def test_drop_removes_selected_places():
    out = run(
        "  - {id: d, action: drop, select: [a, 'b[0]', 'c.*.x']}\n",
        {"a": 1, "b": [1, 2], "c": {"p": {"x": 1, "y": 2}}, "z": 0},
    )
    assert out.payload == {"b": [2], "c": {"p": {"y": 2}}, "z": 0}


def test_drop_by_key_regex_reaches_any_depth():
    doc = {"db_password": "x", "nested": [{"Api_Token": "y", "ok": 1}], "keep": 2}
    out = run("  - {id: d, action: drop, keys: '(?i)pass(word)?|secret|token'}\n", doc)
    assert out.payload == {"nested": [{"ok": 1}], "keep": 2}


def test_allow_keeps_only_selected_places_and_reports_removals_without_names():
    doc = {
        "message_type": "CRITICAL",
        "entity_id": "e",
        "secret_host": "h",
        "vo_annotate.s.Note": "n",
        "x": {"y": 1},
    }
    out = run(
        "  - {id: al, action: allow, select: [message_type, entity_id], keys: '^vo_annotate\\.'}\n",
        doc,
    )
    assert out.payload == {"message_type": "CRITICAL", "entity_id": "e", "vo_annotate.s.Note": "n"}
    assert [e.to_dict() for e in out.audit] == [
        {"rule": "al", "action": "allow", "path": "@", "count": 2}
    ]


def test_allow_inside_lists_keeps_list_items_in_order():
    doc = {"alerts": [{"name": "a", "ip": "1"}, {"ip": "2"}, {"name": "c"}]}
    out = run("  - {id: al, action: allow, select: 'alerts[*].name'}\n", doc)
    assert out.payload == {"alerts": [{"name": "a"}, {"name": "c"}]}


def test_redact_set_rename_truncate():
    doc = {"a": "secret", "b": {"c": 1}, "long": "x" * 50, "n": 5}
    out = run(
        """\
  - {id: r, action: redact, select: b}
  - {id: s, action: set, select: meta.tool, value: nagios}
  - {id: s2, action: set, select: copy, expr: "join('-', [a, 'z'])"}
  - {id: rn, action: rename, select: a, to: renamed.a}
  - {id: t, action: truncate, select: long, max_length: 10, marker: '~'}
""",
        doc,
    )
    assert out.payload == {
        "b": "[REDACTED]",
        "long": "x" * 9 + "~",
        "n": 5,
        "meta": {"tool": "nagios"},
        "copy": "secret-z",
        "renamed": {"a": "secret"},
    }


def test_set_with_an_expression_that_yields_null_writes_nothing():
    out = run("  - {id: s, action: set, select: y, expr: missing}\n", {"a": 1})
    assert out.payload == {"a": 1}


def test_value_actions_without_select_apply_to_every_string():
    out = run("  - {id: r, action: redact, with: '-'}\n", {"a": "x", "b": [1, "y", {"c": "z"}]})
    assert out.payload == {"a": "-", "b": [1, "-", {"c": "-"}]}


def test_hash_is_hmac_sha256_hex_of_requested_length():
    out = run(
        "  - {id: h, action: hash, select: [host, port], key: a, length: 20}\n",
        {"host": "db-01", "port": 5432},
    )
    expected = hmac.new(KEY_A, b"db-01", hashlib.sha256).hexdigest()[:20]
    assert out.payload["host"] == expected
    assert out.payload["port"] == hmac.new(KEY_A, b"5432", hashlib.sha256).hexdigest()[:20]


def test_hash_can_carry_the_key_id_so_rotated_pseudonyms_differ_visibly():
    policy = make_policy("  - {id: h, action: hash, select: host, key: a, key_id: true}\n")
    [key] = [k for k in policy.keys if k.name == "a"]
    out = policy.apply({"host": "db-01"}).payload["host"]
    assert out == f"{key.id}:" + hmac.new(KEY_A, b"db-01", hashlib.sha256).hexdigest()[:16]


def test_tokenize_round_trips_through_reveal_and_is_deterministic():
    policy = make_policy("  - {id: t, action: tokenize, select: user, key: b}\n")
    first = policy.apply({"user": "jane.doe"}).payload["user"]
    assert first == policy.apply({"user": "jane.doe"}).payload["user"]
    assert first.startswith("tok:")
    assert reveal(first, policy.keys) == "jane.doe"
    with pytest.raises(TokenError):
        reveal(first[:-2] + "AA", policy.keys)
    with pytest.raises(TokenError):
        reveal("tok:00000000:abc", policy.keys)


def test_when_condition_gates_a_rule():
    policy = make_policy(
        "  - {id: h, action: redact, select: host, when: \"message_type != 'INFO'\"}\n"
    )
    assert policy.apply({"message_type": "INFO", "host": "h"}).payload["host"] == "h"
    assert policy.apply({"message_type": "CRITICAL", "host": "h"}).payload["host"] == "[REDACTED]"


def test_when_uses_jmespath_truthiness_where_zero_is_true():
    policy = make_policy("  - {id: r, action: redact, select: a, when: n}\n")
    assert policy.apply({"n": 0, "a": "x"}).payload["a"] == "[REDACTED]"
    assert policy.apply({"n": "", "a": "x"}).payload["a"] == "x"


def test_rules_apply_in_order_each_seeing_the_previous_output():
    first = run(
        "  - {id: s, action: set, select: a, value: one}\n"
        "  - {id: h, action: redact, select: a, with: two}\n",
        {},
    )
    second = run(
        "  - {id: h, action: redact, select: a, with: two}\n"
        "  - {id: s, action: set, select: a, value: one}\n",
        {},
    )
    assert first.payload == {"a": "two"} and second.payload == {"a": "one"}


def test_input_document_is_never_modified():
    doc = {"a": "10.0.0.1", "b": [{"c": "x@example.com"}]}
    before = copy.deepcopy(doc)
    run(
        "  - {id: m, action: mask_ip, mode: fixed}\n  - {id: s, action: scrub}\n"
        "  - {id: d, action: drop, select: b}\n",
        doc,
    )
    assert doc == before


def test_a_rule_that_raises_refuses_the_alert_naming_the_rule():
    policy = make_policy("  - {id: boom, action: set, select: x, expr: 'abs(name)'}\n")
    with pytest.raises(RuleFailed) as caught:
        policy.apply({"name": "not-a-number"})
    assert caught.value.rule == "boom"
    assert "not-a-number" not in caught.value.message


def test_guard_hit_refuses_the_alert_without_quoting_it():
    policy = make_policy("  - {id: d, action: drop, select: other}\n", extra="guard: [email]\n")
    with pytest.raises(GuardHit) as caught:
        policy.apply({"note": "write to someone@example.com"})
    assert "someone" not in caught.value.message
    assert caught.value.rule == "guard"
    assert policy.apply({"note": "all good"}).payload == {"note": "all good"}


def test_guard_checks_object_keys_too():
    policy = make_policy("  - {id: d, action: drop, select: other}\n", extra="guard: [ipv4]\n")
    with pytest.raises(Refusal):
        policy.apply({"hosts": {"10.1.2.3": "down"}})


def test_mask_ip_without_select_rewrites_keys_and_values():
    out = run("  - {id: m, action: mask_ip, mode: fixed}\n", {"10.1.2.3": "from 10.9.9.9"})
    assert "10.1.2.3" not in json.dumps(out.payload) and "10.9.9.9" not in json.dumps(out.payload)


def test_keys_that_collide_after_masking_refuse_the_alert():
    policy = make_policy("  - {id: m, action: mask_ip, mode: fixed}\n")
    with pytest.raises(RuleFailed, match="two keys"):
        policy.apply({"10.1.2.3": 1, "10.1.2.4": 2})


def test_audit_shows_only_keys_the_policy_names():
    out = run(
        "  - {id: m, action: mask_ip, mode: fixed}\n",
        {"SERVICEOUTPUT": "host 10.0.0.1", "db-prod-07": "10.0.0.2"},
    )
    paths = {e.path for e in out.audit}
    assert paths == {"*"}
    out = run(
        "  - {id: m, action: mask_ip, mode: fixed, select: SERVICEOUTPUT}\n",
        {"SERVICEOUTPUT": "host 10.0.0.1 and 10.0.0.3"},
    )
    assert [e.to_dict() for e in out.audit] == [
        {"rule": "m", "action": "mask_ip", "path": "SERVICEOUTPUT", "count": 2}
    ]


NAGIOS_POLICY = """\
  - {id: drop-contacts, action: drop, keys: '^(CONTACT|_CONTACT)'}
  - id: only-safe-fields
    action: allow
    select: [HOSTNAME, SERVICEDESC, SERVICESTATE, NOTIFICATIONTYPE, SERVICEOUTPUT,
             LONGSERVICEOUTPUT, HOSTADDRESS, TIMET]
  - {id: scrub-output, action: scrub, select: [SERVICEOUTPUT, LONGSERVICEOUTPUT],
     detectors: [email, url_credentials, aws_access_key]}
  - {id: hide-ips, action: mask_ip, mode: pseudonym, key: a}
  - id: message-type
    action: set
    select: message_type
    expr: "NOTIFICATIONTYPE == 'PROBLEM' && SERVICESTATE || NOTIFICATIONTYPE"
  - {id: entity, action: set, select: entity_id, expr: "join('/', [HOSTNAME, SERVICEDESC])"}
  - {id: hash-entity, action: hash, select: entity_id, key: a}
  - {id: hash-host, action: hash, select: HOSTNAME, key: a, when: "message_type != 'INFO'"}
"""


def test_realistic_nagios_alert(nagios_alert):
    out = make_policy(
        NAGIOS_POLICY, extra="guard: [email, url_credentials, aws_access_key]\n"
    ).apply(nagios_alert)
    text = json.dumps(out.payload)
    for secret in [
        "10.20.30.40",
        "10.20.31.7",
        "2001:db8:0:12::7",
        "dba@example.com",
        "S3cretPass",
        "dba-oncall@example.com",
        "+44 20 7946 0958",
        "AKIAIOSFODNN7EXAMPLE",
        "check_pgsql",
        "db-prod-07",
    ]:
        assert secret not in text
    assert out.payload["message_type"] == "CRITICAL"
    assert len(out.payload["entity_id"]) == 16
    masked = ipaddress.ip_address(out.payload["HOSTADDRESS"])
    assert masked.version == 4 and str(masked) != nagios_alert["HOSTADDRESS"]


def test_nagios_recovery_keeps_the_same_entity_id(nagios_alert):
    policy = make_policy(NAGIOS_POLICY)
    recovery = dict(
        nagios_alert,
        NOTIFICATIONTYPE="RECOVERY",
        SERVICESTATE="OK",
        SERVICEOUTPUT="OK - 12 of 500 connections used",
    )
    problem_out = policy.apply(nagios_alert).payload
    recovery_out = policy.apply(recovery).payload
    assert problem_out["entity_id"] == recovery_out["entity_id"]
    assert recovery_out["message_type"] == "RECOVERY"


def test_realistic_victorops_rest_alert(victorops_alert):
    policy = make_policy(
        """\
  - id: keep-rest-fields
    action: allow
    select: [message_type, entity_id, entity_display_name, state_message, monitoring_tool,
             state_start_time]
    keys: '^vo_annotate\\.'
  - {id: scrub-text, action: scrub}
  - {id: hide-ips, action: mask_ip, mode: truncate}
"""
    )
    out = policy.apply(victorops_alert).payload
    assert set(out) == {
        "message_type",
        "entity_id",
        "entity_display_name",
        "state_message",
        "monitoring_tool",
        "state_start_time",
        "vo_annotate.u.Runbook",
        "vo_annotate.s.Note",
    }
    text = json.dumps(out)
    assert "jane.doe@example.com" not in text and "eyJhbGciOiJIUzI1NiJ9" not in text
    assert "192.0.2.33" not in text
