"""`secret_assignment`: a value assigned to a secret-sounding name, in any syntax.

Only the value is replaced, so ``DB_PASSWORD=[SECRET]`` still says what was there.

Choices made where the right answer is not obvious:

* Names. A name is a run of letters, digits, ``_``, ``-`` and ``.``, split into words at
  those separators and at camelCase humps (``dbPassword``, ``X-Api-Key``). It is secret when a
  word holds, anywhere in it, ``password``, ``passwd``, ``passphrase``, ``passcode``, ``pwd``,
  ``secret``, ``token``, ``credential(s)``, ``creds``, ``cookie``, ``signature``, a connection
  string (``connection_string``, ``connstr``) or a compound key (``api_key``, ``apikey``,
  ``private_key``, ``secret_key``, ``access_key``, ``auth_key``, ``account_key``...). Short
  words count only as a whole word or after a known prefix: ``pass`` (``DB_PASS``,
  ``--pass``, ``storepass``, ``requirepass``, not ``passenger``, ``bypass``, ``compass``),
  ``pw`` (``bind_pw``, ``bindpw``, ``rootpw``), ``auth`` (``REDISCLI_AUTH``, ``masterauth``,
  not ``author``), ``sig``, ``psk``, ``session`` (``sessionid``, ``JSESSIONID``,
  ``PHPSESSID``): cookies and session ids are credentials. A lone ``key`` is not (routing
  keys, primary keys, Nagios ``key=value``), nor is ``salt`` (SaltStack) or ``sid``
  (Oracle). These facts follow gitleaks' generic-api-key rule and detect-secrets'
  KeywordDetector.
* Benign names. A word glued after the secret word must be a plural, a digit or a
  value-ish word (``passwordHash``, ``session_id``): ``tokenizer``, ``secretary``,
  ``passwordless`` are not secrets. A following word that describes the secret rather than
  holding it makes the name benign: ``password_file``, ``token_ttl``, ``token_type``,
  ``secretName``, ``secretKeyRef``, ``auth_method``, ``password_expiry_days`` (counts,
  lengths, times, paths, names, types, policies, states...). ``id`` makes key and token
  names benign (``access_key_id``: key *ids* are identifiers, and ``aws_access_key`` finds
  AKIA/ASIA ids anyway) but not ``session_id`` or Vault's ``secret_id``. A name opening with
  ``no``, ``max``, ``num``, ``has``, ``ask``, ``use``... is a flag or a count
  (``--no-password``, ``--ask-vault-pass``, ``max_tokens``); one ending in a source or
  config file extension is a file (``PasswordUtils.java:42`` in a stack trace).
* Values that are not secrets are left alone: empty, ``null``/``None``/``true``/``yes``
  (MySQL's ``using password: YES``), runs of ``*``, labels such as ``[REDACTED]`` and this
  product's own (so a scrubbed text is never found again), ``<redacted>``, ``${VAR}``,
  ``$VAR`` (upper case only: ``$ecret`` is taken), ``$(command)``, ``%(x)s``, ``{x}``,
  ``{{ .Values.x }}``, ``?``. Digits only are taken for password and secret names but not for
  token, key, session, auth... names (``token_count=5``, ``sessions=12``; a numeric OTP
  after ``token=`` is the cost). A number followed by Nagios thresholds (``=5;10;20``) is
  perfdata under any name. ``PWD``/``OLDPWD`` holding a path are the shell's directories.
  After a colon, a single lower-case word is prose, not a token, key, session or auth value
  (``failed to fetch token: timeout``, ``auth: basic``); after a password or secret name it
  is taken (``password: hunter``).
* Value extent. A quoted value is taken whole, spaces included, up to the matching quote:
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
* Syntaxes: ``k=v``, ``k: v``, ``k := v``, ``k => v``, ``"k": "v"``, ``'k': 'v'``, ``k="v"``,
  ``<k>v</k>`` (with attributes, closing tag required), ``--k v``, ``--k=v``,
  ``["--k", "v"]``, ``k 'v'`` and ``k('v')`` for password, token and key names only
  (``set password 'x'``, SQL ``PASSWORD 'x'``, ``invalid token "x"``; Kubernetes'
  ``secret "db-creds" not found`` names a secret),
  ``"K=v w"`` (an environment entry inside a quoted string), YAML ``k:`` with the value on
  the next indented line or a ``|`` block, a name given as the value of a ``name``/``key``
  field followed by a ``value`` field (Kubernetes and ECS env lists, ``<add key=.. value=..>``,
  ``<property name="password">x</property>``), the ``requirepass``/``masterauth``/``bindpw``/
  ``rootpw`` directives, SQL ``IDENTIFIED BY 'x'`` (unquoted only when written in capitals),
  and ``-pX``/``-p X`` on a mysql, mariadb, check_mysql, check_pgsql or sshpass command line,
  ``-a X`` on a redis-cli one. A ``=`` value never continues on the next line
  (``PASSWORD=`` then ``HOME=/root`` is an empty password). A value that is itself a secret
  name given a value (``token = password = x``) is searched as a name too.

Work is linear: one search for the trigger literals on a lower-cased copy (the same length:
the dotted capital I, the only letter that lengthens, is folded first, so spans taken from
it are valid), then per secret word a bounded name (128 characters), bounded windows around
it, and a value after which the search resumes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sanitizer.detectors.base import Detector, Span, union

__all__ = ["DETECTORS"]

_MAX_NAME = 128
_MAX_QUOTED = 4096

# --- Names ------------------------------------------------------------------------------------

# Lower-case literals: every secret name holds a core word, every client command or SQL
# phrase a trigger. Factored by first letter, which the regex engine scans fastest.
_CORE = r"p(?:ass|w|sk)|s(?:ecret|ess|ig)|token|key|auth|c(?:red|ookie|onn(?:ection)?[_.\-]?str)"
_CORE_RE = re.compile(_CORE)
_TRIGGER_RE = re.compile(rf"{_CORE}|m(?:ysql|ariadb)|pgsql|redis-cli|identified")
_NAME_RUN_RE = re.compile(r"[a-z0-9_.\-]*+")
_NAME_RUN_BACK_RE = re.compile(rf"[a-z0-9_.\-]{{0,{_MAX_NAME + 1}}}+")
_CAMEL_PARTS_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

_KEY_PREFIXES = (
    "api|private|priv|secret|access|auth|org|client|service|account|encryption|encrypt|master"
    "|signing|sign|app|application|ssh|storage|shared|license|licence|session|db|database"
    "|admin|subscription|functions|function|webhook|hmac|aes|gpg|pgp|consumer|pass|jwt|cookie"
    "|crypt|crypto|cipher|enc|sas|primary|secondary"
)
# On the normalised name: lower-case words joined by "_". Each group is one family; a
# look-behind marks words that must start a word (or follow the listed prefixes).
_WORD_RE = re.compile(
    rf"(?P<key>(?:{_KEY_PREFIXES})_?key)"
    r"|(?P<password>passwords?|passwd|passphrase|passcode|passwort|contrasena|pwd"
    r"|(?<![a-z0-9])(?:(?:src|dest)?(?:store|key)|db|root|admin|irc|bind|user|ftp|smtp|mail"
    r"|proxy|sudo|vault|become|ssh|login|master|require)?pass(?:in|out)?(?![a-z])"
    r"|(?<![a-z0-9])(?:bind|root|db|user|admin|ldap)?pw(?![a-z])"
    r"|(?<![a-z0-9])(?:wpa|ipsec)?psk(?![a-z]))"
    r"|(?P<secret>secret)"
    r"|(?P<token>token)"
    r"|(?P<credential>credentials?|creds?)"
    r"|(?P<session>(?<![a-z0-9])(?:j|php|asp|x|user|web|login|auth)?sess(?:ion)?"
    r"(?:s|ids?|key|token)?(?![a-z]))"
    r"|(?P<cookie>cookie)"
    r"|(?P<signature>signature|(?<![a-z0-9])sig(?![a-z]))"
    r"|(?P<connstr>conn(?:ection)?_?str(?:ing)?)"
    r"|(?P<auth>(?<![a-z0-9])(?:x|proxy|http|basic|master)?auth(?![a-z]))"
)
_GLUED_AFTER_RE = re.compile(r"[a-z]*")
# What may be glued right after a secret word: it still holds the secret.
_CONTINUATIONS = frozenset(
    "s es hash hashed value val data string str b64 base64 hex enc encoded encrypted crypt"
    " crypted plain plaintext text raw base confirm confirmation again new old"
    # environment suffixes (vaultclientsecretprod, dbpasswordstaging)
    " prod production prd dev development stage staging stg test testing qa uat live".split()
)
# Words that describe a secret rather than hold it: a name with one after its secret word
# (glued or separate) is benign.
_QUALIFIERS = frozenset(
    """count counts cnt num number total length len size bytes bits ttl expiry expires expire
    expired expiration exp expiresin expiring lifetime age timeout interval period duration
    days day hours hour hrs minutes minute mins seconds second secs sec ms millis in at date
    time timestamp ts type types kind file files filename filepath path paths dir directory
    folder location loc name names ref refs source src min max minimum maximum limit limits
    policy policies rotation rotated rotate changed change updated created last reset reuse
    history strength complexity format fmt algorithm algo alg method methods mode scheme
    schemes provider providers plugin plugins backend engine mount enabled disabled enable
    disable required require needed set present exists exist valid validation validated
    validity invalid ok status state error errors failed failure failures fail fails attempts
    attempt retries retry hint prompt label url uri endpoint host hostname server port header
    headers field fields param params parameter env var variable version usage used bucket
    rate manager service store cache user username login prefix suffix cmd command script
    program issuer audience scope scopes lock locked lockout warning warn mask masked generator
    helper""".split()
)
_ID_QUALIFIERS = frozenset({"id", "ids", "uuid", "identifier"})
# A first word that makes the name a flag or a count.
_NEGATIONS = frozenset(
    """no not without skip ask use has have require requires need needs prompt allow disable
    disabled enable enabled show hide is must should max min num total last""".split()
)
# A file name (``PasswordUtils.java:42`` in a stack trace, ``token.go:10``), not a secret name.
_SOURCE_FILE_RE = re.compile(
    r"(?i)\.(?:java|kt|scala|groovy|py|rb|go|js|ts|php|cs|c|cc|cpp|h|rs|class|jar|xml|ya?ml"
    r"|json|conf|cfg|ini|properties|pem|crt|txt|log|sh)\Z"
)
_DIRECTIVES = frozenset({"requirepass", "masterauth", "bindpw", "rootpw"})


@dataclass(frozen=True)
class _Name:
    """What a secret name says about its value."""

    strong: bool  # a password or secret may be anything; a token is no count and no word
    to_line_end: bool  # Cookie: header values
    wide: bool  # connection strings hold ; & and ,
    working_directory: bool  # PWD / OLDPWD
    directive: bool  # `requirepass VALUE` config lines
    quoted_after_space: bool  # `PASSWORD 'x'`, `token "x"`; not `secret "name" not found`


def _run_end(run: re.Pattern[str], text: str, position: int) -> int:
    """Where `run` (a pattern that may match nothing) stops, from `position`."""
    match = run.match(text, position)
    return position if match is None else match.end()


def _words(name: str) -> list[str]:
    return [part.lower() for part in _CAMEL_PARTS_RE.findall(name)]


@lru_cache(maxsize=4096)
def _classify(name: str) -> _Name | None:
    """The secret name `name` (separators and camelCase allowed), or None if it is not one."""
    words = _words(name)
    if not words or words[0] in _NEGATIONS or _SOURCE_FILE_RE.search(name):
        return None
    normalised = "_".join(words)
    for match in reversed(list(_WORD_RE.finditer(normalised))):
        family = match.lastgroup
        glued = normalised[match.end() : _run_end(_GLUED_AFTER_RE, normalised, match.end())]
        if glued in _QUALIFIERS:
            return None
        if glued and glued not in _CONTINUATIONS:
            continue
        later = normalised[match.end() + len(glued) :].split("_")
        if any(word in _QUALIFIERS for word in later):
            return None
        if family not in ("session", "secret") and any(w in _ID_QUALIFIERS for w in later):
            return None
        return _Name(
            strong=family in ("password", "secret"),
            to_line_end=family == "cookie",
            wide=family == "connstr",
            working_directory=normalised in ("pwd", "oldpwd"),
            directive=normalised.replace("_", "") in _DIRECTIVES,
            quoted_after_space=family in ("password", "token", "key"),
        )
    return None


# --- Values -----------------------------------------------------------------------------------

_UNQUOTED_RE = re.compile(r"(?:[^\s,;&\"'`)\]}<>\\]++|\\++(?![\"'`nrt]))++")
_WIDE_RE = re.compile(r"(?:[^\s\"'`\\]++|\\++(?![\"'`nrt]))++")
_LINE_RE = re.compile(r"(?:[^\r\n\\]++|\\++(?![\"'nrt]))++")
_OPENING_QUOTE_RE = re.compile(r"(\\{0,15})([\"'`])")
_SCHEME_PREFIX_RE = re.compile(r"\{[A-Za-z0-9._-]{1,32}\}")  # {SSHA}..., {bcrypt}...
_AUTH_SCHEME_RE = re.compile(r"(?i:bearer|basic|token|digest|negotiate)[ \t]++(?=[\w.~+/-])")
_PLACEHOLDER_RE = re.compile(
    r"(?i:\*++|\u2022++|\?|-|\.\.\.|\u2026"
    r"|\[[a-z][a-z0-9_ .-]{0,40}\]|<[a-z][a-z0-9_ .-]{0,40}>"
    r"|\{\{[^{}\n]{0,200}\}\}|\{[a-z_][a-z0-9_.]{0,100}\}"
    r"|\$\{[^{}\s]{1,200}\}|\$\([^()\n]{1,200}\)"
    r"|%\([a-z_][a-z0-9_]{0,100}\)[sdr]|%[sd]"
    r"|(?:null|none|nil|undefined|true|false|yes|no|on|off|empty|unset|redacted|hidden|masked"
    r"|removed|omitted|filtered|required|optional|invalid|expired|missing|provided|ok|n/a)"
    r"(?![a-z0-9]))"
    r"|\$[A-Z_][A-Z0-9_]{0,100}(?![A-Za-z0-9_])"
)
_NUMBER_RE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_PROSE_WORD_RE = re.compile(r"[a-z]{1,24}")
_PERFDATA_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?[A-Za-z%]{0,3}")
_PERFDATA_THRESHOLDS_RE = re.compile(r";(?:[0-9;~@.:\-]|\s|\Z)")


def _quoted(text: str, start: int, quote: str, escapes: int) -> tuple[int, int]:
    """The value after an opening `quote` (preceded by `escapes` backslashes) at `start`:
    up to the matching closing quote, else to the line end, within `_MAX_QUOTED`."""
    limit = min(len(text), start + _MAX_QUOTED)
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


def _value(
    text: str,
    position: int,
    name: _Name | None,
    *,
    quoted_only: bool = False,
    line: bool = False,
) -> Span:
    """The value at `position` as (start, end); start == end when there is none. `line`: an
    unquoted value runs to the end of the line (before a `` #`` comment)."""
    opening = _OPENING_QUOTE_RE.match(text, position)
    if opening:
        span = _quoted(text, opening.end(), opening.group(2), len(opening.group(1)))
        return _checked(text, span, name)
    if quoted_only:
        return position, position
    if line or (name is not None and name.to_line_end):
        return _line_value(text, position, name)
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
    return _checked(text, (start, end), name)


def _line_value(text: str, start: int, name: _Name | None) -> Span:
    match = _LINE_RE.match(text, start)
    if match is None:
        return start, start
    end = match.end()
    comment = text.find(" #", start, end)
    if comment >= 0:
        end = comment
    end = start + len(text[start:end].rstrip())
    return _checked(text, (start, end), name)


def _is_secret_value(text: str, start: int, end: int, name: _Name) -> bool:
    if _PERFDATA_RE.fullmatch(text, start, end) and _PERFDATA_THRESHOLDS_RE.match(text, end):
        return False
    if not name.strong and _NUMBER_RE.fullmatch(text, start, end):
        return False
    return not (name.working_directory and text[start] in "/~")


def _checked(text: str, span: Span, name: _Name | None) -> Span:
    """`span` if it holds a secret (for `name`, when known), else an empty span at its end."""
    start, end = span
    if start == end or _PLACEHOLDER_RE.fullmatch(text, start, end):
        return end, end
    if name is not None and not _is_secret_value(text, start, end, name):
        return end, end
    return span


# --- Syntaxes around a name -------------------------------------------------------------------

_KEY_CLOSE_RE = re.compile(r"\\{0,15}[\"'`]\]?|\]")
_SEPARATOR_RE = re.compile(r"[ \t]{0,32}(:=|=>|==|=|:(?!:)|->)[ \t]{0,32}")
# Read backwards from a name's start (see `_before`): the line holds only indentation
# (YAML: spaces and a list dash) or the name is the value of a name/key field.
_YAML_KEY_LINE_BACK_RE = re.compile(r"[\"']?(?:[ ]++-)?[ ]{0,64}+(?:\n|\Z)")
_LINE_START_BACK_RE = re.compile(r"[ \t]{0,32}+(?:\n|\Z)")
_NAME_FIELD_BACK_RE = re.compile(
    r"[\"'`]?\\{0,15}+[ \t]{0,16}+(?::|>?=)[ \t]{0,16}+[\"'`]?\\{0,15}+"
    r"(?:eman|yek|yek_?retemarap|eman_?retemarap|marap|elbairav|rav|eman_?vne|dleif)"
    r"(?:[^a-z0-9_]|\Z)"
)
_YAML_NEXT_LINE_RE = re.compile(r"(?:([|>])[+-]?[0-9]?)?[ \t]*\r?\n[ ]{1,64}(?=\S)")
_ENV_NAME_RE = re.compile(r"[A-Z_][A-Z0-9_]*+")  # `env` prints NAME=value, spaces and all
_ENV_LINE_RE = re.compile(r"[ \t]*+(?:export[ \t]++)?[A-Z_][A-Z0-9_]*+=")
_YAML_NOT_A_VALUE_RE = re.compile(r"[^\s:]{1,128}:(?:\s|\Z)|-\s|#|[{\[]")
_FLAG_GAP_RE = re.compile(r"\\{0,15}[\"'`][ \t]*,[ \t]*(?=\\{0,15}[\"'`])|[ \t]{1,16}")
_SPACED_QUOTE_RE = re.compile(r"[ \t]{1,16}(?=\\{0,15}[\"'])|\([ \t]*(?=[\"'])")
_DIRECTIVE_GAP_RE = re.compile(r"[ \t]{1,16}")
# A name that is itself the value of a name/key field, and the value field after it.
_VALUE_FIELD_RE = re.compile(
    r"(?i)\\{0,15}[\"'`]?[ \t]*(?:[,;][ \t]*)?(?:\r?\n[ \t]{0,64}|[ \t]*)"
    r"\\{0,15}[\"'`]?(?:value|val|parameter_?value)\\{0,15}[\"'`]?[ \t]*(?::|=>?)[ \t]*"
)
_ELEMENT_TEXT_RE = re.compile(r"\\{0,15}[\"'`][^<>\n]{0,256}+(?<!/)>")
_START_TAG_REST_RE = re.compile(r"(?:[ \t\r\n][^<>]{0,256})?(?<!/)>")
_FLAG_BEFORE = frozenset(" \t\r\n\"'[(,=")


def _before(text: str, position: int, backwards: re.Pattern[str], width: int) -> bool:
    """Whether `backwards` matches the text before `position` read backwards, within `width`
    characters: a match that runs into the edge of a window cut short does not count."""
    window = text[max(0, position - width) : position][::-1].lower()
    match = backwards.match(window)
    return match is not None and (position <= width or match.end() < len(window))


def _element_text(text: str, position: int, closing: str | None) -> Span:
    """The trimmed text from `position` up to the next "<", which must open `closing`'s end
    tag when given."""
    less = text.find("<", position, position + _MAX_QUOTED)
    if less < 0:
        return position, position
    if closing is not None:
        tag = text[less + 2 : less + 2 + len(closing)]
        if not text.startswith("</", less) or tag.lower() != closing.lower():
            return position, position
    raw = text[position:less]
    start = position + len(raw) - len(raw.lstrip())
    return start, start + len(raw[start - position :].rstrip())


def _after_name(text: str, start: int, end: int, name: _Name, dashes: int) -> Span:
    """The value of the secret name `text[start:end]`, as (start, end), empty if none."""
    if _before(text, start, _NAME_FIELD_BACK_RE, 100):
        field = _VALUE_FIELD_RE.match(text, end)
        if field:
            return _value(text, field.end(), name, line="\n" in field.group())
        element = _ELEMENT_TEXT_RE.match(text, end)
        if element:
            return _checked(text, _element_text(text, element.end(), None), name)
    if start > 0 and text[start - 1] == "<" and not dashes:
        tag = _START_TAG_REST_RE.match(text, end)
        if tag:
            span = _checked(text, _element_text(text, tag.end(), text[start:end]), name)
            if span[0] < span[1]:
                return span
    position = end
    key_close = _KEY_CLOSE_RE.match(text, position)
    if key_close:
        position = key_close.end()
    separator = _SEPARATOR_RE.match(text, position)
    if separator:
        span = _after_separator(text, start - dashes, end, separator, name, bool(key_close))
        if separator.group(1) == ":" and not name.strong and _PROSE_WORD_RE.fullmatch(text, *span):
            return span[0], span[0]  # "failed to fetch token: timeout", "auth: basic"
        return span
    if dashes and (start - dashes == 0 or text[start - dashes - 1] in _FLAG_BEFORE):
        gap = _FLAG_GAP_RE.match(text, end)
        if gap and not text.startswith("-", gap.end()):
            return _value(text, gap.end(), name, quoted_only=gap.group()[0] not in " \t")
    spaced = _SPACED_QUOTE_RE.match(text, position) if name.quoted_after_space else None
    if spaced:
        return _value(text, spaced.end(), name, quoted_only=True)
    if name.directive and _before(text, start, _LINE_START_BACK_RE, 40):
        gap = _DIRECTIVE_GAP_RE.match(text, end)
        if gap:
            return _value(text, gap.end(), name)
    return end, end


def _after_separator(
    text: str, name_start: int, name_end: int, separator: re.Match[str], name: _Name, quoted: bool
) -> Span:
    """The value after ``name=``, ``name:``...; `quoted`: the name had a closing quote."""
    position = separator.end()
    operator = separator.group(1)
    if (
        operator == ":"
        and not name.to_line_end
        and (position == len(text) or text[separator.start(1) + 1] in " \t\r\n")
        and _before(text, name_start, _YAML_KEY_LINE_BACK_RE, 140)
    ):
        # A YAML mapping: a plain value runs to the line end, or starts on the next line.
        next_line = _YAML_NEXT_LINE_RE.match(text, position)
        if next_line is None:
            return _value(text, position, name, line=True)
        if next_line.group(1):  # a | or > block: its first line
            return _line_value(text, next_line.end(), name)
        if _YAML_NOT_A_VALUE_RE.match(text, next_line.end()):
            return position, position
        return _value(text, next_line.end(), name, line=True)
    opening = name_start - 1
    if (
        separator.group().strip() in ("=", ":")
        and not quoted
        and opening >= 0
        and text[opening] in "\"'"
        and not _OPENING_QUOTE_RE.match(text, position)
    ):
        # "DB_PASSWORD=x y" or -H 'X-Api-Key: x y' inside a quoted string: the value runs
        # to the closing quote.
        escapes = 0
        while escapes < 15 and opening - escapes > 0 and text[opening - escapes - 1] == "\\":
            escapes += 1
        return _checked(text, _quoted(text, position, text[opening], escapes), name)
    env_line = (
        separator.group() == "="
        and _ENV_NAME_RE.fullmatch(text, name_start, name_end) is not None
        and _before(text, name_start, _LINE_START_BACK_RE, 40)
        and _in_env_dump(text, name_start)
    )
    return _value(text, position, name, line=env_line)


def _in_env_dump(text: str, line_start: int) -> bool:
    """Whether the line before or after the one at `line_start` is a NAME=value line too (an
    `env` dump, where values run to the line end, unlike ``PGPASSWORD=x psql ...``)."""
    if line_start > 0:
        previous = text.rfind("\n", 0, line_start - 1) + 1
        if _ENV_LINE_RE.match(text, previous):
            return True
    following = text.find("\n", line_start)
    return following >= 0 and _ENV_LINE_RE.match(text, following + 1) is not None


def _name_bounds(folded: str, core_start: int, core_end: int, floor: int) -> Span:
    """The run of name characters around a secret word found at [core_start, core_end)."""
    window = folded[max(floor, core_start - _MAX_NAME - 1) : core_start]
    before = _run_end(_NAME_RUN_BACK_RE, window[::-1], 0)
    return core_start - before, _run_end(_NAME_RUN_RE, folded, core_end)


def _find_after_names(text: str, folded: str, position: int) -> list[Span]:
    """Values after secret names; the first core word is at or after `position`."""
    spans: list[Span] = []
    floor = 0  # names and values found so far end here: a name never starts before
    while True:
        core = _CORE_RE.search(folded, position)
        if core is None:
            return spans
        start, end = _name_bounds(folded, core.start(), core.end(), floor)
        position = floor = end
        if end - start > _MAX_NAME:
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
        name = _classify(raw.rstrip(".-"))
        if name is None:
            continue
        value_start, value_end = _after_name(text, start, end, name, dashes)
        position = floor = max(end, value_end)
        if value_start < value_end:
            spans.append((value_start, value_end))
            chained = _chained_name(text, folded, value_start, value_end)
            if chained is not None:
                position = floor = chained


def _chained_name(text: str, folded: str, start: int, end: int) -> int | None:
    """Where the value at [start, end) ends with a secret name given a value in turn
    (``token = password = x``, ``key=?password = x``, ``key=password= x``): it is searched
    as a name too."""
    name_end = end
    while name_end > max(start, end - 2) and text[name_end - 1] in "=:":
        name_end -= 1
    if not _SEPARATOR_RE.match(text, name_end):
        return None
    name_start, _ = _name_bounds(folded, name_end, name_end, start)
    if name_start < name_end and _classify(text[name_start:name_end]):
        return name_start
    return None


# --- Command lines and SQL --------------------------------------------------------------------

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


def _find_client_passwords(text: str, folded: str) -> list[Span]:
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
        start, end = _value(text, position, None)
        if start < end:
            spans.append((start, end))
    return spans


def _find_identified_by(text: str, folded: str) -> list[Span]:
    """SQL ``IDENTIFIED BY 'x'`` (and ``WITH plugin BY/AS``); unquoted only in capitals."""
    spans = []
    for phrase in _IDENTIFIED_RE.finditer(folded):
        upper = text.startswith("IDENTIFIED", phrase.start())
        start, end = _value(text, phrase.end(), None, quoted_only=not upper)
        if start < end:
            spans.append((start, end))
    return spans


_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def _fold(text: str) -> str:
    """`text` lower-cased with the same length, ASCII letters matching as ``(?i)`` would."""
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD).lower()


def _find_secret_assignment(text: str) -> list[Span]:
    folded = _fold(text)
    first = _TRIGGER_RE.search(folded)
    if first is None:
        return []
    spans = _find_after_names(text, folded, first.start())
    if any(client in folded for client in ("mysql", "mariadb", "pgsql", "sshpass", "redis-cli")):
        spans += _find_client_passwords(text, folded)
    if "identified" in folded:
        spans += _find_identified_by(text, folded)
    return union(spans)


# The literals `_TRIGGER_RE` looks for, for RE2, whose case folding leaves the dotless and
# the dotted i apart from "i" (`_fold` does not).
_I = "[i\u0131\u0130]"
_ANCHORS = (
    r"(?i)pass|pw|psk|secret|sess|token|key|auth|cred|cookie|mysql|pgsql",
    rf"(?i)s{_I}g|conn(?:ect{_I}on)?[_.\-]?str|mar{_I}adb|red{_I}s-cl{_I}|{_I}dent{_I}f{_I}ed",
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
