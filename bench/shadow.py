"""Shadow policy cost: what the shadow thread spends per body next to the live work.

Run: .venv/bin/python bench/shadow.py [--rounds 5]

For a typical Nagios alert (rules/nagios.yaml live; as shadow the same policy, and one that
differs: a field kept raw) and for the expensive 1 MiB alerts (tests/expensive_alerts.py), it
prints, best of several rounds, timed in turn in one run:
  live     the live work the request pays for: policy, contract none, `jsonio.dumps`
  shadow   `shadowdiff.compare`: the shadow policy, its `dumps`, the comparison
  copy     `copy_json` of the parsed body (the copy that is NOT needed: `Policy.apply`
           copies its input itself, so live and shadow share the parsed body)
and shadow/live: the share of CPU the shadow adds (1.0 doubles it), which is why it runs on its
own thread with a CPU share (`shadow.CPU_SHARE`) rather than on the event loop.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.engine import KEY, nagios_alert  # noqa: E402
from sanitizer import jsonio  # noqa: E402
from sanitizer.loader import load_policy, policy_from_text  # noqa: E402
from sanitizer.policy.tree import copy_json  # noqa: E402
from sanitizer.proxy.shadowdiff import compare  # noqa: E402
from tests.expensive_alerts import EXPENSIVE_ALERTS, EXPENSIVE_POLICY  # noqa: E402


@dataclasses.dataclass(frozen=True)
class _Route:
    """The parts of a `LiveRoute` the comparison reads."""

    name: str
    policy: object
    shadow: object
    contract: None = None


@dataclasses.dataclass(frozen=True)
class _Queued:
    body: bytes


def best(work: Callable[[], object], rounds: int, budget: float) -> float:
    """Seconds per call, the best of `rounds` rounds of about `budget` seconds each."""
    results = []
    for _ in range(rounds):
        calls, started = 0, time.perf_counter()
        while True:
            work()
            calls += 1
            elapsed = time.perf_counter() - started
            if elapsed >= budget:
                break
        results.append(elapsed / calls)
    return min(results)


def measure(label: str, live, shadow, doc, rounds: int, budget: float) -> None:
    def live_work():
        return [_Queued(jsonio.dumps(result.payload).encode()) for result in live.apply_all(doc)]

    queued = live_work()
    route = _Route("bench", live, shadow)
    outcome = compare(route, doc, queued)
    live_s = best(live_work, rounds, budget)
    shadow_s = best(lambda: compare(route, doc, queued), rounds, budget)
    copy_s = best(lambda: copy_json(doc), rounds, budget)
    print(
        f"{label:34} live {live_s * 1e3:9.3f} ms  shadow {shadow_s * 1e3:9.3f} ms  "
        f"copy {copy_s * 1e3:8.3f} ms  shadow/live {shadow_s / live_s:5.2f}  "
        f"(differing alerts {outcome.differing})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("SANITIZER_KEY_PSEUDONYM", KEY)
    nagios = load_policy(ROOT / "rules/nagios.yaml")
    text = (ROOT / "rules/nagios.yaml").read_text()
    keep_alias = text.replace("NOTIFICATIONTYPE, TIMET]", "NOTIFICATIONTYPE, TIMET, HOSTALIAS]")
    keep_alias = keep_alias.replace(
        "monitoring_tool, NOTIFICATIONTYPE,", "monitoring_tool, HOSTALIAS,"
    )
    laxer = policy_from_text(keep_alias, source="laxer")
    alert = json.loads(json.dumps(nagios_alert()))
    measure("nagios, same shadow", nagios, nagios, alert, args.rounds, 0.3)
    measure("nagios, shadow keeps HOSTALIAS", nagios, laxer, alert, args.rounds, 0.3)
    expensive = policy_from_text(EXPENSIVE_POLICY, source="expensive")
    for name, build in EXPENSIVE_ALERTS.items():
        measure(f"{name}, same shadow", expensive, expensive, json.loads(build()), 2, 0.5)


if __name__ == "__main__":
    main()
