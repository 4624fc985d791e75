"""Credential detectors (url_credentials, bearer, jwt, aws_access_key, pem_private_key) find
every form they promise in every context an alert carries, replace only the secret, leave
look-alikes alone and do work that grows linearly with their input.
"""

from __future__ import annotations

import base64
import json
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanitizer.detectors import DETECTORS, Scrubber
from tests.detectors.helpers import (
    ALNUM,
    HEX,
    UPPER_ALNUM,
    Instance,
    assert_linear,
    b64,
    chars,
    check_scrubbed_in_context,
    fragments,
    scrub_all,
)

B64 = ALNUM + "+/"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- Generated credentials -----------------------------------------------------------------

hosts = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z]{2,6}){1,2}", fullmatch=True)
users = chars("abcdefghijklmnopqrstuvwxyz0123456789._-", 1, 12)
# Unreserved, sub-delims (no quote: it would close the context's quoting) and escapes.
password_pieces = st.sampled_from([*ALNUM, *"-._~!$&()*+,;=", "%40", "%2F", "%3A", "%25"])
# In a query string or JDBC property list "&", ";" and "=" have to be percent-encoded.
parameter_passwords = (
    st.lists(st.sampled_from([*ALNUM, *"-._~!$()*+,", "%26", "%3B"]), min_size=8, max_size=24)
    .map("".join)
    .filter(lambda p: len(fragments(p)) > 0)
)
passwords = (
    st.lists(password_pieces, min_size=8, max_size=24)
    .map("".join)
    .filter(lambda p: len(fragments(p)) > 0)
)


@st.composite
def url_credentials(draw: st.DrawFn) -> Instance:
    host = draw(hosts)
    form = draw(st.sampled_from(["userinfo", "empty user", "jdbc query", "jdbc sqlserver"]))
    password = draw(passwords if form in ("userinfo", "empty user") else parameter_passwords)
    if form == "jdbc query":
        return Instance(
            f"jdbc:mysql://{host}:3306/app?user=app&password={password}&ssl=1", password
        )
    if form == "jdbc sqlserver":
        return Instance(
            f"jdbc:sqlserver://{host}:1433;databaseName=app;user=sa;password={password};", password
        )
    scheme = draw(
        st.sampled_from(
            "postgres postgresql mysql mongodb mongodb+srv redis rediss amqp amqps ftp sftp "
            "ldap ldaps http https jdbc:postgresql jdbc:mysql".split()
        )
    )
    userinfo = f":{password}" if form == "empty user" else f"{draw(users)}:{password}"
    path = draw(st.sampled_from(["", "/", ":5432/app", "/0", "/app?sslmode=require"]))
    return Instance(f"{scheme}://{userinfo}@{host}{path}", userinfo)


token68s = chars(ALNUM + "-._~+/", 16, 60).filter(
    lambda t: not t.isalpha() and t.lower() != "aws4-hmac-sha256"  # a scheme name alone
)


@st.composite
def authorization_values(draw: st.DrawFn) -> Instance:
    """An Authorization header value of some scheme, and its credentials."""
    scheme = draw(
        st.sampled_from(
            ["Bearer", "bearer", "Basic", "Token", "Negotiate", "NTLM", "ApiKey", "SSWS",
             "GenieKey", "Digest", "AWS4-HMAC-SHA256"]
        )
    )  # fmt: skip
    if scheme == "Basic":
        credential = b64(f"{draw(users)}:{draw(passwords)}".encode())
    elif scheme in ("Negotiate", "NTLM"):
        credential = b64(draw(st.binary(min_size=16, max_size=64)))
    elif scheme == "Digest":
        credential = (
            f'username="{draw(users)}", realm="api@{draw(hosts)}", '
            f'nonce="{draw(chars(HEX, 32))}", uri="/v1/x", qop=auth, nc=00000001, '
            f'cnonce="{draw(chars(HEX, 16))}", response="{draw(chars(HEX, 32))}"'
        )
    elif scheme == "AWS4-HMAC-SHA256":
        credential = (
            f"Credential=AKIA{draw(chars(UPPER_ALNUM, 16))}/20240501/eu-west-1/s3/aws4_request, "
            f"SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={draw(chars(HEX, 64))}"
        )
    else:
        credential = draw(token68s)
    return Instance(f"{scheme} {credential}", credential)


