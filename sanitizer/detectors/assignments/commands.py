"""Passwords given without a secret name: ``-pX``/``-p X`` on a mysql, mariadb, check_mysql,
check_pgsql or sshpass command line, ``-a X`` on a redis-cli one, and SQL ``IDENTIFIED BY
'x'``; the password flags of other clients (``docker login -p``, ``ldapsearch -w``,
``sqlcmd -P``, ``snmpwalk -c/-A/-X``, ``check_snmp -C/-A/-X``, ``podman/oc/az/helm
registry login -p``, ``mongo -p``, ``cqlsh -p``, ``ipmitool -P``, ``zip -P``, ``xfreerdp
/p:``, ``winrs -p:``, ``openssl enc -k``, and the Nagios plugins check_ldap, check_smtp,
check_ipmi_sensor ``-P``, check_mongodb, check_rabbitmq_*, check_wmi_plus, check_ilo2_health
``-p``, Manubulon's check_snmp_* ``-x``), the password of ``curl -u user:password``,
``check_http -a user:password``, ``smbclient -U user%password`` and ``lftp -u
user,password``, Oracle's ``sqlplus user/password@db`` and ``CONNECT user/password@db``, a
``.netrc`` line (``machine h login u password p``), PowerShell's ``ConvertTo-SecureString
'x' -AsPlainText``, positional passwords (``htpasswd -b``, ``rabbitmqctl add_user``, unixODBC's
``isql``, ``wpa_passphrase``, ``net use``, ``mc alias set``) and Redis ``AUTH``.

Choices made where the right answer is not obvious: a flag counts only on the command's own
line and only for that client (``docker run -p 5432:5432`` is a port, ``check_snmp -c`` a
threshold, ``check_tcp -p`` a port: only the plugins listed take a password there); of
``curl -u user:password`` the user stays; ``sqlplus user/password`` is taken without ``@``
too, ``CONNECT user/password`` only with it (``connect to/from`` is prose).
"""

from __future__ import annotations

import re

from sanitizer.detectors.assignments.values import (
    OPENING_QUOTE_RE,
    checked,
    looks_secret,
    value_at,
)
from sanitizer.detectors.base import Span

__all__ = [
    "CLIENT_WORDS",
    "find_client_passwords",
    "find_flag_passwords",
    "find_identified_by",
    "find_named_logons",
    "find_redis_auth",
    "has_client",
]

_CLIENT_RE = re.compile(
    r"[mcsr](?<![a-z0-9_.\-][mcsr])(?:(ysql(?:dump|admin|check|import|slap|show|binlog)?"
    r"|ariadb(?:-dump|-admin|-check|-import)?|heck_mysql(?:_query)?|heck_pgsql|shpass)"
    r"|edis-cli)(?![a-z0-9_\-])"
)
_P_FLAG_RE = re.compile(r"(?<![^\s\"'\[,])-p")
_A_FLAG_RE = re.compile(r"(?<![^\s\"'\[,])-a")
_FLAG_SPACE_RE = re.compile(r"[ \t]++")
_WORD_RE = re.compile(r"[^\s\"'`]++")
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


# The start of a flag: after a space, or a quote or bracket of an argument list
# (``a3="-pX"`` in an audit record, ``["mysql", "-pX"]``).
_FLAG_START = r"(?<![^\s\"'\[,])"


def _flag(flags: str) -> re.Pattern[str]:
    return re.compile(_FLAG_START + flags)


