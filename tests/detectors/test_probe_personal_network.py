"""Red-team probe (issue 9) of the personal-data and network detectors: formats real senders
emit that the first corpus did not carry, and the benign text next to them that must stay
as written. Each case is a whole detector run through the scrubber (prefilter included)."""

from __future__ import annotations

import pytest

from sanitizer.detectors import Scrubber
from sanitizer.detectors.normalize import normalize
from tests.detectors.helpers import scrub_all, survives, unchanged
from tests.growth import assert_linear_growth

# --- Versions: a quad after a version marker is no address ----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"version": "1.2.3.4", "status": "ok"}',
        '{\\"version\\": \\"10.0.1.2\\"}',
        "'version': '2.19.5.57'",
        "appVersion: 1.2.3.4",
        '"appVersion":"1.2.3.4"',
        "productVersion=10.0.0.1",
        "FileVersion 10.0.1.2",
        '[assembly: AssemblyVersion("1.0.0.0")]',
        "imageTag: 1.2.3.4",
        "pip install foo==1.2.3.4",
        "requires foo>=1.2.3.4, bar<=2.0.0.1",
        "gem 'rails', '~> 7.0.4.3'",
        "HBA fw 11.4.204.1",
    ],
)
def test_version_in_json_key_camel_case_or_after_an_operator_is_not_an_address(text):
    assert unchanged(text, "ipv4")


@pytest.mark.parametrize(
    "text, address",
    [
        ("lastUpdate: 10.0.0.1", "10.0.0.1"),  # not a version word at a camelCase end
        ('"host": "10.0.0.1"', "10.0.0.1"),
        ("if ip == 10.0.0.1 then drop", "10.0.0.1"),  # an operator not glued to a name
        ("peer 2.19.5.57 down", "2.19.5.57"),
        ("serverVer10.0.0.1", "10.0.0.1"),
    ],
)
def test_address_after_a_look_alike_of_a_version_marker_is_found(text, address):
    assert not survives(address, text, "ipv4")


# --- IPv4 in host names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, quad",
    [
        ("ec2-203-0-113-25.compute-1.amazonaws.com", "203-0-113-25"),
        ("ec2-54-210-167-204.us-west-2.compute.amazonaws.com", "54-210-167-204"),
        ("host-10-1-2-3.example.net", "10-1-2-3"),
        ("static-198-51-100-7.isp.example", "198-51-100-7"),
        ("web-10-0-0-5.svc.cluster.local", "10-0-0-5"),
    ],
)
@pytest.mark.parametrize(
    "context",
    [
        "{}",
        "ssh: connect to host {} port 22: Connection timed out",
        '{{"PublicDnsName": "{}"}}',
        "curl -v https://{}:8443/health",
        "Node {} NotReady",
    ],
)
def test_ipv4_dashed_after_a_word_in_a_host_name_is_found(name, quad, context):
    text = context.format(name)
    out, _ = Scrubber(["ipv4"])(text)
    assert quad not in out
    assert out == text.replace(quad, "[IPV4]")


@pytest.mark.parametrize(
    "text",
    [
        "app-24-01-02-03.log",  # a dated name: leading zeros
        "a-5-1-2-3-4.example",  # five numbers
        "backup-2024-10-01-12.tar",
        "node-1-2-3-4 ready",  # no host name follows
        "x10-1-2-3.example.com",
    ],
)
def test_dashed_numbers_that_are_no_host_name_address_stay(text):
    assert unchanged(text, "ipv4")


# --- Phones ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "020-7946-0958",  # UK, dashed groups
        "030-1234-5678",
        "(030) 1234-5678",  # DIN 5008: extension after a dash
        "(030)1234-5678",
        "030 1234-5678",
        "0228 12345-67",
        "030 / 1234 5678",  # the older slash form
        "030 / 12345678",
        "415-555-0100x123",  # a North American extension glued on
        "(415) 555-0100x12",
    ],
)
@pytest.mark.parametrize(
    "context",
    ["Call on-call at {} now.", "phone={}", '{{"phone":"{}"}}', "Tel.: {}", "<tel>{}</tel>"],
)
def test_phone_in_national_dashed_and_din_forms_is_found(number, context):
    assert not survives(number, context.format(number), "phone")


@pytest.mark.parametrize(
    "text, number",
    [
        ("phone=4155550100", "4155550100"),
        ('"msisdn": "447700900123"', "447700900123"),
        ("Tel.: 0301234567", "0301234567"),
        ("customerPhone: 07700900123", "07700900123"),
        ("mobile_phone=0612345678", "0612345678"),
        ('phone_number="+14155550100"', "+14155550100"),
        ("telephoneNumber: 4155550100", "4155550100"),
        ("fax#4155550100", "4155550100"),
        ("phone=0049301234567", "0049301234567"),
        ('{\\"phone\\": \\"4155550100\\"}', "4155550100"),
    ],
)
def test_compact_phone_after_a_phone_label_is_found(text, number):
    out, _ = Scrubber(["phone"])(text)
    assert number not in out
    assert "[PHONE]" in out


@pytest.mark.parametrize(
    "text",
    [
        "hotel 12345678",
        "telemetry 1234567 points",
        "Phone count 12345678",
        "tel: 1234567890123456789",  # too long for a number
        "Tel 1234567.5",
        "05-12-2024",
        "see 01-2024-05",
    ],
)
def test_digits_near_a_phone_look_alike_stay(text):
    assert unchanged(text, "phone")


