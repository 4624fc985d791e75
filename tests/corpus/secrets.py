"""One generator per secret class: realistic, seeded, checksum-valid where the real thing is.

Each takes a `random.Random` and returns a `Secret` whose `values` are the parts that must not
survive. Formats follow the issuers' published shapes (and the public secret-scanning rule
sets that encode them): GitHub `ghp_` + 36 base62, fine-grained `github_pat_` 22 + `_` + 59,
GitLab `glpat-` 20 (and the routable `glpat-…​.01xxxxxxx`), Slack `xoxb-`/`xoxp-`/`xapp-`,
Stripe `sk_live_`/`rk_live_`, Google `AIza` + 35, SendGrid `SG.` 22 `.` 43, npm `npm_` + 36,
PyPI `pypi-AgEIcHlwaS5vcmc…`, Azure 88-character account keys, AWS `AKIA`/`ASIA` + 16
base32 ids and 40-character secret keys.
"""

from __future__ import annotations

import base64
import json
import string
from collections.abc import Callable
from random import Random
from typing import TypeVar

from tests.corpus.model import Secret

T = TypeVar("T")

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
HEX = "0123456789abcdef"
BASE32 = string.ascii_uppercase + "234567"
# Password characters that no syntax the corpus uses treats as a delimiter or a quote.
PASSWORD_SYMBOLS = "!#$%*-_+=.?~@^"

FIRST = [
    "jane",
    "john",
    "maria",
    "li",
    "ahmed",
    "sofia",
    "lukas",
    "chloe",
    "raj",
    "olga",
    "kwame",
    "yuki",
    "pierre",
    "ana",
    "tomasz",
    "ingrid",
    "mehmet",
    "aiko",
    "diego",
]
LAST = [
    "doe",
    "smith",
    "kovacs",
    "wang",
    "haddad",
    "rossi",
    "becker",
    "martin",
    "patel",
    "ivanova",
    "mensah",
    "tanaka",
    "dubois",
    "silva",
    "nowak",
    "larsen",
    "yilmaz",
]
DOMAINS = [
    "example.com",
    "acme-corp.com",
    "mail.example.org",
    "globex.co.uk",
    "initech.de",
    "example.fr",
    "umbrella-health.net",
    "contoso.io",
]
IDN = [
    ("jürgen.müller", "bücher.de"),
    ("zoë.ångström", "exämple.se"),
    ("josé.peña", "señal.es"),
    ("用户", "例子.广告"),
    ("δοκιμή", "παράδειγμα.δοκιμή"),
    ("françois", "société.fr"),
]


def pick(rng: Random, items: list[T] | tuple[T, ...]) -> T:
    return items[rng.randrange(len(items))]


def chars(rng: Random, alphabet: str, n: int) -> str:
    return "".join(alphabet[rng.randrange(len(alphabet))] for _ in range(n))


def digits(rng: Random, n: int) -> str:
    return chars(rng, string.digits, n)


def password(rng: Random, *, spaces: bool = False) -> str:
    """A realistic password: word-and-digits, symbol-laden, or random; never a quote,
    backslash, comma, semicolon, ampersand or angle bracket."""
    if spaces:
        words = ["correct", "horse", "battery", "staple", "orange", "winter", "river", "blue"]
        return " ".join(rng.sample(words, 3)) + " " + digits(rng, 2)
    style = rng.randrange(3)
    if style == 0:
        word = pick(rng, ["Winter", "Summer", "Hunter", "Dragon", "Secret", "Passw0rd", "Admin"])
        return f"{word}{digits(rng, 4)}{pick(rng, list('!#$%*?'))}{chars(rng, ALNUM, 3)}"
    if style == 1:
        return chars(rng, ALNUM + PASSWORD_SYMBOLS, rng.randint(12, 24)) + digits(rng, 1)
    return chars(rng, ALNUM, rng.randint(16, 32))


def person(rng: Random) -> str:
    local = f"{pick(rng, FIRST)}{pick(rng, ['.', '_', ''])}{pick(rng, LAST)}"
    return local + (digits(rng, 2) if rng.random() < 0.4 else "")


# ----------------------------------------------------------------------------- personal


def email(rng: Random) -> Secret:
    form = pick(rng, ["plain", "plain", "upper", "pct40", "mailto", "angle", "idn", "plus"])
    local, domain = person(rng), pick(rng, DOMAINS)
    if form == "plus":
        local += "+" + pick(rng, ["alerts", "oncall", "billing"])
    if form == "idn":
        local, domain = pick(rng, IDN)
        local += digits(rng, 2)
    address = f"{local}@{domain}"
    if form == "upper":
        address, local = address.upper(), local.upper()
    if form == "pct40":
        address = f"{local}%40{domain}"
    text = {
        "mailto": f"mailto:{address}",
        "angle": f"{pick(rng, FIRST).title()} {pick(rng, LAST).title()} <{address}>",
    }.get(form, address)
    return Secret("email", form, text, (address, local))


