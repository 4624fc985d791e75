"""Secret names: the vocabulary that makes a name secret-sounding, what the name says
about its value, and where a name around a secret word starts and ends.

Choices made where the right answer is not obvious:

* Names. A name is a run of letters, digits, ``_``, ``-`` and ``.``, split into words at
  those separators and at camelCase humps (``dbPassword``, ``X-Api-Key``). It is secret when a
  word holds, anywhere in it, ``password``, ``passwd``, ``passphrase``, ``passcode``, ``pwd``,
  ``secret``, ``token``, ``credential(s)``, ``creds``, ``cookie``, ``signature``,
  ``passwort``, ``mot_de_passe``, an SNMP ``community`` (a password of SNMP v1/v2c), a
  connection
  string (``connection_string``, ``connstr``) or a compound key (``api_key``, ``apikey``,
  ``private_key``, ``secret_key``, ``access_key``, ``auth_key``, ``account_key``,
  ``integration_key``...), also written as two words (``API key``, `finder`). Short
  words count only as a whole word or after a known prefix: ``pass`` (``DB_PASS``,
  ``--pass``, ``storepass``, ``requirepass``, not ``passenger``, ``bypass``, ``compass``),
  ``pw`` (``bind_pw``, ``bindpw``, ``rootpw``), with service prefixes glued on too
  (``redispass``, ``apppass2``, ``mysqlpass``), ``auth`` (``REDISCLI_AUTH``, ``masterauth``,
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
  (``--no-password``, ``--ask-vault-pass``, ``max_tokens``), and one opening with ``expired``,
  ``invalid``, ``missing``... is an error code (AWS's ``ExpiredToken: The security token
  ...``, like ``SignatureDoesNotMatch``, whose ``match`` describes); one opening with
  ``public`` is published by design (.NET's ``PublicKeyToken=b77a5c561934e089`` in every
  stack trace naming an assembly, ``public_key``); one ending in a source or config file
  extension is a file (``PasswordUtils.java:42`` in a stack trace).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sanitizer.detectors.base import Span

__all__ = ["CORE_RE", "MAX_NAME", "TRIGGER_RE", "Name", "classify", "name_bounds"]

MAX_NAME = 128

# Lower-case literals: every secret name holds a core word, every client command or SQL
# phrase a trigger. Factored by first letter, which the regex engine scans fastest.
_CORE = (
    r"p(?:ass|w|sk)|s(?:ecret|ess|ig)|token|key|auth|c(?:red|ookie|onn(?:ection)?[_.\-]?str"
    r"|ommunity)"
)
CORE_RE = re.compile(_CORE)
TRIGGER_RE = re.compile(rf"{_CORE}|m(?:ysql|ariadb)|pgsql|redis-cli|identified")
_NAME_RUN_RE = re.compile(r"[a-z0-9_.\-]*+")
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_.-"
_CAMEL_PARTS_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

_KEY_PREFIXES = (
    "api|private|priv|secret|access|auth|org|client|service|account|encryption|encrypt|master"
    "|signing|sign|app|application|ssh|storage|shared|license|licence|session|db|database"
    "|admin|subscription|functions|function|webhook|hmac|aes|gpg|pgp|consumer|pass|jwt|cookie"
    "|crypt|crypto|cipher|enc|sas|primary|secondary|integration|insert"
)
# On the normalised name: lower-case words joined by "_". Each group is one family; a
# look-behind marks words that must start a word (or follow the listed prefixes).
_WORD_RE = re.compile(
    rf"(?P<key>(?:{_KEY_PREFIXES})_?key)"
    r"|(?P<password>passwords?|passwd|passphrase|passcode|passwort|contrasena|pwd"
    r"|motdepasse|mot_de_passe"
    r"|(?<![a-z0-9])(?:(?:src|dest)?(?:store|key|trust)|db|root|admin|irc|bind|user|ftp|smtp"
    r"|mail|proxy|sudo|vault|become|ssh|login|master|require|app|api|svc|service|redis|mysql"
    r"|pg|postgres|mongo|ldap|amqp|rabbit|mq|kafka|es|elastic|git|docker|registry|jenkins"
    r"|wifi|smb|sql|oracle|ora|sys|system|web|site|portal|vpn|radius|snmp|jmx|console)?"
    r"pass(?:in|out)?(?![a-z])"
    r"|(?<![a-z0-9])(?:bind|root|db|user|admin|ldap)?pw(?![a-z])"
    r"|(?<![a-z0-9])(?:wpa|ipsec)?psk(?![a-z]))"
    r"|(?P<secret>secret)"
    r"|(?P<token>token)"
    r"|(?P<credential>credentials?|creds?"
    r"|(?<![a-z0-9])(?:snmp_?|read_?|write_?|ro_?|rw_?)?community(?![a-z]))"
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
    helper stdin encryption match matches matched mismatch exception exceptions""".split()
)
_ID_QUALIFIERS = frozenset({"id", "ids", "uuid", "identifier"})
# A first word that makes the name a flag, a count, an error code or public by design.
_NEGATIONS = frozenset(
    """no not without skip ask use has have require requires need needs prompt allow disable
    disabled enable enabled show hide is must should max min num total last expired invalid
    missing incomplete malformed public""".split()
)
# A file name (``PasswordUtils.java:42`` in a stack trace, ``token.go:10``), not a secret name.
_SOURCE_FILE_RE = re.compile(
    r"(?i)\.(?:java|kt|scala|groovy|py|rb|go|js|ts|php|cs|c|cc|cpp|h|rs|class|jar|xml|ya?ml"
    r"|json|conf|cfg|ini|properties|pem|crt|txt|log|sh)\Z"
)
_DIRECTIVES = frozenset({"requirepass", "masterauth", "bindpw", "rootpw"})