@st.composite
def bearer_headers(draw: st.DrawFn) -> Instance:
    value = draw(authorization_values())
    header = draw(st.sampled_from(["Authorization", "authorization", "Proxy-Authorization"]))
    form = draw(st.sampled_from(["header", "curl", "yaml", "json", "python"]))
    if form == "header":
        return Instance(f"{header}: {value.text}", value.secret)
    if form == "curl":
        quote = draw(st.sampled_from(["'", '"'])) if '"' not in value.text else "'"
        return Instance(f"-H {quote}{header}: {value.text}{quote}", value.secret)
    if form == "yaml":
        return Instance(f"{header.lower()}: {value.text}", value.secret)
    if form == "json":
        return Instance(json.dumps({header: value.text}), json.dumps(value.secret)[1:-1])
    return Instance(repr({header: value.text}), value.secret)


@st.composite
def token_headers(draw: st.DrawFn) -> Instance:
    name = draw(
        st.sampled_from(
            ["X-Auth-Token", "X-API-Key", "x-api-key", "Private-Token", "X-Vault-Token"]
        )
    )
    token = draw(token68s)
    return Instance(f"{name}: {token}", token)


@st.composite
def jwts(draw: st.DrawFn) -> Instance:
    alg = draw(st.sampled_from(["HS256", "RS256", "ES256", "none", "dir"]))
    header = {"alg": alg, "typ": "JWT"} if alg != "dir" else {"alg": "dir", "enc": "A256GCM"}
    head = b64url(json.dumps(header).encode())
    if alg == "dir":  # JWE: empty key part, iv, ciphertext, tag
        iv, body, tag = (b64url(draw(st.binary(min_size=8, max_size=64))) for _ in range(3))
        token = f"{head}..{iv}.{body}.{tag}"
    else:
        claims = {"sub": draw(users), "exp": draw(st.integers(1_600_000_000, 2_000_000_000))}
        signature = b"" if alg == "none" else draw(st.binary(min_size=32, max_size=64))
        token = f"{head}.{b64url(json.dumps(claims).encode())}.{b64url(signature)}"
    form = draw(st.sampled_from(["bare", "query", "cookie", "header"]))
    text = {
        "bare": token,
        "query": f"https://app.example.com/cb?token={token}&state=xyz",
        "cookie": f"Cookie: theme=dark; session={token}; Path=/",
        "header": f"X-Id-Token: {token}",
    }[form]
    return Instance(text, token)


AWS_KEY_ID_PREFIXES = "AKIA ASIA AGPA AIDA AROA ANPA ANVA AIPA ABIA ACCA".split()
aws_key_ids = st.builds(
    lambda prefix, body: Instance(prefix + body, prefix + body),
    st.sampled_from(AWS_KEY_ID_PREFIXES),
    chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
)
AWS_SECRET_FORMS = [
    "AWS_SECRET_ACCESS_KEY={}",
    'export AWS_SECRET_ACCESS_KEY="{}"',
    "AWS_SECRET_KEY={}",
    "aws_secret_access_key = {}",
    "aws configure set aws_secret_access_key {}",
    "secret_key = {}",
    "SecretAccessKey: {}",
    '"SecretAccessKey":"{}"',
    '"secretAccessKey": "{}"',
    "<SecretAccessKey>{}</SecretAccessKey>",
    "--aws-secret-access-key {}",
]
aws_secrets = st.builds(
    lambda form, secret: Instance(form.format(secret), secret),
    st.sampled_from(AWS_SECRET_FORMS),
    chars(B64, 40).filter(lambda s: len(fragments(s)) > 0),
)
aws_session_tokens = st.builds(
    lambda form, token: Instance(form.format(token), token),
    st.sampled_from(["AWS_SESSION_TOKEN={}", '"SessionToken": "{}"', "aws_session_token = {}"]),
    st.binary(min_size=60, max_size=300).map(b64),
)

