"""Network detectors: IPv4 (dotted, dashed in host names, reverse DNS), IPv6 in every form
(zones, brackets, nibble ip6.arpa names), MAC addresses (separated and labelled bare)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanitizer.detectors import DETECTORS, Scrubber
from sanitizer.detectors.network import (
    DASHED,
    DOTTED,
    NIBBLES,
    REVERSE,
    TEXTUAL,
    find_ipv4,
    find_ipv4_forms,
    find_ipv6_forms,
)
from tests.growth import assert_linear_growth

ipv4 = st.ip_addresses(v=4)
ipv6 = st.ip_addresses(v=6).filter(lambda ip: ip != ipaddress.IPv6Address("::"))
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)

# (before, after) around a value: where alerts put addresses and host names.
CONTEXTS = [
    ("PING CRITICAL - host ", " unreachable"),
    ("2024-10-01T12:30:45Z ERROR connect to ", " failed: timeout"),
    ('  File "/srv/app.py", line 12, in connect\n    socket.connect(("', '", 5432))'),
    ('psycopg2.OperationalError: could not connect to server at "', '" port 5432'),
    ("X-Forwarded-For: ", "\r\nHost: api"),
    ("curl -sS -H 'Host: x' https://", ":8443/health"),
    ("DB_HOST=", "\nDB_PORT=5432"),
    ("spec:\n  containers:\n  - env:\n    - {name: UPSTREAM, value: ", "}"),
    ("https://monitor/check?target=", "&n=1"),
    ("host=", " state=CRITICAL"),
    ('{\\"host\\": \\"', '\\"}'),
    ('{\\\\\\"host\\\\\\": \\\\\\"', '\\\\\\"}'),
]
contexts = st.sampled_from(CONTEXTS)


def found(name: str, text: str) -> list[str]:
    return [text[start:end] for start, end in DETECTORS[name].find(text)]


def dashed(ip: ipaddress.IPv4Address) -> str:
    return str(ip).replace(".", "-")


@st.composite
def dashed_host_names(draw: st.DrawFn) -> tuple[str, ipaddress.IPv4Address]:
    """(host name, the address in it): every dashed shape alerts carry."""
    ip = draw(ipv4)
    shape = draw(
        st.sampled_from(
            [
                "ip-{}",
                "ip-{}.ec2.internal",
                "ip-{}.eu-west-1.compute.internal",
                "IP-{}.EC2.INTERNAL",
                "{}.nip.io",
                "{}.sslip.io",
                "{}.default.pod.cluster.local",
                "app-ip-{}.example.com",
            ]
        )
    )
    return shape.format(dashed(ip)), ip


# --- IPv4 -----------------------------------------------------------------------------------


@given(dashed_host_names(), contexts)
def test_dashed_addresses_in_host_names_are_found_as_the_four_octets(sample, context):
    name, ip = sample
    text = context[0] + name + context[1]
    assert found("ipv4", text) == [dashed(ip)]
    forms = [(text[s:e], form) for s, e, form in find_ipv4_forms(text)]
    assert forms == [(dashed(ip), DASHED)]


@given(dashed_host_names(), contexts)
def test_dashed_addresses_are_scrubbed_and_the_host_name_shape_stays(sample, context):
    name, ip = sample
    text = context[0] + name + context[1]
    out, count = Scrubber(["ipv4"])(text)
    assert count == 1
    assert out == text.replace(dashed(ip), "[IPV4]", 1)
    assert dashed(ip) not in out


@given(ipv4, contexts)
def test_reverse_dns_names_are_found_and_marked_reversed(ip, context):
    text = context[0] + ip.reverse_pointer + context[1]
    reversed_quad = ip.reverse_pointer.removesuffix(".in-addr.arpa")
    assert found("ipv4", text) == [reversed_quad]
    assert [form for _, _, form in find_ipv4_forms(text)] == [REVERSE]
    assert Scrubber(["ipv4"])(text)[0] == context[0] + "[IPV4].in-addr.arpa" + context[1]


@given(ipv4, contexts)
def test_plain_dotted_quads_are_still_dotted(ip, context):
    text = context[0] + str(ip) + context[1]
    assert [(text[s:e], f) for s, e, f in find_ipv4_forms(text)] == [(str(ip), DOTTED)]


@pytest.mark.parametrize(
    "text",
    [
        "backup 2024-10-01-12 done",  # a date and an hour
        "job ran 2024-10-01-12:30:45",
        "rotated log 24-10-01-12 and 10-01-2024",
        "build 1-2-3-4 finished",  # no ip- and no host-name label after it
        "ip-10-1-2-3-4.ec2.internal is not four octets",
        "ip-256-1-2-3 and ip-1-2-3-999",
        "sip-10-1-2-3 skip-1-2-3-4",  # "ip" glued to a letter
        "x10-1-2-3.example.com and 10-1-2-3-4.nip.io",
        "uuid 550e8400-e29b-41d4-a716-446655440000",
        "version 2.19.5.57, v2.19.5.57, firmware: 1.2.3.4, build=10.0.0.1",
        "OID 1.3.6.1.2.1.1.3.0 is sysUpTime",
        "timestamps 12:30:45.123 2024-01-15T12:30:45+01:00 took 1h2m3s",
        "std::cerr << Foo::Bar::baz(); load1=0.5;1;2;0;",
        "www.example.com api.github.com /var/log/syslog",
    ],
)
def test_benign_look_alikes_are_not_ipv4_or_ipv6(text):
    assert Scrubber(["ipv4", "ipv6"])(text) == (text, 0)


def test_an_unlabelled_version_shaped_quad_is_still_an_address():
    assert found("ipv4", "peer 2.19.5.57 down") == ["2.19.5.57"]
    assert found("ipv4", "srv10.0.0.1 down") == ["10.0.0.1"]


def test_find_ipv4_keeps_reporting_dotted_quads_only():
    text = "ip-10-1-2-3.ec2.internal 10.9.8.7"
    assert [text[s:e] for s, e in find_ipv4(text)] == ["10.9.8.7"]


# --- IPv6 -----------------------------------------------------------------------------------


@st.composite
def written_ipv6(draw: st.DrawFn) -> tuple[str, str, str]:
    """(before, address as written, after) in every textual form `ipaddress` accepts."""
    ip = draw(ipv6)
    form = draw(st.sampled_from(["compressed", "exploded", "upper", "lead0", "mapped", "nat64"]))
    text = {
        "compressed": ip.compressed,
        "exploded": ip.exploded,
        "upper": ip.compressed.upper(),
        "lead0": ip.exploded.upper(),
        "mapped": f"::ffff:{ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)}",
        "nat64": f"64:ff9b::{ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)}",
    }[form]
    wrap = draw(st.sampled_from(["plain", "zone", "port", "prefix"]))
    if wrap == "zone":
        return "", text, "%" + draw(st.sampled_from(["eth0", "en1", "25", "lo"]))
    if wrap == "port":
        return "[", text, f"]:{draw(st.integers(1, 65535))}"
    if wrap == "prefix":
        return "", text, f"/{draw(st.integers(0, 128))}"
    return "", text, ""


@given(written_ipv6(), contexts)
def test_every_textual_ipv6_form_is_found_without_its_zone_brackets_or_port(sample, context):
    before, address, after = sample
    if context[1].startswith(":") and not after:
        # "::1:8443" is one valid address: a URL brackets an address before its port.
        before, after = "[", "]"
    text = context[0] + before + address + after + context[1]
    assert found("ipv6", text) == [address]
    out = Scrubber(["ipv6", "ipv4"])(text)[0]
    assert out == context[0] + before + "[IPV6]" + after + context[1]


@given(ipv6, contexts)
def test_nibble_reverse_names_are_ipv6_and_hold_no_ipv4(ip, context):
    text = context[0] + ip.reverse_pointer + context[1]
    nibbles = ip.reverse_pointer.removesuffix(".ip6.arpa")
    assert found("ipv6", text) == [nibbles]
    assert [form for _, _, form in find_ipv6_forms(text)] == [NIBBLES]
    assert found("ipv4", text) == []
    out = Scrubber(["ipv4", "ipv6"])(text)[0]
    assert out == context[0] + "[IPV6].ip6.arpa" + context[1]


def test_uppercase_nibble_names_and_partial_reverse_zones():
    ip = ipaddress.IPv6Address("2001:db8::567:89ab")
    upper = ip.reverse_pointer.upper()
    assert found("ipv6", upper) == [upper.removesuffix(".IP6.ARPA")]
    zone = "8.b.d.0.1.0.0.2.ip6.arpa"  # a /32 network, not a host: left as written
    assert Scrubber(["ipv4", "ipv6"])(zone) == (zone, 0)


def test_textual_ipv6_is_reported_as_textual():
    text = "[2001:db8::1]:443"
    assert [(text[s:e], f) for s, e, f in find_ipv6_forms(text)] == [("2001:db8::1", TEXTUAL)]


# --- MAC ------------------------------------------------------------------------------------

MAC_LABELS = [
    "mac=",
    "mac: ",
    "MAC=",
    "MAC address ",
    "MAC Address: ",
    "mac_address=",
    "macaddr ",
    "srcMac=",
    "client_mac: ",
    "hwaddr ",
    "HWaddr ",
    "hw-addr=",
    "ether ",
    "link/ether ",
    "lladdr ",
    "chaddr=",
    '"mac": "',
    '\\"mac\\": \\"',
    "mac='",
]


@given(st.binary(min_size=6, max_size=6), st.sampled_from(MAC_LABELS), st.booleans(), contexts)
def test_labelled_bare_macs_are_found(octets, label, upper, context):
    bare = octets.hex().upper() if upper else octets.hex()
    text = context[0] + label + bare + context[1]
    assert found("mac", text) == [bare]
    assert bare not in Scrubber(["mac"])(text)[0]


# A separated MAC followed by ":8443" reads as a longer colon run, so not that context.
mac_contexts = st.sampled_from([c for c in CONTEXTS if not c[1].startswith(":")])


@given(st.binary(min_size=6, max_size=6), st.sampled_from([":", "-", "."]), mac_contexts)
def test_separated_macs_are_still_found(octets, separator, context):
    hexed = octets.hex()
    width = 4 if separator == "." else 2
    mac = separator.join(hexed[i : i + width] for i in range(0, 12, width))
    text = context[0] + mac + context[1]
    assert found("mac", text) == [mac]


@pytest.mark.parametrize(
    "text",
    [
        "commit 001a2b3c4d5e7f merged",  # no label
        "request id 001a2b3c4d5e",
        "imac 001a2b3c4d5e and together 001a2b3c4d5e",  # "mac"/"ether" inside a word
        "mac=001a2b3c4d5e6f (14 digits)",
        "mac address unknown",
    ],
)
def test_unlabelled_or_misshapen_hex_is_not_a_mac(text):
    assert found("mac", text) == []


# --- Bounded work ---------------------------------------------------------------------------


# Each input and its base size n: big enough to take milliseconds, small enough to be quick.
ADVERSARIAL = {
    "ip-dashes": (lambda n: "ip-1-2-" * n, 50_000),
    "zero-dashes": (lambda n: "0-0-0-0-" * n, 10_000),
    "dashed-labels": (lambda n: "1-2-3-4." * n, 10_000),
    "nibbles": (lambda n: "1." * n + "ip6.arpa ", 50_000),
    "arpa-names": (lambda n: "1.2.3.4.in-addr.arpa." * n, 5_000),
    "mac-labels": (lambda n: "mac=" * n + "001a2b3c4d5e", 50_000),
    "mac-runs": (lambda n: "mac=001a2b3c4d5e" * n, 10_000),
    "versions": (lambda n: "version 1.2.3.4 " * n, 20_000),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_network_detectors_do_bounded_work_on_adversarial_input(name):
    scrubber = Scrubber(["ipv4", "ipv6", "mac"])
    make, n = ADVERSARIAL[name]
    assert_linear_growth(scrubber, make, n)
