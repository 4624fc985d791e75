"""Fixtures of the sender tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture
def stopper() -> Iterator[Callable[[Any], Any]]:
    """Stops, at the end of the test, every process handed to it (last started, first stopped)."""
    started: list[Any] = []

    def keep(process: Any) -> Any:
        started.append(process)
        return process

    yield keep
    for process in reversed(started):
        process.stop()
