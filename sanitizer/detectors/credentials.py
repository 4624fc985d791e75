"""Credentials in text: URL userinfo, Authorization headers, JWTs, AWS keys, PEM private keys.

Choices made where the right answer is not obvious:

* url_credentials replaces the whole userinfo of a URL of any scheme, with or without a
  password: a lone user part in ``https://TOKEN@host`` is often a token. Up to the last
  ``@`` of the authority, so a password containing ``@`` does not leak its tail. A password
  holding an unencoded ``/``, ``?`` or ``#`` (which RFC 3986 forbids, but people type) is
  still found after ``user:`` unless what follows the colon is a port. Password parameters
  of URLs (``?password=``, ``;password=`` of JDBC, ``sslpassword=``...) are replaced too,
  and ``user/password`` of Oracle's ``jdbc:oracle:thin:user/password@host``, and the
  ``user:password`` of a Go MySQL DSN (``app:pw@tcp(db:3306)/shop``), which has no scheme.
* bearer replaces the credentials of an ``Authorization`` (``Proxy-Authorization``,
  ``X-Authorization``...) header of any scheme and keeps the scheme readable: the token
  of ``Bearer``, ``Basic``, ``Token``, ``NTLM``..., the whole parameter list of
  ``Digest`` and ``AWS4-HMAC-SHA256``.
  It also replaces the values of token headers (``X-Auth-Token``, ``X-API-Key``,
  ``Private-Token``, ``X-Vault-Token``...), a token after a lone ``Bearer``, and base64
  after a lone ``Basic`` when it decodes to ``user:password``. Header values given as a
  list (``map[Authorization:[Basic x]]``, ``"authorization": ["Bearer x"]``) count too. A
  value that is a plain word (``authorization: required``) is not a credential, except
  after a known scheme; a shell variable (``Bearer $TOKEN``, ``${TOKEN}``, ``$(cmd)``), a
  mask (``***``) or a parameter name (``token_type=Bearer expires_in=3600``) never is.
* jwt: three dot-separated base64url parts opening with ``eyJ`` (``{"``), the signature
  possibly empty (``alg: none``), or the five parts of a JWE, whose key part may be empty.
* aws_access_key replaces access key ids (AKIA, ASIA and the other documented prefixes)
  wherever they are, and values next to AWS secret labels: any value of 8 characters or
  more after ``aws_secret_access_key``, ``SecretAccessKey``, ``AWS_SECRET_KEY``...; only
  a 40-character value after the generic ``secret_key``; session tokens after
  ``aws_session_token`` and ``SessionToken``; a value of 20 characters or more after the
  spelled-out label and a colon (``AWS Secret Access Key [None]: X`` of ``aws configure``).
* pem_private_key: a block from ``-----BEGIN … PRIVATE KEY-----`` to its END line, also
  with ``\\n`` escapes inside a JSON string. A block without END (a truncated alert) is
  replaced as far as its body runs (base64, headers, line breaks and escapes), which is to
  the end of a plain text. A base64 blob of PEM text (``LS0tLS1CRUdJTi``, as Kubernetes
  Secrets hold it), also wrapped in lines of equal width (joined by line breaks, escaped
  ones or spaces), is replaced when its first
  64 KiB decode to text holding a private key; a certificate or public key stays.
"""

from __future__ import annotations

import binascii
import bisect
import re

from sanitizer.detectors.base import Detector, Span, case_blind, literal, union

__all__ = ["DETECTORS"]

# Text that can belong to one URL: how far back a URL parameter looks for its "://".
_URL_WINDOW = 2048
_URL_DELIMITER_RE = re.compile(r"[\s\"'<>]")

