"""Built-in detectors find what they promise, leave look-alikes alone, and scrub completely."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import itertools
import json
import random
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sanitizer.detectors import DETECTORS, Detector, Scrubber, find_ipv4, find_ipv6
from sanitizer.detectors.network import VERSION_WORDS
from sanitizer.errors import PolicyError
from tests.strategies import luhn_complete

ALL = list(DETECTORS)
scrub_all = Scrubber(ALL)

separators = st.sampled_from(
    [" ", "  ", "\t", "\n", ", ", "; ", "(", ")", "[", "]", "<", ">", "=", '"', "'", " | "]
)
# Words around generated instances; not the words that say a version follows (a quad after
# "firmware" is a version by design, see sanitizer/detectors/network.py).
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8).filter(
    lambda word: word != "v" and word not in VERSION_WORDS
)
upper_alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    length = draw(st.integers(13, 19))
    # 14 and 17 digits starting 20/21 could be compact timestamps, deliberately not cards.
    first = draw(st.sampled_from("3456" if length in (14, 17) else "23456"))
    body = first + draw(st.text(alphabet="0123456789", min_size=length - 2, max_size=length - 2))
    digits = luhn_complete(body)
    style = draw(st.sampled_from(["plain", " ", "-"]))
    if style == "plain":
        return digits
    groups = [digits[i : i + 4] for i in range(0, len(digits), 4)]
    if len(groups[-1]) < 3:  # cards are printed without a 1-2 digit tail group
        groups[-2:] = [groups[-2] + groups[-1]]
    return style.join(groups)


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = draw(st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._%+-]{0,15}[A-Za-z0-9])?", fullmatch=True))
    labels = draw(
        st.lists(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True), max_size=3)
    )
    tld = draw(st.sampled_from(["com", "org", "io", "co", "example", "xn--p1ai", "museum"]))
    return f"{local}@{'.'.join([*labels, 'example', tld])}"


aws_key_ids = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["AKIA", "ASIA"]),
    st.text(alphabet=upper_alnum, min_size=16, max_size=16),
)
aws_secrets = st.builds(
    lambda label, sep, value: f"{label}{sep}{value}",
    st.sampled_from(["aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "SecretAccessKey"]),
    st.sampled_from(["=", ": ", " = ", '": "']),
    st.text(alphabet=b64, min_size=40, max_size=40),
)


@st.composite
def jwts(draw: st.DrawFn) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = json.dumps({"alg": draw(st.sampled_from(["HS256", "RS256", "none"])), "typ": "JWT"})
    claims = json.dumps({"sub": draw(st.text(max_size=10)), "n": draw(st.integers())})
    signature = draw(st.binary(min_size=0, max_size=64))
    return f"{part(header.encode())}.{part(claims.encode())}.{part(signature)}"


@st.composite
def pem_blocks(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", "DSA "]))
    lines = draw(st.lists(st.text(alphabet=b64, min_size=1, max_size=64), min_size=1, max_size=5))
    return (
        f"-----BEGIN {kind}PRIVATE KEY-----\n"
        + "\n".join(lines)
        + (f"\n-----END {kind}PRIVATE KEY-----")
    )


@st.composite
def phones(draw: st.DrawFn) -> str:
    country = str(draw(st.integers(1, 999)))
    national = draw(st.from_regex(r"[0-9]{8,12}", fullmatch=True))
    cuts = sorted(draw(st.sets(st.integers(2, len(national) - 2), min_size=1, max_size=3)))
    groups = [national[a:b] for a, b in zip([0, *cuts], [*cuts, len(national)], strict=True)]
    sep = draw(st.sampled_from([" ", "-", "."]))
    prefix = draw(st.sampled_from(["+", "00"]))
    number = prefix + country + sep + sep.join(groups)
    # "00" with a two-digit country and two dotted groups of four is also Cisco's dotted MAC
    # address in decimal digits (0011.2233.4455): read as a MAC by design (contact.py).
    assume(not re.fullmatch(r"00[0-9]{2}\.[0-9]{4}\.[0-9]{4}", number))
    return number


@st.composite
def macs(draw: st.DrawFn) -> str:
    octets = draw(st.binary(min_size=6, max_size=6))
    upper = draw(st.booleans())
    style = draw(st.sampled_from([":", "-", "."]))
    text = octets.hex().upper() if upper else octets.hex()
    if style == ".":
        return ".".join(text[i : i + 4] for i in range(0, 12, 4))
    return style.join(text[i : i + 2] for i in range(0, 12, 2))


bearer_values = st.builds(
    lambda scheme, token: f"Authorization: {scheme} {token}",
    st.sampled_from(["Bearer", "Basic", "bearer"]),
    # No lower-case letters, so a token never equals one of the surrounding words.
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_+/.~", min_size=8, max_size=40),
)

INSTANCES = {
    "email": emails(),
    "ipv4": st.ip_addresses(v=4).map(str),
    "ipv6": st.ip_addresses(v=6).filter(lambda ip: ip != ipaddress.IPv6Address("::")).map(str),
    "mac": macs(),
    "phone": phones(),
    "jwt": jwts(),
    "aws_access_key": aws_key_ids | aws_secrets,
    "pem_private_key": pem_blocks(),
    "credit_card": card_numbers(),
    "bearer": bearer_values,
}


def secret_part(name: str, instance: str) -> str:
    """The part of a generated instance that must be gone after scrubbing."""
    if name == "bearer":
        return instance.split(" ", 2)[2]
    if name == "aws_access_key" and not instance.startswith(("AKIA", "ASIA")):
        return instance[-40:]
    return instance


@st.composite
def texts_with(draw: st.DrawFn, name: str) -> tuple[str, list[str]]:
    instances = draw(st.lists(INSTANCES[name], min_size=1, max_size=4))
    parts = []
    for instance in instances:
        parts += [draw(words), draw(separators), instance, draw(separators)]
    return "".join(parts) + draw(words), instances


# --- Each built-in detector finds what it promises, and scrubbing removes it -----------------


@pytest.mark.parametrize("name", sorted(INSTANCES))
@given(data=st.data())
def test_each_detector_finds_and_scrubs_every_generated_instance(name, data):
    text, instances = data.draw(texts_with(name))
    detector = DETECTORS[name]
    spans = detector.find(text)
    assert spans == sorted(spans)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    for instance in instances:
        start = text.index(instance)
        assert any(s <= start + len(instance) - 1 and start < e for s, e in spans)
    for scrubber in (Scrubber([name]), scrub_all):
        out, count = scrubber(text)
        assert count >= 1
        for instance in instances:
            assert secret_part(name, instance) not in out
    assert detector.label in Scrubber([name])(text)[0]


@given(
    st.sampled_from(["https", "http", "postgres", "redis", "ftp", "ssh"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=10),
    # Raw '/', '?' and '#' end the authority of a URL, so they are not generated here.
    st.text(alphabet=b64.replace("/", "") + "!$&'()*;=@%", min_size=1, max_size=16),
    st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z]{2,5}){1,2}", fullmatch=True),
)
def test_url_credentials_replaces_only_the_userinfo(scheme, user, password, host):
    text = f"DSN {scheme}://{user}:{password}@{host}:5432/db failed"
    out, count = Scrubber(["url_credentials"])(text)
    assert out == f"DSN {scheme}://[CREDENTIALS]@{host}:5432/db failed"
    assert count == 1


@given(st.lists(st.sampled_from(sorted(INSTANCES)), min_size=1, max_size=4), st.data())
def test_scrubbed_output_has_nothing_left_for_any_detector(names, data):
    parts = []
    for name in names:
        parts += [data.draw(words), data.draw(separators), data.draw(INSTANCES[name])]
    text = "".join(parts)
    out, _ = scrub_all(text)
    assert scrub_all.first_hit(out) is None
    assert scrub_all(out) == (out, 0)


@given(
    st.text(alphabet="ab c", max_size=40),
    st.lists(st.text("ab c", min_size=1, max_size=4), min_size=1, max_size=4),
)
def test_overlapping_matches_are_merged_so_no_part_of_any_match_survives(text, literals):
    patterns = [(re.compile(re.escape(lit)), f"<P{i}>") for i, lit in enumerate(literals)]
    out, count = Scrubber([], patterns)(text)
    for pattern, _ in patterns:
        assert pattern.search(out) is None
    assert count <= sum(len(p.findall(text)) for p, _ in patterns)


def test_overlaps_take_the_label_of_the_earliest_then_longest_match():
    patterns = [(re.compile("bcd"), "[2]"), (re.compile("abc"), "[1]"), (re.compile("ab"), "[0]")]
    assert Scrubber([], patterns)("xabcdy abz") == ("x[1]y [0]z", 2)


# --- Look-alikes are left alone ---------------------------------------------------------------


@given(st.from_regex(r"[0-9]{12,18}", fullmatch=True), separators)
def test_luhn_invalid_digit_runs_are_not_cards(body, separator):
    valid = luhn_complete(body)
    broken = valid[:-1] + str((int(valid[-1]) + 1) % 10)  # one changed digit breaks Luhn
    text = f"order{separator}{broken}{separator}shipped"
    assert Scrubber(["credit_card"])(text) == (text, 0)


# Epoch nanoseconds start with 1 from 2001-09 to 2033-05; card numbers start with 2-6.
timestamps = st.datetimes(
    min_value=datetime.datetime(2001, 9, 10), max_value=datetime.datetime(2033, 5, 1)
).flatmap(
    lambda moment: st.sampled_from(
        [
            moment.isoformat(),
            moment.isoformat(sep=" ", timespec="seconds"),
            moment.strftime("%a %b %d %H:%M:%S %Y"),
            moment.strftime("%Y-%m-%dT%H:%M:%S+01:00"),
            moment.strftime("%a %b %d %H:%M:%S +1100 %Y"),
            moment.strftime("%d/%m/%Y %H:%M"),
            moment.strftime("%Y%m%d%H%M%S"),
            str(int(moment.timestamp())),
            str(int(moment.timestamp() * 1000)),
            str(int(moment.timestamp() * 1_000_000_000)),
        ]
    )
)
versions = st.lists(st.integers(0, 2000), min_size=2, max_size=5).map(
    lambda parts: "v" + ".".join(map(str, parts))
)
durations = st.builds(
    lambda a, b, unit: f"{a}.{b}{unit}",
    st.integers(0, 99999),
    st.integers(0, 999),
    st.sampled_from(["s", "ms", "us", "m", "h", ""]),
) | st.builds(
    lambda h, m, s: f"{h}h{m}m{s}s", st.integers(0, 99), st.integers(0, 59), st.integers(0, 59)
)


@st.composite
def perfdata(draw: st.DrawFn) -> str:
    items = []
    for _ in range(draw(st.integers(1, 4))):
        label = draw(st.sampled_from(["rta", "pl", "time", "load1", "/var", "'C:\\ used'"]))
        numbers = [
            draw(st.floats(0, 1e6, allow_nan=False).map(lambda f: f"{f:.3f}") | st.just(""))
            for _ in range(4)
        ]
        unit = draw(st.sampled_from(["ms", "%", "s", "B", "KB", ""]))
        value = draw(st.floats(0, 1e5, allow_nan=False).map(lambda f: f"{f:.3f}"))
        items.append(f"{label}={value}{unit};" + ";".join(numbers))
    return " ".join(items)


@given(st.lists(timestamps | versions | durations | perfdata(), min_size=1, max_size=5))
def test_timestamps_versions_durations_and_perfdata_are_not_phones_or_cards(pieces):
    text = " | ".join(pieces)
    assert Scrubber(["phone", "credit_card"])(text) == (text, 0)


@pytest.mark.parametrize(
    "text",
    [
        "PING OK - Packet loss = 0%, RTA = 0.80 ms|rta=0.034ms;100.000;500.000;0; pl=0%;20;60;;",
        "HTTP OK: HTTP/1.1 200 OK - 1234 bytes in 0.012 second response time |time=0.012s;1;2",
        "DISK OK - free space: / 3326 MB (56% inode=99%);| /=2643MB;5948;5958;0;5968",
        "uptime 12:30:45, version 2.4.57-1ubuntu1, build 20240115.1, took 1h2m3s",
        "NTP OK: Offset +1.234567890 secs, jitter=0.001234567s, backup-20240115123045.tar",
        "Mon Jan 15 12:30:45 +1100 2024 at 2024-01-15T12:30:45+00:00 (epoch 1705312245123)",
        "std::cerr << Foo::Bar::baz(); 00:11:22:33:44:55 is a MAC, not an IPv6; and :: alone",
        "order 4111111111111112 failed, job 1234 5678 9012 3456 retried",
    ],
)
def test_realistic_look_alikes_are_left_alone(text):
    kept = [n for n in ALL if n not in ("mac",)]
    assert Scrubber(kept)(text) == (text, 0)


# --- IP finding rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("host10.0.0.1 up", ["10.0.0.1"]),
        ("1.2.3.4:8080.", ["1.2.3.4"]),
        ("ends in 10.1.2.3.", ["10.1.2.3"]),
        ("010.001.002.003", ["010.001.002.003"]),
        ("256.1.2.3 999.1.1.1 1.2.3", []),
        ("11.2.3.45678 and 123.1.2.3 and 1234.5.6.7", ["123.1.2.3"]),
        ("300.1.2.3.4", ["1.2.3.4"]),
        ("1.2.3.4.5.6.7.8", []),  # six or more dotted numbers: an OID, not addresses
        ("10.1.2.3.443 > 10.1.2.4.5432", ["10.1.2.3", "10.1.2.4"]),  # tcpdump
    ],
)
def test_find_ipv4_examples(text, found):
    assert [text[s:e] for s, e in find_ipv4(text)] == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("[2001:db8::17]:443", ["2001:db8::17"]),
        ("fe80::1%eth0 and 2001:db8::/32.", ["fe80::1", "2001:db8::"]),
        (
            "::ffff:1.2.3.4 and ::1 and 1:2:3:4:5:6:7:8",
            ["::ffff:1.2.3.4", "::1", "1:2:3:4:5:6:7:8"],
        ),
        ("addr:2001:db8::1, end", ["2001:db8::1"]),
        ("0000:0000:0000:0000:0000:0000:0000:0001", ["0000:0000:0000:0000:0000:0000:0000:0001"]),
        ("std::cerr Foo::Bar a::b_c x::1 12:30:45 00:11:22:33:44:55 :: [::]", []),
        ("1::2::3 and 1:::2", []),
    ],
)
def test_find_ipv6_examples(text, found):
    assert [text[s:e] for s, e in find_ipv6(text)] == found


@given(st.ip_addresses(v=6), st.sampled_from(["compressed", "exploded"]), separators, separators)
def test_find_ipv6_finds_exactly_every_generated_address(ip, form, left, right):
    if ip == ipaddress.IPv6Address("::") and form == "compressed":
        return
    written = getattr(ip, form)
    text = f"x{left}{written}{right}y"
    assert [text[s:e] for s, e in find_ipv6(text)] == [written]


@given(st.ip_addresses(v=4), separators, separators)
def test_find_ipv4_finds_exactly_every_generated_address(ip, left, right):
    text = f"host{left}{ip}{right}up"
    assert [text[s:e] for s, e in find_ipv4(text)] == [str(ip)]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("x@a.bc.d@e.com", ["x@a.bc"]),  # the rest only matches once x@a.bc is replaced
        ("user='bob@example.com'", ["bob@example.com"]),
        ("a@b.co@c.de and ops+x@mail.example.org", ["a@b.co", "ops+x@mail.example.org"]),
        ("@@a@b.cd", ["a@b.cd"]),
        ("x" * 300 + "@example.com", ["x" * 300 + "@example.com"]),
    ],
)
def test_find_email_examples(text, found):
    assert [text[s:e] for s, e in DETECTORS["email"].find(text)] == found


# --- Examples on realistic plugin output -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PING CRITICAL - Packet loss = 100%, host 10.20.30.40",
         "PING CRITICAL - Packet loss = 100%, host [IPV4]"),
        ("CRITICAL - Socket timeout after 10 seconds connecting to [2001:db8::17]:443",
         "CRITICAL - Socket timeout after 10 seconds connecting to [[IPV6]]:443"),
        ("SMTP WARNING - bounce from ops-team+alerts@mail.example.co.uk (550 5.1.1)",
         "SMTP WARNING - bounce from [EMAIL] (550 5.1.1)"),
        ("CRITICAL - DSN postgres://app:S3cr@t@10.20.30.40:5432/app unreachable",
         "CRITICAL - DSN postgres://[CREDENTIALS]@[IPV4]:5432/app unreachable"),
        ("HTTP CRITICAL - 401 with Authorization: Bearer abc.def-ghi_jkl~mno",
         "HTTP CRITICAL - 401 with Authorization: Bearer [TOKEN]"),
        ("WARNING - curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA==' failed",
         "WARNING - curl -H 'Authorization: Basic [TOKEN]' failed"),
        ("aws s3 ls failed: AKIAIOSFODNN7EXAMPLE / aws_secret_access_key="
         "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
         "aws s3 ls failed: [AWS_KEY] / aws_secret_access_key=[AWS_KEY]"),
        ("page +44 20 7946 0958, +1-202-555-0143, 0044 20 7946 0958 or (202) 555-0143",
         "page [PHONE], [PHONE], [PHONE] or [PHONE]"),
        ("payment 4111 1111 1111 1111 12/26 declined", "payment [CARD] 12/26 declined"),
        ("NIC 00:1A:2B:3C:4D:5E link down", "NIC [MAC] link down"),
        ("key\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
         "-----END OPENSSH PRIVATE KEY-----\nleaked", "key\n[PRIVATE_KEY]\nleaked"),
        ("truncated -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB", "truncated [PRIVATE_KEY]"),
        ("jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl; expired", "jwt=[JWT]; expired"),
    ],
)  # fmt: skip
def test_realistic_plugin_output(text, expected):
    assert scrub_all(text)[0] == expected


def test_first_hit_names_the_first_configured_detector_that_matches():
    scrubber = Scrubber(["email", "ipv4"], [(re.compile("secret"), "[S]")])
    assert scrubber.first_hit("host 10.0.0.1 has a@example.com") == "email"
    assert scrubber.first_hit("host 10.0.0.1") == "ipv4"
    assert scrubber.first_hit("a secret") == "pattern"
    assert scrubber.first_hit("all clear") is None


def test_unknown_detector_is_a_policy_error_listing_the_choices():
    with pytest.raises(PolicyError) as caught:
        Scrubber(["email", "social_media_handle"])
    assert "unknown detector 'social_media_handle'" in caught.value.message
    for name in ALL:
        assert name in caught.value.message


def test_registry_holds_every_built_in_detector_with_its_label():
    labels = {name: d.label for name, d in DETECTORS.items()}
    assert labels == {
        "email": "[EMAIL]",
        "phone": "[PHONE]",
        "ssn": "[SSN]",
        "iban": "[IBAN]",
        "credit_card": "[CARD]",
        "ipv4": "[IPV4]",
        "ipv6": "[IPV6]",
        "mac": "[MAC]",
        "internal_hostname": "[HOST]",
        "github_token": "[GITHUB_TOKEN]",
        "gitlab_token": "[GITLAB_TOKEN]",
        "slack_webhook": "[SLACK_WEBHOOK]",
        "slack_token": "[SLACK_TOKEN]",
        "stripe_key": "[STRIPE_KEY]",
        "google_api_key": "[GOOGLE_API_KEY]",
        "sendgrid_key": "[SENDGRID_KEY]",
        "npm_token": "[NPM_TOKEN]",
        "pypi_token": "[PYPI_TOKEN]",
        "vendor_key": "[VENDOR_KEY]",
        "azure_storage_key": "[AZURE_KEY]",
        "pem_private_key": "[PRIVATE_KEY]",
        "jwt": "[JWT]",
        "aws_access_key": "[AWS_KEY]",
        "url_credentials": "[CREDENTIALS]",
        "bearer": "[TOKEN]",
        "secret_assignment": "[SECRET]",
    }
    assert all(isinstance(d, Detector) and d.name == name for name, d in DETECTORS.items())
    assert all(d.summary for d in DETECTORS.values()), "every detector has a one-line summary"


def test_clean_text_is_returned_unchanged():
    text = "OK - all 12 checks passed in 0.5s; load=0.12;1.00;2.00;0;"
    assert scrub_all(text) == (text, 0)


def test_adversarial_megabyte_is_scrubbed():
    rng = random.Random(11)
    noise = "".join(rng.choice("0123456789.:") for _ in range(1_000_000))
    text = noise + " 10.20.30.40 [2001:db8::17]:443 4111111111111111 " + "1:" * 20_000
    out, count = scrub_all(text)
    assert count > 0
    for secret in ("10.20.30.40", "2001:db8::17", "4111111111111111"):
        assert secret not in out
    assert scrub_all.first_hit(out) is None