def phone(rng: Random) -> Secret:
    form = pick(rng, ["intl_uk", "intl_de", "intl_fr", "intl_us", "uk", "de", "fr", "us"])
    sep = pick(rng, [" ", " ", "."] if form in ("fr", "us") else [" "])
    if form == "intl_uk":
        number = f"+44 {pick(rng, ['20', '161', '7700'])} {digits(rng, 3)} {digits(rng, 4)}"
    elif form == "intl_de":
        number = f"+49 {pick(rng, ['30', '89', '171', '40'])} {digits(rng, 4)}{digits(rng, 4)}"
    elif form == "intl_fr":
        number = "+33 " + str(rng.randint(1, 7)) + "".join(f" {digits(rng, 2)}" for _ in range(4))
    elif form == "intl_us":
        number = f"+1{pick(rng, [' ', '-'])}{rng.randint(201, 989)}-{rng.randint(200, 999)}-" + (
            digits(rng, 4)
        )
    elif form == "uk":
        number = pick(
            rng, [f"020 {digits(rng, 4)} {digits(rng, 4)}", f"07{digits(rng, 3)} {digits(rng, 6)}"]
        )
    elif form == "de":
        number = f"0{pick(rng, ['30', '89', '171', '40'])} {digits(rng, 7)}"
    elif form == "fr":
        number = "0" + str(rng.randint(1, 7)) + "".join(f"{sep}{digits(rng, 2)}" for _ in range(4))
    else:
        area, exchange = rng.randint(201, 989), rng.randint(200, 999)
        number = pick(
            rng,
            [
                f"({area}) {exchange}-{digits(rng, 4)}",
                f"{area}{sep}{exchange}{sep}{digits(rng, 4)}",
            ],
        )
    label = pick(rng, ["", "tel:", "phone ", "Tel. ", "mobile: ", "call ", "pager "])
    if not form.startswith("intl") and not label:
        label = "phone: "
    return Secret("phone", form, label + number, (number,))


def ssn(rng: Random) -> Secret:
    area = pick(rng, [rng.randint(1, 665), rng.randint(667, 899)])
    group, serial = rng.randint(1, 99), rng.randint(1, 9999)
    form = pick(rng, ["dashed", "dashed", "spaced", "compact"])
    if form == "compact":
        number = f"{area:03}{group:02}{serial:04}"
        key = pick(rng, ["SSN", "ssn", "social_security_number", "SocialSecurityNumber"])
        text = f"{key}{pick(rng, [': ', '=', ' '])}{number}"
        return Secret("ssn", form, text, (number,), (key, number))
    number = f"{area:03}{'-' if form == 'dashed' else ' '}{group:02}" + (
        f"{'-' if form == 'dashed' else ' '}{serial:04}"
    )
    label = pick(rng, ["", "SSN ", "ssn: ", "SSN#"]) if form == "dashed" else "SSN "
    return Secret("ssn", form, label + number, (number,))


IBAN_SHAPES = {  # country: BBAN as (alphabet, length) runs
    "DE": [(string.digits, 18)],
    "GB": [(string.ascii_uppercase, 4), (string.digits, 14)],
    "FR": [(string.digits, 10), (string.ascii_uppercase + string.digits, 11), (string.digits, 2)],
    "NL": [(string.ascii_uppercase, 4), (string.digits, 10)],
    "ES": [(string.digits, 20)],
    "IT": [(string.ascii_uppercase, 1), (string.digits, 10), (string.digits, 12)],
    "CH": [(string.digits, 17)],
    "BE": [(string.digits, 12)],
}


