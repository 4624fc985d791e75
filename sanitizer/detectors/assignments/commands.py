"""Passwords given without a secret name: ``-pX``/``-p X`` on a mysql, mariadb, check_mysql,
check_pgsql or sshpass command line, ``-a X`` on a redis-cli one, and SQL ``IDENTIFIED BY
'x'``; the password flags of other clients (``docker login -p``, ``ldapsearch -w``,
``sqlcmd -P``, ``snmpwalk -c/-A/-X``, ``check_snmp -C/-A/-X``), the password of
``curl -u user:password``, Oracle's ``sqlplus user/password@db`` and ``CONNECT
user/password@db``, a ``.netrc`` line (``machine h login u password p``) and PowerShell's
``ConvertTo-SecureString 'x' -AsPlainText``.

Choices made where the right answer is not obvious: a flag counts only on the command's own
line and only for that client (``docker run -p 5432:5432`` is a port, ``check_snmp -c`` a
threshold); of ``curl -u user:password`` the user stays; ``sqlplus user/password`` is taken
without ``@`` too, ``CONNECT user/password`` only with it (``connect to/from`` is prose).
"""

from __future__ import annotations

import re

from sanitizer.detectors.assignments.values import OPENING_QUOTE_RE, checked, value_at
from sanitizer.detectors.base import Span

__all__ = [
    "CLIENT_WORDS",
    "find_client_passwords",
    "find_flag_passwords",
    "find_identified_by",
    "find_named_logons",
    "has_client",
]

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


def _client(names: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9_.\-])(?:{names})(?![a-z0-9_\-])")


# Client (a literal it holds, its pattern on the folded text), its password flags (on the
# text: case matters), and whether the flag's value is "user:password" rather than the
# password alone.
_FLAG_CLIENTS: tuple[tuple[str, re.Pattern[str], re.Pattern[str], bool], ...] = (
    ("docker", _client(r"docker[ \t]++login"), re.compile(r"(?<!\S)-p"), False),
    (
        "ldap",
        _client(r"ldap(?:search|modify|add|delete|whoami|passwd|compare|modrdn|exop|url)"),
        re.compile(r"(?<!\S)-w"),
        False,
    ),
    ("sqlcmd", _client(r"sqlcmd"), re.compile(r"(?<!\S)-P"), False),
    ("osql", _client(r"osql"), re.compile(r"(?<!\S)-P"), False),
    ("bcp", _client(r"bcp"), re.compile(r"(?<!\S)-P"), False),
    (
        "snmp",
        _client(
            r"snmp(?:walk|bulkwalk|get|bulkget|getnext|set|table|trap|inform|df|status"
            r"|netstat|delta|usm|vacm|test)"
        ),
        re.compile(r"(?<!\S)-[cAX]"),
        False,
    ),
    ("check_snmp", _client(r"check_snmp[a-z0-9_]*+"), re.compile(r"(?<!\S)-[CAX]"), False),
    (
        "curl",
        _client(r"curl"),
        re.compile(r"(?<!\S)(?:--(?:proxy-)?user(?:=|(?=[ \t]))|-[uU])"),
        True,
    ),
)


# What `has_client` looks for, and the prefilter's anchors for it (`finder`): the clients of
# `_FLAG_CLIENTS` and of `find_named_logons`; not "conn" alone, which every "connections"
# metric holds.
CLIENT_WORDS = (
    *(word for word, _, _, _ in _FLAG_CLIENTS),
    *("sqlplus", "rman", "expdp", "impdp", "dgmgrl", "conn ", "connect "),
    *("machine", "convertto-securestring"),
)


def has_client(folded: str) -> bool:
    """Whether the folded text holds a client of `_FLAG_CLIENTS` or `find_named_logons`:
    substring tests, which cost less than a regex alternation of these words."""
    for word in CLIENT_WORDS:
        if word in folded:
            return True
    return False


def find_flag_passwords(text: str, folded: str) -> list[Span]:
    """The values of the password flags of `_FLAG_CLIENTS`, on the client's line."""
    spans = []
    for word, client_re, flag_re, user_pair in _FLAG_CLIENTS:
        if word not in folded:
            continue
        scope_end = 0
        for client in client_re.finditer(folded):
            if client.start() < scope_end:
                continue
            line_end = text.find("\n", client.end())
            scope_end = len(text) if line_end < 0 else line_end
            for flag in flag_re.finditer(text, client.end(), scope_end):
                position = flag.end()
                space = _FLAG_SPACE_RE.match(text, position, scope_end)
                if space:
                    position = space.end()
                if text.startswith("-", position):
                    continue
                start, end = value_at(text, position, None)
                if user_pair:  # the password after "user:", a label left there stays
                    colon = text.find(":", start, end)
                    if colon < 0:
                        continue
                    if OPENING_QUOTE_RE.match(text, position):
                        start, end = checked(text, (colon + 1, end), None)
                    else:
                        start, end = value_at(text, colon + 1, None)
                if start < end:
                    spans.append((start, end))
    return spans


# An Oracle user name (letters, digits, _ $ # or a quoted name), "/", then the password.
# A label left by an earlier round ("[SECRET]") is not a password.
_ORACLE_LOGON = r"(?:[a-z0-9_$#.]{1,128}+|\"[^\"\s]{1,128}+\")/((?![/\[])[^\s@\\\"'`]{1,256}+)"
_ORACLE_CLIENT_RE = re.compile(
    r"(?<![a-z0-9_.\-])(?:sqlplus|rman|expdp|impdp|dgmgrl)(?:[ \t]++-[a-z]++)*+[ \t]++"
    r"(?:(?:target|catalog|auxiliary)[ \t]*+=?[ \t]*+)?+"
    rf"{_ORACLE_LOGON}(?=[@\s\\\"'`]|\Z)"
    rf"|(?<![a-z0-9_.\-])conn(?:ect)?+ [ \t]*+{_ORACLE_LOGON}(?=@)"
)
_NETRC_RE = re.compile(
    r"(?<![^\s\"'`])machine[ \t]++[^\s]{1,256}+[ \t]++login[ \t]++[^\s]{1,256}+[ \t]++"
    r"(?:account[ \t]++[^\s]{1,256}+[ \t]++)?+password[ \t]++"
)
_SECURE_STRING_RE = re.compile(r"convertto-securestring(?:[ \t]++-string)?+[ \t]++")


def find_named_logons(text: str, folded: str) -> list[Span]:
    """Oracle's ``user/password``, a ``.netrc`` line's password and PowerShell's plain-text
    ``ConvertTo-SecureString`` argument."""
    spans = []
    if "/" in text:
        for logon in _ORACLE_CLIENT_RE.finditer(folded):
            group = 1 if logon.start(1) >= 0 else 2
            spans.append(logon.span(group))
    if "machine" in folded:
        for netrc in _NETRC_RE.finditer(folded):
            start, end = value_at(text, netrc.end(), None)
            if start < end:
                spans.append((start, end))
    if "convertto-securestring" in folded:
        for command in _SECURE_STRING_RE.finditer(folded):
            start, end = value_at(text, command.end(), None, quoted_only=True)
            if start < end:
                spans.append((start, end))
    return spans
