"""Text scanning cost: µs per call of each built-in detector, the shipped key=value pattern
and `Scrubber`, on the Nagios plugin output of `bench/proxy.py` and on a clean 500-byte text.

Run: .venv/bin/python bench/detectors.py [--repeat 7] [--baseline PATH]

Each figure is the best of `--repeat` timings of an automatically sized loop, so it is the
cost without scheduler noise. `--baseline PATH` loads another copy of the detectors module
(say, the previous version saved with `git show REV:sanitizer/detectors.py`) and prints its
figures beside the current ones; the baseline column uses the key=value pattern as first
written, the current one the pattern rules/nagios.yaml ships.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import timeit
import types
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.proxy import alert  # noqa: E402
from sanitizer import detectors as current  # noqa: E402

# The custom pattern of the shipped policies' scrub-key-value-secrets rule, as first written.
KEY_VALUE = (
    r"(?i)\b(?:api|org|auth|access|secret|private)[_-]?key\s*[=:]\s*[^\s,;&]+"
    r"|\b(?:token|passw(?:or)?d|pwd|secret)\s*[=:]\s*[^\s,;&]+"
)
# The scrub-text rule of rules/nagios.yaml.
NAGIOS_DETECTORS = [
    "email",
    "url_credentials",
    "bearer",
    "jwt",
    "aws_access_key",
    "pem_private_key",
    "credit_card",
    "phone",
    "mac",
]


def shipped_key_value() -> str:
    """The pattern of rules/nagios.yaml's scrub-key-value-secrets rule."""
    policy = yaml.safe_load((ROOT / "rules" / "nagios.yaml").read_text(encoding="utf-8"))
    (rule,) = [rule for rule in policy["rules"] if rule["id"] == "scrub-key-value-secrets"]
    return rule["pattern"]


def nagios_text() -> str:
    body = json.loads(alert())
    return body["SERVICEOUTPUT"] + "\n" + body["LONGSERVICEOUTPUT"]


def clean_text() -> str:
    """500 characters of ordinary plugin output in which nothing is found."""
    line = (
        "OK - all 12 checks passed in 0.52s; load average: 0.12, 0.30, 0.41; "
        "disk /var 61% used (inode=97%), swap 3% used; uptime 41 days, 3:07 | "
        "load1=0.120;4.000;8.000;0; rta=0.034ms;100.000;500.000;0; pl=0%;20;60;; "
    )
    return (line * 4)[:500]


def load(path: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("baseline_detectors", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def microseconds(call, repeat: int) -> float:
    timer = timeit.Timer(call)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat, number)) / number * 1e6


def cases(module: types.ModuleType, key_value: str) -> dict[str, object]:
    pattern = re.compile(key_value)
    found: dict[str, object] = {name: d.find for name, d in module.DETECTORS.items()}
    found["key=value pattern"] = lambda text: [
        m.span() for m in pattern.finditer(text) if m.end() > m.start()
    ]
    found["Scrubber(all)"] = module.Scrubber(list(module.DETECTORS))
    found["Scrubber(nagios)"] = module.Scrubber(NAGIOS_DETECTORS, [(pattern, "[SECRET]")])
    return found


def measure(module: types.ModuleType, key_value: str, text: str, repeat: int) -> dict[str, float]:
    found = cases(module, key_value)
    return {name: microseconds(lambda f=find: f(text), repeat) for name, find in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--baseline", help="path of another detectors.py to compare with")
    args = parser.parse_args()
    baseline = load(args.baseline) if args.baseline else None
    for title, text in (("Nagios output", nagios_text()), ("clean text", clean_text())):
        now = measure(current, shipped_key_value(), text, args.repeat)
        before = measure(baseline, KEY_VALUE, text, args.repeat) if baseline else None
        print(f"\n{title} ({len(text)} characters), µs per call")
        header = f"{'':22}{'baseline':>10}{'current':>10}{'speed-up':>10}" if before else ""
        print(header or f"{'':22}{'current':>10}")
        for name, value in now.items():
            if before:
                old = before[name]
                print(f"{name:22}{old:10.2f}{value:10.2f}{old / value:9.1f}x")
            else:
                print(f"{name:22}{value:10.2f}")


if __name__ == "__main__":
    main()
