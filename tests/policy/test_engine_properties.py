"""Properties of the engine over generated payloads and generated policies."""

from __future__ import annotations

import ipaddress
import json

import jmespath
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sanitizer.actions.pseudonyms import reveal
from sanitizer.errors import Refusal
from sanitizer.policy.selectors import compile_selector
from sanitizer.policy.tree import exists, get_at
from tests.conftest import make_policy
from tests.strategies import (
    FIELDS,
    addresses,
    canaries,
    json_docs,
    json_objects,
    policies,
    selectors,
    separators,
    words,
)

settings.register_profile("engine", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("engine")


def leaf_paths(doc, path=()):
    if isinstance(doc, dict) and doc:
        for key, value in doc.items():
            yield from leaf_paths(value, (*path, key))
    elif isinstance(doc, list) and doc:
        for index, value in enumerate(doc):
            yield from leaf_paths(value, (*path, index))
    else:
        yield path


@given(json_objects, selectors)
def test_dropped_places_never_appear_in_output(doc, select):
    out = make_policy(f"  - {{id: d, action: drop, select: {select!r}}}\n").apply(doc).payload
    for place in compile_selector(select).find(doc):
        # Paths through lists shift when an earlier item goes; object paths cannot.
        if all(isinstance(step, str) for step in place):
            assert not exists(out, place)


@given(json_objects, st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3))
def test_dropped_fields_never_appear_in_output(doc, fields):
    select = "[" + ", ".join(repr(f) for f in fields) + "]"
    out = make_policy(f"  - {{id: d, action: drop, select: {select}}}\n").apply(doc).payload
    assert not set(fields) & set(out)


@given(json_docs)
def test_keys_matched_by_a_drop_regex_never_appear_at_any_depth(doc):
    out = make_policy("  - {id: d, action: drop, keys: '^(a|HOSTNAME)$'}\n").apply(doc).payload

    def keys(value):
        if isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from keys(item)
        elif isinstance(value, list):
            for item in value:
                yield from keys(item)

    assert not {"a", "HOSTNAME"} & set(keys(out))


dict_docs = st.recursive(
    st.integers() | st.text(max_size=5),
    lambda inner: st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4),
    max_leaves=20,
)
field_selectors = st.lists(st.sampled_from([*FIELDS, "*"]), min_size=1, max_size=3).map(".".join)


@given(dict_docs, st.lists(field_selectors, min_size=1, max_size=3))
def test_allow_output_holds_only_allowed_places(doc, selects):
    policy = make_policy(
        "  - {id: al, action: allow, select: [" + ", ".join(repr(s) for s in selects) + "]}\n"
    )
    out = policy.apply(doc).payload
    allowed = {p for s in selects for p in compile_selector(s).find(doc)}
    for path in leaf_paths(out):
        if path == () and out in ({}, None):
            continue
        assert any(path[: len(a)] == a for a in allowed)
        assert get_at(out, path) == get_at(doc, path)
    for place in allowed:
        assert get_at(out, place) == get_at(doc, place)


@st.composite
def texts_with_addresses(draw):
    ips = draw(st.lists(addresses, min_size=1, max_size=4))
    parts = []
    for ip in ips:
        form = draw(st.sampled_from(["compressed", "exploded", "bracket"]))
        if form == "bracket" and ip.version == 6:
            text = f"[{ip.compressed}]:{draw(st.integers(1, 65535))}"
        elif form == "exploded":
            text = ip.exploded
        else:
            text = ip.compressed
        parts += [draw(words), draw(separators), text, draw(separators)]
    return "".join(parts), ips


@given(texts_with_addresses(), st.sampled_from(["fixed", "pseudonym"]), st.booleans())
def test_no_generated_address_survives_mask_ip_anywhere(text_ips, mode, as_key):
    text, ips = text_ips
    doc = {"nested": [{text: 1}]} if as_key else {"SERVICEOUTPUT": text, "x": [text]}
    key = ", key: a" if mode == "pseudonym" else ""
    out = json.dumps(
        make_policy(f"  - {{id: m, action: mask_ip, mode: {mode}{key}}}\n").apply(doc).payload
    )
    for ip in ips:
        assert ip.compressed not in out and ip.exploded not in out


@given(texts_with_addresses())
def test_truncate_mode_leaves_only_prefixes(text_ips):
    text, ips = text_ips
    out = make_policy("  - {id: m, action: mask_ip, mode: truncate}\n").apply({"t": text})
    truncated = {
        ipaddress.ip_network(
            f"{ip}/{24 if ip.version == 4 else 48}", strict=False
        ).network_address.compressed
        for ip in ips
    }
    for ip in ips:
        if ip.compressed not in truncated:
            assert ip.compressed not in out.payload["t"]


@given(st.text(max_size=30), st.text(max_size=30))
def test_hash_is_deterministic_per_key_and_differs_across_keys(value, other):
    policy_a = make_policy("  - {id: h, action: hash, select: v, key: a}\n")
    policy_b = make_policy("  - {id: h, action: hash, select: v, key: b}\n")
    first = policy_a.apply({"v": value}).payload["v"]
    assert first == policy_a.apply({"v": value}).payload["v"]
    assert first != policy_b.apply({"v": value}).payload["v"]
    assume(value != other)
    assert first != policy_a.apply({"v": other}).payload["v"]


@given(st.text())
def test_reveal_of_tokenize_gives_back_the_original(value):
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        assume(False)
    policy = make_policy("  - {id: t, action: tokenize, select: v, key: b}\n")
    token = policy.apply({"v": value}).payload["v"]
    assert reveal(token, policy.keys) == value


@given(policies(), json_docs)
@settings(max_examples=300)
def test_applying_raises_nothing_but_refusal_on_arbitrary_json(rules, doc):
    policy = make_policy(rules)
    try:
        out = policy.apply(doc)
    except Refusal:
        return
    json.dumps(out.payload, allow_nan=False)


@given(policies(), canaries, st.sampled_from(FIELDS))
@settings(max_examples=200)
def test_no_audit_or_error_text_contains_a_generated_secret(rules, secret, field):
    doc = {field: f"x {secret} y", secret: {"nested": secret}, "list": [secret]}
    policy = make_policy(rules, extra="guard: [email]\n")
    try:
        result = policy.apply(doc)
    except Refusal as exc:
        assert secret not in str(exc) and secret not in repr(exc)
        assert secret not in json.dumps(exc.to_json())
        return
    assert secret not in json.dumps([e.to_dict() for e in result.audit])


@given(st.lists(st.text(alphabet="abcxyz 019-", max_size=5), min_size=2, max_size=6))
def test_rule_order_is_honoured_last_write_wins(values):
    rules = "".join(
        f"  - {{id: s{i}, action: set, select: v, value: {json.dumps(v)}}}\n"
        for i, v in enumerate(values)
    )
    assert make_policy(rules).apply({}).payload == {"v": values[-1]}


@given(json_objects)
def test_an_empty_policy_returns_the_payload_unchanged(doc):
    assert make_policy("  []\n").apply(doc).payload == doc


def jmespath_truthy(value):
    return not (
        value is None or value is False or (isinstance(value, str | list | dict) and not value)
    )


@given(json_objects, st.sampled_from(FIELDS))
def test_when_condition_follows_jmespath_truthiness(doc, field):
    assume("hit" not in doc)
    policy = make_policy(f"  - {{id: s, action: set, select: hit, value: 1, when: {field!r}}}\n")
    fired = "hit" in policy.apply(doc).payload
    assert fired == jmespath_truthy(jmespath.search(field, doc))
