"""What the console reads from the running proxy, in one place, so its endpoints need
nothing else: the current runtime (swapped on reload), the spool's management side, the tap,
the last reload's outcome and the sessions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sanitizer.console.auth import ConsoleAuth
from sanitizer.console.tap import TapHub
from sanitizer.proxy.runtime import LiveRoute, Runtime
from sanitizer.proxy.spool import SpoolAdmin


@dataclass
class ReloadRecord:
    """The last SIGHUP reload: "ok" or "failed", when (Unix seconds), and its value-free
    message (a config error names a field and a fix, never a value)."""

    result: str | None = None
    at: float | None = None
    message: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"result": self.result, "at": self.at, "message": self.message}


@dataclass
class ConsoleContext:
    runtime: Callable[[], Runtime]
    dead_letters: SpoolAdmin
    wake_delivery: Callable[[], None]
    tap: TapHub
    auth: ConsoleAuth
    # A route's shadow-policy summary (sanitizer.proxy.shadow), None when it has no shadow.
    shadow_summary: Callable[[LiveRoute], dict[str, Any] | None]
    reload: ReloadRecord = field(default_factory=ReloadRecord)