@dataclass(frozen=True)
class Name:
    """What a secret name says about its value."""

    strong: bool  # a password or secret may be anything; a token is no count and no word
    to_line_end: bool  # Cookie: header values
    wide: bool  # connection strings hold ; & and ,
    working_directory: bool  # PWD / OLDPWD
    directive: bool  # `requirepass VALUE` config lines
    quoted_after_space: bool  # `PASSWORD 'x'`, `token "x"`; not `secret "name" not found`
    spaced: bool  # `the password is x`, `password\tx`: a secret-looking word after a space


def _run_end(run: re.Pattern[str], text: str, position: int) -> int:
    """Where `run` (a pattern that may match nothing) stops, from `position`."""
    match = run.match(text, position)
    return position if match is None else match.end()


def _words(name: str) -> list[str]:
    return [part.lower() for part in _CAMEL_PARTS_RE.findall(name)]


def _with_digits(glued: str, rest: str) -> str:
    """`glued` with the digits after it when together they are one suffix: the word split
    cut ``passwordb64`` into ``passwordb_64``, and ``b64`` is what is glued on."""
    if glued and rest.startswith("_"):
        digits = rest[1:].split("_", 1)[0]
        if digits.isdigit() and glued + digits in _CONTINUATIONS:
            return f"{glued}_{digits}"
    return glued


@lru_cache(maxsize=4096)
def classify(name: str) -> Name | None:
    """The secret name `name` (separators and camelCase allowed), or None if it is not one."""
    words = _words(name)
    if not words or words[0] in _NEGATIONS or _SOURCE_FILE_RE.search(name):
        return None
    normalised = "_".join(words)
    for match in reversed(list(_WORD_RE.finditer(normalised))):
        family = match.lastgroup
        glued = normalised[match.end() : _run_end(_GLUED_AFTER_RE, normalised, match.end())]
        glued = _with_digits(glued, normalised[match.end() + len(glued) :])
        if glued.replace("_", "") in _QUALIFIERS:
            return None
        if glued and glued.replace("_", "") not in _CONTINUATIONS:
            continue
        later = normalised[match.end() + len(glued) :].split("_")
        if any(word in _QUALIFIERS for word in later):
            return None
        if family not in ("session", "secret") and any(w in _ID_QUALIFIERS for w in later):
            return None
        directive = normalised.replace("_", "") in _DIRECTIVES
        return Name(
            strong=family in ("password", "secret"),
            to_line_end=family == "cookie",
            wide=family == "connstr",
            working_directory=normalised in ("pwd", "oldpwd"),
            directive=directive,
            quoted_after_space=family in ("password", "token", "key") or directive,
            spaced=family in ("password", "secret", "token", "key", "credential", "session")
            or directive,
        )
    return None


def name_bounds(folded: str, core_start: int, core_end: int, floor: int) -> Span:
    """The run of name characters around a secret word found at [core_start, core_end)."""
    # The window holds at most MAX_NAME + 1 characters, so stripping it is the bounded run.
    window = folded[max(floor, core_start - MAX_NAME - 1) : core_start]
    start = core_start - len(window) + len(window.rstrip(_NAME_CHARS))
    return start, _run_end(_NAME_RUN_RE, folded, core_end)
