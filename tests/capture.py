"""Waiting for what a `capture` upstream wrote, for tests that run the proxy."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sanitizer.proxy.upstreams.capture import captured_alert


def wait_for_captured(path: Path, alert_id: str, timeout: float = 10.0) -> Any | None:
    """The alert captured for `alert_id`, waiting up to `timeout` seconds; None if it did
    not arrive."""
    deadline = time.monotonic() + timeout
    while (alert := captured_alert(path, alert_id)) is None:
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)
    return alert
