"""JSON-lines logging whose fields come from a fixed list, so no payload can slip in.

Code logs with `extra={...}`; only the names in `FIELDS` are written, and only when their
values are ids, counts, names or statuses (str, int, float, bool, or a dict of str → int for
rule hit counts). Exception tracebacks are never written: only the exception's type name.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import time
from typing import Any

FIELDS = (
    "alert_id",
    "route",
    "outcome",
    "status",
    "rule",
    "rule_hits",
    "attempts",
    "reason",
    "duration_ms",
    "policy",
    "upstream",
    "listen",
    "path",
    "count",
)


# Loggers whose arguments are known to hold no payload or secret; others (httpx puts the
# request URL, and a VictorOps URL holds the API key, in its arguments) keep the bare template.
_FORMATTED = ("sanitizer", "uvicorn")


# Built once: json.dumps with an option builds a new encoder for every line.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def _clean(value: Any) -> Any:
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, str):
        return value[:200]
    if isinstance(value, dict):
        return {str(k)[:64]: v for k, v in value.items() if isinstance(v, int)}
    return type(value).__name__


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self._second = -1
        self._second_text = ""

    def _timestamp(self, record: logging.LogRecord) -> str:
        """ISO 8601 UTC with milliseconds; the seconds part formatted once per second."""
        second = int(record.created)
        if second != self._second:
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._second_text}.{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self._timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage() if record.name.startswith(_FORMATTED) else record.msg,
        }
        for name in FIELDS:
            if name in record.__dict__:
                entry[name] = _clean(record.__dict__[name])
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        return _ENCODE(entry)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    logging.getLogger("sanitizer.crash").error(
        "unhandled error in a thread", extra={"reason": args.exc_type.__name__}
    )


def _excepthook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
    logging.getLogger("sanitizer.crash").critical(
        "unhandled error, stopping", extra={"reason": kind.__name__}
    )


def loop_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """asyncio's default handler writes the exception's repr, which may quote a value."""
    exc = context.get("exception")
    logging.getLogger("sanitizer.crash").error(
        "unhandled error in a background task",
        extra={"reason": type(exc).__name__ if exc is not None else "unknown"},
    )


def configure(level: str = "info") -> None:
    """Send every logger (ours, uvicorn's) to stderr as JSON lines.

    Crash reports (uncaught exceptions in the main thread, other threads, and asyncio
    tasks) are reduced to the exception's type name: a traceback's message can hold a value.
    """
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
    # A record's source file, thread and process are never written: not finding them saves
    # about a quarter of the cost of each line (one per delivered alert at info).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs each request's URL at INFO; a VictorOps URL holds the API key.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