@pytest.mark.parametrize(
    "text, value",
    [
        ("tel: +1\u2011415\u2011555\u20110100", "555\u20110100"),  # non-breaking hyphens
        ("card 4111\u20131111\u20131111\u20131111", "1111\u20131111"),  # en dashes
        ("SSN 123\u221245\u22126789", "6789"),  # minus signs
    ],
)
def test_numbers_written_with_unicode_hyphens_are_found(text, value):
    assert not survives(value, text)


def test_unicode_hyphens_read_as_hyphens_and_map_back():
    text = "x \u2011\u2013\u2212 y"
    normal = normalize(text)
    assert normal is not None
    assert normal.text == "x --- y"
    assert normal.span_in_original(2, 5) == (2, 5)
    assert unchanged("pages 10\u201320 and 2019\u20132024")


# --- SSN, IBAN, MAC -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Key (ssn)=(123456789) already exists.",
        "DETAIL:  Key (ssn)=(123-45-6789) already exists.",
        "SSN(123456789)",
    ],
)
def test_ssn_in_postgres_key_detail_is_found(text):
    assert not survives("6789", text, "ssn")


IBANS = [
    "GB82WEST12345698765432",
    "DE89370400440532013000",
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
    "BE68539007547034",
    "MT84MALT011000012345MTLCAST001S",
]


@pytest.mark.parametrize("iban", IBANS)
@pytest.mark.parametrize("context", ["IBAN {}", "iban={}&bic=X", '{{"iban": "{}"}}', "({})"])
def test_iban_in_dashed_groups_is_found(iban, context):
    dashed = "-".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    text = context.format(dashed)
    out, _ = Scrubber(["iban"])(text)
    assert out == text.replace(dashed, "[IBAN]")


@pytest.mark.parametrize(
    "text",
    [
        "id DE12-3456-7890",  # too short for Germany
        "DE89-3704-0044-0532-0130-01",  # check digits fail
        "de89 3704-0044-0532-0130-00",  # two separators
    ],
)
def test_dashed_look_alikes_of_an_iban_stay(text):
    assert unchanged(text, "iban")


@pytest.mark.parametrize(
    "text",
    [
        "ethernet 001a2b3c4d5e",
        "ether_addr=001a2b3c4d5e",
        "EthernetAddress: 001A2B3C4D5E",
        '"ether-address": "001a2b3c4d5e"',
    ],
)
def test_mac_bare_after_an_ethernet_label_is_found(text):
    assert not survives("2b3c4d5e", text, "mac")


def test_bare_hex_after_ethernet_words_that_are_no_label_stays():
    assert unchanged("ethernet adapter 0123456789ab", "mac")


@pytest.mark.parametrize(
    "text, mac",
    [
        ("? (10.0.2.2) at 52:54:0:12:35:2 on en0 ifscope [ethernet]", "52:54:0:12:35:2"),
        ("station 0:1a:2b:3c:4d:5e associated", "0:1a:2b:3c:4d:5e"),
        ("mac=0:1e:c2:a:b:c", "0:1e:c2:a:b:c"),
        ("MAC 0:1a:2b:3c:4d:5e: link up", "0:1a:2b:3c:4d:5e"),
        ('{"arp": "8:0:27:8d:c0:4d"}', "8:0:27:8d:c0:4d"),
    ],
)
def test_mac_without_leading_zeros_as_bsd_and_macos_print_it_is_found(text, mac):
    out, _ = Scrubber(["mac"])(text)
    assert out == text.replace(mac, "[MAC]")


@pytest.mark.parametrize(
    "text",
    [
        "fe80:0:0:0:0:0:0:1",  # eight groups: IPv6, not a MAC
        "a:1:2:3:4:5:6",
        "x1:2:3:4:5:6",
        "1:2:3:4:5:6.7",
        "12:30:45 and 1:02:03",
    ],
)
def test_colon_runs_that_are_no_unpadded_mac_stay(text):
    assert unchanged(text, "mac")


# --- Bounded work ---------------------------------------------------------------------------

ADVERSARIAL = {
    "version-quotes": (lambda n: "\"version\": '1.2.3.4' " * n, 10_000),
    "operators": (lambda n: "a==1.2.3.4 ~>" * n, 10_000),
    "camel": (lambda n: "xVersion 1.2.3." * n, 10_000),
    "word-dashes": (lambda n: "ec2-1-2-3-" * n, 20_000),
    "din-phones": (lambda n: "(030) 1234-" * n, 10_000),
    "phone-labels": (lambda n: "phone=123456 " * n, 10_000),
    "dashed-ibans": (lambda n: "DE89-3704-" * n, 10_000),
    "ether-labels": (lambda n: "ethernet_addr " * n, 10_000),
    "colon-runs": (lambda n: "1:2:3:4:5:" * n, 10_000),
    "colon-macs": (lambda n: "0:1:2:3:4:5 " * n, 10_000),
    "unicode-hyphens": (lambda n: "1\u2011" * n, 20_000),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_probed_forms_do_bounded_work_on_adversarial_input(name):
    make, n = ADVERSARIAL[name]
    assert_linear_growth(scrub_all, make, n)
