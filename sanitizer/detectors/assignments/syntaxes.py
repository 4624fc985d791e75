"""The syntaxes that give a secret name its value: ``k=v``, ``k: v``, YAML, XML elements,
flags, quoted environment entries, name/value field pairs, directives.

Choices made where the right answer is not obvious:

* Syntaxes: ``k=v``, ``k: v``, ``k := v``, ``k => v``, ``"k": "v"``, ``'k': 'v'``, ``k="v"``,
  ``<k>v</k>`` (with attributes and namespace prefixes, ``<wsse:Password
  Type="...">v</wsse:Password>``, closing tag required), ``--k v``, ``--k=v``,
  ``["--k", "v"]``, ``- --k`` then ``- v`` (YAML list items, container args), ``k 'v'``
  and ``k('v')`` for password, token and key names only (``set password 'x'``, SQL
  ``PASSWORD 'x'``, ``invalid token "x"``; Kubernetes' ``secret "db-creds" not found``
  names a secret), ``"K=v w"`` (an environment entry inside a quoted string), YAML ``k:``
  with the value on the next indented line or a ``|`` block, a name given as the value of a
  ``name``/``key`` field followed by a ``value`` field (Kubernetes and ECS env lists,
  ``<add key=.. value=..>``, ``<property name="password">x</property>``,
  ``<name>fs.s3a.secret.key</name><value>x</value>`` of Hadoop's XML, a ``tag``,
  ``property`` or ``setting`` field too), a quoted name as a call's first argument and a
  quoted value as its second (``define('DB_PASSWORD', 'x')``, ``setProperty("k", "v")``,
  ``os.Setenv``), a secret-looking word after the name, a space and maybe some prose
  (``the password is x``, ``password for user app was set to x``, ``password<TAB>x``,
  ``| password | x |``; see `values.looks_secret`), the
  ``requirepass``/``masterauth``/``bindpw``/``rootpw`` directives, SQL ``IDENTIFIED BY
  'x'`` (unquoted only when written in capitals), and ``-pX``/``-p X`` on a mysql,
  mariadb, check_mysql, check_pgsql or sshpass command line, ``-a X`` on a redis-cli one
  (and the other clients of `commands`). A ``=`` value never continues on the next line
  (``PASSWORD=`` then ``HOME=/root`` is an empty password). A value that is itself a secret
  name given a value (``token = password = x``) is searched as a name too. A YAML flow
  collection (``credentials: {}``, ``auth: {type: basic}``) is not a value: the names
  inside it are searched.
"""

from __future__ import annotations

import re

from sanitizer.detectors.assignments.names import Name
from sanitizer.detectors.assignments.values import (
    MAX_QUOTED,
    OPENING_QUOTE_RE,
    checked,
    line_value,
    looks_secret,
    quoted_value,
    value_at,
)
from sanitizer.detectors.base import Span

__all__ = ["SEPARATOR_RE", "after_name"]