PEM_KINDS = ["", "RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED "]


@st.composite
def pem_texts(draw: st.DrawFn) -> str:
    body = b64(draw(st.binary(min_size=48, max_size=600)))
    if draw(st.booleans()):
        kind = "PGP PRIVATE KEY BLOCK"
        lines = ["Version: GnuPG v2", "", *textwrap.wrap(body, 64), "=" + body[:4]]
    else:
        kind = f"{draw(st.sampled_from(PEM_KINDS))}PRIVATE KEY"
        lines = textwrap.wrap(body, 64)
        if kind == "RSA PRIVATE KEY" and draw(st.booleans()):
            lines = ["Proc-Type: 4,ENCRYPTED", f"DEK-Info: AES-128-CBC,{draw(chars(HEX, 32))}", ""]
            lines += textwrap.wrap(body, 64)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join([f"-----BEGIN {kind}-----", *lines, f"-----END {kind}-----"])


@st.composite
def pem_private_keys(draw: st.DrawFn) -> Instance:
    pem = draw(pem_texts())
    form = draw(st.sampled_from(["pem", "base64", "base64 wrapped", "escaped"]))
    if form == "pem":
        return Instance(pem, pem)
    if form == "escaped":  # a JSON string written into a plain-text field
        escaped = json.dumps(pem)[1:-1]
        return Instance(f"key={escaped}", escaped)
    blob = b64((pem + "\n").encode())
    if form == "base64 wrapped":
        blob = "\n".join(textwrap.wrap(blob, draw(st.sampled_from([64, 76]))))
        return Instance(f"tls.key:\n{blob}\n", blob)
    return Instance(f"tls.key: {blob}", blob)


GENERATED: dict[str, st.SearchStrategy[Instance]] = {
    "url_credentials": url_credentials(),
    "bearer": bearer_headers() | token_headers(),
    "jwt": jwts(),
    "aws_access_key": aws_key_ids | aws_secrets | aws_session_tokens,
    "pem_private_key": pem_private_keys(),
}


@pytest.mark.parametrize("name", sorted(GENERATED))
@given(data=st.data())
def test_each_credential_is_replaced_exactly_in_every_context(name, data):
    check_scrubbed_in_context(name, data, GENERATED[name])


@given(st.lists(st.sampled_from(sorted(GENERATED)), min_size=2, max_size=4), st.data())
def test_several_credentials_on_one_line_are_all_replaced(names, data):
    instances = [data.draw(GENERATED[name]) for name in names]
    text = " | ".join(instance.text for instance in instances)
    out, _ = scrub_all(text)
    for instance in instances:
        for piece in fragments(instance.secret, text.replace(instance.secret, "")):
            assert piece not in out
    assert scrub_all.first_hit(out) is None


# --- Realistic alert lines ----------------------------------------------------------------

