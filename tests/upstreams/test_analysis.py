"""A policy read against a receiver's required fields: what `sanitizer check --upstream` proves."""

from __future__ import annotations

import pytest

from sanitizer.errors import ConfigError
from sanitizer.proxy.upstreams import check_policy_against
from tests.conftest import make_policy


def test_an_allow_that_never_keeps_message_type_is_reported():
    policy = make_policy("  - {id: only-safe-fields, action: allow, select: [HOSTNAME]}\n")
    assert check_policy_against(policy, "victorops") == [
        "rule 'only-safe-fields' (allow) never keeps 'message_type', which victorops "
        "requires; add it to select or set it after"
    ]


def test_a_set_after_the_allow_brings_it_back():
    policy = make_policy(
        "  - {id: only, action: allow, select: [HOSTNAME]}\n"
        "  - {id: type, action: set, select: message_type, value: INFO}\n"
    )
    assert check_policy_against(policy, "victorops") == []
    policy = make_policy(
        "  - {id: only, action: allow, select: [HOSTNAME]}\n"
        "  - {id: type, action: set, select: message_type, expr: \"state || 'INFO'\"}\n"
    )
    assert check_policy_against(policy, "victorops") == []


def test_a_later_allow_that_drops_it_again_is_named():
    policy = make_policy(
        "  - {id: type, action: set, select: message_type, value: INFO}\n"
        "  - {id: final, action: allow, select: [entity_id]}\n"
    )
    assert check_policy_against(policy, "victorops")[0].startswith("rule 'final' (allow)")


def test_drop_by_key_and_rename_away_are_reported():
    policy = make_policy("  - {id: no-types, action: drop, keys: '_type$'}\n")
    assert check_policy_against(policy, "victorops")[0].startswith("rule 'no-types' (drop)")
    policy = make_policy("  - {id: move, action: rename, select: message_type, to: kind}\n")
    assert check_policy_against(policy, "victorops")[0].startswith("rule 'move' (rename)")


def test_what_cannot_be_proven_is_not_reported():
    for rules in (
        "  - {id: c, action: allow, select: [a], when: 'a'}\n",
        "  - {id: p, action: allow, select: '*'}\n",
        "  - {id: f, action: allow, select: ['@', 'alerts[*].x']}\n",
        "  - {id: k, action: allow, keys: '^message'}\n",
        "  - {id: d, action: drop, select: 'alerts[*].message_type'}\n",
        "  - {id: s, action: scrub}\n",
        "  []\n",
    ):
        assert check_policy_against(make_policy(rules), "victorops") == [], rules


def test_a_constant_the_receiver_does_not_accept_is_reported():
    policy = make_policy("  - {id: type, action: set, select: message_type, value: ALERT}\n")
    assert check_policy_against(policy, "victorops") == [
        "rule 'type' (set) writes a message_type that victorops does not accept; use one of "
        "CRITICAL, WARNING, ACKNOWLEDGEMENT, INFO, RECOVERY, OK"
    ]


def test_bigpanda_primary_properties_are_reported_only_when_all_are_gone():
    policy = make_policy("  - {id: only, action: allow, select: [status, host]}\n")
    assert check_policy_against(policy, "bigpanda") == []
    policy = make_policy("  - {id: only, action: allow, select: [status]}\n")
    assert check_policy_against(policy, "bigpanda") == [
        "rule 'only' (allow) never keeps any of 'host', 'service', 'application', 'device', "
        "one of which bigpanda requires; add it to select or set it after"
    ]


def test_pagerduty_a_constant_payload_without_source_is_reported():
    policy = make_policy(
        "  - {id: p, action: set, select: payload, value: {summary: x, severity: info}}\n"
    )
    assert check_policy_against(policy, "pagerduty") == [
        "rule 'p' (set) never keeps 'payload.source', which pagerduty requires; "
        "add it to select or set it after"
    ]


def test_no_warnings_for_upstreams_without_a_contract():
    policy = make_policy("  - {id: only, action: allow, select: [HOSTNAME]}\n")
    assert check_policy_against(policy, "webhook") == []
    with pytest.raises(ConfigError):
        check_policy_against(policy, "nowhere")


@pytest.mark.parametrize(
    "select",
    [
        '[entity_id, "alerts[*].status"]',
        "['alerts[*].message_type']",
        "['message_type.text']",
        "['*.message_type']",
        "['alerts[?message_type]']",
    ],
)
def test_an_allow_whose_selectors_only_reach_elsewhere_never_keeps_message_type(select):
    policy = make_policy(f"  - {{id: only, action: allow, select: {select}}}\n")
    assert check_policy_against(policy, "victorops") == [
        "rule 'only' (allow) never keeps 'message_type', which victorops requires; "
        "add it to select or set it after"
    ]


@pytest.mark.parametrize(
    "select",
    ["[message_type]", "['@']", "['*']", "[entity_id, message_type]", "['\"message_type\"']"],
)
def test_an_allow_naming_the_field_or_a_whole_ancestor_keeps_it(select):
    policy = make_policy(f"  - {{id: only, action: allow, select: {select}}}\n")
    assert check_policy_against(policy, "victorops") == []


def test_pagerduty_payload_is_kept_by_its_parent_but_not_by_a_sibling():
    policy = make_policy("  - {id: only, action: allow, select: [payload]}\n")
    assert check_policy_against(policy, "pagerduty") == []
    policy = make_policy(
        "  - {id: only, action: allow, select: [payload.summary, payload.source]}\n"
    )
    warnings = check_policy_against(policy, "pagerduty")
    assert warnings == [
        "rule 'only' (allow) never keeps 'payload.severity', which pagerduty requires; "
        "add it to select or set it after"
    ]


def test_a_redact_writing_an_object_over_a_parent_may_bring_a_field_back():
    policy = make_policy(
        "  - {id: only, action: allow, select: [payload.summary, payload.source]}\n"
        "  - {id: fill, action: redact, select: payload, with: {severity: info}}\n"
    )
    assert check_policy_against(policy, "pagerduty") == []