_PROSE_WORD_RE = re.compile(r"[a-z]{1,24}")
_KEY_CLOSE_RE = re.compile(r"\\{0,15}[\"'`]\]?|\]")
# "::" then a space: LDIF's base64 value (userPassword:: e1NTSEF9...), not C++'s Foo::bar.
SEPARATOR_RE = re.compile(r"[ \t]{0,32}(:=|=>|==|=|::(?=[ \t])|:(?!:)|->)[ \t]{0,32}")
# Read backwards from a name's start (see `_before`): the line holds only indentation
# (YAML: spaces and a list dash) or the name is the value of a name/key field.
_YAML_KEY_LINE_BACK_RE = re.compile(r"[\"']?(?:[ ]++-)?[ ]{0,64}+(?:\n|\Z)")
_LINE_START_BACK_RE = re.compile(r"[ \t]{0,32}+(?:\n|\Z)")
_NAME_FIELD_BACK_RE = re.compile(
    r"[\"'`]?\\{0,15}+[ \t]{0,16}+(?::|>?=)[ \t]{0,16}+[\"'`]?\\{0,15}+"
    r"(?:eman|yek|yek_?retemarap|eman_?retemarap|marap|elbairav|rav|eman_?vne|dleif|gat"
    r"|ytreporp|gnittes)"
    r"(?:[^a-z0-9_]|\Z)"
)
_YAML_NEXT_LINE_RE = re.compile(r"(?:([|>])[+-]?[0-9]?)?[ \t]*\r?\n[ ]{1,64}(?=\S)")
_ENV_NAME_RE = re.compile(r"[A-Z_][A-Z0-9_]*+")  # `env` prints NAME=value, spaces and all
_ENV_LINE_RE = re.compile(r"[ \t]*+(?:export[ \t]++)?[A-Z_][A-Z0-9_]*+=")
_YAML_FLOW_RE = re.compile(r"\[|\{[ \t]*+(?:\}|[^\s{}:,]{1,128}+:[ \t])")  # not {SSHA}...
_YAML_NOT_A_VALUE_RE = re.compile(r"[^\s:]{1,128}:(?:\s|\Z)|-\s|#|[{\[]")
_FLAG_GAP_RE = re.compile(r"\\{0,15}[\"'`][ \t]*,[ \t]*(?=\\{0,15}[\"'`])|[ \t]{1,16}")
_SPACED_QUOTE_RE = re.compile(r"[ \t]{1,16}(?=\\{0,15}[\"'])|\([ \t]*(?=[\"'])")
_DIRECTIVE_GAP_RE = re.compile(r"[ \t]{1,16}")
# Prose or a table between a secret name and its value: "the password is x", "password for
# user app was set to x", "Generated password for admin: x", "password\tx", "| password | x".
_SPACED_GAP_RE = re.compile(
    r"(?i:[ \t]*+\|[ \t]*+(?=\S)"
    r"|(?:[ \t]++(?:for[ \t]++(?:user[ \t]++|account[ \t]++|login[ \t]++)?+[^\s:]{1,64}+"
    r"|is|was|were|are|has|have|had|been|be|set|to|changed|reset|updated|now|as|of|id)"
    r"(?![^\s:])){0,6}+(?:[ \t]*+:)?+[ \t]++(?=\S))"
)
_TRAILING_PUNCTUATION = ".,:!?"
# A name that is itself the value of a name/key field, and the value field after it.
_VALUE_FIELD_RE = re.compile(
    r"(?i)\\{0,15}[\"'`]?[ \t]*(?:[,;][ \t]*)?(?:\r?\n[ \t]{0,64}|[ \t]*)"
    r"\\{0,15}[\"'`]?(?:value|val|parameter_?value)\\{0,15}[\"'`]?[ \t]*(?::|=>?)[ \t]*"
)
_ELEMENT_TEXT_RE = re.compile(r"\\{0,15}[\"'`][^<>\n]{0,256}+(?<!/)>")
_START_TAG_REST_RE = re.compile(r"(?:[ \t\r\n][^<>]{0,256})?(?<!/)>")
_FLAG_BEFORE = frozenset(" \t\r\n\"'[(,=")
# A flag alone in a YAML list item (container args), its value the next item:
# "- --password" then "- x".
_YAML_ITEM_START_RE = re.compile(r"[ \t]*+-[ \t]++[\"']?+")
_YAML_NEXT_ITEM_RE = re.compile(r"[\"']?+[ \t]*+\r?\n[ \t]{0,64}+-[ \t]{1,16}+")
# Hadoop-style configuration XML: <name>fs.s3a.secret.key</name> then <value>x</value>.
_XML_VALUE_ELEMENT_RE = re.compile(r"(?i:</(?:name|key)>)\s{0,64}+(?i:<value>)")
_NAMESPACE_PREFIX_RE = re.compile(r"<([A-Za-z_][A-Za-z0-9_.-]{0,31}+):")  # <wsse:Password>

# A pattern read backwards (see `_before`), its window, the characters it may match right
# before the name, and the last character before those it needs ("" for the window's start).
_Back = tuple[re.Pattern[str], int, str, tuple[str, ...]]
_NAME_FIELD_BACK: _Back = (_NAME_FIELD_BACK_RE, 100, " \t\"'`\\", (":", "=", ">"))
_LINE_START_BACK: _Back = (_LINE_START_BACK_RE, 40, " \t", ("", "\n"))
# A quoted name as a call's first argument: define('DB_PASSWORD', 'x'), setProperty("k", "v").
_CALL_BACK: _Back = (re.compile(r"[\"'`]\\{0,15}+[ \t]{0,16}+\("), 40, " \t\"'`\\", ("(",))
_ESCAPED_LINE_BREAK_RE = re.compile(r"\\++[nr]")
_FIELD_NAME_RE = re.compile(r"[a-z_]{1,64}")
_CALL_COMMA_RE = re.compile(r"[ \t]*+,[ \t]*+(?=\\{0,15}+[\"'`])")
_YAML_KEY_LINE_BACK: _Back = (_YAML_KEY_LINE_BACK_RE, 140, " -\"'", ("", "\n"))


def _before(text: str, position: int, backwards: _Back) -> bool:
    """Whether `backwards` matches the text before `position` read backwards, within its
    width: a match that runs into the edge of a window cut short does not count. Most names
    fail the cheap gate first: what is left of the window once the pattern's padding is
    stripped off its end must end in one of the characters the pattern needs there."""
    pattern, width, padding, needed = backwards
    reach = text[max(0, position - width) : position]
    if reach.rstrip(padding)[-1:] not in needed:
        return False
    window = reach[::-1].lower()
    match = pattern.match(window)
    return match is not None and (position <= width or match.end() < len(window))


