"""Capture: each alert one fsynced JSON line in a file, no network."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sanitizer.proxy.delivery import Delivered, Rejected
from tests.upstreams.sending import (
    ALERT,
    ROUTE,
    alert,
    build,
    send,
    send_one,
)


def test_capture_appends_fsynced_json_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    path = tmp_path / "out" / "capture.jsonl"
    sender = build({"type": "capture", "path": str(path)})
    first, second = alert(routing_key="ops"), alert({"b": "é"})
    assert send(sender, first, second) == [Delivered(), Delivered()]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"id": first.id, "route": ROUTE, "routing_key": "ops", "alert": ALERT},
        {"id": second.id, "route": ROUTE, "routing_key": None, "alert": {"b": "é"}},
    ]
    assert len(synced) >= 2  # every line, plus the new directory entry
    assert path.stat().st_mode & 0o777 == 0o600
    assert send_one(build({"type": "capture", "path": str(path)}), alert(raw=b"{")) == Rejected(
        "alert body is not JSON"
    )