def iban_check_digits(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    number = int("".join(str(int(c, 36)) for c in rearranged))
    return f"{98 - number % 97:02}"


def iban(rng: Random) -> Secret:
    country = pick(rng, sorted(IBAN_SHAPES))
    bban = "".join(chars(rng, alphabet, n) for alphabet, n in IBAN_SHAPES[country])
    compact = country + iban_check_digits(country, bban) + bban
    form = pick(rng, ["spaced", "compact"])
    written = " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    written = compact if form == "compact" else written
    label = pick(rng, ["", "IBAN ", "iban: ", "account "])
    return Secret("iban", form, label + written, (written,))


def luhn_complete(prefix: str, length: int, rng: Random) -> str:
    body = prefix + digits(rng, length - len(prefix) - 1)
    total = 0
    for i, d in enumerate(reversed(body)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return body + str((10 - total % 10) % 10)


def card_number(rng: Random) -> str:
    prefix, length = pick(
        rng,
        [
            ("4", 16),
            ("51", 16),
            ("55", 16),
            ("2221", 16),
            ("34", 15),
            ("37", 15),
            ("6011", 16),
            ("4", 13),
        ],
    )
    return luhn_complete(prefix, length, rng)


def credit_card(rng: Random) -> Secret:
    number = card_number(rng)
    form = pick(rng, ["grouped", "dashed", "contiguous", "json_number"])
    if form == "json_number":
        key = pick(rng, ["card_number", "pan", "cardNumber"])
        text = f'{{"order":{rng.randint(10000, 99999)},"{key}":{number},"currency":"EUR"}}'
        return Secret("credit_card", form, text, (number,))
    if form in ("grouped", "dashed") and len(number) == 16:
        written = (" " if form == "grouped" else "-").join(
            number[i : i + 4] for i in range(0, 16, 4)
        )
    elif form in ("grouped", "dashed") and len(number) == 15:
        sep = " " if form == "grouped" else "-"
        written = f"{number[:4]}{sep}{number[4:10]}{sep}{number[10:]}"
    else:
        written = number
    label = pick(rng, ["", "card ", "PAN ", "cc="])
    return Secret("credit_card", form, label + written, (written,))


# ------------------------------------------------------------------------------ network


def ipv4_octets(rng: Random) -> tuple[int, int, int, int]:
    kind = rng.randrange(4)
    if kind == 0:
        return 10, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)
    if kind == 1:
        return 172, rng.randint(16, 31), rng.randint(0, 255), rng.randint(1, 254)
    if kind == 2:
        return 192, 168, rng.randint(0, 255), rng.randint(1, 254)
    first = pick(rng, [23, 34, 52, 81, 91, 104, 141, 185, 203, 212])
    return first, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)


def ipv4(rng: Random) -> Secret:
    a, b, c, d = ipv4_octets(rng)
    form = pick(rng, ["dotted", "dotted", "with_port", "dashed_host", "reverse_dns"])
    dotted = f"{a}.{b}.{c}.{d}"
    if form == "dashed_host":
        dashed = f"{a}-{b}-{c}-{d}"
        suffix = pick(
            rng, [".ec2.internal", ".eu-west-1.compute.internal", ".us-east-2.compute.internal"]
        )
        return Secret("ipv4", form, f"ip-{dashed}{suffix}", (dashed,))
    if form == "reverse_dns":
        reverse = f"{d}.{c}.{b}.{a}"
        return Secret("ipv4", form, f"{reverse}.in-addr.arpa", (reverse,))
    if form == "with_port":
        return Secret("ipv4", form, f"{dotted}:{pick(rng, [22, 443, 5432, 6379, 8080])}", (dotted,))
    return Secret("ipv4", form, dotted, (dotted,))


def ipv6_groups(rng: Random) -> list[int]:
    prefix = pick(
        rng,
        [
            [0x2001, 0x0DB8],
            [0x2A02, 0x8108],
            [0x2600, 0x1F18],
            [0xFD12, 0x3456],
            [0x2A01, 0x04F8],
            [0xFE80, 0x0000],
        ],
    )
    groups = prefix + [rng.randrange(0x10000) for _ in range(6)]
    if rng.random() < 0.5:  # a run of zeros, as real addresses have
        start = rng.randint(2, 5)
        for i in range(start, min(8, start + rng.randint(2, 3))):
            groups[i] = 0
    if groups[0] == 0xFE80:
        groups[1:4] = [0, 0, 0]
    return groups


def compress(groups: list[int]) -> str:
    best_start, best_len, i = -1, 0, 0
    while i < 8:
        if groups[i] == 0:
            j = i
            while j < 8 and groups[j] == 0:
                j += 1
            if j - i > best_len and j - i >= 2:
                best_start, best_len = i, j - i
            i = j
        else:
            i += 1
    hexes = [f"{g:x}" for g in groups]
    if best_start < 0:
        return ":".join(hexes)
    return ":".join(hexes[:best_start]) + "::" + ":".join(hexes[best_start + best_len :])