_USERINFO_RE = re.compile(
    r"://("
    # RFC 3986 userinfo, up to the last "@" of the authority
    r"[^\s/?#\[\]@\"\\<>]++(?:@[^\s/?#\[\]@\"\\<>]*+)*(?=@)"
    # user:password where the password holds an unencoded / ? or #; not user:port/
    r"|[^\s/?#\[\]@:\"\\<>]*+:(?![0-9]*+(?:[/?#\s]|\Z))[^\s@\"\\<>]{1,256}+(?=@)"
    r")"
)
_PASSWORD_PARAM_RE = re.compile(
    r"[?&;](?i:pass|passwd|pwd|[a-z_]{0,24}?password)="
    r"(\{[^}\s]{0,256}+\}|[^\s&;#\"'<>\\\[][^\s&;#\"'<>\\]*+)"
)
_ORACLE_THIN_RE = re.compile(
    r"jdbc:oracle:[a-z]++:([^\s@/\"'<>\\:\[]++/[^\s@\"'<>\\]{1,256}+)(?=@)"
)


# Go's MySQL driver DSN has no scheme: user:password@tcp(host:3306)/db. What may come
# before the user: a field separator of the text around it.
_GO_DSN_AT_RE = re.compile(r"@(?:tcp6?|udp|unix)\(")
_GO_DSN_RUN_RE = re.compile(r"[^\s\"'`<>]{1,512}+")
_GO_DSN_USER_START_RE = re.compile(r"[=(,;\[{]")


def _go_dsn_userinfo(text: str, at: int) -> Span | None:
    """The ``user:password`` right before the ``@`` at `at`, if it holds a colon."""
    run = _GO_DSN_RUN_RE.match(text[max(0, at - 512) : at][::-1])
    if run is None:
        return None
    start = at - run.end()
    scheme = text.rfind("://", start, at)  # mysql://user:pw@tcp(...): the scheme stays
    if scheme >= 0:
        start = scheme + 3
    colon = text.find(":", start, at)
    if colon < 0:
        return None
    separators = list(_GO_DSN_USER_START_RE.finditer(text, start, colon))
    if separators:
        start = separators[-1].end()
    return (start, at) if start < colon else None


def _in_url(text: str, position: int) -> bool:
    """Whether `position` lies in a run of URL-ish text that holds a "://" before it."""
    scheme_end = text.rfind("://", max(0, position - _URL_WINDOW), position)
    return scheme_end >= 0 and _URL_DELIMITER_RE.search(text, scheme_end, position) is None


def _find_url_credentials(text: str) -> list[Span]:
    if ":" not in text:
        return []
    spans: list[Span] = []
    if "://" in text:
        spans += [m.span(1) for m in _USERINFO_RE.finditer(text)]
        if "=" in text and ("pass" in text.lower() or "pwd" in text.lower()):
            spans += [
                m.span(1) for m in _PASSWORD_PARAM_RE.finditer(text) if _in_url(text, m.start())
            ]
    if "jdbc:oracle:" in text:
        spans += [m.span(1) for m in _ORACLE_THIN_RE.finditer(text)]
    if "@tcp" in text or "@u" in text:
        for at in _GO_DSN_AT_RE.finditer(text):
            userinfo = _go_dsn_userinfo(text, at.start())
            if userinfo is not None:
                spans.append(userinfo)
    return union(spans)


# --- bearer ------------------------------------------------------------------------------