AKID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("url_credentials",
         "CRITICAL - could not connect to "
         "postgresql://nagios:n%40gios!2024@db-07.internal:5432/nagios",
         "CRITICAL - could not connect to postgresql://[CREDENTIALS]@db-07.internal:5432/nagios"),
        ("url_credentials", "Error 111 connecting to redis://:Sup3rS3cret@cache:6379/0. Connection"
                            " refused.",
         "Error 111 connecting to redis://[CREDENTIALS]@cache:6379/0. Connection refused."),
        ("url_credentials", "celery: Cannot connect to amqps://svc:p4ss@mq.example.com:5671//: "
                            "timed out",
         "celery: Cannot connect to amqps://[CREDENTIALS]@mq.example.com:5671//: timed out"),
        ("url_credentials", "MongoServerError: bad auth : "
                            "mongodb+srv://app:Zx9q/Lk+2@cluster0.example.net/?retryWrites=true",
         "MongoServerError: bad auth : "
         "mongodb+srv://[CREDENTIALS]@cluster0.example.net/?retryWrites=true"),
        ("url_credentials", "SQLException for "
                            "jdbc:mysql://db:3306/app?user=app&password=hunter22&useSSL=true",
         "SQLException for jdbc:mysql://db:3306/app?user=app&password=[CREDENTIALS]&useSSL=true"),
        ("url_credentials", "url=jdbc:sqlserver://sql01:1433;databaseName=ops;user=sa;password"
                            "={s3c;r3t};encrypt=true",
         "url=jdbc:sqlserver://sql01:1433;databaseName=ops;user=sa;password=[CREDENTIALS];encrypt="
         "true"),
        ("url_credentials", "ORA-01017 on jdbc:oracle:thin:scott/tiger@//ora01:1521/ORCL",
         "ORA-01017 on jdbc:oracle:thin:[CREDENTIALS]@//ora01:1521/ORCL"),
        ("url_credentials", "FTP CRITICAL - ftp://backup:s3cr%3At@nas01/ refused; "
                            "ldap://cn=admin:pw12@ldap01 ok",
         "FTP CRITICAL - ftp://[CREDENTIALS]@nas01/ refused; ldap://[CREDENTIALS]@ldap01 ok"),
        ("bearer", "HTTP CRITICAL: 401 - curl -H 'Authorization: Bearer sk-live.a1B2c3D4e5' "
                   "https://api/x",
         "HTTP CRITICAL: 401 - curl -H 'Authorization: Bearer [TOKEN]' https://api/x"),
        ("bearer", 'request headers: {"Authorization":"Basic YWRtaW46aHVudGVyMg==","Accept":"*/*"}',
         'request headers: {"Authorization":"Basic [TOKEN]","Accept":"*/*"}'),
        ("bearer", 'body={\\"headers\\": {\\"authorization\\": \\"Token 9f8e7d6c5b4a\\"}}',
         'body={\\"headers\\": {\\"authorization\\": \\"Token [TOKEN]\\"}}'),
        ("bearer", 'Authorization: Digest username="ops", realm="api", nonce="dcd98b7102dd2f0e", '
                   'uri="/x", response="6629fae49393a05397450978507c4ef1"\r\nHost: api',
         "Authorization: Digest [TOKEN]\r\nHost: api"),
        ("bearer", 'GET /check?q=Authorization: Digest username="ops", nonce="dcd98b71", '
                   'response="6629fae49393a053"&verbose=1',
         "GET /check?q=Authorization: Digest [TOKEN]&verbose=1"),
        ("bearer", "Authorization: AWS4-HMAC-SHA256 Credential=" + AKID + "/20240501/us-east-1/s3/"
                   "aws4_request, SignedHeaders=host;x-amz-date, "
                   "Signature=fe5f80f77d5fa3beca038a24",
         "Authorization: AWS4-HMAC-SHA256 [TOKEN]"),
        ("bearer", "Proxy-Authorization: NTLM TlRMTVNTUAABAAAAB4IIog== rejected by squid",
         "Proxy-Authorization: NTLM [TOKEN] rejected by squid"),
        ("bearer", "headers:\n  authorization: Negotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1\n  accept: "
                   "json",
         "headers:\n  authorization: Negotiate [TOKEN]\n  accept: json"),
        ("bearer", "curl -H 'X-API-Key: 4f3c2b1a0e9d8c7b' -H 'Private-Token: glx1-abcdefg12345'",
         "curl -H 'X-API-Key: [TOKEN]' -H 'Private-Token: [TOKEN]'"),
        ("bearer", "oauth2 proxy: sending bearer a1b2c3d4e5f6a7b8c9d0 to upstream",
         "oauth2 proxy: sending bearer [TOKEN] to upstream"),
        ("jwt", f"GET /callback?id_token={JWT}&state=af0ifjsldkj 302", "GET /callback?id_token=[JW"
                                                                       "T]&state=af0ifjsldkj 302"),
        ("jwt", f"Set-Cookie: session={JWT}; HttpOnly; Secure", "Set-Cookie: session=[JWT]; "
                                                                "HttpOnly; Secure"),
        ("jwt", "alg none: eyJhbGciOiJub25lIn0.eyJhZG1pbiI6dHJ1ZX0. accepted", "alg none: [JWT] "
                                                                               "accepted"),
        ("jwt", "jwe eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..NUv7rS1v.Y2lwaGVydGV4dA.dGFnMTIzNA "
                "end",
         "jwe [JWT] end"),
        ("aws_access_key", f"aws s3 ls: InvalidAccessKeyId {AKID}, role AROAJ2UCCR6DPEXAMPLE",
         "aws s3 ls: InvalidAccessKeyId [AWS_KEY], role [AWS_KEY]"),
        ("aws_access_key", f"+ aws configure set aws_secret_access_key {AWS_SECRET} --profile ci",
         "+ aws configure set aws_secret_access_key [AWS_KEY] --profile ci"),
        ("aws_access_key", f'{{"AccessKeyId": "{AKID}", "SecretAccessKey": "{AWS_SECRET}"}}',
         '{"AccessKeyId": "[AWS_KEY]", "SecretAccessKey": "[AWS_KEY]"}'),
        ("aws_access_key", f'{{\\"SecretAccessKey\\":\\"{AWS_SECRET}\\"}}',
         '{\\"SecretAccessKey\\":\\"[AWS_KEY]\\"}'),
        ("aws_access_key", f"[default]\naws_access_key_id = {AKID}\naws_secret_access_key = "
                           f"{AWS_SECRET}\n",
         "[default]\naws_access_key_id = [AWS_KEY]\naws_secret_access_key = [AWS_KEY]\n"),
        ("aws_access_key", f"      SecretAccessKey: {AWS_SECRET}\n      Region: eu-west-1",
         "      SecretAccessKey: [AWS_KEY]\n      Region: eu-west-1"),
        ("pem_private_key",
         '{"tls_key": "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIBkg\\n'
         '-----END EC PRIVATE KEY-----\\n", "ok": 1}',
         '{"tls_key": "[PRIVATE_KEY]\\n", "ok": 1}'),
        ("pem_private_key",
         '{"key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkq", "host": "web-01"}',
         '{"key": "[PRIVATE_KEY]", "host": "web-01"}'),
        ("pem_private_key", "data:\n  tls.key: "
                            "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFYWJjCi0tLS0tRU5EIFJTQ"
                            "SBQUklWQVRFIEtFWS0tLS0tCg==\n  tls.crt: x",
         "data:\n  tls.key: [PRIVATE_KEY]\n  tls.crt: x"),
    ],
)  # fmt: skip
def test_realistic_alert_lines(name, text, expected):
    assert Scrubber([name])(text)[0] == expected