def ipv6(rng: Random) -> Secret:
    groups = ipv6_groups(rng)
    form = pick(
        rng,
        [
            "compressed",
            "compressed",
            "full",
            "upper",
            "zone",
            "mapped",
            "nat64",
            "bracket_port",
            "ip6_arpa",
        ],
    )
    if form == "full":
        address = ":".join(f"{g:04x}" for g in groups)
    elif form == "upper":
        address = compress(groups).upper()
    elif form == "mapped":
        address = "::ffff:" + ".".join(map(str, ipv4_octets(rng)))
    elif form == "nat64":
        address = "64:ff9b::" + ".".join(map(str, ipv4_octets(rng)))
    elif form == "ip6_arpa":
        nibbles = ".".join(reversed("".join(f"{g:04x}" for g in groups)))
        return Secret("ipv6", form, f"{nibbles}.ip6.arpa", (nibbles,))
    else:
        address = compress(groups)
    if form == "zone":
        groups[0:4] = [0xFE80, 0, 0, 0]
        address = compress(groups)
        return Secret("ipv6", form, f"{address}%{pick(rng, ['eth0', 'ens5', 'bond0'])}", (address,))
    if form == "bracket_port":
        return Secret("ipv6", form, f"[{address}]:{pick(rng, [443, 8443, 9100])}", (address,))
    return Secret("ipv6", form, address, (address,))


def mac(rng: Random) -> Secret:
    octets = [
        pick(rng, [0x00, 0x02, 0x3C, 0x52, 0xA4, 0xF0]),
        *(rng.randrange(256) for _ in range(5)),
    ]
    hexes = [f"{o:02x}" for o in octets]
    form = pick(rng, ["colon", "colon_upper", "dash", "cisco", "bare_labelled"])
    if form == "colon":
        written = ":".join(hexes)
    elif form == "colon_upper":
        written = ":".join(hexes).upper()
    elif form == "dash":
        written = "-".join(hexes).upper()
    elif form == "cisco":
        flat = "".join(hexes)
        written = f"{flat[0:4]}.{flat[4:8]}.{flat[8:12]}"
    else:
        written = "".join(hexes)
        written = written.upper() if rng.random() < 0.5 else written
        key = pick(rng, ["mac", "MAC", "hwaddr", "HWaddr", "ether", "mac_address"])
        sep = "=" if key.startswith("mac") else " "
        return Secret("mac", form, f"{key}{sep}{written}", (written,), (key, written))
    return Secret("mac", form, written, (written,))


# ---------------------------------------------------------------------------- hostnames

SERVICES = [
    "db",
    "pg",
    "redis",
    "kafka",
    "vault",
    "ldap",
    "jenkins",
    "grafana",
    "api",
    "auth",
    "payments",
    "billing",
    "nfs",
    "git",
    "mq",
    "es",
]


def internal_hostname(rng: Random) -> Secret:
    name = f"{pick(rng, SERVICES)}-{rng.randint(1, 40)}"
    form = pick(
        rng,
        ["internal", "cluster_local", "corp", "lan", "home_arpa", "consul", "local", "intranet"],
    )
    host = {
        "internal": f"{name}.{pick(rng, ['prod', 'stage', 'eu-west-1'])}.internal",
        "cluster_local": f"{pick(rng, SERVICES)}-svc.{pick(rng, ['payments', 'default', 'ops'])}"
        ".svc.cluster.local",
        "corp": f"{name}.{pick(rng, ['ad', 'hq', 'fra'])}.corp",
        "lan": f"{name}.lan",
        "home_arpa": f"{pick(rng, ['nas', 'printer', 'router'])}-{rng.randint(1, 9)}.home.arpa",
        "consul": f"{pick(rng, SERVICES)}.service.{pick(rng, ['dc1', 'eu1'])}.consul",
        "local": f"{name}.local",
        "intranet": f"{name}.intranet",
    }[form]
    return Secret("internal_hostname", form, host, (host,))


# -------------------------------------------------------------------------- credentials


def url_credentials(rng: Random) -> Secret:
    form = pick(
        rng,
        ["postgres", "mysql", "mongodb_srv", "redis", "amqp", "ftp", "https_token", "jdbc_mysql"],
    )
    user = pick(rng, ["app", "svc_billing", "deploy", "admin", "reader", "etl"])
    secret = chars(rng, ALNUM + "-_.~!*", rng.randint(12, 28)) + digits(rng, 1)
    host = pick(rng, ["db.example.com", "10.0.12.5", "cache.example.net", "rabbit.example.org"])
    if form == "postgres":
        url = f"{pick(rng, ['postgres', 'postgresql'])}://{user}:{secret}@{host}:5432/app"
    elif form == "mysql":
        url = f"mysql://{user}:{secret}@{host}:3306/orders?charset=utf8mb4"
    elif form == "mongodb_srv":
        url = (
            f"mongodb+srv://{user}:{secret}@cluster0.{chars(rng, string.ascii_lowercase, 5)}"
            ".mongodb.net/shop?retryWrites=true&w=majority"
        )
    elif form == "redis":
        scheme, user = pick(rng, ["redis", "rediss"]), pick(rng, ["", "default"])
        url = f"{scheme}://{user}:{secret}@{host}:6379/0"
    elif form == "amqp":
        scheme, vhost = pick(rng, ["amqp", "amqps"]), pick(rng, ["", "prod"])
        url = f"{scheme}://{user}:{secret}@{host}:5672/{vhost}"
    elif form == "ftp":
        url = f"ftp://{user}:{secret}@ftp.example.com/outgoing/"
    elif form == "https_token":
        secret = chars(rng, ALNUM, 32)
        url = f"https://{pick(rng, ['x-access-token', 'oauth2', 'gitlab-ci-token'])}:{secret}" + (
            "@git.example.com/platform/infra.git"
        )
    else:
        url = f"jdbc:mysql://{user}:{secret}@{host}:3306/orders?useSSL=true"
    return Secret("url_credentials", form, url, (secret,))


