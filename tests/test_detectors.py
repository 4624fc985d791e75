"""Built-in detectors find what they promise, leave look-alikes alone, and scrub completely."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import itertools
import json
import os
import random
import re
import sys
import types
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.detectors import DETECTORS, Detector, Scrubber, find_ipv4, find_ipv6
from sanitizer.errors import PolicyError

ALL = list(DETECTORS)
scrub_all = Scrubber(ALL)

separators = st.sampled_from(
    [" ", "  ", "\t", "\n", ", ", "; ", "(", ")", "[", "]", "<", ">", "=", '"', "'", " | "]
)
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
upper_alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def luhn_complete(body: str) -> str:
    """`body` with the check digit that makes it Luhn-valid."""
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return body + str(-total % 10)


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
    return prefix + country + sep + sep.join(groups)


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
        ("1.2.3.4.5.6.7.8", ["1.2.3.4", "5.6.7.8"]),
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
        Scrubber(["email", "ssn"])
    assert "unknown detector 'ssn'" in caught.value.message
    for name in ALL:
        assert name in caught.value.message


def test_registry_holds_every_built_in_detector_with_its_label():
    labels = {name: d.label for name, d in DETECTORS.items()}
    assert labels == {
        "email": "[EMAIL]",
        "ipv4": "[IPV4]",
        "ipv6": "[IPV6]",
        "mac": "[MAC]",
        "phone": "[PHONE]",
        "url_credentials": "[CREDENTIALS]",
        "bearer": "[TOKEN]",
        "jwt": "[JWT]",
        "aws_access_key": "[AWS_KEY]",
        "pem_private_key": "[PRIVATE_KEY]",
        "credit_card": "[CARD]",
    }
    assert all(isinstance(d, Detector) and d.name == name for name, d in DETECTORS.items())


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


# --- The fast scans find exactly what the plain expressions found ----------------------------
#
# The detectors module as it was before its scans were made faster, verbatim but for its
# docstring: the reference every result below is compared with. It stays as it is when the
# module changes; any difference it shows is a change of behaviour.
REFERENCE_SOURCE = r'''
import bisect
import functools
import ipaddress
import re
import sys
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sanitizer.errors import PolicyError


Span = tuple[int, int]

_DIGIT = re.compile(r"[0-9]")

# --- IPv4 -----------------------------------------------------------------------------------

# Patterns here start by consuming one character from a class and only then look behind
# it (``[0-9](?<![0-9]{2})`` rather than ``(?<![0-9])[0-9]``): a pattern that opens with a
# character class lets the regex engine skip quickly to the next possible start.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])"
# The first octet, written as its first digit followed by what that digit allows.
_FIRST_OCTET = (
    r"[0-9](?<![0-9]{2})"
    r"(?:(?<=[01])[0-9]{0,2}|(?<=2)(?:5[0-5]|[0-4][0-9]|[0-9]?)|(?<=[3-9])[0-9]?)"
)
_IPV4_RE = re.compile(rf"{_FIRST_OCTET}\.(?:{_OCTET}\.){{2}}{_OCTET}(?![0-9])")


# Prechecks open with a literal, which the engine finds fastest of all.
_IPV4_HINT = re.compile(r"\.[0-9]{1,3}\.[0-9]{1,3}\.")


def find_ipv4(text: str) -> list[Span]:
    """Spans of IPv4 dotted quads (octets 0-255, leading zeros allowed)."""
    if not _IPV4_HINT.search(text):
        return []
    return [m.span() for m in _IPV4_RE.finditer(text)]


# --- IPv6 -----------------------------------------------------------------------------------

_H = "[0-9A-Fa-f]{1,4}"
# The dotted tail of a mixed address, as strict as `ipaddress` (no leading zeros).
_V4_STRICT_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_V4_TAIL = rf"{_V4_STRICT_OCTET}(?:\.{_V4_STRICT_OCTET}){{3}}"


def _right(groups: int) -> str:
    """What may follow ``::``: up to `groups` 16-bit groups, a dotted tail counting as two."""
    plain = f"(?:{_H}:){{0,{groups - 1}}}{_H}"
    if groups < 2:
        return plain
    return f"(?:(?:{_H}:){{0,{groups - 2}}}{_V4_TAIL}|{plain})"


def _ipv6_pattern() -> str:
    forms = [f"(?:{_H}:){{6}}{_V4_TAIL}", f"(?:{_H}:){{7}}{_H}"]
    for left in range(7, 0, -1):  # `left` groups before the "::"
        head = f"(?:{_H}:){{{left - 1}}}{_H}::"
        forms.append(head + (f"(?:{_right(7 - left)})?" if left < 7 else ""))
    forms.append(f"::(?:{_right(7)})?")
    return (
        # Not glued on the left; may follow a single ':' ("addr:2001:db8::1"), but never
        # start inside or right after a "::" (see the note on the right-hand side).
        r"(?<![0-9A-Za-z_])(?<!::)(?!(?<=:):)"
        # Cheap filter: a group or a colon must come within five characters.
        r"(?=[0-9A-Fa-f]{0,4}:)"
        rf"(?:{'|'.join(forms)})"
        # Not glued on the right, and not followed by "::". Touching "::" on either side
        # is junk ("1::2::3"); matching part of it would leave text that becomes a new
        # address once the match is replaced, so masking would not be idempotent.
        r"(?![0-9A-Za-z_]|::)(?!(?<=:):)"
    )


_IPV6_RE = re.compile(_ipv6_pattern())
# Every address without "::" has six colons inside one run of groups.
_IPV6_FULL_HINT = re.compile(r":(?:[0-9A-Fa-f]{1,4}:){5}")


def find_ipv6(text: str) -> list[Span]:
    """Spans of IPv6 addresses: the address only, without brackets, port, zone or prefix.

    Every form `ipaddress` accepts is found (compressed, full, mixed ``::ffff:1.2.3.4``);
    each candidate is still confirmed by `ipaddress` before it is reported.
    """
    if "::" not in text and not _IPV6_FULL_HINT.search(text):
        return []
    return [m.span() for m in _IPV6_RE.finditer(text) if _is_ipv6(m.group())]


@functools.lru_cache(maxsize=4096)
def _is_ipv6(candidate: str) -> bool:
    if candidate == "::":
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


# --- The other built-in detectors --------------------------------------------------------------

_EMAIL_LOCAL = r"[A-Za-z0-9!#$%&*+_.~-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL_RE = re.compile(
    rf"(?<!{_EMAIL_LOCAL}){_EMAIL_LOCAL}++@(?:{_LABEL}\.)+[A-Za-z](?:[A-Za-z0-9-]{{0,61}}"
    r"[A-Za-z0-9])(?![A-Za-z0-9-])"
)


def _find_email(text: str) -> list[Span]:
    if "@" not in text:
        return []
    return [m.span() for m in _EMAIL_RE.finditer(text)]


_HEX2 = "[0-9A-Fa-f]{2}"
_MAC_RE = re.compile(
    r"[0-9A-Fa-f](?<![0-9A-Za-z_:.-][0-9A-Fa-f])"
    rf"(?:[0-9A-Fa-f]([:-])(?:{_HEX2}\1){{4}}{_HEX2}"
    r"|[0-9A-Fa-f]{3}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})"
    r"(?![0-9A-Za-z_]|[:.-][0-9A-Fa-f])"
)


_MAC_HINT = re.compile(r"[:.-](?:[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-]|[0-9A-Fa-f]{4}\.)")


def _find_mac(text: str) -> list[Span]:
    if not _MAC_HINT.search(text):
        return []
    return [m.span() for m in _MAC_RE.finditer(text)]


_PHONE_GROUP = r"(?:[ .-]?\([0-9]{1,4}\)|(?:[ .-]|(?<=\)))[0-9]{1,12}+)"
_PHONE_PLUS_RE = re.compile(
    rf"\+(?<![\w+]\+)[1-9][0-9]{{0,2}}+(?:{_PHONE_GROUP}{{1,8}}+|[0-9]{{5,14}}+)(?![0-9])"
)
_PHONE_00_RE = re.compile(rf"00(?<![\w+]00)[1-9][0-9]{{0,2}}+{_PHONE_GROUP}{{1,8}}+(?![0-9])")
# A signed or zero-padded decimal ("+1.234567890", an NTP offset) is not a phone number.
_PHONE_DECIMAL_RE = re.compile(r"(?:\+|00)[0-9]+\.[0-9]+")
_PHONE_PAREN_RE = re.compile(r"\((?<![\w+.-]\()[2-9][0-9]{2}\)[ .-]?[0-9]{3}[ .-][0-9]{4}(?![\w-])")
_PHONE_DASHES_HINT = re.compile(r"-[0-9]{3}-[0-9]{4}")
_PHONE_DASHES_RE = re.compile(
    r"[1-9](?<![\w+.-][1-9])(?:(?<=1)[ -][2-9][0-9]{2}|(?<=[2-9])[0-9]{2})-[0-9]{3}-[0-9]{4}"
    r"(?![\w-])"
)


def _find_phone(text: str) -> list[Span]:
    if not _DIGIT.search(text):
        return []
    spans = []
    for marker, pattern, prefix_digits in (("+", _PHONE_PLUS_RE, 0), ("00", _PHONE_00_RE, 2)):
        if marker not in text:
            continue
        for match in pattern.finditer(text):
            digits = sum(c.isdigit() for c in match.group()) - prefix_digits
            if 9 <= digits <= 15 and not _PHONE_DECIMAL_RE.fullmatch(match.group()):
                spans.append(match.span())
    if "(" in text:
        spans.extend(m.span() for m in _PHONE_PAREN_RE.finditer(text))
    if _PHONE_DASHES_HINT.search(text):
        spans.extend(m.span() for m in _PHONE_DASHES_RE.finditer(text))
    return _union(spans)


_URL_CREDENTIALS_RE = re.compile(r"(?<=://)[^\s/?#\[\]@]++(?:@[^\s/?#\[\]@]*+)*(?=@)")


def _find_url_credentials(text: str) -> list[Span]:
    if "://" not in text:
        return []
    return [m.span() for m in _URL_CREDENTIALS_RE.finditer(text)]


_TOKEN68 = r"[A-Za-z0-9\-._~+/]++=*+"
_BEARER_RE = re.compile(rf"(?i)\bbearer\s++(?=[A-Za-z0-9\-._~+/]{{8}})({_TOKEN68})")
_SCHEMES = "basic|bearer|token|negotiate|ntlm|apikey"
_LISTED_SCHEMES = "digest|aws4-hmac-sha256"
_AUTHORIZATION_RE = re.compile(
    r"(?i)\b(?:proxy-)?authorization[\"']?\s*+[:=]\s*+[\"']?(?:"
    rf"(?:{_LISTED_SCHEMES})\s++([A-Za-z0-9\-._~+/=][^\r\n]*+)"
    rf"|(?:{_SCHEMES})\s++({_TOKEN68})"
    rf"|(?!(?:{_SCHEMES}|{_LISTED_SCHEMES})\b)({_TOKEN68}))"
)


def _find_bearer(text: str) -> list[Span]:
    lowered = text.lower()  # a precheck only: lower() may change lengths, so no spans from it
    if "bearer" not in lowered and "authorization" not in lowered:
        return []
    spans = [m.span(1) for m in _BEARER_RE.finditer(text)]
    for match in _AUTHORIZATION_RE.finditer(text):
        group = next(index for index in (1, 2, 3) if match.group(index) is not None)
        spans.append(match.span(group))
    return _union(spans)


_B64URL = "[A-Za-z0-9_-]"
_JWT_RE = re.compile(
    rf"(?<!{_B64URL})eyJ{_B64URL}++\.{_B64URL}++\.{_B64URL}*+(?:\.{_B64URL}++){{0,2}}+"
)


def _find_jwt(text: str) -> list[Span]:
    if "eyJ" not in text:
        return []
    return [m.span() for m in _JWT_RE.finditer(text)]


_AWS_KEY_ID_RE = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
_AWS_SECRET_RE = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?:aws[_-]?)?secret[_-]?access[_-]?key[\"']?\s*+[:=]\s*+[\"']?"
    r"([A-Za-z0-9/+]++=*+)"
)


def _find_aws_access_key(text: str) -> list[Span]:
    spans = []
    if "AKIA" in text or "ASIA" in text:
        spans.extend(m.span() for m in _AWS_KEY_ID_RE.finditer(text))
    if "secret" in text.lower():
        spans.extend(m.span(1) for m in _AWS_SECRET_RE.finditer(text))
    return _union(spans)


_PEM_BEGIN_RE = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_END_RE = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")


def _find_pem_private_key(text: str) -> list[Span]:
    if "PRIVATE KEY" not in text:
        return []
    ends = [m.span() for m in _PEM_END_RE.finditer(text)]
    end_starts = [start for start, _ in ends]
    spans: list[Span] = []
    for begin in _PEM_BEGIN_RE.finditer(text):
        if spans and begin.start() < spans[-1][1]:
            continue
        index = bisect.bisect_left(end_starts, begin.end())
        spans.append((begin.start(), ends[index][1] if index < len(ends) else len(text)))
        if index == len(ends):
            break
    return spans


# A run of 13-19 digits, or a run of 3-6 digit groups split by single spaces or dashes in
# which card numbers are then looked for, so a date or CVV printed right after the number
# does not hide it.
_CARD_CANDIDATE_RE = re.compile(
    r"[0-9](?<![0-9]{2})"
    r"(?:[0-9]{12,18}+|[0-9]{2,5}+(?:[ -][0-9]{3,6}+(?![0-9]))++)(?![0-9])"
)
_GROUP_RE = re.compile(r"[0-9]+")
# YYYYmmddHHMMSS[fff], years 2000-2199: no card network issues 14 or 17 digit numbers
# starting 20 or 21, and these are common in file names and ids.
_COMPACT_TIMESTAMP_RE = re.compile(
    r"2[01][0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])(?:[01][0-9]|2[0-3])"
    r"[0-5][0-9][0-5][0-9](?:[0-9]{3})?"
)


_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")  # digit sum of 2*d


def _luhn_ok(digits: str) -> bool:
    backwards = digits[::-1]
    kept, doubled = backwards[0::2], backwards[1::2].translate(_LUHN_DOUBLED)
    # The byte sum of ASCII digits is their digit sum plus 48 per digit.
    return (sum(kept.encode()) + sum(doubled.encode()) - 48 * len(digits)) % 10 == 0


def _cards_in_groups(run: str, offset: int) -> list[Span]:
    groups = [(m.start() + offset, m.end() + offset, m.group()) for m in _GROUP_RE.finditer(run)]
    spans = []
    i = 0
    while i < len(groups):
        found = None
        if groups[i][2][0] in "23456":
            digits = ""
            for j in range(i, min(i + 7, len(groups))):
                digits += groups[j][2]
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and j > i and _luhn_ok(digits):
                    found = j
        if found is None:
            i += 1
        else:
            spans.append((groups[i][0], groups[found][1]))
            i = found + 1
    return spans


def _find_credit_card(text: str) -> list[Span]:
    if not _DIGIT.search(text):
        return []
    spans = []
    for match in _CARD_CANDIDATE_RE.finditer(text):
        digits = match.group()
        if digits.isdigit():
            if digits[0] in "23456" and _luhn_ok(digits):
                if not _COMPACT_TIMESTAMP_RE.fullmatch(digits):
                    spans.append(match.span())
        else:
            spans.extend(_cards_in_groups(digits, match.start()))
    return spans


# --- Registry and scrubber ---------------------------------------------------------------------


@dataclass(frozen=True)
class Detector:
    name: str
    label: str
    find: Callable[[str], list[Span]]


DETECTORS: Mapping[str, Detector] = types.MappingProxyType(
    {
        d.name: d
        for d in (
            Detector("email", "[EMAIL]", _find_email),
            Detector("ipv4", "[IPV4]", find_ipv4),
            Detector("ipv6", "[IPV6]", find_ipv6),
            Detector("mac", "[MAC]", _find_mac),
            Detector("phone", "[PHONE]", _find_phone),
            Detector("url_credentials", "[CREDENTIALS]", _find_url_credentials),
            Detector("bearer", "[TOKEN]", _find_bearer),
            Detector("jwt", "[JWT]", _find_jwt),
            Detector("aws_access_key", "[AWS_KEY]", _find_aws_access_key),
            Detector("pem_private_key", "[PRIVATE_KEY]", _find_pem_private_key),
            Detector("credit_card", "[CARD]", _find_credit_card),
        )
    }
)


def _union(spans: Iterable[Span]) -> list[Span]:
    """Sorted, merged spans (overlapping ones joined; touching ones kept apart)."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _pattern_finder(pattern: re.Pattern[str]) -> Callable[[str], list[Span]]:
    def find(text: str) -> list[Span]:
        return [m.span() for m in pattern.finditer(text) if m.end() > m.start()]

    return find


