"""Secret values: where a value after a secret name ends, and which values are not secrets
(placeholders, counts, perfdata, the shell's directories).

Choices made where the right answer is not obvious:

* Values that are not secrets are left alone: empty, ``null``/``None``/``true``/``yes``
  (MySQL's ``using password: YES``), runs of ``*``, labels such as ``[REDACTED]`` and this
  product's own (so a scrubbed text is never found again), ``<redacted>``, ``${VAR}``,
  ``$VAR`` (upper case only: ``$ecret`` is taken), ``$(command)``, ``%(x)s``, ``{x}``,
  ``{{ .Values.x }}``, ``?``, a PowerShell cmdlet (``$pw = Read-Host -AsSecureString``,
  ``ConvertTo-SecureString``); but before ``;`` braces quote an ODBC value
  (``Pwd={p@ss;word};``, ``Pwd={Summer24};``), which is taken without its braces, unless
  they hold a lower-case name or an index (``Pwd={password};``, ``{0}``: a format string).
  Digits only are taken for password and secret names but not for token, key, session,
  auth... names (``token_count=5``, ``sessions=12``; a numeric OTP
  after ``token=`` is the cost). A number followed by Nagios thresholds (``=5;10;20``) is
  perfdata under any name. ``PWD``/``OLDPWD`` holding a path are the shell's directories.
  After a colon, a single lower-case word is prose, not a token, key, session or auth value
  (``failed to fetch token: timeout``, ``auth: basic``); after a password or secret name it
  is taken (``password: hunter``).
* Value extent. A quoted value (also T-SQL's ``N'x'``) is taken whole, spaces included, up
  to the matching quote:
  a run of backslashes before a quote is quoting (``\\"`` once escaped, ``\\\\\\"`` twice),
  never part of the value. It ends within 4 KiB and on the same line; a quote left open
  takes the rest of the line, up to 4 KiB (a longer value loses 4 KiB per scrubber round).
  A YAML plain value (a ``key:`` line holding only indentation before it) and an ``env``
  dump line (``NAME=value`` with another such line next to it) run to the line end, before
  a `` #`` comment; ``PGPASSWORD=x psql ...`` alone on its line is a command, its value
  ends at the space. An unquoted value ends at whitespace,
  ``, ; & " ' ` ) ] } < >`` or an escaped quote or line break (``\\n``); a connection string
  only at whitespace or a quote; ``Cookie:`` and ``Set-Cookie:`` header values run to the
  end of the line. ``Bearer x``/``Basic x`` after a secret name are taken whole.
"""

from __future__ import annotations

import re

from sanitizer.detectors.assignments.names import Name
from sanitizer.detectors.base import Span

__all__ = [
    "MAX_QUOTED",
    "OPENING_QUOTE_RE",
    "checked",
    "line_value",
    "looks_secret",
    "quoted_value",
    "value_at",
]

MAX_QUOTED = 4096