def bearer(rng: Random) -> Secret:
    form = pick(
        rng, ["bearer", "bearer", "basic", "digest", "aws4", "token", "proxy_basic", "lower"]
    )
    header = "Proxy-Authorization" if form == "proxy_basic" else "Authorization"
    if form in ("bearer", "lower"):
        credential = chars(rng, ALNUM + "-._~", rng.randint(32, 64))
        value, values = f"Bearer {credential}", (credential,)
    elif form in ("basic", "proxy_basic"):
        credential = base64.b64encode(f"{pick(rng, FIRST)}:{password(rng)}".encode()).decode()
        value, values = f"Basic {credential}", (credential,)
    elif form == "digest":
        response, nonce = chars(rng, HEX, 32), chars(rng, HEX, 32)
        value = (
            f'Digest username="{pick(rng, FIRST)}", realm="api@example.com", '
            f'nonce="{nonce}", uri="/v1/status", qop=auth, nc=00000001, '
            f'cnonce="{chars(rng, HEX, 8)}", response="{response}"'
        )
        values = (response,)
    elif form == "aws4":
        key_id, signature = "AKIA" + chars(rng, BASE32, 16), chars(rng, HEX, 64)
        value = (
            f"AWS4-HMAC-SHA256 Credential={key_id}/20260314/eu-west-1/s3/aws4_request, "
            f"SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}"
        )
        values = (key_id, signature)
    else:
        credential = chars(rng, HEX, 40)
        value, values = f"token {credential}", (credential,)
    if form == "lower":
        header, value = "authorization", "bearer" + value[len("Bearer") :]
    return Secret("bearer", form, f"{header}: {value}", values, (header, value))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt(rng: Random) -> Secret:
    alg = pick(rng, ["HS256", "RS256", "ES256"])
    header = {"alg": alg, "typ": "JWT"} | ({"kid": chars(rng, ALNUM, 16)} if alg != "HS256" else {})
    payload = {
        "sub": digits(rng, 8),
        "iss": "https://auth.example.com/",
        "iat": 1795400000 + rng.randrange(10**5),
        "exp": 1795500000 + rng.randrange(10**5),
        "scope": pick(rng, ["read write", "admin", "payments:charge"]),
    }
    signature = chars(rng, B64URL, {"HS256": 43, "RS256": 342, "ES256": 86}[alg])
    head, body = b64url(json.dumps(header).encode()), b64url(json.dumps(payload).encode())
    token = f"{head}.{body}.{signature}"
    return Secret("jwt", alg, token, (token, body, signature))


def aws_access_key(rng: Random) -> Secret:
    key_id = pick(rng, ["AKIA", "ASIA"]) + chars(rng, BASE32, 16)
    secret = chars(rng, B64, 40)
    form = pick(rng, ["key_id", "key_id", "secret_labelled", "credentials_file", "sts_json"])
    if form == "key_id":
        return Secret("aws_access_key", form, key_id, (key_id,))
    if form == "credentials_file":
        text = (
            f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
            "region = eu-west-1"
        )
        return Secret("aws_access_key", form, text, (key_id, secret))
    if form == "sts_json":
        text = (
            f'{{"AccessKeyId": "{key_id}", "SecretAccessKey": "{secret}", '
            f'"Expiration": "2026-03-14T10:21:07Z"}}'
        )
        return Secret("aws_access_key", form, text, (key_id, secret))
    key = pick(
        rng,
        [
            "aws_secret_access_key",
            "AWS_SECRET_ACCESS_KEY",
            "SecretAccessKey",
            "aws_secret_key",
            "AWS_SECRET_KEY",
        ],
    )
    sep = pick(rng, ["=", " = ", ": "])
    return Secret("aws_access_key", form, f"{key}{sep}{secret}", (secret,), (key, secret))