_ROUNDS = 4  # bounded: a custom pattern could match its own label


class Scrubber:
    """Replace everything the chosen detectors and custom patterns find with their labels."""

    def __init__(
        self, detectors: Sequence[str], patterns: Sequence[tuple[re.Pattern[str], str]] = ()
    ) -> None:
        finders: list[tuple[str, str, Callable[[str], list[Span]]]] = []
        seen = set()
        for name in detectors:
            detector = DETECTORS.get(name) if isinstance(name, str) else None
            if detector is None:
                raise PolicyError(f"unknown detector {name!r}; choose from: {', '.join(DETECTORS)}")
            if name not in seen:
                seen.add(name)
                finders.append((name, detector.label, detector.find))
        for pattern, label in patterns:
            if not isinstance(pattern, re.Pattern) or not isinstance(label, str):
                raise PolicyError(
                    "a custom pattern must be a compiled regular expression with a text label"
                )
            finders.append(("pattern", label, _pattern_finder(pattern)))
        self._finders = tuple(finders)

    def __repr__(self) -> str:
        return f"Scrubber({[name for name, _, _ in self._finders]!r})"

    def __call__(self, text: str) -> tuple[str, int]:
        """`text` with every match replaced, and how many replacements were made.

        Overlapping matches (from one or several detectors) are merged and the merged span
        takes the label of its earliest-starting match, the longest one on a tie.

        A replacement can free its neighbour: in ``x@a.b.c@d.com`` or ``...1111::37`` the
        text next to a match only stops matching because it touches that match. So a text
        that changed is scanned again (at most `_ROUNDS` times in all), which makes the
        output pass a guard built from the same detectors.
        """
        total = 0
        for _ in range(_ROUNDS):
            text, count = self._replace_once(text)
            total += count
            if not count:
                break
        return text, total

    def _replace_once(self, text: str) -> tuple[str, int]:
        hits = sorted(
            (start, -end, label) for _, label, find in self._finders for start, end in find(text)
        )
        if not hits:
            return text, 0
        pieces: list[str] = []
        position = 0
        start, end, label = hits[0][0], -hits[0][1], hits[0][2]  # the span being merged
        for next_start, negative_end, next_label in hits[1:]:
            if next_start < end:
                end = max(end, -negative_end)
                continue
            pieces += [text[position:start], label]
            position = end
            start, end, label = next_start, -negative_end, next_label
        pieces += [text[position:start], label, text[end:]]
        return "".join(pieces), len(pieces) // 2

    def first_hit(self, text: str) -> str | None:
        """Name of the first configured detector (or "pattern") that matches, else None."""
        for name, _, find in self._finders:
            if find(text):
                return name
        return None