_KNOWN_SCHEMES = frozenset(
    [
        "basic",
        "bearer",
        "digest",
        "token",
        "negotiate",
        "ntlm",
        "apikey",
        "api-key",
        "key",
        "jwt",
        "mac",
        "hoba",
        "mutual",
        "aws4-hmac-sha256",
        "aws",
        "ssws",
        "geniekey",
        "splunk",
        "otoken",
        "oauth",
    ]
)
_KEY_HEADER_NAMES = (
    r"x-(?:auth-(?:token|key)|api-(?:key|token)|access-token|vault-token|consul-token"
    r"|gitlab-token|amz-security-token|goog-api-key)"
    r"|private-token|job-token|ocp-apim-subscription-key|api-key"
)
_TOKEN68_SCHEMES = "basic|bearer|negotiate|ntlm"  # one token68, never parameters
_QUOTE = r"""(?:\\*+["'])?+"""  # a quote, escaped any number of times
_SEPARATOR = rf"{_QUOTE}[ \t]*+(?:=>|:=|[:=>])[ \t]*+{_QUOTE}"
# Characters of a token: none of these ever appears in one ("=" only as base64 padding),
# and "[" keeps labels unmatched.
_CREDENTIAL = r"[^\s\"'\\<>,;&()\[\]{}=]++=*+"
_PARAMETER = (  # a quoted value ends the parameter: what follows must separate ("&" in a URL)
    r"""[A-Za-z0-9_.-]++=(?:\\*+"[^"\\\r\n]*+\\*+"(?=[\s,;)}\]&]|\\*+["']|\Z)"""
    r"""|[^\s"'\\<>,&\[]++)"""
)
_PARAMETERS = rf"{_PARAMETER}(?:[ \t]*+,[ \t]*+{_PARAMETER})*+"
# A header's values as a list (Go's `map[Authorization:[Basic x]]`, JSON `["Bearer x"]` of
# audit logs): only before a scheme and its space, so a label such as "[TOKEN]" stays.
_LIST_OPEN = rf"(?:\[[ \t]*+{_QUOTE}(?=[A-Za-z][A-Za-z0-9-]*+[ \t]))?+"
_AUTHORIZATION_RE = re.compile(
    # "_" may come before: PROXY_AUTHORIZATION, HTTP_AUTHORIZATION (CGI) in env dumps.
    rf"(?<![A-Za-z0-9])(?i:authorization){_SEPARATOR}{_LIST_OPEN}"
    rf"(?:(?i:{_TOKEN68_SCHEMES})[ \t]++(?P<token>{_CREDENTIAL})"
    rf"|(?P<scheme>(?i:aws4-hmac-sha256)|[A-Za-z][A-Za-z-]*+)[ \t]++"
    rf"(?P<credential>{_PARAMETERS}|{_CREDENTIAL})"
    rf"|(?P<solo>{_CREDENTIAL}))"
)
_TOKEN_HEADER_RE = re.compile(
    rf"(?<![A-Za-z0-9_-])(?i:{_KEY_HEADER_NAMES}){_SEPARATOR}(?:\[(?![A-Z_]++\])[ \t]*+{_QUOTE})?+"
    rf"({_CREDENTIAL})"
)
_LONE_BEARER_RE = re.compile(rf"(?<![A-Za-z0-9_])(?i:bearer)[ \t]++({_CREDENTIAL})")
# "Basic" and base64 without a header name: taken when it decodes to "user:password".
_LONE_BASIC_RE = re.compile(
    r"(?<![A-Za-z0-9_])(?i:basic)[ \t]++([A-Za-z0-9+/]{8,}+=*+)(?![A-Za-z0-9+/=_-])"
)
_PLAIN_WORD_RE = re.compile(r"[A-Za-z][a-z]*+")
# Not a credential: a shell variable or substitution ("Bearer $TOKEN", "${TOKEN}", "$(cmd)",
# which the credential's characters cut to "$"), a mask, or a lower-case parameter name
# ("token_type=Bearer expires_in=3600", "Bearer realm=\"api\"").
_NOT_A_CREDENTIAL_RE = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*+)?+|\*++|[a-z][a-z0-9_]*+=")
_TOKEN_LIKE_SCHEME = 16  # an unknown "scheme" this long is a token followed by other text


def _is_plain_word(value: str) -> bool:
    return (
        _PLAIN_WORD_RE.fullmatch(value) is not None
        or _NOT_A_CREDENTIAL_RE.fullmatch(value) is not None
    )


def _is_basic_pair(encoded: str) -> bool:
    """Whether `encoded` is base64 of printable "user:password" text."""
    usable = encoded.rstrip("=")
    usable += "=" * (-len(usable) % 4)
    try:
        decoded = binascii.a2b_base64(usable).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return ":" in decoded and decoded.isprintable()