PEM_KINDS = {  # label: (body prefix, body length in base64 characters)
    "RSA PRIVATE KEY": ("MIIEowIBAAKCAQEA", 1588),
    "PRIVATE KEY": ("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ", 1624),
    "EC PRIVATE KEY": ("MHcCAQEEI", 160),
    "OPENSSH PRIVATE KEY": (
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
        380,
    ),
    "ENCRYPTED PRIVATE KEY": ("MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI", 1700),
}


def pem_private_key(rng: Random) -> Secret:
    label = pick(rng, sorted(PEM_KINDS))
    prefix, length = PEM_KINDS[label]
    body = prefix + chars(rng, B64, length - len(prefix) - 2) + "=="
    width = 70 if label == "OPENSSH PRIVATE KEY" else 64
    lines = [body[i : i + width] for i in range(0, len(body), width)]
    pem = f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"
    if rng.random() < 0.3:
        wrapped = base64.b64encode((pem + "\n").encode()).decode()
        chunks = tuple(wrapped[i : i + 48] for i in range(64, len(wrapped) - 48, 96))
        return Secret(
            "pem_private_key",
            "k8s_base64",
            wrapped,
            chunks,
            (pick(rng, ["tls.key", "ssh-privatekey", "id_rsa"]), wrapped),
        )
    values = tuple(line for line in lines if len(line) >= 16)
    return Secret("pem_private_key", "pem", pem, values)


# ------------------------------------------------------------------------ vendor tokens


def github_token(rng: Random) -> Secret:
    form = pick(rng, ["ghp", "gho", "ghu", "ghs", "ghr", "fine_grained"])
    if form == "fine_grained":
        prefix, secret = "github_pat_", f"{chars(rng, ALNUM, 22)}_{chars(rng, ALNUM, 59)}"
    else:
        prefix, secret = f"{form}_", chars(rng, ALNUM, 36)
    return Secret("github_token", form, prefix + secret, (secret,))


def gitlab_token(rng: Random) -> Secret:
    form = pick(rng, ["glpat", "glpat_routable", "gldt", "glrt", "glptt", "runner_registration"])
    prefix = {
        "glpat": "glpat-",
        "glpat_routable": "glpat-",
        "gldt": "gldt-",
        "glrt": "glrt-",
        "glptt": "glptt-",
        "runner_registration": "GR1348941",
    }[form]
    if form == "glpat_routable":
        secret = (
            chars(rng, B64URL, 27) + ".01" + chars(rng, string.ascii_lowercase + "0123456789", 7)
        )
    elif form == "glptt":
        secret = chars(rng, HEX, 40)
    else:
        secret = chars(rng, B64URL, 20)
    return Secret("gitlab_token", form, prefix + secret, (secret,))


def slack_token(rng: Random) -> Secret:
    form = pick(rng, ["xoxb", "xoxp", "xapp", "xoxe"])
    if form == "xoxb":
        secret = chars(rng, ALNUM, 24)
        token = f"xoxb-{digits(rng, 12)}-{digits(rng, 13)}-{secret}"
    elif form == "xoxp":
        secret = chars(rng, HEX, 32)
        token = f"xoxp-{digits(rng, 12)}-{digits(rng, 12)}-{digits(rng, 13)}-{secret}"
    elif form == "xapp":
        secret = chars(rng, HEX, 64)
        token = f"xapp-1-A{chars(rng, BASE32, 10)}-{digits(rng, 13)}-{secret}"
    else:
        secret = chars(rng, ALNUM, 146)
        token = f"xoxe.xoxp-1-{secret}"
    return Secret("slack_token", form, token, (secret,))


def slack_webhook(rng: Random) -> Secret:
    secret = chars(rng, ALNUM, 24)
    team = "T" + chars(rng, BASE32, pick(rng, [8, 9, 10]))
    hook = "B" + chars(rng, BASE32, pick(rng, [8, 9, 10, 11]))
    url = f"https://hooks.slack.com/services/{team}/{hook}/{secret}"
    return Secret("slack_webhook", "services", url, (secret,))


def stripe_key(rng: Random) -> Secret:
    prefix = pick(rng, ["sk_live_", "rk_live_", "sk_test_", "rk_test_"])
    secret = chars(rng, ALNUM, pick(rng, [24, 99]))
    return Secret("stripe_key", prefix[:-1], prefix + secret, (secret,))


def google_api_key(rng: Random) -> Secret:
    key = "AIza" + chars(rng, B64URL, 35)
    return Secret("google_api_key", "aiza", key, (key[4:],))


def sendgrid_key(rng: Random) -> Secret:
    key_id, secret = chars(rng, B64URL, 22), chars(rng, B64URL, 43)
    return Secret("sendgrid_key", "sg", f"SG.{key_id}.{secret}", (secret,))


