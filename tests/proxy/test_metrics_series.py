"""The series /metrics exports for dashboards and alerting rules, read from a real proxy
process: no `_created` series, build and policy info, the spool's limit and the age of its
oldest alert (both spool backends), the readiness gauge without a readiness probe, the last
reload's result."""

from __future__ import annotations

import asyncio
import hashlib
import json
import platform
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import sanitizer
from sanitizer.proxy.spool import Spool
from sanitizer.proxy.spool.store import _OLDEST
from tests.proxy.test_faults import spool_dsn, start_fault_proxy, wait_until
from tests.proxyproc import ProxyProcess, environment, start_proxy
from tests.standin import StandIn

__all__ = ["spool_dsn"]  # the fixture, imported for the tests below

KEEP = "version: 1\nname: keep\nrules: []\n"
FIRST = "version: 1\nname: first\nrules:\n  - {id: drop-secret, action: drop, select: secret}\n"
SECOND = "version: 1\nname: second\nrules:\n  - {id: drop-note, action: drop, select: note}\n"
GUARDED = (
    "version: 1\nname: guarded\nrules:\n  - {id: drop-note, action: drop, select: note}\n"
    "guard: [email]\n"
)


def scrape(proxy: ProxyProcess) -> str:
    with proxy.died_explained():
        response = httpx.get(f"{proxy.url}/metrics", timeout=5)
    assert response.status_code == 200
    return response.text


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """Every sample called `name` in one scrape, parsed as Prometheus parses it."""
    return [
        (dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def value(proxy: ProxyProcess, name: str) -> float:
    [(_, found)] = samples(scrape(proxy), name)
    return found


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def token(route: str) -> str:
    return f"inbound-token-of-{route}-0123456789"


def post(proxy: ProxyProcess, route: str, body: bytes | str) -> httpx.Response:
    return proxy.post(route, body, authorization=f"Bearer {token(route)}")


def routes_config(standin_url: str, routes: dict[str, str]) -> str:
    """One webhook route per entry: route name to its policy file; the route's credential
    is `token(route)`, in the environment variable TOKEN_<ROUTE>."""
    lines = [
        "spool: {path: spool, max_bytes: 300000}",
        "delivery: {workers: 2, backoff_base: 0.05, backoff_cap: 0.3, max_age: 3600}",
        "routes:",
    ]
    for name, policy in routes.items():
        lines += [
            f"  {name}:",
            f"    credentials: [{{env: TOKEN_{name.upper()}}}]",
            f"    policy: {policy}",
            f"    upstream: {{type: webhook, url: '{standin_url}/{name}'}}",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def two_routes(tmp_path: Path, standin: StandIn) -> Iterator[ProxyProcess]:
    (tmp_path / "first.yaml").write_text(FIRST, encoding="utf-8")
    (tmp_path / "second.yaml").write_text(SECOND, encoding="utf-8")
    config = routes_config(standin.url, {"alpha": "first.yaml", "beta": "second.yaml"})
    env = environment(**{f"TOKEN_{r.upper()}": token(r) for r in ("alpha", "beta")})
    proxy = start_proxy(tmp_path, config, env=env)
    yield proxy
    proxy.stop()


def test_counters_and_histograms_export_no_created_series(
    two_routes: ProxyProcess, standin: StandIn
):
    assert post(two_routes, "alpha", json.dumps({"secret": "s", "a": 1})).status_code == 202
    assert post(two_routes, "beta", b"{not json").status_code == 400
    standin.wait_for(1)
    wait_until(
        lambda: two_routes.metric("sanitizer_alerts_delivered_total", route="alpha") == 1,
        10,
        "the alert to be counted delivered",
    )
    text = scrape(two_routes)
    assert "_created" not in text
    families = {f.name: f.type for f in text_string_to_metric_families(text)}
    assert families["sanitizer_alerts_delivered"] == "counter"
    assert families["sanitizer_delivery_duration_seconds"] == "histogram"
    assert samples(text, "sanitizer_alerts_refused_total") == [
        ({"route": "beta", "reason": "bad_request"}, 1.0)
    ]


def test_build_info_names_the_running_version_and_python(two_routes: ProxyProcess):
    assert samples(scrape(two_routes), "sanitizer_build_info") == [
        ({"version": sanitizer.__version__, "python": platform.python_version()}, 1.0)
    ]


def policy_info(proxy: ProxyProcess) -> list[dict[str, str]]:
    found = samples(scrape(proxy), "sanitizer_policy_info")
    assert all(v == 1.0 for _, v in found)
    return sorted((labels for labels, _ in found), key=lambda labels: labels["route"])


def reloads(proxy: ProxyProcess, result: str) -> float:
    return proxy.metric("sanitizer_config_reloads_total", result=result)


def test_policy_info_names_each_routes_policy_and_a_reload_replaces_it_whole(
    tmp_path: Path, two_routes: ProxyProcess, standin: StandIn
):
    assert policy_info(two_routes) == [
        {"route": "alpha", "policy": "first", "digest": digest(FIRST)},
        {"route": "beta", "policy": "second", "digest": digest(SECOND)},
    ]
    assert value(two_routes, "sanitizer_config_last_reload_successful") == 1
    assert reloads(two_routes, "ok") == 0 and reloads(two_routes, "failed") == 0

    (tmp_path / "guarded.yaml").write_text(GUARDED, encoding="utf-8")
    config = routes_config(standin.url, {"alpha": "guarded.yaml"})
    (tmp_path / "config.yaml").write_text(config, encoding="utf-8")
    two_routes.send_signal(signal.SIGHUP)
    wait_until(lambda: reloads(two_routes, "ok") == 1, 10, "the reload to be counted")
    assert policy_info(two_routes) == [
        {"route": "alpha", "policy": "guarded", "digest": digest(GUARDED)}
    ], "the removed route's series is gone"

    (tmp_path / "guarded.yaml").write_text(GUARDED.replace("drop,", "explode,"), "utf-8")
    two_routes.send_signal(signal.SIGHUP)
    wait_until(lambda: reloads(two_routes, "failed") == 1, 10, "the failed reload")
    assert value(two_routes, "sanitizer_config_last_reload_successful") == 0
    assert policy_info(two_routes) == [
        {"route": "alpha", "policy": "guarded", "digest": digest(GUARDED)}
    ], "the policy still serving is the one shown"

    (tmp_path / "guarded.yaml").write_text(GUARDED, encoding="utf-8")
    two_routes.send_signal(signal.SIGHUP)
    wait_until(lambda: reloads(two_routes, "ok") == 2, 10, "the repaired reload")
    assert value(two_routes, "sanitizer_config_last_reload_successful") == 1


def test_spool_gauges_show_the_limit_and_the_oldest_queued_alerts_age(
    tmp_path: Path, standin: StandIn, spool_dsn: str | None
):
    proxy = start_fault_proxy(
        tmp_path, standin.url, dsn=spool_dsn, max_bytes=123456, lease=1.0 if spool_dsn else None
    )
    try:
        assert value(proxy, "sanitizer_spool_max_bytes") == 123456
        assert value(proxy, "sanitizer_spool_oldest_age_seconds") == 0
        standin.set_mode("fail503")
        before = time.time()
        assert proxy.post("faults", json.dumps({"marker": "m-1"})).status_code == 202
        # PostgreSQL's figure is refreshed by the spool's heartbeat (every lease / 4).
        wait_until(
            lambda: value(proxy, "sanitizer_spool_oldest_age_seconds") > 0,
            10,
            "the queued alert's age",
        )
        assert proxy.post("faults", json.dumps({"marker": "m-2"})).status_code == 202
        age = value(proxy, "sanitizer_spool_oldest_age_seconds")
        assert 0 < age <= time.time() - before
        standin.set_mode("ok")
        wait_until(lambda: value(proxy, "sanitizer_spool_depth") == 0, 20, "delivery")
        wait_until(
            lambda: value(proxy, "sanitizer_spool_oldest_age_seconds") == 0,
            10,
            "an empty queue's age of 0",
        )
    finally:
        proxy.stop()


def test_oldest_created_at_is_the_longest_queued_alerts_and_a_requeued_one_keeps_its_own(
    tmp_path: Path,
):
    async def main() -> list[float | None]:
        spool = Spool(tmp_path, max_bytes=1 << 20)
        await spool.start()
        try:
            seen = [spool.oldest_created_at()]
            await spool.append("r", b'{"n": 1}')
            await spool.append("r", b'{"n": 2}')
            first, second = spool.claim_due(2)
            seen.append(spool.oldest_created_at() == first.created_at)
            await spool.dead_letter(first.id, reason="gone")
            seen.append(spool.oldest_created_at() == second.created_at)
            assert spool.retry_dead() == 1
            seen.append(spool.oldest_created_at() == first.created_at)
            for alert in spool.claim_due(2):
                await spool.mark_delivered(alert.id)
            await spool.mark_delivered(second.id)
            seen.append(spool.oldest_created_at())
            return seen
        finally:
            await spool.close()

    assert asyncio.run(main()) == [None, True, True, True, None]


def test_oldest_created_at_reads_one_index_entry_however_long_the_queue(tmp_path: Path):
    spool = Spool(tmp_path, max_bytes=1 << 20)
    try:
        plan = " ".join(
            str(row[-1]) for row in spool._reader.execute("EXPLAIN QUERY PLAN " + _OLDEST)
        )
    finally:
        asyncio.run(spool.close())
    assert "USING INDEX" in plan and "TEMP B-TREE" not in plan, plan


def test_ready_gauge_follows_the_spool_without_a_readiness_probe(tmp_path: Path, standin):
    proxy = start_fault_proxy(tmp_path, standin.url)
    try:
        assert value(proxy, "sanitizer_ready") == 1
        (tmp_path / "spool" / "spool.db").unlink()  # a spool that would swallow alerts
        assert value(proxy, "sanitizer_ready") == 0
    finally:
        proxy.stop()