'''
reference = types.ModuleType("reference_detectors")
sys.modules[reference.__name__] = reference  # dataclasses look their module up there
exec(compile(REFERENCE_SOURCE, "reference_detectors", "exec"), reference.__dict__)

# The key=value rule of the shipped policies as first written; the policies may carry an
# equivalent expression that the regex engine scans faster.
KEY_VALUE_PATTERN = (
    r"(?i)\b(?:api|org|auth|access|secret|private)[_-]?key\s*[=:]\s*[^\s,;&]+"
    r"|\b(?:token|passw(?:or)?d|pwd|secret)\s*[=:]\s*[^\s,;&]+"
)
RULES = Path(__file__).resolve().parents[1] / "rules"


def shipped_custom_patterns() -> set[str]:
    found = set()
    for path in sorted(RULES.glob("*.yaml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            if rule.get("action") == "scrub" and "pattern" in rule:
                raw = rule["pattern"]
                found.update([raw] if isinstance(raw, str) else raw)
    return found


SHIPPED_PATTERNS = sorted(shipped_custom_patterns())
# Raise for a long local run, e.g.
# DETECTOR_EXAMPLES=20000 pytest tests/test_detectors.py -k "reference or shipped_custom"
EXAMPLES = int(os.environ.get("DETECTOR_EXAMPLES", "300"))

# Letters that change under IGNORECASE or lower() in ways ASCII ones do not (long s, dotless
# and dotted i, Kelvin sign), non-ASCII digits and spaces, and a lone surrogate.
tricky_chars = st.sampled_from(
    ["\u017f", "\u0131", "\u0130", "\u212a", "\u00e9", "\u0663", "\uff11", "\u00a0", "\u2028",
     "\ud800", "\u00df"]
)  # fmt: skip
punctuation = st.sampled_from(list(" \t\n\r,;:.-_@/+=()[]<>'\"|&%#!~*$?^`{}\\"))
soups = st.text(alphabet="0123456789.:-@ aAbBcdeEfF_/+=xX()", max_size=30)
digit_dot_runs = st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,4}){0,6}", fullmatch=True)
digit_groups = st.from_regex(r"[0-9]{1,7}([ -][0-9]{1,7}){0,5}", fullmatch=True)
long_numbers = st.from_regex(r"[1-7][0-9]{10,20}", fullmatch=True)
hex_runs = st.from_regex(r"[0-9a-fA-F]{1,4}([:.-][0-9a-fA-F]{1,4}){1,8}", fullmatch=True)
# A MAC address with one character inserted, replaced or removed somewhere.
near_macs = st.builds(
    lambda mac, at, cut, insert: mac[:at] + insert + mac[at + cut :],
    macs(),
    st.integers(0, 17),
    st.integers(0, 1),
    st.sampled_from(["", ":", "-", ".", "0", "f", "g", "_", "::", "AB:"]),
)
near_phones = st.from_regex(
    r"(\+|00|\()?[0-9]{1,4}\)?([ .-]?\(?[0-9]{1,5}\)?){1,5}", fullmatch=True
)
near_emails = st.from_regex(
    r"[a-z0-9.+_~!-]{0,6}@[a-z0-9.-]{0,12}(@[a-z0-9.]{0,6})?", fullmatch=True
)
urls = st.builds(
    lambda scheme, userinfo, host: f"{scheme}://{userinfo}@{host}/path",
    st.sampled_from(["https", "postgres", "redis", "x"]),
    st.text(alphabet="abc:@%!$&'()*+,;=._~-", min_size=0, max_size=12),
    st.sampled_from(["db.example.com", "10.0.0.1", "[2001:db8::1]:443", ""]),
)
secret_labels = st.sampled_from(
    ["api_key", "API-KEY", "apikey", "org_key", "AuthKey", "access-key", "Secret_Key",
     "private_key", "PRIVATEKEY", "token", "TOKEN", "passwd", "password", "PASSWORD", "pwd",
     "secret", "\u017fecret", "api_\u212aey", "passw\u0131rd", "xapi_key", "api__key", "tokens",
     "aws_secret_access_key", "SecretAccessKey", "\u017fecret_access_key", "AKIA", "ASIA",
     "Authorization", "authorization", "Authori\u017fation", "Author\u0131zation",
     "Proxy-Authorization", "Bearer", "bearer", "BEARER", "Digest", "Basic", "AWS4-HMAC-SHA256",
     "eyJ", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "PRIVATE KEY"]
)  # fmt: skip
key_values = st.builds(
    lambda label, sep, value: label + sep + value,
    secret_labels,
    st.sampled_from(["=", ": ", " = ", ":", "=\t", " ", '": "', "='", "\n"]),
    st.text(alphabet=b64 + "=.-_~ ,;&", max_size=24),
)
luhn_invalid = card_numbers().map(lambda card: card[:-1] + str((int(card[-1]) + 3) % 10))
fragments = st.one_of(
    *INSTANCES.values(),
    luhn_invalid,
    st.ip_addresses().map(str),
    urls,
    key_values,
    words,
    separators,
    punctuation,
    tricky_chars,
    soups,
    digit_dot_runs,
    digit_groups,
    long_numbers,
    hex_runs,
    near_macs,
    near_phones,
    near_emails,
    st.integers().map(str),
    st.text(max_size=6),
)
# Fragments glued together or set apart, so every boundary rule meets its neighbours.
mixed_texts = st.lists(
    st.tuples(fragments, st.sampled_from(["", "", " ", "\n", ", ", "=", "(", ")", "/", "'"])),
    max_size=10,
).map(lambda pieces: "".join(fragment + joint for fragment, joint in pieces))


@settings(max_examples=EXAMPLES, deadline=None)
@given(mixed_texts)
def test_every_detector_finds_the_same_spans_as_the_reference(text):
    for name, detector in DETECTORS.items():
        assert detector.find(text) == reference.DETECTORS[name].find(text), name


@settings(max_examples=max(10, EXAMPLES // 10), deadline=None)
@given(mixed_texts.filter(bool), st.integers(20, 200))
def test_detectors_find_the_same_spans_as_the_reference_in_long_repetitive_texts(text, times):
    # Many e-mails or MAC-like separators in a row take the detectors' other road.
    text *= times
    for name, detector in DETECTORS.items():
        assert detector.find(text) == reference.DETECTORS[name].find(text), name


@settings(max_examples=EXAMPLES, deadline=None)
@given(mixed_texts, st.lists(st.sampled_from(ALL), unique=True))
def test_scrubbers_give_the_same_text_count_and_first_hit_as_the_reference(text, names):
    for chosen in (ALL, names):
        for custom in ([], [(KEY_VALUE_PATTERN, "[SECRET]")]):
            patterns = [(re.compile(source), label) for source, label in custom]
            new, old = Scrubber(chosen, patterns), reference.Scrubber(chosen, patterns)
            assert new(text) == old(text)
            assert new.first_hit(text) == old.first_hit(text)


@pytest.mark.parametrize("source", SHIPPED_PATTERNS)
@settings(max_examples=EXAMPLES, deadline=None)
@given(text=mixed_texts)
def test_shipped_custom_patterns_match_like_the_key_value_rule_as_first_written(source, text):
    shipped, written = re.compile(source), re.compile(KEY_VALUE_PATTERN)
    assert [m.span() for m in shipped.finditer(text)] == [m.span() for m in written.finditer(text)]
    patterns = [(shipped, "[SECRET]")]
    assert Scrubber(ALL, patterns)(text) == reference.Scrubber(ALL, [(written, "[SECRET]")])(text)


def fixture_strings() -> list[str]:
    """Every string (keys too) of the sample alerts, and the benchmark's long plugin output."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                found.append(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in sorted((Path(__file__).parent / "fixtures" / "alerts").glob("*.json")):
        walk(json.loads(path.read_text(encoding="utf-8")))
    found.append(
        "CRITICAL - 498 of 500 connections used; top client 10.20.31.7, admin dba@example.com\n"
        + ("client 10.20.31.7: 301 connections, state idle in transaction; " * 40)[:2400]
    )
    return found


def test_sample_alerts_scrub_exactly_as_with_the_reference():
    patterns = [(re.compile(source), "[SECRET]") for source in SHIPPED_PATTERNS]
    written = [(re.compile(KEY_VALUE_PATTERN), "[SECRET]")]
    new, old = Scrubber(ALL, patterns), reference.Scrubber(ALL, written)
    for text in fixture_strings():
        for name, detector in DETECTORS.items():
            assert detector.find(text) == reference.DETECTORS[name].find(text), (name, text)
        assert new(text) == old(text)
        assert new.first_hit(text) == old.first_hit(text)