# --- Look-alikes stay ----------------------------------------------------------------------

CERTIFICATE = (
    "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJ"
    "J\n"
    "-----END CERTIFICATE-----"
)


@pytest.mark.parametrize(
    "text",
    [
        "HTTP OK: HTTP/1.1 200 OK - https://www.example.com:8443/login?next=/home 0.012s",
        "https://grafana.example.com:3000/d/abc?orgId=1&var-user=bob@example.com",
        "see https://example.com/a:b/c and mailto:ops@example.com",
        "WARNING - authorization: required, bearer token missing, Authorization: Bearer",
        "Authorization failed for user nagios; check the Authorization header",
        '"token_type": "Bearer", "expires_in": 3600',
        "eyJ is how a JSON object starts in base64; eyJhbGciOiJIUzI1NiJ9 alone is no token",
        "request 550e8400-e29b-41d4-a716-446655440000 AKIA-style ids are 20 chars: AKIA1234",
        "secret_key not set; aws_secret_access_key is missing; secretAccessKeyRotation: enabled",
        "git 3f786850e387550fdab836ed7e6dc881de23001b and AKIAIOSFODNN7EXAMPLEXX (too long)",
        CERTIFICATE,
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC "
        "KEY-----",
        "ca.crt: " + b64((CERTIFICATE + "\n").encode()),
        "PING OK - Packet loss = 0%, RTA = 0.80 ms|rta=0.034ms;100.000;500.000;0; pl=0%;20;60;;",
        "SNMP OK - 1.3.6.1.2.1.1.3.0 = 123456, version 2.19.5.57, /var/lib/nagios/spool",
    ],
)
def test_credential_look_alikes_are_left_alone(text):
    scrubber = Scrubber(sorted(GENERATED))
    assert scrubber(text) == (text, 0)