def _element_text(text: str, position: int, closing: str | None) -> Span:
    """The trimmed text from `position` up to the next "<", which must open `closing`'s end
    tag when given."""
    less = text.find("<", position, position + MAX_QUOTED)
    if less < 0:
        return position, position
    if closing is not None:
        tag = text[less + 2 : less + 2 + len(closing)]
        if not text.startswith("</", less) or tag.lower() != closing.lower():
            return position, position
    raw = text[position:less]
    start = position + len(raw) - len(raw.lstrip())
    return start, start + len(raw[start - position :].rstrip())


def after_name(text: str, start: int, end: int, name: Name, dashes: int) -> Span:
    """The value of the secret name `text[start:end]`, as (start, end), empty if none."""
    if _before(text, start, _NAME_FIELD_BACK):
        field = _VALUE_FIELD_RE.match(text, end)
        if field:
            return value_at(text, field.end(), name, line="\n" in field.group())
        element = _ELEMENT_TEXT_RE.match(text, end)
        if element:
            return checked(text, _element_text(text, element.end(), None), name)
    if text.endswith(("<name>", "<key>"), max(0, start - 6), start):
        value = _XML_VALUE_ELEMENT_RE.match(text, end)
        if value:
            return checked(text, _element_text(text, value.end(), "value"), name)
    tag_name = _tag_name(text, start, end) if not dashes else None
    if tag_name is not None:
        tag = _START_TAG_REST_RE.match(text, end)
        if tag:
            span = checked(text, _element_text(text, tag.end(), tag_name), name)
            if span[0] < span[1]:
                return span
    position = end
    key_close = _KEY_CLOSE_RE.match(text, position)
    if key_close:
        position = key_close.end()
    if key_close and key_close.group()[-1] in "\"'`" and _before(text, start, _CALL_BACK):
        comma = _CALL_COMMA_RE.match(text, position)
        if comma:  # not a list of field names: validate("password", "email")
            span = value_at(text, comma.end(), name, quoted_only=True)
            if _FIELD_NAME_RE.fullmatch(text, *span):
                return span[1], span[1]
            return span
    separator = SEPARATOR_RE.match(text, position)
    if separator:
        span = _after_separator(text, start - dashes, end, separator, name, bool(key_close))
        if separator.group(1) == ":" and not name.strong and _PROSE_WORD_RE.fullmatch(text, *span):
            return span[0], span[0]  # "failed to fetch token: timeout", "auth: basic"
        if separator.group(1) == ":" and _is_program_message(text, start, end, span):
            return span[1], span[1]
        return span
    if dashes and _is_yaml_item(text, start - dashes):
        item = _YAML_NEXT_ITEM_RE.match(text, position)
        if item:
            return value_at(text, item.end(), name, line=True)
    if dashes and (start - dashes == 0 or text[start - dashes - 1] in _FLAG_BEFORE):
        gap = _FLAG_GAP_RE.match(text, end)
        if gap and not text.startswith("-", gap.end()):
            return value_at(text, gap.end(), name, quoted_only=gap.group()[0] not in " \t")
    spaced = _SPACED_QUOTE_RE.match(text, position) if name.quoted_after_space else None
    if spaced:
        return value_at(text, spaced.end(), name, quoted_only=True)
    if name.directive and _before(text, start, _LINE_START_BACK):
        gap = _DIRECTIVE_GAP_RE.match(text, end)
        if gap:
            return value_at(text, gap.end(), name)
    if name.spaced and not dashes:
        return _spaced_value(text, start, end, name)
    return end, end


def _spaced_value(text: str, name_start: int, end: int, name: Name) -> Span:
    """A secret-looking word after the name, a space and maybe some prose (`_SPACED_GAP_RE`):
    without an operator, only a word that reads as a secret is taken (`looks_secret`). A "|"
    separates table cells only in a table row (``| password | x |``, psql's `` password | x``),
    not in a pipeline (``echo $password | base64``)."""
    gap = _SPACED_GAP_RE.match(text, end)
    if gap is None:
        return end, end
    if "|" in gap.group() and not (
        text[max(0, name_start - 8) : name_start].rstrip()[-1:] == "|"
        or _before(text, name_start, _LINE_START_BACK)
    ):
        return end, end
    start, value_end = value_at(text, gap.end(), name)
    quoted = start > gap.end()
    while value_end > start and text[value_end - 1] in _TRAILING_PUNCTUATION and not quoted:
        value_end -= 1
    if start < value_end and (
        (quoted and name.quoted_after_space)
        or looks_secret(text[start:value_end], name.strong and name.quoted_after_space)
    ):
        return start, value_end
    return end, end