def _authorization_spans(match: re.Match[str]) -> list[Span]:
    token = match.group("token")
    if token is not None:
        return [] if _NOT_A_CREDENTIAL_RE.fullmatch(token) else [match.span("token")]
    spans = []
    scheme, credential, solo = match.group("scheme", "credential", "solo")
    if scheme is not None:
        known = scheme.lower() in _KNOWN_SCHEMES
        if not known and len(scheme) >= _TOKEN_LIKE_SCHEME:
            spans.append(match.span("scheme"))
        placeholder = _NOT_A_CREDENTIAL_RE.fullmatch(credential) is not None
        if (known and not placeholder) or not _is_plain_word(credential):
            spans.append(match.span("credential"))
    if solo is not None and solo.lower() not in _KNOWN_SCHEMES and not _is_plain_word(solo):
        spans.append(match.span("solo"))
    return spans


def _matches_at(
    pattern: re.Pattern[str], text: str, lowered: str, word: str
) -> list[re.Match[str]]:
    """Non-overlapping matches of `pattern` starting where `word` occurs in `lowered` (the
    text in lower case): a case-insensitive pattern is only tried where it can match. If
    lowering changed the length (a few non-ASCII letters), positions differ: every position
    is tried then."""
    if len(lowered) != len(text):
        return list(pattern.finditer(text))
    matches = []
    position = lowered.find(word)
    while position >= 0:
        match = pattern.match(text, position)
        if match is not None:
            matches.append(match)
        position = lowered.find(word, match.end() if match else position + 1)
    return matches


def _find_bearer(text: str) -> list[Span]:
    lowered = text.lower()
    spans = []
    for match in _matches_at(_AUTHORIZATION_RE, text, lowered, "authorization"):
        spans += _authorization_spans(match)
    if "-token" in lowered or "-key" in lowered:
        spans += [
            m.span(1) for m in _TOKEN_HEADER_RE.finditer(text) if not _is_plain_word(m.group(1))
        ]
    for match in _matches_at(_LONE_BEARER_RE, text, lowered, "bearer"):
        token = match.group(1)
        if len(token) >= 8 and not _is_plain_word(token):
            spans.append(match.span(1))
    if "basic" in lowered:
        spans += [m.span(1) for m in _LONE_BASIC_RE.finditer(text) if _is_basic_pair(m.group(1))]
    return union(spans)


# --- jwt ---------------------------------------------------------------------------------

_B64URL = "[A-Za-z0-9_-]"
_JWT_RE = re.compile(
    rf"eyJ(?<!{_B64URL}eyJ){_B64URL}++\."
    # a JWE (key part empty with "dir"), else a JWS (signature empty with "alg": "none")
    rf"(?:{_B64URL}*+\.{_B64URL}++\.{_B64URL}++\.{_B64URL}++|{_B64URL}++\.{_B64URL}*+)"
)


def _find_jwt(text: str) -> list[Span]:
    if "eyJ" not in text:
        return []
    return [m.span() for m in _JWT_RE.finditer(text)]


# --- aws_access_key ----------------------------------------------------------------------

# Access key ids (AKIA), temporary ones (ASIA) and the ids of groups, users, roles, managed
# policies, certificates and other IAM resources, which AWS tooling prints next to them.
_AWS_KEY_ID_RE = re.compile(
    r"A(?<![A-Z0-9]A)(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA|IPA|BIA|CCA|PKA|SCA|3T[A-Z0-9])"
    r"[A-Z0-9]{16}(?![A-Z0-9])"
)
_AWS_SECRET_RE = re.compile(
    r"(?<!</)(?:[Ss](?i:ecret)[_-]?+(?P<access>(?i:access)[_-]?+)?+(?i:key)"
    r"|(?P<session>[Ss](?i:ession|ecurity)[_-]?+(?i:token)))"
    rf"{_QUOTE}(?:[ \t]*+(?:=>|:=|[:=>])|[ \t])[ \t]*+{_QUOTE}"  # also "set KEY VALUE"
    r"(?P<value>[A-Za-z0-9/+]++(?:=++(?![A-Za-z0-9]))?+)"  # padding, not a "key=value"
)
_AWS_PREFIX_RE = re.compile(r"(?i:aws)[_-]?+\Z")
# An environment variable given as a name/value pair, as Kubernetes and ECS write them:
# "- name: AWS_SECRET_ACCESS_KEY" then "value: ..." on the next line, or
# {"name": "SECRET_ACCESS_KEY", "value": "..."}.
_AWS_ENV_PAIR_RE = re.compile(
    rf"(?i:name){_QUOTE}[ \t]*+:[ \t]*+{_QUOTE}"
    r"(?i:(?:aws_)?secret_(?:access_)?key|aws_session_token)"
    rf"{_QUOTE}[ \t]*+(?:,|\r?\n)[ \t]*+(?:-[ \t]*+)?{_QUOTE}(?i:value){_QUOTE}[ \t]*+:[ \t]*+"
    rf"{_QUOTE}(?P<value>[A-Za-z0-9/+]{{8,}}+=*+)"
)


