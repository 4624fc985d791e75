"""`scrub` and the guard read a value with the name of its field, as a JSON object writes them:
``{"password": "two words"}`` is a secret assignment like ``password: "two words"`` in text,
``{"ssn": 123456789}`` a labelled SSN, ``{"mac": "001a2b3c4d5e"}`` a labelled MAC address."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanitizer.errors import GuardHit
from sanitizer.loader import policy_from_text
from sanitizer.policy.apply import Policy
from tests.strategies import canaries


def scrub_policy(detectors: str = "", *, guard: str = "", extra_rules: str = "") -> Policy:
    listed = f", detectors: [{detectors}]" if detectors else ""
    text = (
        "version: 1\nname: fields\nrules:\n"
        f"  - {{id: scrub, action: scrub{listed}}}\n{extra_rules}"
        + (f"guard: [{guard}]\n" if guard else "")
    )
    return policy_from_text(text)


def guard_only(guard: str) -> Policy:
    return policy_from_text(
        "version: 1\nname: guarded\nrules:\n"
        "  - {id: tool, action: set, select: tool, value: script}\n"
        f"guard: [{guard}]\n"
    )


SCRUB_ALL = scrub_policy()


def output(policy: Policy, doc: Any) -> str:
    return json.dumps(policy.apply(doc).payload)


SECRET_NAMES = [
    "password",
    "Password",
    "DB_PASSWORD",
    "PGPASSWORD",
    "passwd",
    "client_secret",
    "clientSecret",
    "access_token",
    "GITHUB_TOKEN",
    "api_key",
    "x-api-key",
    "apiKey",
    "private_key",
    "secret",
    "auth_token",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_a_value_in_a_field_named_as_a_secret_is_scrubbed_whole(name):
    doc = {"alert": "disk full", "details": {name: "Zq8v N3pK 7wR2"}}
    out = SCRUB_ALL.apply(doc).payload
    assert out["details"][name] == "[SECRET]" and out["alert"] == "disk full"


@pytest.mark.parametrize(
    ("doc", "secret"),
    [
        ({"password": 84736251}, "84736251"),  # a number too
        ({"credentials": {"password": "s3cr3t-Pw"}}, "s3cr3t-Pw"),
        ({"passwords": ["first-Pw-1", "second-Pw-2"]}, "first-Pw-1"),  # an array under the name
        ({"passwords": ["first-Pw-1", "second-Pw-2"]}, "second-Pw-2"),
        ({"password": 'quo"ted pass'}, 'quo"ted pass'),  # a double quote in the value
        ({"password": "it's a pass"}, "it's a pass"),
        ({"env": [{"name": "DB_PASS", "value": "plain"}, {"DB_PASS": "Zx9!mQ2#vL"}]}, "Zx9!mQ2#vL"),
    ],
)
def test_secret_named_fields_leave_nothing_in_any_shape(doc, secret):
    assert secret not in output(SCRUB_ALL, doc)


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"ssn": 123456789}, {"ssn": "[SSN]"}),
        ({"ssn": "123456789"}, {"ssn": "[SSN]"}),
        ({"customer": {"phone": "07700900123"}}, {"customer": {"phone": "[PHONE]"}}),
        ({"phone": 14155552671}, {"phone": "[PHONE]"}),
        ({"mobile": ["07700900123", "07700900456"]}, {"mobile": ["[PHONE]", "[PHONE]"]}),
        ({"mac": "001a2b3c4d5e"}, {"mac": "[MAC]"}),
        ({"hwaddr": "001A2B3C4D5E"}, {"hwaddr": "[MAC]"}),
    ],
)
def test_labelled_personal_values_are_found_by_their_field_name(doc, expected):
    assert SCRUB_ALL.apply(doc).payload == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("token_count", 5),
        ("password_expires_in_days", 30),
        ("secretName", "db-creds"),  # a Kubernetes reference to a secret, not its value
        ("token_type", "Bearer"),
        ("auth_method", "password"),
        ("password", ""),
        ("password", "********"),
        ("password", "[REDACTED]"),
        ("has_password", True),
        ("id", "07700900123"),  # a number under a name that is no phone label
        ("count", 123456789),
        ("phone_count", 12),
        ("macro", "001a2b3c4d5e"),
        ("keyspace", "orders"),
        ("authorization", "granted"),
    ],
)
def test_fields_whose_names_only_resemble_a_label_stay_as_they_are(name, value):
    doc = {name: value}
    assert SCRUB_ALL.apply(doc).payload == doc


def test_a_version_field_is_not_read_as_an_address():
    assert SCRUB_ALL.apply({"version": "2.19.5.57"}).payload == {"version": "2.19.5.57"}


def test_what_the_name_itself_holds_is_scrubbed_as_a_key_not_through_the_value():
    out = SCRUB_ALL.apply({"ops@example.com": "on call", "count": 3}).payload
    assert out == {"[EMAIL]": "on call", "count": 3}


def test_a_custom_pattern_reads_the_value_alone():
    """An author's `^` and `$` mean the value's start and end, never the field name's."""
    policy = policy_from_text(
        "version: 1\nname: p\nrules:\n"
        "  - {id: p, action: scrub, pattern: '^tok-[a-z]+$', label: '[TOK]'}\n"
    )
    assert policy.apply({"ref": "tok-abc", "note": "a tok-abc"}).payload == {
        "ref": "[TOK]",
        "note": "a tok-abc",
    }


def test_a_selected_field_is_read_with_its_name():
    policy = policy_from_text(
        "version: 1\nname: p\nrules:\n"
        "  - {id: s, action: scrub, select: [password, db.password],"
        " detectors: [secret_assignment]}\n"
    )
    doc = {"password": "top level pw", "db": {"password": "nested pw"}, "other": "left"}
    assert policy.apply(doc).payload == {
        "password": "[SECRET]",
        "db": {"password": "[SECRET]"},
        "other": "left",
    }


def test_the_guard_refuses_a_secret_named_field_left_in_the_alert():
    with pytest.raises(GuardHit, match="secret_assignment"):
        guard_only("secret_assignment").apply({"password": "hunter2x"})


def test_the_guard_passes_a_field_the_scrub_replaced():
    policy = scrub_policy("secret_assignment", guard="secret_assignment")
    assert policy.apply({"password": "hunter2x"}).payload == {"password": "[SECRET]"}


@given(
    name=st.sampled_from(SECRET_NAMES),
    canary=canaries,
    path=st.lists(st.sampled_from(["details", "env", "config"]), max_size=3),
    in_array=st.booleans(),
)
def test_a_canary_under_a_secret_name_never_survives_a_scrub(name, canary, path, in_array):
    doc: Any = {name: [canary] if in_array else canary}
    for step in reversed(path):
        doc = {step: doc, "note": "ok"}
    assert canary not in output(SCRUB_ALL, doc)
    assert canary not in output(scrub_policy("secret_assignment"), doc)