def npm_token(rng: Random) -> Secret:
    secret = chars(rng, ALNUM, 36)
    return Secret("npm_token", "npm", f"npm_{secret}", (secret,))


def pypi_token(rng: Random) -> Secret:
    secret = "CJ" + chars(rng, B64URL, rng.randint(60, 160))
    return Secret("pypi_token", "pypi", f"pypi-AgEIcHlwaS5vcmc{secret}", (secret,))


def azure_storage_key(rng: Random) -> Secret:
    account = f"{pick(rng, ['prod', 'logs', 'backup'])}{chars(rng, string.ascii_lowercase, 6)}"
    form = pick(rng, ["account_key", "sas_connection", "sas_url", "service_bus"])
    if form == "account_key":
        key = chars(rng, B64, 86) + "=="
        text = (
            f"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={key};"
            "EndpointSuffix=core.windows.net"
        )
        return Secret(
            "azure_storage_key", form, text, (key,), ("AZURE_STORAGE_CONNECTION_STRING", text)
        )
    if form == "service_bus":
        key = chars(rng, B64, 43) + "="
        text = (
            f"Endpoint=sb://{account}.servicebus.windows.net/;SharedAccessKeyName="
            f"RootManageSharedAccessKey;SharedAccessKey={key}"
        )
        return Secret("azure_storage_key", form, text, (key,))
    signature = chars(rng, B64, 43) + "="
    signature = signature.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    sas = (
        f"sv=2022-11-02&ss=bfqt&srt=sco&sp=rwdlacupiytfx&se=2026-12-31T23:59:59Z"
        f"&st=2026-01-01T00:00:00Z&spr=https&sig={signature}"
    )
    if form == "sas_url":
        text = f"https://{account}.blob.core.windows.net/exports/daily.csv?{sas}"
    else:
        text = f"BlobEndpoint=https://{account}.blob.core.windows.net/;SharedAccessSignature={sas}"
    return Secret("azure_storage_key", form, text, (signature,))


# --------------------------------------------------------------------- secret assignment

SECRET_WORDS = [
    "password",
    "passwd",
    "pwd",
    "pass",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "client_secret",
    "auth_token",
    "access_token",
    "refresh_token",
    "session_token",
    "credentials",
    "passphrase",
    "secret_key",
    "signing_key",
    "encryption_key",
    "webhook_secret",
    "api_token",
]
PREFIXES = [
    "",
    "",
    "db_",
    "mysql_",
    "pg_",
    "redis_",
    "smtp_",
    "ldap_bind_",
    "app_",
    "admin_",
    "x-",
    "github_",
    "vault_",
    "rabbitmq_default_",
    "oauth_",
    "sa_",
]
SUFFIXES = ["", "", "", "_prod", "_b64", "_2", "_old"]
WELL_KNOWN = [
    "DB_PASSWORD",
    "PGPASSWORD",
    "MYSQL_ROOT_PASSWORD",
    "client_secret",
    "access_token",
    "GITHUB_TOKEN",
    "x-api-key",
    "X-API-Key",
    "spring.datasource.password",
    "SECRET_KEY_BASE",
    "VAULT_TOKEN",
    "CONSUL_HTTP_TOKEN",
    "MSSQL_SA_PASSWORD",
    "RABBITMQ_DEFAULT_PASS",
    "apiKey",
    "clientSecret",
    "authToken",
    "db.password",
]


def case_variant(rng: Random, name: str) -> str:
    style = rng.randrange(5)
    if style == 0:
        return name.upper().replace("-", "_")
    if style == 1:
        head, *rest = name.replace("-", "_").split("_")
        return head + "".join(part.title() for part in rest)
    if style == 2:
        return name.replace("_", "-")
    if style == 3:
        return name.replace("_", ".")
    return name


def secret_name(rng: Random) -> str:
    if rng.random() < 0.35:
        return pick(rng, WELL_KNOWN)
    name = pick(rng, PREFIXES) + pick(rng, SECRET_WORDS) + pick(rng, SUFFIXES)
    return case_variant(rng, name)


SYNTAXES = [
    "k=v",
    "k: v",
    "k = v",
    '"k":"v"',
    '"k": "v"',
    "'k': 'v'",
    "<k>v</k>",
    "--k v",
    "--k=v",
    "mysql -p",
    "jdbc ;password=",
    "jdbc &password=",
    'k="v v"',
]


