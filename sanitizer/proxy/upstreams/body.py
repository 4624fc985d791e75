"""Reading a spooled alert's body, and writing the one a receiver gets."""

from __future__ import annotations

import json
from typing import Any

# The reason a sender that adds fields to the alert gives when the body is not an object.
NOT_OBJECT = "alert body is not a JSON object"


def json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def dumps(doc: Any) -> bytes:
    """Compact UTF-8 JSON, as every receiver gets it."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
