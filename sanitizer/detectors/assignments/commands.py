"""Passwords given without a secret name: ``-pX``/``-p X`` on a mysql, mariadb, check_mysql,
check_pgsql or sshpass command line, ``-a X`` on a redis-cli one, and SQL ``IDENTIFIED BY
'x'``."""

from __future__ import annotations

import re

from sanitizer.detectors.assignments.values import value_at
from sanitizer.detectors.base import Span

__all__ = ["find_client_passwords", "find_identified_by"]

_CLIENT_RE = re.compile(
    r"[mcsr](?<![a-z0-9_.\-][mcsr])(?:(ysql(?:dump|admin|check|import|slap|show|binlog)?"
    r"|ariadb(?:-dump|-admin|-check|-import)?|heck_mysql(?:_query)?|heck_pgsql|shpass)"
    r"|edis-cli)(?![a-z0-9_\-])"
)
_P_FLAG_RE = re.compile(r"(?<!\S)-p")
_A_FLAG_RE = re.compile(r"(?<!\S)-a")
_FLAG_SPACE_RE = re.compile(r"[ \t]++")
_IDENTIFIED_RE = re.compile(
    r"identified(?:\s{1,16}with\s{1,16}[a-z0-9_'\"`]{1,64})?\s{1,16}(?:by|as)\s{1,16}"
    r"(?:password\s{1,16})?"
)


def find_client_passwords(text: str, folded: str) -> list[Span]:
    """`-pX`/`-p X` after mysql-like clients, `-a X` after redis-cli, on the same line."""
    spans = []
    scope_end = 0
    for client in _CLIENT_RE.finditer(folded):
        if client.start() < scope_end:
            continue
        line_end = text.find("\n", client.end())
        scope_end = len(text) if line_end < 0 else line_end
        flag_re = _P_FLAG_RE if client.group(1) else _A_FLAG_RE
        flag = flag_re.search(text, client.end(), scope_end)
        if flag is None:
            continue
        position = flag.end()
        space = _FLAG_SPACE_RE.match(text, position, scope_end)
        if space:
            position = space.end()
            if text.startswith("-", position):
                continue
        start, end = value_at(text, position, None)
        if start < end:
            spans.append((start, end))
    return spans


def find_identified_by(text: str, folded: str) -> list[Span]:
    """SQL ``IDENTIFIED BY 'x'`` (and ``WITH plugin BY/AS``); unquoted only in capitals."""
    spans = []
    for phrase in _IDENTIFIED_RE.finditer(folded):
        upper = text.startswith("IDENTIFIED", phrase.start())
        start, end = value_at(text, phrase.end(), None, quoted_only=not upper)
        if start < end:
            spans.append((start, end))
    return spans
