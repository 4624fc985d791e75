"""Shadow policies in a real proxy process: every alert of a route also runs through its
`shadow_policy`, the differences are counted by kind in /metrics, value-free, and nothing of
the shadow ever reaches the upstream, the spool, the answer or the log."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import string
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanitizer.errors import Refusal
from sanitizer.proxy import shadowdiff
from sanitizer.proxy.config import load_settings
from sanitizer.proxy.intake import sanitize
from sanitizer.proxy.metrics import Metrics
from sanitizer.proxy.runtime import LiveRoute, build_runtime
from sanitizer.proxy.shadow import MAX_PATHS, TOP_PATHS, Shadows
from tests.proxyproc import ProxyProcess, environment, start_proxy

LIVE = """\
version: 1
name: live
rules:
  - {id: live-refuses-fizz, action: set, select: x, expr: "abs(fizz)", when: fizz}
  - {id: host, action: set, select: host, value: masked-live}
  - {id: keep, action: allow, select: [message_type, entity_id, host, note, labels]}
"""
SHADOW = """\
version: 1
name: next
rules:
  - {id: shadow-refuses-boom, action: set, select: x, expr: "abs(boom)", when: boom}
  - {id: host, action: set, select: host, value: masked-shadow}
  - {id: keep, action: allow, select: [message_type, entity_id, host, state_message]}
"""
SAME_AS_LIVE = LIVE.replace("name: live", "name: same")
VICTOROPS_PATH = "/integrations/generic/20131114/alert"
FAILING = """\
version: 1
name: failing
rules:
  - {id: infinite, action: set, select: note, expr: "to_number('1e999')"}
"""


def config(standin_url: str, shadow: str | None = "shadow.yaml") -> str:
    shadow_line = "" if shadow is None else f"    shadow_policy: {shadow}\n"
    return f"""\
spool: {{path: spool}}
delivery: {{workers: 2, backoff_base: 0.05, backoff_cap: 0.3}}
routes:
  ops:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: live.yaml
{shadow_line}    upstream: {{type: victorops, url: '{standin_url}{VICTOROPS_PATH}',
               api_key: {{env: VICTOROPS_API_KEY}}, routing_key: ops, transport: default}}