# Programs named after passwords, whose messages open with their name and a colon.
_PROGRAMS = frozenset(
    """passwd chpasswd htpasswd gpasswd smbpasswd kpasswd ldappasswd vncpasswd mkpasswd
    yppasswd lppasswd saslpasswd saslpasswd2 chgpasswd""".split()
)
_PROSE_RE = re.compile(r"[A-Za-z(][a-z)]*+(?: [a-z(][a-z()/]*+)++[.!]?")


def _is_program_message(text: str, start: int, end: int, span: Span) -> bool:
    """Whether ``name: value`` is a message of a password program, in words rather than a
    value: ``passwd: all authentication tokens updated successfully.``, ``htpasswd: cannot
    modify file``; cloud-init's ``passwd: $6$...`` is a value."""
    return text[start:end].lower() in _PROGRAMS and _PROSE_RE.match(text, span[0]) is not None


def _tag_name(text: str, start: int, end: int) -> str | None:
    """The element name when the name at [start, end) opens a start tag: ``<password`` or,
    with a namespace prefix, ``<wsse:Password`` (SOAP's WS-Security)."""
    if start > 0 and text[start - 1] == "<":
        return text[start:end]
    if start > 1 and text[start - 1] == ":":
        lt = text.rfind("<", max(0, start - 34), start)
        prefix = _NAMESPACE_PREFIX_RE.fullmatch(text, lt, start) if lt >= 0 else None
        if prefix is not None:
            return text[lt + 1 : end]
    return None


def _is_yaml_item(text: str, flag_start: int) -> bool:
    """Whether the flag at `flag_start` is alone after a YAML list dash on its line."""
    line_start = text.rfind("\n", max(0, flag_start - 80), flag_start) + 1
    if line_start == 0 and flag_start > 80:
        return False
    return _YAML_ITEM_START_RE.fullmatch(text, line_start, flag_start) is not None


def _after_separator(
    text: str, name_start: int, name_end: int, separator: re.Match[str], name: Name, quoted: bool
) -> Span:
    """The value after ``name=``, ``name:``...; `quoted`: the name had a closing quote."""
    position = separator.end()
    operator = separator.group(1)
    if (
        operator == ":"
        and not name.to_line_end
        and (position == len(text) or text[separator.start(1) + 1] in " \t\r\n")
        and _before(text, name_start, _YAML_KEY_LINE_BACK)
    ):
        # A YAML mapping: a plain value runs to the line end, or starts on the next line.
        next_line = _YAML_NEXT_LINE_RE.match(text, position)
        if next_line is None:
            if _YAML_FLOW_RE.match(text, position):
                return position, position  # a flow collection: its own names are searched
            return value_at(text, position, name, line=True)
        if next_line.group(1):  # a | or > block: its first line
            return line_value(text, next_line.end(), name)
        if _YAML_NOT_A_VALUE_RE.match(text, next_line.end()):
            return position, position
        return value_at(text, next_line.end(), name, line=True)
    opening = name_start - 1
    if (
        separator.group().strip() in ("=", ":")
        and not quoted
        and opening >= 0
        and text[opening] in "\"'"
        and not OPENING_QUOTE_RE.match(text, position)
    ):
        # "DB_PASSWORD=x y" or -H 'X-Api-Key: x y' inside a quoted string: the value runs
        # to the closing quote.
        escapes = 0
        while escapes < 15 and opening - escapes > 0 and text[opening - escapes - 1] == "\\":
            escapes += 1
        start, end = quoted_value(text, position, text[opening], escapes)
        # An escaped line break ends the value too: "A=1\nDB_PASSWORD=x\nHOME=/root" in JSON.
        line_break = _ESCAPED_LINE_BREAK_RE.search(text, start, end)
        return checked(text, (start, line_break.start() if line_break else end), name)
    env_line = (
        separator.group() == "="
        and _ENV_NAME_RE.fullmatch(text, name_start, name_end) is not None
        and _before(text, name_start, _LINE_START_BACK)
        and _in_env_dump(text, name_start)
    )
    return value_at(text, position, name, line=env_line)


def _in_env_dump(text: str, line_start: int) -> bool:
    """Whether the line before or after the one at `line_start` is a NAME=value line too (an
    `env` dump, where values run to the line end, unlike ``PGPASSWORD=x psql ...``)."""
    if line_start > 0:
        previous = text.rfind("\n", 0, line_start - 1) + 1
        if _ENV_LINE_RE.match(text, previous):
            return True
    following = text.find("\n", line_start)
    return following >= 0 and _ENV_LINE_RE.match(text, following + 1) is not None
