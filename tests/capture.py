"""Reading what a `capture` upstream wrote, for tests that run the proxy."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def wait_for_captured(path: Path, alert_id: str, timeout: float = 10.0) -> Any | None:
    """The alert a `capture` upstream wrote for `alert_id`, waiting up to `timeout` seconds;
    None if it did not arrive. A line still being written is skipped until it is complete."""
    deadline = time.monotonic() + timeout
    while True:
        if path.exists():
            for line in path.read_text(encoding="utf-8").split("\n"):
                if line.endswith("}"):
                    entry = json.loads(line)
                    if entry["id"] == alert_id:
                        return entry["alert"]
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)
