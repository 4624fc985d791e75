"""Valid alerts of at most 1 MiB that cost the most to sanitize, per kind of cost (issue 13).

Each is a JSON object within the proxy's default limits (1 MiB body, depth 64) that a policy
scrubbing every string must walk completely:
- "ipv6 megabyte": a message that is a megabyte of distinct IPv6 addresses (every one a
  match to pseudonymise);
- "deep subtrees": 2,000 subtrees 58 levels deep (a walk that is mostly descending);
- "tiny strings": about 200,000 two-character strings (a walk that is mostly per-value cost).

`EXPENSIVE_POLICY` is the policy that makes them expensive: every string scrubbed with every
detector, addresses pseudonymised, the guard on. Used by the responsiveness test and
bench/responsiveness.py alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable

MIB = 1024 * 1024
LIMIT = MIB  # the proxy's default limits.max_body_bytes

EXPENSIVE_POLICY = """\
version: 1
name: expensive
keys:
  pseudonym: {env: SANITIZER_KEY_PSEUDONYM}
rules:
  - {id: addresses, action: mask_ip, mode: pseudonym, key: pseudonym}
  - {id: everything, action: scrub}
guard: all
"""


def _text(doc: object) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def _fit(build: Callable[[int], object]) -> bytes:
    """The largest `build(n)` whose JSON text is at most `LIMIT` bytes (n found by bisection)."""
    low, high = 0, 1
    while len(_text(build(high))) <= LIMIT:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        if len(_text(build(middle))) <= LIMIT:
            low = middle
        else:
            high = middle
    return _text(build(low))


def ipv6_megabyte() -> bytes:
    """A message of distinct IPv6 addresses, one per line, filling the body."""

    def build(count: int) -> object:
        lines = "\n".join(
            f"2001:db8:{index >> 16 & 0xFFFF:x}:{index & 0xFFFF:x}::{index % 0xFFFF + 1:x}"
            for index in range(count)
        )
        return {"message_type": "CRITICAL", "entity_id": "v6", "state_message": lines}

    return _fit(build)


def deep_subtrees(depth: int = 58, subtrees: int = 2000) -> bytes:
    """`subtrees` objects each nested `depth` levels, a short string at the bottom of each."""

    def build(width: int) -> object:
        def tree(index: int) -> object:
            node: object = f"leaf {index} " + "x" * width
            for _ in range(depth):
                node = {"n": node}
            return node

        return {
            "message_type": "CRITICAL",
            "entity_id": "deep",
            "details": [tree(index) for index in range(subtrees)],
        }

    return _fit(build)


def tiny_strings() -> bytes:
    """A list of two-character strings, as many as the body holds (about 200,000)."""

    def build(count: int) -> object:
        return {"message_type": "CRITICAL", "entity_id": "tiny", "values": ["ab"] * count}

    return _fit(build)


EXPENSIVE_ALERTS: dict[str, Callable[[], bytes]] = {
    "ipv6 megabyte": ipv6_megabyte,
    "deep subtrees": deep_subtrees,
    "tiny strings": tiny_strings,
}
