"""Big, expensive alerts never stall the proxy, and memory holds while they are sanitized
(issue 13), against a real proxy process and a real upstream stand-in on loopback.

While each of the three valid 1 MiB alerts that cost the most to sanitize
(`tests/expensive_alerts.py`) is posted, another client polls `/healthz` without pause: its
slowest answer stays a small part of the time the alert's own request takes (a ratio of two
timings taken at once, so a loaded machine does not flake; on the event loop, the work would
make it nearly all of it). The exact figures are printed by the benchmark. Each alert is
answered 202 and delivered exactly as the policy sanitizes it in this process. Six at once
are all accepted while the proxy's whole process tree stays below a peak resident size.

Sanitizing off the loop refuses exactly as on it: a large body with a defect, or one the
policy refuses, gets the same status and error code, queues nothing and leaves no value of it
in the log; a turn (`sanitizer.proxy.offload`) always ends, and past the waiting limit a large
body is refused 503 with Retry-After.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from sanitizer.errors import Refusal, Unavailable
from sanitizer.loader import policy_from_text
from sanitizer.proxy.offload import LARGE_BODY_BYTES, RETRY_AFTER, WORKERS, Offload
from tests.expensive_alerts import EXPENSIVE_ALERTS, EXPENSIVE_POLICY
from tests.proxyproc import INBOUND_TOKEN, PSEUDONYM_KEY, ProxyProcess, environment, start_proxy
from tests.standin import StandIn

# Timings on a shared machine are ratios, never absolute: /healthz may take at most this
# fraction of the time the alert's own request took, both measured at once. Sanitized on the
# event loop, a /healthz sent meanwhile waits for nearly all of that request (~0.9 of it);
# off the loop, for a few percent (the benchmark prints exact figures; the goal is 250 ms).
HEALTHZ_WORST_RATIO = 0.5
# The goal is 200 MiB (printed exactly by the benchmark); the bound leaves room for noise.
SIX_AT_ONCE_PEAK_MIB = 300
POST_TIMEOUT = 120.0  # six expensive alerts are sanitized one after the other
DELIVERY_TIMEOUT = 60.0
CANARY = "canary-7f3e9b2d41c8"
REFUSE_LISTS_POLICY = """\
version: 1
name: refuse-lists
rules:
  - {id: details-is-text, action: expect, select: details, type: string, on_mismatch: refuse}
"""


def responsive_config(standin_url: str, expensive: Path, refuse_lists: Path) -> str:
    """The proxy's default limits (1 MiB bodies, depth 64): the alerts are built to fit them."""
    return f"""\
spool: {{path: spool, max_bytes: 100000000}}
delivery: {{workers: 2, backoff_base: 0.05, backoff_cap: 0.3, max_age: 3600}}
routes:
  expensive:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: {expensive}
    upstream: {{type: webhook, url: '{standin_url}/expensive'}}
  strict:
    credentials: [{{env: STRICT_TOKEN}}]
    policy: {refuse_lists}
    upstream: {{type: webhook, url: '{standin_url}/strict'}}
"""


def launch(workdir: Path, standin_url: str) -> ProxyProcess:
    expensive = workdir / "expensive.yaml"
    refuse_lists = workdir / "refuse-lists.yaml"
    workdir.mkdir(parents=True, exist_ok=True)
    expensive.write_text(EXPENSIVE_POLICY, encoding="utf-8")
    refuse_lists.write_text(REFUSE_LISTS_POLICY, encoding="utf-8")
    return start_proxy(
        workdir,
        responsive_config(standin_url, expensive, refuse_lists),
        env=environment(STRICT_TOKEN="strict-token-0123456789abcdef"),
    )


@pytest.fixture(scope="module")
def bodies() -> dict[str, bytes]:
    return {name: build() for name, build in EXPENSIVE_ALERTS.items()}


@pytest.fixture(scope="module")
def responsive_proxy(tmp_path_factory, standin_server) -> Iterator[ProxyProcess]:
    proxy = launch(tmp_path_factory.mktemp("responsive-proxy"), standin_server.url)
    yield proxy
    proxy.stop()