# The label as `aws configure` prompts for it and consoles print it, words apart:
# "AWS Secret Access Key [None]: X", "Secret access key: X". Only after a colon, and only a
# value of key length, so prose ("secret access key rotation") stays.
_AWS_SPACED_LABEL_RE = re.compile(
    r"(?i:secret[ \t]++access[ \t]++key)(?:[ \t]*+\[[^\]\r\n]{0,64}+\])?+[ \t]*+:"
    rf"[ \t]*+{_QUOTE}(?P<value>[A-Za-z0-9/+]{{20,}}+=*+)(?![A-Za-z0-9/+=])"
)


def _find_aws_access_key(text: str) -> list[Span]:
    # No precheck: the expression opens with a literal, so a clean text costs one scan.
    spans = [m.span() for m in _AWS_KEY_ID_RE.finditer(text)]
    lowered = text.lower()  # a precheck only: lower() may change lengths, so no spans from it
    if "secret" in lowered or "token" in lowered:
        for match in _AWS_SECRET_RE.finditer(text):
            start = match.start()
            value = match.group("value")
            aws_named = _AWS_PREFIX_RE.search(text[max(0, start - 4) : start]) is not None
            if match.group("session") is not None:
                named = aws_named or text.startswith("SessionToken", start)
                found = named and len(value) >= 16
            elif match.group("access") is not None or aws_named:
                found = len(value) >= 8
            else:
                found = len(value) == 40
            if found:
                spans.append(match.span("value"))
        if "name" in lowered:
            spans += [m.span("value") for m in _AWS_ENV_PAIR_RE.finditer(text)]
        if "access" in lowered:
            spans += [m.span("value") for m in _AWS_SPACED_LABEL_RE.finditer(text)]
    return union(spans)


# --- pem_private_key ---------------------------------------------------------------------

