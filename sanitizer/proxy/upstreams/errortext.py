"""The upstream's own words for a refusal, in a form safe to keep with a dead letter.

A receiver that refuses an alert for good (a 4xx) usually says why in its body ("Event object
is invalid", "missing field entity_id"); an operator deciding whether to retry or purge the
dead letter needs that. But a receiver may echo what it was sent: alert values, or the API key
of the URL or a header. So what is kept is, in this order:

1. the first `READ_BYTES` of the body, decoded as UTF-8 (undecodable bytes replaced; a body
   that is mostly not text, e.g. compressed, gives nothing);
2. characters that are not printable and runs of white space made one space (one line, no
   terminal escapes, no bidirectional overrides);
3. every credential the request carried (header values, the URL's user info, path segments
   and query values) and every value of the alert sent (each string and number of the JSON
   body) cut out, written `[sent]`: the text says what the receiver thought, never what it
   was sent;
4. what the built-in detectors find (e-mails, addresses, phone numbers, tokens, keys...)
   replaced by their labels, as a policy's `scrub` would;
5. cut to `MAX_CHARS` characters.

Only a dead letter's stored reason holds it ("HTTP 400: <text>"): never a log line or a metric
label, where the reason stays the bare status.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote

import httpx

from sanitizer.detectors import DETECTORS, Scrubber

__all__ = ["MAX_CHARS", "READ_BYTES", "SENT", "upstream_error_text"]

READ_BYTES = 4096
MAX_CHARS = 300
SENT = "[sent]"
_SHORT = 8  # sent values shorter than this are cut only where they stand as a whole word
_TINY = 3  # sent values shorter than this are kept: too short to tell anything
_KEY_SEGMENT = 16  # URL path segments this long may be an API key
_SKIPPED_HEADERS = frozenset(("content-type", "content-length", "user-agent", "accept", "host"))
_WORD = "A-Za-z0-9_"
_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=1)
def _scrubber() -> Scrubber:
    return Scrubber(list(DETECTORS))


def upstream_error_text(
    head: bytes, *, url: str, body: bytes, headers: Mapping[str, str]
) -> str | None:
    """The receiver's error text from the first bytes of its answer `head`, cleaned as the
    module says, for the request (`url`, `body`, `headers`) it answered; None when empty."""
    text = head[:READ_BYTES].decode("utf-8", "replace")
    if text.count("\ufffd") * 10 > len(text):  # not text (compressed, binary): nothing to say
        return None
    text = _one_line(text)
    if not text:
        return None
    for value in sorted(set(_sent_values(url, body, headers)), key=len, reverse=True):
        for form in _forms(value):
            text = _cut(text, form)
    text, _ = _scrubber()(text)
    text = _one_line(text)
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS - 1] + "…"
    return text or None


def _one_line(text: str) -> str:
    """Every character that is not printable (controls, line and paragraph separators,
    format characters such as bidirectional overrides, unassigned code points) and every run
    of white space made one space."""
    return _SPACES.sub(" ", "".join(c if c.isprintable() else " " for c in text)).strip()


def _cut(text: str, value: str) -> str:
    if len(value) < _TINY or len(value) > len(text) or value not in text:
        return text
    if len(value) >= _SHORT:
        return text.replace(value, SENT)
    pattern = rf"(?<![{_WORD}]){re.escape(value)}(?![{_WORD}])"
    return re.sub(pattern, SENT, text)


def _sent_values(url: str, body: bytes, headers: Mapping[str, str]) -> Iterator[str]:
    """Everything the request carried that the receiver could echo."""
    yield from _request_secrets(url, headers)
    try:
        doc = json.loads(body)
    except ValueError:
        yield body.decode("utf-8", "replace").strip()
        return
    yield from _leaves(doc)


def _request_secrets(url: str, headers: Mapping[str, str]) -> Iterator[str]:
    """Header values (and their words, for "Bearer <token>"), the URL's user info, its
    longer path segments (an API key in the path: the short ones name the endpoint) and its
    query values."""
    for name, value in headers.items():
        if name.lower() in _SKIPPED_HEADERS:
            continue
        yield value
        yield from (word for word in value.split() if len(word) >= _SHORT)
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return
    yield from parsed.userinfo.decode("ascii", "replace").split(":")
    segments = parsed.raw_path.decode("ascii", "replace").split("?")[0].split("/")
    yield from (segment for segment in segments if len(segment) >= _KEY_SEGMENT)
    for _, value in parsed.params.multi_items():
        yield value


def _leaves(doc: Any) -> Iterator[str]:
    """Every string and number in a JSON document (keys are field names: kept)."""
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            yield item
        elif isinstance(item, int | float) and not isinstance(item, bool):
            yield json.dumps(item)


def _forms(value: str) -> Iterator[str]:
    """`value` as written and in the other forms a receiver may echo it in: JSON-escaped
    (only a value with a quote, backslash, control or non-ASCII character differs) and
    percent-decoded (only one with a '%'). Cheap for the common value, which has neither:
    a large alert has thousands."""
    value = value.strip()
    if not value:
        return
    yield value
    if not value.isascii() or not value.isprintable() or '"' in value or "\\" in value:
        yield json.dumps(value)[1:-1]
        yield json.dumps(value, ensure_ascii=False)[1:-1]
    if "%" in value:
        yield unquote(value)