class HealthProbe:
    """Polls /healthz back to back on one connection from a thread; `worst` is the slowest
    answer seen. Entering waits until the first answer came (the probe is running)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._first = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    status = client.get(f"{self.url}/healthz").status_code
                except httpx.HTTPError as exc:
                    self.failures.append(type(exc).__name__)
                    status = 0
                self.latencies.append(time.perf_counter() - started)
                if status != 200:
                    self.failures.append(f"status {status}")
                self._first.set()

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        assert self._first.wait(10), "the /healthz probe got no answer"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    @property
    def worst(self) -> float:
        return max(self.latencies)


def post(proxy: ProxyProcess, body: bytes) -> httpx.Response:
    headers = {"content-type": "application/json", "authorization": f"Bearer {INBOUND_TOKEN}"}
    with proxy.died_explained():
        return httpx.post(
            f"{proxy.url}/v1/alerts/expensive", content=body, headers=headers, timeout=POST_TIMEOUT
        )


def delivered_to(standin: StandIn, path: str, entity_ids: list[str]) -> list[dict]:
    """The requests the stand-in received on `path` for these alerts, one per entry of
    `entity_ids` (an id twice: two alerts), in that order; waits for them."""
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while True:
        by_entity: dict[str, list[dict]] = {}
        for entry in standin.requests():
            if entry["path"] == path:
                entity = json.loads(entry["body"]).get("entity_id")
                by_entity.setdefault(entity, []).append(entry)
        missing = [e for e in set(entity_ids) if len(by_entity.get(e, [])) < entity_ids.count(e)]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not missing, f"alerts {missing} were not all delivered to {path}"
    return [by_entity[entity].pop(0) for entity in entity_ids]


@pytest.mark.parametrize("kind", sorted(EXPENSIVE_ALERTS))
def test_an_expensive_alert_never_stalls_healthz_and_is_delivered_sanitized(
    responsive_proxy: ProxyProcess, standin: StandIn, bodies: dict[str, bytes], kind: str
) -> None:
    body = bodies[kind]
    with HealthProbe(responsive_proxy.url) as probe:
        started = time.perf_counter()
        response = post(responsive_proxy, body)
        took = time.perf_counter() - started
    assert response.status_code == 202, response.text
    assert not probe.failures
    print(
        f"{kind}: /healthz worst {probe.worst * 1000:.0f} ms over {len(probe.latencies)} polls"
        f" while the alert's request took {took * 1000:.0f} ms"
    )
    assert probe.worst < HEALTHZ_WORST_RATIO * took, (
        f"/healthz took {probe.worst:.2f} s while a {kind!r} alert was sanitized"
        f" (its request took {took:.2f} s)"
    )
    policy = policy_from_text(EXPENSIVE_POLICY, environ={"SANITIZER_KEY_PSEUDONYM": PSEUDONYM_KEY})
    [expected] = policy.apply_all(json.loads(body))
    [delivered] = delivered_to(standin, "/expensive", [expected.payload["entity_id"]])
    assert json.loads(delivered["body"]) == expected.payload


def process_tree_peak_mib(pid: int) -> float:
    """The sum of every process's peak resident size (VmHWM) in the tree under `pid`: never
    below the tree's own peak."""
    total_kib = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        status = Path(f"/proc/{current}/status").read_text(encoding="ascii")
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total_kib += int(line.split()[1])
        for task in Path(f"/proc/{current}/task").iterdir():
            children = (task / "children").read_text(encoding="ascii").split()
            pending.extend(int(child) for child in children)
    return total_kib / 1024


def test_six_expensive_alerts_at_once_are_all_accepted_within_the_memory_bound(
    tmp_path: Path, standin: StandIn, bodies: dict[str, bytes]
) -> None:
    proxy = launch(tmp_path / "six", standin.url)
    try:
        six = [bodies[kind] for kind in sorted(bodies)] * 2
        with ThreadPoolExecutor(len(six)) as pool:
            responses = list(pool.map(lambda body: post(proxy, body), six))
        statuses = [response.status_code for response in responses]
        peak = process_tree_peak_mib(proxy.process.pid)
        print(f"six at once: the process tree's peak resident size {peak:.0f} MiB")
        assert statuses == [202] * len(six), [response.text for response in responses]
        assert peak < SIX_AT_ONCE_PEAK_MIB
        delivered_to(standin, "/expensive", [json.loads(body)["entity_id"] for body in six])
    finally:
        proxy.stop()


KEEP_ENTITY_ONLY = """\
version: 1
name: entity-only
rules:
  - {id: entity-only, action: drop, select: [details, message_type]}
"""


def test_a_large_body_is_sanitized_with_the_policy_of_when_it_arrived_across_a_reload(
    tmp_path: Path, standin: StandIn, bodies: dict[str, bytes]
) -> None:
    proxy = launch(tmp_path / "reload", standin.url)
    try:
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(post, proxy, bodies["deep subtrees"])
            deadline = time.monotonic() + POST_TIMEOUT
            while proxy.metric("sanitizer_alerts_received_total", route="expensive") < 1:
                assert time.monotonic() < deadline and not answer.done()
                time.sleep(0.02)
            (proxy.workdir / "expensive.yaml").write_text(KEEP_ENTITY_ONLY, encoding="utf-8")
            proxy.send_signal(signal.SIGHUP)
            while proxy.metric("sanitizer_config_reloads_total", result="ok") < 1:
                assert time.monotonic() < deadline
                time.sleep(0.02)
            assert answer.result().status_code == 202
        policy = policy_from_text(
            EXPENSIVE_POLICY, environ={"SANITIZER_KEY_PSEUDONYM": PSEUDONYM_KEY}
        )
        [expected] = policy.apply_all(json.loads(bodies["deep subtrees"]))
        [delivered] = delivered_to(standin, "/expensive", ["deep"])
        assert json.loads(delivered["body"]) == expected.payload
    finally:
        proxy.stop()


