"""The records the corpus is made of, and the one check every measurement rests on.

A `Secret` is one generated sensitive value in the form it is written (`text`), with the
parts of it that must not survive sanitizing (`values`: the password, not the key name; the
address, not `mailto:`). A `Planted` secret is a secret after a context wrapped and encoded
it; a `CorpusAlert` is a sender's envelope holding zero (benign, grey) or one planted secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Stands for the planted snippet inside a context template (a private-use character, so it
# never occurs in generated text).
MARK = "\ue000"

# Classes whose values a policy may replace by a look-alike (keyed Crypto-PAn addresses,
# keyed host pseudonyms): a value only survives as a whole token, not inside another one.
TOKEN_BOUNDED = frozenset({"ipv4", "ipv6", "internal_hostname"})


@dataclass(frozen=True)
class Secret:
    """One generated sensitive value.

    `text` is how it reads inline (in a log line, in prose); `pair` is (key, value text)
    when the form is naturally a key and a value, so that keyed contexts (env dumps, YAML,
    headers, JSON) write it in their own syntax. Every value is a substring of `text` and,
    when `pair` is set, of its value text.
    """

    cls: str
    form: str
    text: str
    values: tuple[str, ...]
    pair: tuple[str, str] | None = None


@dataclass(frozen=True)
class Planted:
    """A secret as planted: its class and form, the context and field it went into, the
    encoded values to look for, and the context with `MARK` where the secret is."""

    cls: str
    form: str
    context: str
    field: str
    values: tuple[str, ...] = field(repr=False)
    template: str = field(repr=False)

    def redacted(self, around: int | None = None) -> str:
        """The context with the secret shown as ``<SECRET:class>``: safe to print. With
        `around`, only that many characters either side of it."""
        template = self.template
        if around is not None:
            at = template.index(MARK)
            start, end = max(0, at - around), at + 1 + around
            head, tail = ("…" if start else ""), ("…" if end < len(template) else "")
            template = head + template[start:end] + tail
        return template.replace(MARK, f"<SECRET:{self.cls}>")


@dataclass(frozen=True)
class CorpusAlert:
    """One alert: `kind` is "secret", "benign" or "grey"; `policy` the shipped policy meant
    for its sender's shape; `grey` names the grey-zone kind."""

    kind: str
    sender: str
    policy: str
    payload: dict[str, Any] = field(repr=False)
    planted: Planted | None = None
    grey: str = ""


def strings_in(doc: Any) -> Iterator[str]:
    """Every string in a JSON document, object keys included."""
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            yield from node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def occurs(value: str, text: str, *, bounded: bool) -> bool:
    """Whether `value` is in `text`; when `bounded`, only as a whole token (not glued to a
    letter or digit at an end where the value itself has one; a percent-escape such as the
    `%5B` of an encoded `[` ends a token)."""
    start = text.find(value)
    if not bounded:
        return start != -1
    first, last = value[0].isalnum(), value[-1].isalnum()
    while start != -1:
        end = start + len(value)
        escaped = start >= 3 and text[start - 3] == "%"
        glued_before = first and start > 0 and text[start - 1].isalnum() and not escaped
        glued_after = last and end < len(text) and text[end].isalnum()
        if not glued_before and not glued_after:
            return True
        start = text.find(value, start + 1)
    return False


def surviving(planted: Planted, doc: Any) -> list[str]:
    """The planted values still present anywhere in `doc` (keys and values)."""
    bounded = planted.cls in TOKEN_BOUNDED
    texts = list(strings_in(doc))
    return [v for v in planted.values if any(occurs(v, t, bounded=bounded) for t in texts)]
