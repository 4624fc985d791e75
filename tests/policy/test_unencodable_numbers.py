"""A number JSON cannot carry (infinity, NaN, an integer past Python's digit limit) never
reaches the output: a rule that computes one refuses the alert naming itself, a policy that
writes one is refused at load, and nothing is an internal error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer import jsonio
from sanitizer.errors import PolicyError, Refusal, RuleFailed
from sanitizer.policy.tree import unencodable
from tests.conftest import make_policy
from tests.proxyproc import start_proxy

HUGE_INT = int("9" * 4300)  # the most digits JSON input may carry


@pytest.mark.parametrize(
    ("expr", "alert"),
    [
        ("to_number('1e999')", {}),
        ("to_number('-1e999')", {}),
        ("to_number(s)", {"s": "1e999"}),
        ("to_number(s)", {"s": "inf"}),
        ("to_number(s)", {"s": "nan"}),
        ("sum(xs)", {"xs": [1e308, 1e308]}),
        ("avg(xs)", {"xs": [1.7e308, 1.7e308]}),
        ("sum(xs)", {"xs": [HUGE_INT, HUGE_INT]}),
        ("[to_number('1e999')]", {}),
        ("{n: to_number('1e999'), ok: 'x'}", {}),
        ("[[{n: sum(xs)}]]", {"xs": [1e308, 1e308]}),
    ],
)
def test_a_set_whose_expr_gives_an_unencodable_number_refuses_naming_the_rule(expr, alert):
    policy = make_policy(f'  - {{id: computed, action: set, select: n, expr: "{expr}"}}\n')
    with pytest.raises(RuleFailed) as refused:
        policy.apply(alert)
    assert refused.value.rule == "computed"
    assert "rule 'computed' (set)" in refused.value.message
    assert "1e999" not in refused.value.message and "9999" not in refused.value.message


def test_a_number_written_as_text_is_kept():
    policy = make_policy(
        "  - {id: text, action: set, select: n, expr: \"to_string(to_number('1e999'))\"}\n"
        '  - {id: fine, action: set, select: m, expr: "sum(xs)"}\n'
    )
    out = policy.apply({"xs": [1.5, 2]}).payload
    assert jsonio.dumps(out) == '{"xs":[1.5,2],"n":"Infinity","m":3.5}'


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ("{id: bad, action: set, select: n, value: .inf}", "value"),
        ("{id: bad, action: set, select: n, value: -.inf}", "value"),
        ("{id: bad, action: set, select: n, value: .nan}", "value"),
        ("{id: bad, action: set, select: n, value: 1.0e+999}", "value"),
        ("{id: bad, action: set, select: n, value: [1, {a: .inf}]}", "value"),
        ("{id: bad, action: redact, select: n, with: .nan}", "with"),
    ],
)
def test_a_policy_that_writes_an_unencodable_number_is_refused_at_load(rule, field):
    with pytest.raises(PolicyError) as refused:
        make_policy(f"  - {rule}\n")
    assert refused.value.rule == "bad" and refused.value.field == field


def test_a_split_that_computes_an_unencodable_number_refuses_the_body():
    policy = make_policy(
        "  - {id: keep, action: allow, select: [n]}\n",
        extra="split: \"[{n: to_number('1e999')}]\"\n",
    )
    with pytest.raises(Refusal) as refused:
        policy.apply_all({"alerts": [{}]})
    assert refused.value.rule == "split"


def test_a_split_by_field_names_keeps_the_bodys_numbers():
    policy = make_policy("  - {id: keep, action: allow, select: [n]}\n", extra="split: alerts\n")
    results = policy.apply_all({"alerts": [{"n": 1e308}, {"n": HUGE_INT}]})
    assert [result.payload for result in results] == [{"n": 1e308}, {"n": HUGE_INT}]


def test_unencodable_names_the_kind_of_number_only():
    assert unencodable({"a": [1, 1e308, HUGE_INT, "x", None, True]}) is None
    assert "infinity or NaN" in (unencodable([{"a": float("nan")}]) or "")
    assert "4300 digits" in (unencodable(-(HUGE_INT + 1)) or "")


# --- Property: the output is JSON, or the alert is refused naming a rule --------------------

EXPRESSIONS = [
    "to_number(s)",
    "to_number(t)",
    "sum(xs)",
    "avg(xs)",
    "max(xs)",
    "abs(n)",
    "ceil(n)",
    "floor(n)",
    "length(s)",
    "[to_number(s), n]",
    "{a: to_number(t), b: sum(xs)}",
    "to_string(to_number(s))",
    "xs",
    "n",
    "s",
]
numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(10**20), 10**20),
    st.sampled_from([1e308, -1e308, 1.7976931348623157e308, HUGE_INT, -HUGE_INT]),
)
texts = st.one_of(
    st.sampled_from(["1e999", "-1e999", "inf", "-Infinity", "nan", "1e308", "12", "x", ""]),
    st.sampled_from(["9" * 4300, "9" * 4301]),
    st.text(max_size=8),
)


@settings(max_examples=200, deadline=None)
@given(
    exprs=st.lists(st.sampled_from(EXPRESSIONS), min_size=1, max_size=4),
    alert=st.fixed_dictionaries(
        {"s": texts, "t": texts, "n": numbers, "xs": st.lists(numbers, min_size=1, max_size=4)}
    ),
)
def test_a_policys_output_is_json_or_the_alert_is_refused_naming_a_rule(exprs, alert):
    rules = "".join(
        f'  - {{id: r{index}, action: set, select: out{index}, expr: "{expr}"}}\n'
        for index, expr in enumerate(exprs)
    )
    policy = make_policy(rules)
    doc = jsonio.parse(jsonio.dumps(alert))  # as the proxy and the CLI read it
    try:
        results = policy.apply_all(doc)
    except Refusal as refused:
        assert refused.rule in {f"r{index}" for index in range(len(exprs))}
        assert f"rule {refused.rule!r}" in refused.message
        return
    for result in results:
        json.loads(jsonio.dumps(result.payload))


# --- The command line ------------------------------------------------------------------------


def test_sanitizer_apply_refuses_a_computed_infinity_in_one_line(tmp_path: Path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\nname: numbers\nrules:\n"
        "  - {id: huge, action: set, select: n, expr: \"to_number('1e999')\"}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "sanitizer.cli", "apply", str(policy), "-"],
        input=b'{"a": 1}',
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
        check=False,
    )
    assert result.returncode == 1 and result.stdout == b""
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "rule 'huge'" in lines[0], lines
    assert "internal error" not in lines[0] and "Traceback" not in lines[0]


# --- The proxy -------------------------------------------------------------------------------


def test_the_proxy_refuses_a_computed_infinity_422_naming_the_rule(tmp_path: Path, standin):
    (tmp_path / "numbers.yaml").write_text(
        "version: 1\nname: numbers\nrules:\n"
        "  - {id: huge, action: set, select: n, expr: \"to_number('1e999')\"}\n",
        encoding="utf-8",
    )
    config = (
        "spool: {path: spool, max_bytes: 200000}\n"
        "routes:\n"
        "  nagios:\n"
        "    credentials: [{env: INBOUND_TOKEN}]\n"
        "    policy: numbers.yaml\n"
        "    on_refusal: notify\n"
        f"    upstream: {{type: webhook, url: '{standin.url}/hook', transport: default}}\n"
    )
    running = start_proxy(tmp_path, config)
    try:
        response = running.post("nagios", json.dumps({"note": "canary-7f3a"}))
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "rule_failed"
        assert response.json()["rule"] == "huge"
        [notice] = standin.wait_for(1)  # the refusal's notice, never the alert
        assert "canary-7f3a" not in notice["body"]
        assert running.metric("sanitizer_rule_refusals_total", rule="huge") == 1
        assert "internal error" not in running.log() and "Traceback" not in running.log()
    finally:
        running.stop()