def test_a_bundle_holding_a_certificate_and_a_key_is_replaced():
    key = (
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
    )
    blob = b64((CERTIFICATE + "\n" + key).encode())
    assert Scrubber(["pem_private_key"])(f"bundle.pem: {blob} end") == (
        "bundle.pem: [PRIVATE_KEY] end",
        1,
    )


# --- Bounded work ---------------------------------------------------------------------------

ADVERSARIAL = {
    "url_credentials": [
        "://", "a://b:", "://a@", "x://u:pppppppppppp", "?password=a", "jdbc:oracle:thin:a/",
        "://" + "a:" * 10, "https://h/?a=1&pwd=x;",
    ],
    "bearer": [
        "Authorization: ", "Authorization: Bearer ", "authorization: digest a=b, ",
        'Authorization: Digest a="', "bearer ", "X-API-Key: ", "Bearer a1b2c3d4e5 ",
    ],
    "jwt": ["eyJ", "eyJ.", "eyJa.", "eyJa.eyJa", "eyJa..", "eyJa.b.c.d.e."],
    "aws_access_key": [
        "AKIA", "AKIAAAAAAAAAAAAAAAAAAA", "secret_key=", "aws_secret_access_key=",
        "SecretAccessKey: ", "SessionToken ", "secret_key " + "a" * 39 + " ",
    ],
    "pem_private_key": [
        "-----BEGIN ", "-----BEGIN RSA PRIVATE KEY-----", "-----END PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n", "LS0tLS1CRUdJTi",
        "LS0tLS1CRUdJTi\n", "LS0tLS1CRUdJTi" + "A" * 62 + "\n", "PRIVATE KEY -----BEGIN A",
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "unit"), [(name, unit) for name, units in ADVERSARIAL.items() for unit in units]
)
def test_work_grows_linearly_on_adversarial_input(name, unit):
    assert_linear(DETECTORS[name].find, unit)


LONG_RUNS = {
    "url_credentials": ["postgres://u:", "redis://", "jdbc:mysql://h/d?password="],
    "bearer": ["Authorization: Bearer ", "Authorization: Digest a=", "bearer "],
    "jwt": ["eyJ", "eyJa.b"],
    "aws_access_key": ["AKIA", "aws_secret_access_key=", "SessionToken: "],
    "pem_private_key": ["-----BEGIN PRIVATE KEY-----\n", "LS0tLS1CRUdJTi"],
}


@pytest.mark.parametrize(
    ("name", "prefix"),
    [(name, prefix) for name, prefixes in LONG_RUNS.items() for prefix in prefixes],
)
def test_work_grows_linearly_on_long_secret_bodies(name, prefix):
    assert_linear(DETECTORS[name].find, "a", count=50_000, prefix=prefix)
