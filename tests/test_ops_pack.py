"""The ops pack: deploy/prometheus's alerting rules pass `promtool check rules` and their unit
tests (`promtool test rules`, every alert both firing and not firing), deploy/grafana's
dashboard is importable, and every metric either names is one a real proxy process exports,
so the pack cannot drift from the code.

promtool comes from Debian's `prometheus` package (scripts/test-services installs it); a
missing promtool fails the tests, never skips them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.proxyproc import ROOT, start_proxy

PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS / "alerts.yaml"
RULE_TESTS = PROMETHEUS / "alerts_test.yaml"
DASHBOARD = ROOT / "deploy" / "grafana" / "alert-sanitizer.json"
METRIC_NAME = re.compile(r"\bsanitizer_[a-z0-9_]*[a-z0-9]")
SEVERITIES = {"critical", "warning", "info"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail(
            "promtool is not installed: run scripts/test-services (it installs Debian's"
            " prometheus package)"
        )
    return found


def run_promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def exported_names(text: str) -> set[str]:
    """Every sample name a scrape can hold, from its `# TYPE` lines: a family is declared
    even while it has no series yet (a labelled counter before its first increment)."""
    names = set()
    for line in text.splitlines():
        if not line.startswith("# TYPE "):
            continue
        _, _, name, kind = line.split()
        if kind == "histogram":
            names.update(name + suffix for suffix in HISTOGRAM_SUFFIXES)
        else:
            names.add(name)
    return names


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[set[str]]:
    """The metric names a real proxy process exports."""
    workdir = tmp_path_factory.mktemp("ops-pack")
    config = f"""\
spool: {{path: spool}}
routes:
  nagios:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: {ROOT / "rules" / "nagios.yaml"}
    upstream: {{type: capture, path: captured.jsonl}}
"""
    proxy = start_proxy(workdir, config)
    try:
        with proxy.died_explained():
            text = httpx.get(f"{proxy.url}/metrics", timeout=5).text
    finally:
        proxy.stop()
    yield exported_names(text)


def alerting_rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in doc["groups"] for rule in group["rules"] if "alert" in rule]


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])


# ---------------------------------------------------------------------------- the rules


def test_promtool_checks_the_rules_and_finds_no_problem():
    result = run_promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alerting_rules())} rules found" in result.stdout


def test_promtool_unit_tests_of_the_rules_pass():
    result = run_promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_severity_explanations_and_a_wait():
    for rule in alerting_rules():
        name = rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, name
        annotations = rule["annotations"]
        for key in ("summary", "description", "runbook"):
            assert annotations.get(key, "").strip(), f"{name} has no {key}"
        # Only a count that just rose may fire at once; every state-like alert waits.
        assert "for" in rule or name == "SanitizerDeadLettersAppeared", name


def test_every_alert_is_unit_tested_both_firing_and_not_firing():
    doc = yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in doc["tests"]:
        for check in case["alert_rule_test"]:
            (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {rule["alert"] for rule in alerting_rules()}
    assert names - firing == set(), "never seen firing"
    assert names - quiet == set(), "never seen quiet"


# ---------------------------------------------------------------------------- the dashboard


def test_dashboard_imports_with_a_prometheus_datasource_input():
    board = dashboard()
    assert board["schemaVersion"] >= 39
    assert board["uid"] and board["title"]
    [source] = board["__inputs"]
    assert (source["name"], source["type"], source["pluginId"]) == (
        "DS_PROMETHEUS",
        "datasource",
        "prometheus",
    )
    ids = [panel["id"] for panel in panels(board)]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    for panel in panels(board):
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
            assert target["expr"].strip(), panel["title"]


def test_dashboard_shows_what_an_operator_needs():
    expressions = " ".join(
        target["expr"] for panel in panels(dashboard()) for target in panel.get("targets", [])
    )
    for needed in (
        "sanitizer_alerts_received_total",
        "sanitizer_alerts_refused_total",
        "sanitizer_rule_refusals_total",
        "sanitizer_alerts_delivered_total",
        "histogram_quantile(0.5, sum by (le, route) (rate(sanitizer_delivery_duration_seconds",
        "histogram_quantile(0.99, sum by (le, route) (rate(sanitizer_delivery_duration_seconds",
        "sanitizer_spool_depth",
        "sanitizer_spool_bytes",
        "sanitizer_spool_max_bytes",
        "sanitizer_spool_oldest_age_seconds",
        "sanitizer_dead_letters",
        "sanitizer_delivery_retries_total",
        "sanitizer_config_reloads_total",
        "sanitizer_policy_info",
    ):
        assert needed in expressions, needed


# ---------------------------------------------------------------------------- the pack is honest


@pytest.mark.parametrize(
    "path", [RULES, RULE_TESTS, DASHBOARD], ids=lambda path: path.relative_to(ROOT).as_posix()
)
def test_every_metric_the_pack_names_is_one_the_proxy_exports(path: Path, scraped: set[str]):
    named = set(METRIC_NAME.findall(path.read_text(encoding="utf-8")))
    assert named, "the file names no sanitizer metric"
    assert named - scraped == set(), f"{path.name} names metrics the proxy does not export"


def test_deploy_readme_points_at_the_rules_and_the_dashboard():
    text = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
    for path in (RULES, RULE_TESTS, DASHBOARD):
        assert path.relative_to(ROOT).as_posix() in text