_UNQUOTED_RE = re.compile(r"(?:[^\s,;&\"'`)\]}<>\\]++|\\++(?![\"'`nrt]))++")
_WIDE_RE = re.compile(r"(?:[^\s\"'`\\]++|\\++(?![\"'`nrt]))++")
_LINE_RE = re.compile(r"(?:[^\r\n\\]++|\\++(?![\"'nrt]))++")
OPENING_QUOTE_RE = re.compile(r"(\\{0,15})(?:N(?='))?+([\"'`])")  # N'x': T-SQL Unicode
_SCHEME_PREFIX_RE = re.compile(r"\{[A-Za-z0-9._-]{1,32}\}")  # {SSHA}..., {bcrypt}...
# An ODBC value in braces (``Pwd={p;w}};d}``: "}}" is a literal "}"), ending the value.
_BRACED_RE = re.compile(r"\{(?![\"'{\s])(?:[^}\r\n]|\}\}){1,256}+\}(?=[;\s\"'`]|\Z)")
_TEMPLATE_FIELD_RE = re.compile(r"[a-z_][a-z0-9_.]{0,100}|[0-9]{1,3}")  # {password}, {0}
_AUTH_SCHEME_RE = re.compile(r"(?i:bearer|basic|token|digest|negotiate)[ \t]++(?=[\w.~+/-])")
_PLACEHOLDER_RE = re.compile(
    r"(?i:\*++|\u2022++|\?|-|\.\.\.|\u2026"
    r"|\[[a-z][a-z0-9_ .-]{0,40}\]|<[a-z][a-z0-9_ .-]{0,40}>|\([a-z][a-z0-9_ .-]{0,40}\)"
    r"|\{\{[^{}\n]{0,200}\}\}|\{[a-z_][a-z0-9_.]{0,100}\}"
    r"|\$\{[^{}\s]{1,200}\}|\$\([^()\n]{1,200}\)"
    r"|%\([a-z_][a-z0-9_]{0,100}\)[sdr]|%[sd]"
    # A PowerShell cmdlet computing the value ($pw = Read-Host -AsSecureString)
    r"|(?:convertto|convertfrom|get|read)-[a-z]{2,40}(?![a-z0-9])"
    r"|chauthtok"  # PAM's password-change type: pam_unix(passwd:chauthtok)
    r"|sig(?:term|kill|int|hup|quit|usr[12]|segv|abrt|pipe|alrm|chld|stop|cont|bus|fpe)"
    r"|(?:null|none|nil|undefined|true|false|yes|no|on|off|empty|unset|redacted|hidden|masked"
    r"|removed|omitted|filtered|required|optional|invalid|expired|missing|provided|ok|n/a)"
    r"(?![a-z0-9]))"
    r"|\$[A-Z_][A-Z0-9_]{0,100}(?![A-Za-z0-9_])"
)
_YAML_TAG_RE = re.compile(r"!![a-z]{1,16}+[ \t]++")
_NUMBER_RE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_PERFDATA_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?[A-Za-z%]{0,3}")
_PERFDATA_THRESHOLDS_RE = re.compile(r";(?:[0-9;~@.:\-]|\s|\Z)")


# What a word after a secret name and a space must not be to count as its value: a number,
# time, version or address (digits and separators), a number with a unit, an e-mail address,
# a key fingerprint, an algorithm or encoding name, a file name.
_NOT_SECRET_WORD_RE = re.compile(
    r"(?i:v?[0-9]++(?:[.:/+,_-][0-9a-z]++)*+"
    r"|[0-9]++(?:\.[0-9]++)?+[a-z%]{1,3}"
    r"|[^@\s]++@[a-z0-9-]++(?:\.[a-z0-9-]++)++"
    r"|(?:sha[0-9]*+|md5):\S*+"
    r"|(?:scram-)?+sha-?[0-9]++(?:sum)?+|md5(?:sum)?+|bcrypt|argon2[a-z]*+|pbkdf2\S*+"
    r"|aes-?[0-9]++\S*+|utf-?8|base(?:32|64)|latin-?1|x509|pkcs#?[0-9]++|tls-?v?1\S*+"
    r"|\S*+\.(?:pem|key|crt|cer|der|jks|p12|pfx|txt|conf|cfg|ini|json|ya?ml|env|properties))"
)
_WORDISH_SEGMENT_RE = re.compile(r"(?:^|[-_./:])[A-Za-z]{4,}+(?=[-_./:]|$)")


def looks_secret(word: str, lenient: bool) -> bool:
    """Whether `word`, given after a secret name and a space rather than an operator (``the
    password is x``, ``password\tx``), reads as a secret rather than as prose. `lenient`
    (password names): six characters holding a letter and a digit, or upper and lower case
    letters and a symbol. Otherwise (tokens, keys, session ids): twelve, with a letter and a
    digit and no part that is a plain word (``db-credentials-v2`` names a secret)."""
    if not 6 <= len(word) <= 256 or word[0] in "/~$%{<([#-" or word[-1] == ":":
        return False
    if "://" in word or _NOT_SECRET_WORD_RE.fullmatch(word):
        return False
    letter = any(c.isalpha() for c in word)
    digit = any(c.isdigit() for c in word)
    if lenient:
        mixed = any(c.isupper() for c in word) and any(c.islower() for c in word)
        return (letter and digit) or (mixed and not word.isalnum())
    return len(word) >= 12 and letter and digit and _WORDISH_SEGMENT_RE.search(word) is None


