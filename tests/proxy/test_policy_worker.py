"""The sanitizing worker process (sanitizer.proxy.policyworker): the same answers as inline,
fail closed when it dies or hangs, replaced on reload, holding nothing of the proxy's."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from sanitizer.errors import ConfigError, Refusal, SanitizerError, Unavailable
from sanitizer.proxy import policyworker
from sanitizer.proxy.config import load_settings
from sanitizer.proxy.intake import sanitize
from sanitizer.proxy.policyworker import PolicyWorkers
from sanitizer.proxy.runtime import LiveRoute, build_runtime
from tests.corpus import POLICIES, build_corpus
from tests.proxyproc import ROOT, environment, start_proxy
from tests.strategies import canaries, json_objects


def routes_config() -> str:
    """A webhook route per shipped policy, and "vo": victorops-rest before VictorOps'
    contract (whose refusals then also cross the worker's socket)."""
    lines = ["spool: {path: spool}", "routes:"]
    upstream = "{type: webhook, url: 'http://127.0.0.1:9/alert'}"
    vo = "{type: victorops, api_key: {env: TOKEN_0}, routing_key: ops}"
    named = [(policy, policy, upstream) for policy in POLICIES]
    for index, (name, policy, sink) in enumerate([*named, ("vo", "victorops-rest", vo)]):
        lines += [
            f"  {name}:",
            f"    credentials: [{{env: TOKEN_{index}}}]",
            f"    policy: {ROOT / 'rules' / f'{policy}.yaml'}",
            f"    upstream: {sink}",
        ]
    return "\n".join(lines) + "\n"


def routes(tmp_path: Path) -> dict[str, LiveRoute]:
    """A route per shipped policy (webhook), and victorops-rest before VictorOps' contract."""
    env = environment(**{f"TOKEN_{i}": f"route-token-{i:02d}-0123456789" for i in range(10)})
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "config.yaml"
    config.write_text(routes_config())
    return dict(build_runtime(load_settings(config, environ=env), environ=env).routes)


def outcome(work: Any) -> Any:
    """What a request would get: the queued bodies and hits, or the refusal's kind and rule."""
    try:
        return [(alert.body, alert.hits) for alert in work()]
    except Refusal as exc:
        return (type(exc).__name__, exc.rule, exc.message)


class Running:
    """A PolicyWorkers with its own event loop on a thread, for synchronous tests."""

    def __init__(self, live: dict[str, LiveRoute]) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.restarts = 0
        self.workers: PolicyWorkers = self.call(self._make)
        self.serve(live)

    def _make(self) -> PolicyWorkers:
        def counted() -> None:
            self.restarts += 1

        return PolicyWorkers(sanitize, on_restart=counted)

    def call(self, function: Any, *args: Any) -> Any:
        async def run() -> Any:
            return function(*args)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(30)

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def serve(self, live: dict[str, LiveRoute]) -> int:
        old = self.workers.pid
        self.call(lambda: self.workers.serve(live, enabled=True))
        return self.wait_ready(other_than=old)

    def wait_ready(self, *, other_than: int | None = None) -> int:
        deadline = time.monotonic() + 30
        while (pid := self.workers.pid) is None or pid == other_than:
            assert time.monotonic() < deadline, "the worker never became ready"
            time.sleep(0.01)
        return pid

    def sanitize(self, route: LiveRoute, doc: Any) -> Any:
        return outcome(lambda: self.run(self.workers.sanitize(route, doc)))

    def close(self) -> None:
        self.run(self.workers.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def live(tmp_path: Path) -> dict[str, LiveRoute]:
    return routes(tmp_path)


@pytest.fixture
def running(live: dict[str, LiveRoute]) -> Iterator[Running]:
    started = Running(live)
    yield started
    started.close()


def test_the_worker_answers_every_corpus_alert_exactly_as_inline(running, live):
    """Every shipped policy on the labelled corpus (secrets of every class in every sender's
    shape, benign and grey alerts): bodies, hits and refusals identical, byte for byte."""
    assert all(running.workers.serves(route) for route in live.values())
    checked = 0
    for alert in build_corpus(seed=7, size=120):
        for route in (
            (live[alert.policy], live["vo"])
            if alert.policy == "victorops-rest"
            else (live[alert.policy],)
        ):
            inline = outcome(lambda route=route, alert=alert: sanitize(route, alert.payload))
            assert running.sanitize(route, alert.payload) == inline, (alert.sender, route.name)
            checked += 1
    assert checked >= 180


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(doc=json_objects, canary=canaries)
def test_the_worker_answers_generated_documents_exactly_as_inline(running, live, doc, canary):
    doc = {**doc, "SERVICEOUTPUT": f"password={canary} from 10.1.2.3", "note": canary}
    for name in ("nagios", "strict", "vo"):
        route = live[name]
        assert running.workers.serves(route)
        assert running.sanitize(route, doc) == outcome(lambda route=route: sanitize(route, doc))


def test_a_killed_worker_fails_what_it_held_503_and_is_started_again(running, live):
    route = live["nagios"]
    doc = {"HOSTNAME": "db-7", "SERVICEOUTPUT": "CRITICAL from 10.1.2.3"}
    pid = running.workers.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # it holds the next request until killed
    held = asyncio.run_coroutine_threadsafe(running.workers.sanitize(route, doc), running.loop)
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(Unavailable) as refused:
        held.result(30)
    assert refused.value.status == 503 and refused.value.retry_after >= 1
    assert running.sanitize(route, doc) == outcome(lambda: sanitize(route, doc))  # inline
    assert running.wait_ready(other_than=pid) != pid
    assert running.restarts == 1
    assert running.sanitize(route, doc) == outcome(lambda: sanitize(route, doc))


def test_a_worker_past_the_deadline_is_killed_and_the_request_refused(running, live, monkeypatch):
    monkeypatch.setattr(policyworker, "DEADLINE", 0.5)
    route = live["nagios"]
    pid = running.workers.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    with pytest.raises(Unavailable, match="longer than"):
        running.run(running.workers.sanitize(route, {"HOSTNAME": "h"}))
    assert running.wait_ready(other_than=pid) != pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped


def test_a_worker_busy_past_the_deadline_but_answering_is_never_killed(running, live, monkeypatch):
    """The deadline is for a child that answers nothing: queued work that takes longer in
    all than DEADLINE, each body quick, is all answered and nothing is restarted."""
    monkeypatch.setattr(policyworker, "DEADLINE", 0.5)
    route = live["nagios"]

    def doc(n: int) -> dict[str, str]:  # distinct texts: no cache shortens the work
        text = " ".join(f"client 10.{n % 250}.{i % 250}.{n // 250} idle;" for i in range(200))
        return {"HOSTNAME": f"h{n}", "SERVICEOUTPUT": text}

    async def all_at_once(docs: list[Any]) -> tuple[list[Any], float]:
        started = asyncio.get_running_loop().time()
        answers = await asyncio.gather(*(running.workers.sanitize(route, doc) for doc in docs))
        return answers, asyncio.get_running_loop().time() - started

    pid = running.workers.pid
    count, took = 64, 0.0
    while took <= 2 * policyworker.DEADLINE:  # sized by outcome: doubled until it outlasts it
        count *= 2
        assert count <= 2**16, "the child never held a queue longer than DEADLINE"
        docs = [doc(n) for n in range(count)]
        answers, took = running.run(all_at_once(docs))
        assert len(answers) == len(docs) and running.restarts == 0 and running.workers.pid == pid
    assert [a.body for a in answers[-1]] == [a.body for a in sanitize(route, docs[-1])]


def test_serving_new_routes_starts_a_new_worker_and_ends_the_old(running, tmp_path):
    old = running.workers.pid
    assert old is not None
    fresh = routes(tmp_path / "again")
    new = running.serve(fresh)
    assert new != old
    deadline = time.monotonic() + 30
    while True:  # the old child exits once it has answered all it held, and is reaped
        try:
            os.kill(old, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the old worker never ended"
        time.sleep(0.01)
    route = fresh["nagios"]
    assert running.sanitize(route, {"HOSTNAME": "h"}) == outcome(
        lambda: sanitize(route, {"HOSTNAME": "h"})
    )
    assert running.restarts == 0


def test_a_route_of_an_older_runtime_is_sanitized_inline(running, tmp_path):
    stale = routes(tmp_path / "stale")["nagios"]  # not the object the worker serves
    assert not running.workers.serves(stale)
    doc = {"HOSTNAME": "h", "SERVICEOUTPUT": "from 10.9.8.7"}
    assert running.sanitize(stale, doc) == outcome(lambda: sanitize(stale, doc))


# ------------------------------------------------------------------ the proxy as a process

CONFIG = f"""\
spool: {{path: spool}}
sanitize: {{worker: WORKER}}
routes:
  nagios:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: {ROOT / "rules/nagios.yaml"}
    upstream: {{type: webhook, url: 'URL'}}
"""


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_ticks(pid: int) -> int:
    """User plus system CPU time of a process, in clock ticks (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wait_for(condition: Any, what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, what
        time.sleep(0.02)
    return value


def test_the_proxy_sanitizes_in_a_child_that_holds_no_listener_spool_or_lock(tmp_path, standin):
    config = CONFIG.replace("WORKER", "true").replace("URL", f"{standin.url}/alert")
    proxy = start_proxy(tmp_path, config)
    try:
        (child,) = wait_for(lambda: children(proxy.process.pid), "no worker process")
        wait_for(lambda: proxy.metric("sanitizer_sanitize_worker_ready") == 1, "never ready")
        before = cpu_ticks(child)
        nagios = (ROOT / "tests/fixtures/alerts/nagios-service-critical.json").read_bytes()
        for _ in range(100):
            assert proxy.post("nagios", nagios).status_code == 202
        assert cpu_ticks(child) - before >= 2  # the policy ran there, not in the proxy
        standin.wait_for(100, timeout=30)
        standin.clear()
        fds = {os.readlink(f"/proc/{child}/fd/{fd}") for fd in os.listdir(f"/proc/{child}/fd")}
        assert not any("spool" in target or "TCP" in target for target in fds), fds
        assert sum(target.startswith("socket:") for target in fds) == 1
        body = {"HOSTNAME": "db-7", "SERVICEOUTPUT": "CRITICAL from 10.20.30.40"}
        assert proxy.post("nagios", json.dumps(body)).status_code == 202
        (delivered,) = standin.wait_for(1)
        assert "10.20.30.40" not in json.dumps(delivered)
        os.kill(proxy.process.pid, signal.SIGKILL)
        proxy.process.wait(10)
        wait_for(
            lambda: not children(proxy.process.pid) and not Path(f"/proc/{child}").exists(),
            "the worker outlived the proxy",
        )
        again = start_proxy(tmp_path, config, port=proxy.port)  # same port, same spool
        try:
            assert again.post("nagios", json.dumps(body)).status_code == 202
        finally:
            again.stop()
    finally:
        proxy.stop()


def test_a_reload_moves_sanitizing_to_a_new_child_with_the_new_policy(tmp_path, standin):
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\nname: a\nrules:\n  - {id: mark, action: set, select: x, value: A}\n"
    )
    config = CONFIG.replace("WORKER", "true").replace("URL", f"{standin.url}/alert")
    proxy = start_proxy(tmp_path, config.replace(str(ROOT / "rules/nagios.yaml"), str(policy)))
    try:
        (first,) = wait_for(lambda: children(proxy.process.pid), "no worker process")
        policy.write_text(policy.read_text().replace("value: A", "value: B"))
        proxy.send_signal(signal.SIGHUP)
        wait_for(lambda: proxy.metric("sanitizer_config_reloads_total", result="ok") == 1, "reload")
        wait_for(lambda: children(proxy.process.pid) not in ([], [first]), "no new worker")
        assert proxy.post("nagios", json.dumps({"x": "raw"})).status_code == 202
        assert json.loads(standin.wait_for(1)[0]["body"])["x"] == "B"
        assert proxy.metric("sanitizer_sanitize_worker_restarts_total") == 0
    finally:
        proxy.stop()


def test_with_the_worker_off_the_proxy_has_no_child_and_still_sanitizes(tmp_path, standin):
    config = CONFIG.replace("WORKER", "false").replace("URL", f"{standin.url}/alert")
    proxy = start_proxy(tmp_path, config)
    try:
        body = {"SERVICEOUTPUT": "CRITICAL from 10.20.30.40"}
        assert proxy.post("nagios", json.dumps(body)).status_code == 202
        assert "10.20.30.40" not in json.dumps(standin.wait_for(1))
        assert children(proxy.process.pid) == []
        assert proxy.metric("sanitizer_sanitize_worker_ready") == 0
    finally:
        proxy.stop()


def test_sanitize_worker_must_be_a_boolean(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.replace("WORKER", "'yes'").replace("URL", "http://127.0.0.1:9/"))
    with pytest.raises(ConfigError) as refused:
        load_settings(config, environ=environment())
    assert "sanitize.worker" in str(refused.value) and "true or false" in str(refused.value)
    assert isinstance(refused.value, SanitizerError)