def secret_assignment(rng: Random) -> Secret:
    syntax = pick(rng, SYNTAXES)
    key = secret_name(rng)
    if syntax.startswith("jdbc"):
        key = pick(rng, ["password", "Password", "PWD", "pwd"])
    value = password(rng, spaces=syntax == 'k="v v"')
    if syntax == "<k>v</k>":
        key = key.replace(".", "_")
    if syntax.startswith("--"):
        key = key.lower().replace("_", "-").replace(".", "-")
    text = {
        "k=v": f"{key}={value}",
        "k: v": f"{key}: {value}",
        "k = v": f"{key} = {value}",
        '"k":"v"': f'"{key}":"{value}"',
        '"k": "v"': f'"{key}": "{value}"',
        "'k': 'v'": f"'{key}': '{value}'",
        "<k>v</k>": f"<{key}>{value}</{key}>",
        "--k v": f"--{key} {value}",
        "--k=v": f"--{key}={value}",
        "mysql -p": f"mysql -h db.example.com -u app -p{value} orders",
        "jdbc ;password=": f"jdbc:sqlserver://sql.example.com:1433;databaseName=orders;"
        f"user=app;{key}={value};encrypt=true",
        "jdbc &password=": f"jdbc:postgresql://pg.example.com:5432/orders?user=app&{key}={value}"
        "&ssl=true",
        'k="v v"': f'{key}="{value}"',
    }[syntax]
    pair = None if syntax in ("mysql -p",) or syntax.startswith("jdbc") else (key, value)
    return Secret("secret_assignment", syntax, text, (value,), pair)


GENERATORS: dict[str, Callable[[Random], Secret]] = {
    "email": email,
    "phone": phone,
    "ssn": ssn,
    "iban": iban,
    "credit_card": credit_card,
    "ipv4": ipv4,
    "ipv6": ipv6,
    "mac": mac,
    "internal_hostname": internal_hostname,
    "url_credentials": url_credentials,
    "bearer": bearer,
    "jwt": jwt,
    "aws_access_key": aws_access_key,
    "pem_private_key": pem_private_key,
    "github_token": github_token,
    "gitlab_token": gitlab_token,
    "slack_token": slack_token,
    "slack_webhook": slack_webhook,
    "stripe_key": stripe_key,
    "google_api_key": google_api_key,
    "sendgrid_key": sendgrid_key,
    "npm_token": npm_token,
    "pypi_token": pypi_token,
    "azure_storage_key": azure_storage_key,
    "secret_assignment": secret_assignment,
}
CLASSES: tuple[str, ...] = tuple(GENERATORS)

# Field names a keyed context (env dump, YAML, headers, JSON) files a value of each class
# under when the secret carries no key of its own.
KEY_HINTS: dict[str, tuple[str, ...]] = {
    "email": ("owner", "contact", "user", "notify", "reply_to"),
    "phone": ("pager", "oncall_phone", "contact_number"),
    "ssn": ("customer_ssn", "national_id", "tax_id"),
    "iban": ("iban", "payout_account", "debtor_account"),
    "credit_card": ("payload", "card", "pan"),
    "ipv4": ("client_ip", "remote_addr", "upstream", "peer"),
    "ipv6": ("client_ip", "remote_addr", "upstream", "peer"),
    "mac": ("mac_address", "hw_address", "station"),
    "internal_hostname": ("db_host", "upstream_host", "backend", "server"),
    "url_credentials": ("DATABASE_URL", "dsn", "broker_url", "REDIS_URL", "connection"),
    "jwt": ("id_token", "session", "x-auth-jwt", "jwt"),
    "aws_access_key": ("aws_access_key_id", "AWS_ACCESS_KEY_ID", "access_key_id"),
    "pem_private_key": ("private_key", "tls.key", "ssh_key"),
    "github_token": ("GITHUB_TOKEN", "GH_TOKEN", "github_token"),
    "gitlab_token": ("GITLAB_TOKEN", "CI_JOB_TOKEN", "private-token"),
    "slack_token": ("SLACK_BOT_TOKEN", "slack_token", "SLACK_APP_TOKEN"),
    "slack_webhook": ("SLACK_WEBHOOK_URL", "webhook", "slack_url"),
    "stripe_key": ("STRIPE_SECRET_KEY", "stripe_key", "STRIPE_API_KEY"),
    "google_api_key": ("GOOGLE_API_KEY", "maps_key", "key"),
    "sendgrid_key": ("SENDGRID_API_KEY", "sendgrid", "mail_api_key"),
    "npm_token": ("NPM_TOKEN", "npm_auth", "_authToken"),
    "pypi_token": ("PYPI_TOKEN", "TWINE_PASSWORD", "pypi_token"),
    "azure_storage_key": ("AZURE_STORAGE_CONNECTION_STRING", "connection_string", "storage"),
    "secret_assignment": ("password",),
    "bearer": ("Authorization",),
}