def quoted_value(text: str, start: int, quote: str, escapes: int) -> tuple[int, int]:
    """The value after an opening `quote` (preceded by `escapes` backslashes) at `start`:
    up to the matching closing quote, else to the line end, within `MAX_QUOTED`."""
    limit = min(len(text), start + MAX_QUOTED)
    newline = text.find("\n", start, limit)
    if newline >= 0:
        limit = newline
    cycle = 2 * escapes + 2
    position = start
    while True:
        close = text.find(quote, position, limit)
        if close < 0:
            return start, len(text[start:limit].rstrip()) + start
        run = 0
        while run < close - start and text[close - run - 1] == "\\":
            run += 1
        # Escaping doubles backslashes and adds one per level: the closing quote of a value
        # escaped `escapes` times has `escapes` more than a multiple of 2 * escapes + 2.
        if run % cycle == escapes % cycle:
            return start, close - escapes
        position = close + 1


def _is_value_end(text: str, position: int, value_re: re.Pattern[str]) -> bool:
    return value_re.match(text, position) is None


def value_at(
    text: str,
    position: int,
    name: Name | None,
    *,
    quoted_only: bool = False,
    line: bool = False,
) -> Span:
    """The value at `position` as (start, end); start == end when there is none. `line`: an
    unquoted value runs to the end of the line (before a `` #`` comment)."""
    if text.startswith("!!", position):  # a YAML tag: password: !!str x
        tag = _YAML_TAG_RE.match(text, position)
        position = tag.end() if tag else position
        line = line and text[position : position + 1] not in "[{"  # a label, a collection
    opening = OPENING_QUOTE_RE.match(text, position)
    if opening:
        span = quoted_value(text, opening.end(), opening.group(2), len(opening.group(1)))
        return checked(text, span, name)
    if quoted_only:
        return position, position
    if line or (name is not None and name.to_line_end):
        return line_value(text, position, name)
    if text.startswith("{", position):
        braced = _BRACED_RE.match(text, position)
        # A lower-case name or an index is a format string's field ("Pwd={password};",
        # "{0}"); other braces before ";" quote an ODBC value, elsewhere only what no
        # template would name ({Summer24} is a template's, {p@ss} is not).
        if (
            braced
            and not _TEMPLATE_FIELD_RE.fullmatch(text, position + 1, braced.end() - 1)
            and (
                text.startswith(";", braced.end())
                or not _PLACEHOLDER_RE.fullmatch(text, position, braced.end())
            )
        ):
            return checked(text, (position + 1, braced.end() - 1), name)
    value_re = _WIDE_RE if name is not None and name.wide else _UNQUOTED_RE
    placeholder = _PLACEHOLDER_RE.match(text, position)
    if placeholder and _is_value_end(text, placeholder.end(), value_re):
        return placeholder.end(), placeholder.end()
    start = position
    if position < len(text) and text[position] in "{[":
        scheme = _SCHEME_PREFIX_RE.match(text, position)
        if scheme is None or _is_value_end(text, scheme.end(), value_re):
            return position, position
        position = scheme.end()
    match = value_re.match(text, position)
    if match is None:
        return start, start
    end = match.end()
    scheme_word = _AUTH_SCHEME_RE.match(text, start)
    if scheme_word and scheme_word.end() >= end:
        rest = value_re.match(text, scheme_word.end())
        if rest is not None:
            end = rest.end()
    return checked(text, (start, end), name)


def line_value(text: str, start: int, name: Name | None) -> Span:
    match = _LINE_RE.match(text, start)
    if match is None:
        return start, start
    end = match.end()
    comment = text.find(" #", start, end)
    if comment >= 0:
        end = comment
    end = start + len(text[start:end].rstrip())
    return checked(text, (start, end), name)


def _is_secret_value(text: str, start: int, end: int, name: Name) -> bool:
    if _PERFDATA_RE.fullmatch(text, start, end) and _PERFDATA_THRESHOLDS_RE.match(text, end):
        return False
    if not name.strong and _NUMBER_RE.fullmatch(text, start, end):
        return False
    return not (name.working_directory and text[start] in "/~")


def checked(text: str, span: Span, name: Name | None) -> Span:
    """`span` if it holds a secret (for `name`, when known), else an empty span at its end."""
    start, end = span
    if start == end or _PLACEHOLDER_RE.fullmatch(text, start, end):
        return end, end
    # A line value that runs to the closing quote of the string holding it: the label of an
    # earlier round with that quote (``SLACK_TOKEN=[SECRET]"``) is still a label.
    if text[end - 1] in "\"'`" and _PLACEHOLDER_RE.fullmatch(text, start, end - 1):
        return end, end
    if name is not None and not _is_secret_value(text, start, end, name):
        return end, end
    return span