# Client (literals one of which it holds, its pattern on the folded text), its password flags
# (on the text: case matters), and the separator of a "user<sep>password" value ("" when
# the flag's value is the password alone).
_FLAG_CLIENTS: tuple[tuple[tuple[str, ...], re.Pattern[str], re.Pattern[str], str], ...] = (
    (
        ("login",),
        _client(
            r"(?:docker|podman|buildah|nerdctl|skopeo|oras|oc|az|argocd)[ \t]++login"
            r"|helm[ \t]++registry[ \t]++login"
        ),
        _flag(r"-p"),
        "",
    ),
    (
        ("ldap",),
        _client(r"ldap(?:search|modify|add|delete|whoami|passwd|compare|modrdn|exop|url)"),
        _flag(r"-w"),
        "",
    ),
    (("sqlcmd", "osql", "bcp"), _client(r"sqlcmd|osql|bcp"), _flag(r"-P"), ""),
    (
        ("snmp",),
        _client(
            r"snmp(?:walk|bulkwalk|get|bulkget|getnext|set|table|trap|inform|df|status"
            r"|netstat|delta|usm|vacm|test)"
        ),
        _flag(r"-[cAX]"),
        "",
    ),
    (("check_snmp",), _client(r"check_snmp[a-z0-9_]*+"), _flag(r"-[CAX]"), ""),
    # Manubulon's check_snmp_int.pl, check_snmp_load.pl...: -x is the privacy password.
    (("check_snmp_",), _client(r"check_snmp_[a-z0-9_]++"), _flag(r"-x"), ""),
    (
        ("curl",),
        _client(r"curl"),
        _flag(r"(?:--(?:proxy-)?user(?:=|(?=[ \t]))|-[uU])"),
        ":",
    ),
    # Clients and Nagios plugins whose -p (or -P) is the password (not check_tcp's port).
    (
        (
            *("mongo", "cqlsh", "rdesktop", "racadm", "psexec", "ncftp"),
            *("check_mongodb", "check_rabbitmq", "check_wmi_plus", "check_ilo2", "check_imap"),
        ),
        _client(
            r"mongo(?:sh|dump|restore|export|import|stat|top|files)?+|cqlsh|rdesktop|racadm"
            r"|psexec(?:64)?+|ncftp(?:get|put)?+|check_(?:mongodb|rabbitmq|wmi_plus|ilo2)"
            r"[a-z0-9_]*+(?:\.p[ly])?+|check_imap[a-z0-9_]*+"
        ),
        _flag(r"-p"),
        "",
    ),
    (
        ("ipmitool", "zip", "check_ldap", "check_smtp", "check_ipmi"),
        _client(r"ipmitool|(?:un)?zip|check_(?:ldaps?|smtp|ipmi[a-z0-9_]*+)(?:\.p[ly])?+"),
        _flag(r"-P"),
        "",
    ),
    (("freerdp", "winrs"), _client(r"[a-z]*freerdp3?|winrs"), _flag(r"[/-]p(?:assword)?:"), ""),
    (("openssl",), _client(r"openssl"), _flag(r"-k(?=[ \t])"), ""),
    (
        ("check_http", "check_curl"),
        _client(r"check_(?:http|curl)"),
        _flag(r"(?:-a|--authorization=)"),
        ":",
    ),
    (
        ("smb", "rpcclient"),
        _client(r"smb(?:client|cacls|get|map)|rpcclient"),
        _flag(r"(?:-U|--user(?:=|(?=[ \t])))"),
        "%",
    ),
    (("lftp",), _client(r"lftp"), _flag(r"-u"), ","),
)


# The commands of `_POSITIONAL_RE` (`find_named_logons`).
_POSITIONAL_WORDS = ("htpasswd", "rabbitmqctl", "isql", "wpa_passphrase", "net use", "mc ")

# What `has_client` looks for, and the prefilter's anchors for it (`finder`): the clients of
# `_FLAG_CLIENTS` and of `find_named_logons`; not "conn" alone, which every "connections"
# metric holds.
_FLAG_CLIENT_WORDS = tuple(word for words, _, _, _ in _FLAG_CLIENTS for word in words)
CLIENT_WORDS = (
    *_FLAG_CLIENT_WORDS,
    *("sqlplus", "rman", "expdp", "impdp", "dgmgrl", "conn ", "connect "),
    *("machine", "convertto-securestring"),
    *_POSITIONAL_WORDS,
)


