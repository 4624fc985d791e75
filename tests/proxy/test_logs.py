"""JSON log lines carry only listed fields and never a value from a message's arguments."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading

import pytest

from sanitizer.proxy import logs

SECRET = "CANARY-db-password-hunter2"


@pytest.fixture
def captured():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    old_handlers, old_level = root.handlers[:], root.level
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.handlers[:] = old_handlers
    root.setLevel(old_level)


def test_only_listed_fields_are_written(captured):
    logging.getLogger("sanitizer.proxy").info(
        "alert queued", extra={"alert_id": "abc", "route": "nagios", "payload": SECRET}
    )
    [entry] = captured()
    assert entry["alert_id"] == "abc" and entry["route"] == "nagios"
    assert "payload" not in entry and SECRET not in json.dumps(entry)


def test_foreign_loggers_keep_their_template_not_their_arguments(captured):
    logging.getLogger("httpx").warning("HTTP Request: %s %s", "POST", f"https://x/{SECRET}")
    [entry] = captured()
    assert SECRET not in json.dumps(entry) and entry["msg"] == "HTTP Request: %s %s"


def test_exceptions_are_reduced_to_their_type(captured):
    try:
        raise ValueError(SECRET)
    except ValueError:
        logging.getLogger("sanitizer.proxy").exception("failed")
    [entry] = captured()
    assert entry["exception"] == "ValueError" and SECRET not in json.dumps(entry)


def test_rule_hit_counts_keep_only_integer_values(captured):
    logging.getLogger("sanitizer.proxy").info(
        "alert queued", extra={"rule_hits": {"drop": 2, "bad": SECRET}}
    )
    [entry] = captured()
    assert entry["rule_hits"] == {"drop": 2}


def test_background_task_and_thread_crashes_are_logged_without_values(captured):
    loop = asyncio.new_event_loop()
    try:
        logs.loop_exception_handler(
            loop, {"message": f"Task exception: {SECRET}", "exception": KeyError(SECRET)}
        )
    finally:
        loop.close()
    thread = threading.Thread(target=lambda: (_ for _ in ()).throw(RuntimeError(SECRET)))
    previous = threading.excepthook
    threading.excepthook = logs._thread_excepthook
    try:
        thread.start()
        thread.join()
    finally:
        threading.excepthook = previous
    entries = captured()
    assert [e["reason"] for e in entries] == ["KeyError", "RuntimeError"]
    assert SECRET not in json.dumps(entries)


def test_timestamps_are_utc_with_milliseconds_across_second_boundaries():
    formatter = logs.JsonFormatter()
    stamps = []
    for created in (1_700_000_000.25, 1_700_000_000.75, 1_700_000_001.0, 1_699_999_999.5):
        record = logging.LogRecord("sanitizer.x", logging.INFO, "", 0, "m", (), None)
        record.created, record.msecs = created, (created % 1) * 1000
        stamps.append(json.loads(formatter.format(record))["ts"])
    assert stamps == [
        "2023-11-14T22:13:20.250Z",
        "2023-11-14T22:13:20.750Z",
        "2023-11-14T22:13:21.000Z",
        "2023-11-14T22:13:19.500Z",
    ]