"""


def alert(**extra: object) -> str:
    body: dict[str, object] = {
        "message_type": "CRITICAL",
        "entity_id": "disk-full",
        "host": "db-7",
        "note": "on call knows",
        "state_message": "disk at 97%",
        "labels": {"team": "db"},
    }
    body.update(extra)
    return json.dumps(body)


def wait_until(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def differences(proxy: ProxyProcess, kind: str) -> float:
    return proxy.metric("sanitizer_shadow_differences_total", route="ops", kind=kind)


def shadowed(proxy: ProxyProcess, count: int) -> None:
    """Wait until the shadow has compared (or failed on) `count` bodies of route ops."""
    wait_until(
        lambda: (
            proxy.metric("sanitizer_shadow_alerts_total", route="ops")
            + proxy.metric("sanitizer_shadow_errors_total", route="ops")
            >= count
        )
    )


@pytest.fixture
def start(tmp_path, standin):
    (tmp_path / "live.yaml").write_text(LIVE)
    (tmp_path / "shadow.yaml").write_text(SHADOW)
    started: list[ProxyProcess] = []

    def start(shadow_text: str = SHADOW) -> ProxyProcess:
        (tmp_path / "shadow.yaml").write_text(shadow_text)
        proxy = start_proxy(tmp_path, config(standin.url))
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


def test_differences_are_counted_by_kind_and_only_the_live_output_is_delivered(start, standin):
    proxy = start()
    assert proxy.post("ops", alert()).status_code == 202
    shadowed(proxy, 1)
    assert differences(proxy, "kept_only_live") == 2  # note, and labels.* (shadow drops them)
    assert differences(proxy, "kept_only_shadow") == 1  # state_message
    assert differences(proxy, "changed_differently") == 1  # host, masked two ways
    assert differences(proxy, "refused_only_live") == 0
    assert differences(proxy, "refused_only_shadow") == 0
    assert proxy.metric("sanitizer_shadow_differing_alerts_total", route="ops") == 1
    [delivered] = standin.wait_for(1)
    body = json.loads(delivered["body"])
    assert body["host"] == "masked-live"
    assert "state_message" not in body and body["note"] == "on call knows"
    assert len(standin.requests()) == 1
    assert "masked-shadow" not in proxy.log()


def test_a_large_body_is_shadowed_too(start, standin):
    proxy = start()
    large = alert(padding="p" * 40_000)  # parsed and sanitized on the worker thread
    assert proxy.post("ops", large).status_code == 202
    shadowed(proxy, 1)
    assert differences(proxy, "kept_only_live") == 2
    assert len(standin.wait_for(1)) == 1


def test_a_shadow_refusal_is_counted_and_never_refuses_the_live_alert(start, standin):
    proxy = start()
    answer = proxy.post("ops", alert(boom="yes"))
    assert answer.status_code == 202
    shadowed(proxy, 1)
    assert differences(proxy, "refused_only_shadow") == 1
    assert (
        proxy.metric(
            "sanitizer_shadow_refusals_total",
            route="ops",
            side="shadow",
            rule="shadow-refuses-boom",
        )
        == 1
    )
    [delivered] = standin.wait_for(1)
    assert json.loads(delivered["body"])["host"] == "masked-live"


def test_a_live_refusal_is_compared_with_a_shadow_that_would_pass_it(start, standin):
    proxy = start()
    assert proxy.post("ops", alert(fizz="yes")).status_code == 422
    shadowed(proxy, 1)
    assert differences(proxy, "refused_only_live") == 1
    assert (
        proxy.metric(
            "sanitizer_shadow_refusals_total", route="ops", side="live", rule="live-refuses-fizz"
        )
        == 1
    )
    assert standin.requests() == []


def test_a_shadow_that_fails_on_every_alert_never_affects_the_live_path(start, standin):
    proxy = start(FAILING)  # its output would hold an infinite number: the rule fails
    for index in range(3):
        assert proxy.post("ops", alert(entity_id=f"e{index}")).status_code == 202
    shadowed(proxy, 3)
    refusals = proxy.metric(
        "sanitizer_shadow_refusals_total", route="ops", side="shadow", rule="infinite"
    )
    assert refusals == 3
    assert proxy.metric("sanitizer_shadow_errors_total", route="ops") == 0
    assert len(standin.wait_for(3)) == 3
    assert proxy.metric("sanitizer_alerts_queued_total", route="ops") == 3
    assert "Traceback" not in proxy.log()


def test_a_reload_that_changes_the_shadow_policy_takes_effect(start, tmp_path):
    proxy = start(SAME_AS_LIVE)
    assert proxy.post("ops", alert()).status_code == 202
    shadowed(proxy, 1)
    assert proxy.metric("sanitizer_shadow_differing_alerts_total", route="ops") == 0
    (tmp_path / "shadow.yaml").write_text(SHADOW)
    proxy.send_signal(signal.SIGHUP)
    wait_until(lambda: proxy.metric("sanitizer_config_reloads_total", result="ok") == 1)
    assert proxy.post("ops", alert()).status_code == 202
    shadowed(proxy, 2)
    assert proxy.metric("sanitizer_shadow_differing_alerts_total", route="ops") == 1
    assert differences(proxy, "changed_differently") == 1


def test_a_reload_that_removes_the_shadow_policy_stops_it(start, standin, tmp_path):
    proxy = start()
    (tmp_path / "config.yaml").write_text(config(standin.url, shadow=None))
    proxy.send_signal(signal.SIGHUP)
    wait_until(lambda: proxy.metric("sanitizer_config_reloads_total", result="ok") == 1)
    assert proxy.post("ops", alert()).status_code == 202
    standin.wait_for(1)
    assert proxy.metric("sanitizer_shadow_alerts_total", route="ops") == 0


@pytest.mark.parametrize(
    "problem, text",
    [
        (
            "a rule with an unknown action",
            "version: 1\nname: bad\nrules:\n  - {id: x, action: nope}\n",
        ),
        ("a missing file", None),
    ],
)
def test_a_bad_shadow_policy_refuses_the_config_naming_the_route_and_the_file(
    tmp_path, standin, problem, text
):
    (tmp_path / "live.yaml").write_text(LIVE)
    if text is not None:
        (tmp_path / "next-policy.yaml").write_text(text)
    (tmp_path / "config.yaml").write_text(config(standin.url, shadow="next-policy.yaml"))
    ran = subprocess.run(
        [sys.executable, "-m", "sanitizer.cli", "serve", "--config", str(tmp_path / "config.yaml")],
        cwd=tmp_path,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode != 0, problem
    output = (ran.stdout + ran.stderr).strip()
    assert len(output.splitlines()) == 1, output
    assert "routes.ops.shadow_policy" in output and "next-policy.yaml" in output
    assert "Traceback" not in output and "ready" not in output


def test_a_bad_shadow_policy_on_reload_keeps_the_old_config(start, tmp_path):
    proxy = start()
    (tmp_path / "shadow.yaml").write_text("version: 1\nname: bad\nrules: 7\n")
    proxy.send_signal(signal.SIGHUP)
    wait_until(lambda: proxy.metric("sanitizer_config_reloads_total", result="failed") == 1)
    assert "routes.ops.shadow_policy" in proxy.log()
    assert proxy.post("ops", alert()).status_code == 202
    shadowed(proxy, 1)
    assert differences(proxy, "changed_differently") == 1  # the old shadow still runs


CANARY = st.text(string.ascii_letters + string.digits, min_size=12, max_size=24).map(
    lambda tail: "cnry" + tail
)


@pytest.fixture(scope="module")
def canary_proxy(tmp_path_factory, standin_server):
    workdir = tmp_path_factory.mktemp("shadow-canaries")
    (workdir / "live.yaml").write_text(LIVE)
    (workdir / "shadow.yaml").write_text(SHADOW)
    proxy = start_proxy(workdir, config(standin_server.url))
    yield proxy
    proxy.stop()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(key=CANARY, value=CANARY, note=CANARY, message=CANARY, boom=st.booleans())
def test_a_canary_never_appears_in_metrics_or_logs(canary_proxy, key, value, note, message, boom):
    extra: dict[str, object] = {"labels": {key: value}, "note": note, "state_message": message}
    if boom:
        extra["boom"] = value
    before = canary_proxy.metric("sanitizer_shadow_alerts_total", route="ops")
    assert canary_proxy.post("ops", alert(host=value, **extra)).status_code == 202
    shadowed(canary_proxy, int(before) + 1)
    text = canary_proxy.log() + httpx.get(f"{canary_proxy.url}/metrics", timeout=5).text
    for canary in (key, value, note, message):
        assert canary not in text


# ------------------------------------------------------------------ in process: the summary


def live_route(tmp_path: Path, live: str = LIVE, shadow: str = SHADOW) -> LiveRoute:
    """Route ops as the proxy builds it from a config file naming both policies."""
    (tmp_path / "live.yaml").write_text(live)
    (tmp_path / "shadow.yaml").write_text(shadow)
    (tmp_path / "config.yaml").write_text(config("http://127.0.0.1:9"))
    env = environment()
    runtime = build_runtime(load_settings(tmp_path / "config.yaml", environ=env), environ=env)
    return runtime.routes["ops"]


def run_shadow(shadows: Shadows, route: LiveRoute, body: str, alerts: int) -> dict:
    """Hand one body to the shadow as `intake.accept` does, on an event loop; wait until it
    is counted."""
    doc = json.loads(body)
    try:
        live: object = sanitize(route, doc)
    except Refusal as exc:
        live = exc

    async def hand_over() -> None:
        shadows.submit(route, doc, live, large=False)  # type: ignore[arg-type]
        deadline = time.monotonic() + 15
        while shadow_count(shadows, route) < alerts:
            assert time.monotonic() < deadline, "the shadow did not count the body in time"
            await asyncio.sleep(0.01)

    asyncio.run(hand_over())
    summary = shadows.summary(route)
    assert summary is not None
    return summary


def shadow_count(shadows: Shadows, route: LiveRoute) -> int:
    summary = shadows.summary(route)
    assert summary is not None
    return summary["alerts"] + summary["errors"]


@pytest.fixture(scope="module")
def summary_route(tmp_path_factory) -> LiveRoute:
    return live_route(tmp_path_factory.mktemp("summary"))


@settings(max_examples=60, deadline=None)
@given(key=CANARY, value=CANARY, top=CANARY, index=st.integers(0, 5))
def test_a_canary_never_appears_in_the_summary(summary_route, key, value, top, index):
    metrics = Metrics()
    shadows = Shadows(metrics.registry)
    items = [{"n": value}] * (index + 1)
    body = alert(host=value, note=value, labels={key: value}, **{top: value, "items": items})
    summary = run_shadow(shadows, summary_route, body, 1)
    text = json.dumps(summary) + metrics.render().decode()
    for canary in (key, value, top):
        assert canary not in text
    paths = {(entry["path"], entry["kind"]) for entry in summary["paths"]}
    assert ("labels.*", "kept_only_live") in paths  # a key no policy names is `*`
    assert ("host", "changed_differently") in paths


def test_the_summary_counts_a_place_of_every_element_once_per_alert(tmp_path):
    live = LIVE.replace("note, labels]", "note, labels, items]")
    route = live_route(tmp_path, live=live, shadow=SHADOW.replace("note", "host"))
    shadows = Shadows(Metrics().registry)
    body = alert(items=[{"name": f"n{i}", "size": i} for i in range(50)])
    summary = run_shadow(shadows, route, body, 1)
    counts = {entry["path"]: entry["count"] for entry in summary["paths"]}
    assert counts["items[*].*"] == 1  # `name` and `size` are no policy's: `*`
    assert summary["name"] == "next" and summary["digest"] == route.shadow.digest


def test_the_summary_keeps_a_bounded_number_of_paths(tmp_path):
    fields = [f"k{i}" for i in range(MAX_PATHS + 40)]
    live = LIVE.replace("note, labels]", f"note, labels, {', '.join(fields)}]")
    route = live_route(tmp_path, live=live)
    shadows = Shadows(Metrics().registry)
    summary = run_shadow(shadows, route, alert(**dict.fromkeys(fields, "x")), 1)
    assert summary["differences"]["kept_only_live"] == len(fields) + 2
    assert len(summary["paths"]) <= TOP_PATHS
    assert sum(summary["other_paths"].values()) == len(fields) + 4 - MAX_PATHS


def test_a_shadow_that_raises_is_counted_and_never_raises_into_the_request(tmp_path):
    class Exploding:
        name, digest, split, shown_keys = "exploding", "0" * 64, None, frozenset()

        def apply_all(self, doc, *, then=None):
            raise RuntimeError("shadow bug")

    route = dataclasses.replace(live_route(tmp_path), shadow=Exploding())
    metrics = Metrics()
    shadows = Shadows(metrics.registry)
    summary = run_shadow(shadows, route, alert(), 1)
    assert summary["errors"] == 1 and summary["alerts"] == 0
    assert 'sanitizer_shadow_errors_total{route="ops"} 1.0' in metrics.render().decode()


def test_a_new_shadow_policy_starts_a_new_summary(tmp_path):
    route = live_route(tmp_path)
    shadows = Shadows(Metrics().registry)
    assert run_shadow(shadows, route, alert(), 1)["alerts"] == 1
    changed = live_route(tmp_path, shadow=SAME_AS_LIVE)
    summary = shadows.summary(changed)
    assert summary is not None and summary["alerts"] == 0 and summary["name"] == "same"
    assert shadows.summary(dataclasses.replace(route, shadow=None)) is None


@settings(max_examples=200, deadline=None)
@given(
    doc=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_equal_outputs_have_no_difference_and_every_difference_is_a_known_kind(doc):
    assert shadowdiff.differences(doc, doc, doc) == {}
    found = shadowdiff.differences(doc, doc, {"other": doc})
    assert set(found.values()) <= set(shadowdiff.KINDS)
    for path in found:
        assert (
            shadowdiff.generalise(path, frozenset()).replace("[*]", "").replace(".", "").strip("*@")
            == ""
        )
