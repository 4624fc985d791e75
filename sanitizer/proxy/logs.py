"""JSON-lines logging whose fields come from a fixed list, so no payload can slip in.

Code logs with `extra={...}`; only the names in `FIELDS` are written, and only when their
values are ids, counts, names or statuses (str, int, float, bool, or a dict of str → int for
rule hit counts). Exception tracebacks are never written: only the exception's type name.
"""

from __future__ import annotations

import json
import logging
import sys
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


def _clean(value: Any) -> Any:
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, str):
        return value[:200]
    if isinstance(value, dict):
        return {str(k)[:64]: v for k, v in value.items() if isinstance(v, int)}
    return type(value).__name__


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage() if record.name.startswith(_FORMATTED) else record.msg,
        }
        for name in FIELDS:
            if name in record.__dict__:
                entry[name] = _clean(record.__dict__[name])
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "info") -> None:
    """Send every logger (ours, uvicorn's) to stderr as JSON lines."""
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