def broken(opened: bytes, defect: str) -> bytes:
    """A body with `defect`: `opened` is a JSON object up to an item of its last member, a
    list (without the closing `]}`)."""
    endings = {
        "not JSON": b'"}',
        "nested too deep": b"," + b"[" * 100 + b"]" * 100 + b"]}",
        "a lone surrogate": b',"\\ud800"]}',
        "not UTF-8": b',"\xff"]}',
    }
    return opened + endings[defect]


DEFECTS = ("not JSON", "nested too deep", "a lone surrogate", "not UTF-8")


@pytest.mark.parametrize("defect", DEFECTS)
def test_a_large_body_with_a_defect_is_refused_as_a_small_one_is(
    responsive_proxy: ProxyProcess, standin: StandIn, bodies: dict[str, bytes], defect: str
) -> None:
    queued = responsive_proxy.metric("sanitizer_alerts_queued_total")
    # the largest body without its last items (room for the defect) and closing `]}`
    large = post(responsive_proxy, broken(bodies["tiny strings"][:-202], defect))
    small = post(responsive_proxy, broken(b'{"values": ["ab"', defect))
    assert (large.status_code, large.json()["error"]) == (400, "bad_request"), large.text
    assert (small.status_code, small.json()["error"]) == (400, "bad_request"), small.text
    assert responsive_proxy.metric("sanitizer_alerts_queued_total") == queued


def test_a_large_body_the_policy_refuses_is_refused_value_free_and_nothing_is_queued(
    responsive_proxy: ProxyProcess, standin: StandIn, bodies: dict[str, bytes]
) -> None:
    body = bodies["deep subtrees"].replace(b'"leaf 7 ', f'"{CANARY} '.encode(), 1)
    assert CANARY.encode() in body
    queued = responsive_proxy.metric("sanitizer_alerts_queued_total")
    response = responsive_proxy.post(
        "strict", body, authorization="Bearer strict-token-0123456789abcdef"
    )
    assert response.status_code == 422, response.text
    assert (response.json()["error"], response.json()["rule"]) == (
        "rule_failed",
        "details-is-text",
    )
    assert responsive_proxy.metric("sanitizer_alerts_queued_total") == queued
    assert CANARY not in response.text
    assert CANARY not in responsive_proxy.log()


def test_a_large_body_refused_before_its_policy_leaves_the_next_one_its_turn(
    responsive_proxy: ProxyProcess, standin: StandIn
) -> None:
    """PagerDuty's ingress parses the body before it knows the route: a large event with an
    unknown routing key is refused there, and its turn still ends with the request."""
    values = ["ab"] * (2 * LARGE_BODY_BYTES // 5)
    event = {"routing_key": "no-such-key", "event_action": "trigger", "values": values}
    for _ in range(WORKERS + 1):
        answer = httpx.post(f"{responsive_proxy.url}/v2/enqueue", json=event, timeout=10)
        assert answer.status_code == 400
    alert = {"message_type": "CRITICAL", "entity_id": "after-refusals", "values": values}
    assert post(responsive_proxy, json.dumps(alert).encode()).status_code == 202
    delivered_to(standin, "/expensive", ["after-refusals"])


async def _waits_its_turn(offload: Offload) -> None:
    await offload.begin_turn()
    offload.end_turn()


def test_a_large_body_waits_its_turn_and_past_the_limit_is_refused_503() -> None:
    async def main() -> None:
        offload = Offload(workers=1, max_waiting=1)
        await offload.begin_turn()
        waiting = asyncio.create_task(_waits_its_turn(offload))
        await asyncio.sleep(0)
        assert not waiting.done()
        with pytest.raises(Unavailable) as refused:
            await asyncio.create_task(offload.begin_turn())
        assert (refused.value.status, refused.value.retry_after) == (503, RETRY_AFTER)
        offload.end_turn()
        await waiting

    asyncio.run(main())


def test_a_turn_ends_with_its_request_even_if_never_ended() -> None:
    async def takes_a_turn_and_never_ends_it(offload: Offload) -> bool:
        await offload.begin_turn()
        return offload.holds_turn()

    async def main() -> None:
        offload = Offload(workers=1, max_waiting=1)
        assert await asyncio.create_task(takes_a_turn_and_never_ends_it(offload))
        await asyncio.wait_for(_waits_its_turn(offload), timeout=30)

    asyncio.run(main())


def test_work_on_the_worker_thread_raises_as_it_would_inline() -> None:
    def refuses() -> None:
        raise Refusal("refused by a rule", rule="some-rule")

    async def main() -> None:
        offload = Offload()
        assert await offload.run(sum, [1, 2, 3]) == 6
        with pytest.raises(Refusal):
            await offload.run(refuses)

    asyncio.run(main())