def _gates(words: tuple[str, ...]) -> tuple[str, ...]:
    """`words` less each word holding another."""
    short = set(words)
    return tuple(sorted(w for w in short if not any(o != w and o in w for o in short)))


# The clients of `find_named_logons`, looked for in every text; those of `_FLAG_CLIENTS`,
# looked for only in a text holding a flag (" -", '"-'... or xfreerdp's "/p:"), the plugins
# among them only in a text holding "check_" (every Nagios check command does).
_NAMED_GATES = _gates(CLIENT_WORDS[len(_FLAG_CLIENT_WORDS) :])
_FLAG_GATES = _gates(tuple(w for w in _FLAG_CLIENT_WORDS if not w.startswith("check_")))
_PLUGIN_GATES = _gates(tuple(w for w in _FLAG_CLIENT_WORDS if w.startswith("check_")))


def has_client(folded: str) -> bool:
    """Whether the folded text holds a client of `_FLAG_CLIENTS` or `find_named_logons`:
    substring tests of the gates above, which cost less than a regex alternation of these
    words."""
    for word in _NAMED_GATES:
        if word in folded:
            return True
    if " -" in folded or '"-' in folded or "'-" in folded or "\t-" in folded or "/p:" in folded:
        for word in _FLAG_GATES:
            if word in folded:
                return True
        if "check_" in folded:
            for word in _PLUGIN_GATES:
                if word in folded:
                    return True
    return False


def find_flag_passwords(text: str, folded: str) -> list[Span]:
    """The values of the password flags of `_FLAG_CLIENTS`, on the client's line."""
    spans = []
    for words, client_re, flag_re, pair in _FLAG_CLIENTS:
        first = -1
        for word in words:  # a search starts a little before the first of the client's words
            at = folded.find(word)
            if at >= 0 and (first < 0 or at < first):
                first = at
        if first < 0:
            continue
        scope_end = 0
        for client in client_re.finditer(folded, max(0, first - 32)):
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
                if pair:  # the password after "user:", a label left there stays
                    if pair == ",":  # an unquoted value ends at ",": look in the whole word
                        run = _WORD_RE.match(text, start)
                        end = run.end() if run else end
                    colon = text.find(pair, start, end)
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
# Passwords given as a positional argument, on the folded text: the last group is the
# password's start. `htpasswd -b FILE USER PASSWORD`, `rabbitmqctl add_user USER PASSWORD`
# (and change_password), unixODBC's `isql DSN USER PASSWORD`, `wpa_passphrase SSID
# PASSPHRASE`, `net use \\\\host\\share PASSWORD /user:...` and MinIO's `mc alias set NAME
# URL ACCESS_KEY SECRET_KEY`.
_ARG = r"[ \t]++(?:'[^'\n]{0,256}+'|\"[^\"\n]{0,256}+\"|[^\s'\"-][^\s]{0,512}+)"
_POSITIONAL_RE = re.compile(
    r"(?<![a-z0-9_.\-])(?:"
    rf"htpasswd[ \t]++-[ac-z]*+b[a-z]*+{_ARG}{_ARG}"
    rf"|rabbitmqctl(?:[ \t]++-[a-z-]++(?:[ \t]++[^\s-]\S{{0,128}}+)?+){{0,4}}+"
    rf"[ \t]++(?:add_user|change_password){_ARG}"
    rf"|isql(?:[ \t]++-[a-z0-9]++){{0,8}}+{_ARG}{_ARG}"
    rf"|wpa_passphrase{_ARG}"
    rf"|net[ \t]++use(?:[ \t]++[a-z*]:)?+[ \t]++\\\\\S++"
    rf"|mc[ \t]++(?:alias[ \t]++set|config[ \t]++host[ \t]++add){_ARG}{_ARG}{_ARG}"
    r")[ \t]++(?=[^\s/-])"
)


