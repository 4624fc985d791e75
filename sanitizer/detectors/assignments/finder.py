"""The `secret_assignment` finder: secret names and their values, then the command-line and
SQL passwords, over a case-folded copy of the text.

Work is linear: one search for the trigger literals on a lower-cased copy (the same length:
the dotted capital I, the only letter that lengthens, is folded first, so spans taken from
it are valid), then per secret word a bounded name (128 characters), bounded windows around
it, and a value after which the search resumes.
"""

from __future__ import annotations

import re

from sanitizer.detectors.assignments.commands import (
    CLIENT_WORDS,
    find_client_passwords,
    find_flag_passwords,
    find_identified_by,
    find_named_logons,
    find_redis_auth,
    has_client,
)
from sanitizer.detectors.assignments.names import (
    CORE_RE,
    MAX_NAME,
    TRIGGER_RE,
    Name,
    classify,
    name_bounds,
)
from sanitizer.detectors.assignments.syntaxes import SEPARATOR_RE, after_name
from sanitizer.detectors.base import Detector, Span, case_blind, union

__all__ = ["DETECTORS"]


def _find_after_names(text: str, folded: str, position: int) -> list[Span]:
    """Values after secret names; the first core word is at or after `position`."""
    spans: list[Span] = []
    floor = 0  # names and values found so far end here: a name never starts before
    while True:
        core = CORE_RE.search(folded, position)
        if core is None:
            return spans
        start, end = name_bounds(folded, core.start(), core.end(), floor)
        position = floor = end
        if end - start > MAX_NAME:
            continue
        if start > 0 and text[start - 1] == "\\" and text[start] in "nrt":
            start += 1  # an escaped line break glued to the name: \nDB_PASSWORD=
        dashes = 0
        while dashes < 2 and start < end and text[start] == "-":
            start += 1
            dashes += 1
        raw = text[start:end]
        if not raw.isascii():  # letters that fold to ASCII ones (the Kelvin sign...)
            raw = folded[start:end]
        name = classify(raw.rstrip(".-"))
        if name is None:
            start, name = _two_word_name(text, start, raw)
            if name is None:
                continue
        value_start, value_end = after_name(text, start, end, name, dashes)
        position = floor = max(end, value_end)
        if value_start < value_end:
            spans.append((value_start, value_end))
            chained = _chained_name(text, folded, value_start, value_end)
            if chained is not None:
                position = floor = chained


_PREVIOUS_WORD_RE = re.compile(r"[A-Za-z]{1,16}+(?=[ ]\Z)")


def _two_word_name(text: str, start: int, raw: str) -> tuple[int, Name | None]:
    """A compound key written as two words (``API key``, ``License key``): `raw` is ``key``
    and the word before it, one space away, makes the pair a secret name."""
    if raw.lower() not in ("key", "keys") or start < 2:
        return start, None
    window = text[max(0, start - 18) : start]
    word = _PREVIOUS_WORD_RE.search(window)
    if word is None or (word.start() == 0 and start > 18):
        return start, None
    if word.start() > 0 and window[word.start() - 1].isalnum():
        return start, None
    return start - len(window) + word.start(), classify(f"{word.group()}_{raw}")


def _chained_name(text: str, folded: str, start: int, end: int) -> int | None:
    """Where the value at [start, end) ends with a secret name given a value in turn
    (``token = password = x``, ``key=?password = x``, ``key=password= x``): it is searched
    as a name too."""
    name_end = end
    while name_end > max(start, end - 2) and text[name_end - 1] in "=:":
        name_end -= 1
    if not SEPARATOR_RE.match(text, name_end):
        return None
    name_start, _ = name_bounds(folded, name_end, name_end, start)
    if name_start < name_end and classify(text[name_start:name_end]):
        return name_start
    return None


_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def _fold(text: str) -> str:
    """`text` lower-cased with the same length, ASCII letters matching as ``(?i)`` would."""
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD).lower()


def _find_secret_assignment(text: str) -> list[Span]:
    folded = _fold(text)
    first = TRIGGER_RE.search(folded)
    clients = has_client(folded)
    if first is None and not clients:
        return []
    spans = [] if first is None else _find_after_names(text, folded, first.start())
    # Spelled out: a generator over the names costs more than the five checks (~1 µs).
    if (
        "mysql" in folded
        or "mariadb" in folded
        or "pgsql" in folded
        or "sshpass" in folded
        or "redis-cli" in folded
    ):
        spans += find_client_passwords(text, folded)
    if "AUTH" in text or "auth" in text:
        spans += find_redis_auth(text)
    if "identified" in folded:
        spans += find_identified_by(text, folded)
    if clients:
        spans += find_flag_passwords(text, folded)
        spans += find_named_logons(text, folded)
    return union(spans)


# The literals `TRIGGER_RE` looks for, for RE2, whose case folding leaves the dotless and
# the dotted i apart from "i" (`_fold` does not).
_I = "[i\u0131\u0130]"
_ANCHORS = (
    r"(?i)pass|pw|psk|secret|sess|token|key|auth|cred|cookie|mysql|pgsql|community",
    rf"(?i)s{_I}g|conn(?:ect{_I}on)?[_.\-]?str|mar{_I}adb|red{_I}s-cl{_I}|{_I}dent{_I}f{_I}ed",
    *case_blind(*CLIENT_WORDS),  # the clients of `commands` (`has_client`)
)

DETECTORS = (
    Detector(
        "secret_assignment",
        "[SECRET]",
        _find_secret_assignment,
        summary="the value given to a secret-sounding name (password=, api_key:, --token, "
        "<secret>, IDENTIFIED BY, mysql -p...), the name kept",
        anchors=_ANCHORS,
    ),
)