_PEM_BEGIN_RE = re.compile(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END_RE = re.compile(r"-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
# The body of a block: base64, "Proc-Type: 4,ENCRYPTED" style headers, breaks and escapes.
_PEM_BODY_RE = re.compile(r"[A-Za-z0-9+/=\s\\:,.()-]*+")

_PEM_BASE64_RE = re.compile(r"LS0tLS1CRUdJTi(?<![A-Za-z0-9+/]LS0tLS1CRUdJTi)[A-Za-z0-9+/]*+=*+")
# The next line of a wrapped blob: after a line break, an escaped one, or a space where a
# sender joined the lines.
_BASE64_NEXT_LINE_RE = re.compile(
    r"(?:\r?\n|(?:\\++r)?+\\++n|[ \t])[ \t]*+([A-Za-z0-9+/]++=*+)(?=[\s\"'\\,;]|\Z)"
)
_MIN_WRAP_WIDTH = 60  # base64 wraps at 64 (PEM) or 76 (MIME) characters
_DECODE_LIMIT = 64 * 1024  # base64 characters decoded to tell a key from a certificate


def _base64_blob_end(text: str, first: re.Match[str]) -> tuple[int, str]:
    """Where a base64 blob starting with `first` ends, following lines wrapped at one width,
    and its base64 characters (at most `_DECODE_LIMIT` of them)."""
    width = first.end() - first.start()
    end = first.end()
    pieces = [first.group()]
    size = width
    while width >= _MIN_WRAP_WIDTH and width % 4 == 0 and not pieces[-1].endswith("="):
        following = _BASE64_NEXT_LINE_RE.match(text, end)
        if following is None or len(following.group(1)) > width:
            break
        end = following.end()
        if size < _DECODE_LIMIT:
            pieces.append(following.group(1))
            size += len(following.group(1))
        if len(following.group(1)) < width:
            break
    return end, "".join(pieces)[:_DECODE_LIMIT]


def _holds_private_key(encoded: str) -> bool:
    usable = encoded.rstrip("=")
    usable = usable[: len(usable) - len(usable) % 4]
    try:
        decoded = binascii.a2b_base64(usable)
    except binascii.Error:
        return False
    return b"PRIVATE KEY" in decoded


def _find_pem_private_key(text: str) -> list[Span]:
    spans: list[Span] = []
    if "PRIVATE KEY" in text:
        ends = [m.span() for m in _PEM_END_RE.finditer(text)]
        end_starts = [start for start, _ in ends]
        for begin in _PEM_BEGIN_RE.finditer(text):
            if spans and begin.start() < spans[-1][1]:
                continue
            index = bisect.bisect_left(end_starts, begin.end())
            if index < len(ends):
                spans.append((begin.start(), ends[index][1]))
            else:
                body = _PEM_BODY_RE.match(text, begin.end())
                assert body is not None  # never None: _PEM_BODY_RE matches the empty string
                spans.append((begin.start(), body.end()))
    if "LS0tLS1CRUdJTi" in text:
        position = 0
        while (first := _PEM_BASE64_RE.search(text, position)) is not None:
            end, encoded = _base64_blob_end(text, first)
            if _holds_private_key(encoded):
                spans.append((first.start(), end))
            position = end
    return union(spans)


DETECTORS = (
    Detector(
        "url_credentials",
        "[CREDENTIALS]",
        _find_url_credentials,
        "user:password@ in URLs of any scheme, JDBC URLs and their password parameters, "
        "Go MySQL DSNs (user:password@tcp(host))",
        anchors=(*literal("://", "jdbc:oracle:"), r"@(?:tcp6?|udp|unix)\("),
    ),
    Detector(
        "bearer",
        "[TOKEN]",
        _find_bearer,
        "credentials of Authorization headers of every scheme and of token headers",
        anchors=(
            *case_blind("authorization", "bearer", "-token", "-key"),
            "(?i:bas[i\u0131\u0130]c)[ \t]+[A-Za-z0-9+/]{8}",
        ),
    ),
    Detector(
        "jwt",
        "[JWT]",
        _find_jwt,
        "JSON Web Tokens, signed, unsigned and encrypted",
        anchors=literal("eyJ"),
    ),
    Detector(
        "aws_access_key",
        "[AWS_KEY]",
        _find_aws_access_key,
        "AWS access key ids, and secret keys and session tokens next to AWS labels",
        anchors=(
            r"A(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA|IPA|BIA|CCA|PKA|SCA|3T[A-Z0-9])[A-Z0-9]{16}",
            # The names `_AWS_SECRET_RE` and `_AWS_ENV_PAIR_RE` need, not "secret" alone:
            # a "[SECRET]" label left by an earlier match would run this finder again.
            "(?i:secret)[_-]?(?:(?i:access)[_-]?)?(?i:key)",
            r"(?i:secret)[ \t]+(?i:access)[ \t]+(?i:key)",
            "(?i:s(?:ess[i\u0131\u0130]on|ecur[i\u0131\u0130]ty))[_-]?(?i:token)",
        ),
    ),
    Detector(
        "pem_private_key",
        "[PRIVATE_KEY]",
        _find_pem_private_key,
        "PEM private keys, also JSON-escaped or base64-wrapped (Kubernetes Secrets)",
        anchors=literal("PRIVATE KEY", "LS0tLS1CRUdJTi"),
    ),
)