def find_named_logons(text: str, folded: str) -> list[Span]:
    """Oracle's ``user/password``, a ``.netrc`` line's password, PowerShell's plain-text
    ``ConvertTo-SecureString`` argument and the positional passwords of `_POSITIONAL_RE`."""
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
    if any(word in folded for word in _POSITIONAL_WORDS):
        for command in _POSITIONAL_RE.finditer(folded):
            start, end = value_at(text, command.end(), None)
            if start < end:
                spans.append((start, end))
    if "convertto-securestring" in folded:
        for command in _SECURE_STRING_RE.finditer(folded):
            start, end = value_at(text, command.end(), None, quoted_only=True)
            if start < end:
                spans.append((start, end))
    return spans


# Redis AUTH: a command of its own (``AUTH password``, ``AUTH user password``, after an
# optional redis-cli prompt, to the end of its line or string), or as MONITOR prints it
# (``"AUTH" "user" "password"``). Within a line (``description = AUTH x``) only a
# secret-looking password in capitals is taken. SMTP's ``AUTH PLAIN`` names a mechanism:
# only an argument after it (its base64 credentials) is taken, and a line with more words
# is prose (``AUTH failed: WRONGPASS ...``).
_AUTH_RE = re.compile(
    r"(AUTH|auth)[ \t]++([^\s\"'\\]{1,256}+)(?:[ \t]++([^\s\"'\\]{1,256}+))?+"
    r"[ \t]*+(?=\r?\n|\Z|\\{0,15}[\"']|\\[nr])"
)
_AUTH_HEAD_RE = re.compile(r"[ \t]*+(?:[A-Za-z0-9_.:\[\]-]{0,64}+> ?+)?+")
_AUTH_MONITOR_RE = re.compile(
    r"\\{0,15}+\"(?:AUTH|auth)\\{0,15}+\"(?: \\{0,15}+\"[^\"\\\s]{0,256}+\\{0,15}+\")?"
    r" \\{0,15}+\"([^\"\\]{1,256}+)\\{0,15}+\""
)
_SASL_MECHANISMS = frozenset(
    "PLAIN LOGIN CRAM-MD5 DIGEST-MD5 XOAUTH2 OAUTHBEARER GSSAPI NTLM EXTERNAL ANONYMOUS".split()
)


def _at_line_start(text: str, position: int) -> bool:
    """Whether only blanks and a redis-cli prompt stand between `position` and the start of
    its line, string or escaped line (``\\n``)."""
    head = text[max(0, position - 80) : position]
    cut = max(head.rfind("\n"), head.rfind('"'), head.rfind("'"))
    if cut < 0 and position > 80:
        return False
    return _AUTH_HEAD_RE.fullmatch(head, cut + 1) is not None


def _auth_commands(text: str) -> list[re.Match[str]]:
    """The matches of `_AUTH_RE` at each "AUTH" or "auth" that starts a word (found by
    substring search, which costs less than the expression's scan)."""
    found = []
    for word in ("AUTH", "auth"):
        at = text.find(word)
        while at >= 0:
            if at == 0 or text[at - 1] in " \t\r\n\"'>":
                command = _AUTH_RE.match(text, at)
                if command is not None:
                    found.append(command)
            at = text.find(word, at + 4)
    return found


def find_redis_auth(text: str) -> list[Span]:
    """The password of a Redis ``AUTH`` command or MONITOR entry."""
    spans = []
    for command in _auth_commands(text):
        group = 3 if command.start(3) >= 0 else 2
        if group == 2 and command.group(2).upper() in _SASL_MECHANISMS:
            continue
        if _at_line_start(text, command.start()):
            spans.append(command.span(group))
        elif command.group(1) == "AUTH" and looks_secret(command.group(group), True):
            spans.append(command.span(group))
    if 'AUTH"' in text or "AUTH\\" in text or 'auth"' in text or "auth\\" in text:
        spans += [monitor.span(1) for monitor in _AUTH_MONITOR_RE.finditer(text)]
    return [span for span in spans if checked(text, span, None)[0] == span[0]]
