"""Third red-team probe (issue 9) of the personal-data and network detectors and the
normaliser: shapes real senders emit that the first two probes left (HTML and XML character
references, dotted card numbers and SSNs, IBANs split after the country code, labelled MACs
written in pairs or halves), and the benign text next to them that must stay as written.
Each case is a whole detector run through the scrubber (prefilter included)."""

from __future__ import annotations

import html
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.detectors import Scrubber
from sanitizer.detectors.normalize import normalize
from tests.corpus.measure import shipped_policies
from tests.corpus.model import strings_in
from tests.corpus.senders import SENDERS
from tests.detectors.helpers import scrub_all, survives, unchanged
from tests.growth import assert_linear_growth

# --- The normaliser: character references -----------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("owner alice.smith&#64;example.com paged", "alice.smith&#64;example.com"),
        ("owner alice.smith&#x40;example.com paged", "alice.smith&#x40;example.com"),
        ("owner alice.smith&#X40;example.com paged", "alice.smith&#X40;example.com"),
        ("owner alice.smith&commat;example.com paged", "alice.smith&commat;example.com"),
        ("owner alice&#46;smith&#64;example&#46;com", "alice&#46;smith&#64;example&#46;com"),
        ('<a href="mailto:bob&#64;example.org">mail</a>', "bob&#64;example.org"),
        ("<email>ops-team&#64;corp.example.co.uk</email>", "ops-team&#64;corp.example.co.uk"),
        ("<contact>m\u00fcller&#x40;example.de</contact>", "m\u00fcller&#x40;example.de"),
        # Escaped twice: an HTML body quoted inside XML.
        ("reply to bob+alerts&amp;#64;example.org", "bob+alerts&amp;#64;example.org"),
    ],
)
def test_email_written_with_character_references_is_found(text, value):
    assert not survives(value, text, "email")
    assert "[EMAIL]" in scrub_all(text)[0]


@pytest.mark.parametrize(
    "text, value",
    [
        ("host 10&#46;0&#46;0&#46;1 down", "10&#46;0&#46;0&#46;1"),
        ("peer 2001&#58;db8&#58;&#58;1 lost", "2001&#58;db8&#58;&#58;1"),
        ("&lt;SSN&gt;123456789&lt;/SSN&gt;", "123456789"),
        ("phone&#58; 07700900123", "07700900123"),
        ("<td>Tel.:&nbsp;+44&nbsp;20&nbsp;7946&nbsp;0958</td>", "7946"),
        ("web01&#46;prod&#46;internal", "web01"),
        ("<mac>00 1a 2b 3c 4d 5e</mac>", "2b 3c"),
        ("Email: alice&#8203;@example.com", "alice"),  # an invisible character, encoded
        ("card 4111&#160;1111&#160;1111&#160;1111", "4111"),
    ],
)
def test_values_in_xml_and_html_alert_bodies_are_found(text, value):
    assert not survives(value, text)


def test_a_reference_maps_back_to_its_whole_span():
    text = "x alice&#64;example.com &amp; y"
    normal = normalize(text)
    assert normal is not None
    assert normal.text == "x alice@example.com & y"
    start = normal.text.index("alice")
    end = normal.text.index(" &")
    assert normal.span_in_original(start, end) == (2, text.index(" &amp;"))


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from("ab@.:-_ 019"), min_size=1, max_size=20))
def test_html_escaped_text_reads_as_written(value):
    for encoded in (
        html.escape(value),
        "".join(f"&#{ord(c)};" for c in value),
        "".join(f"&#x{ord(c):x};" for c in value),
    ):
        text = f"[{encoded}]"
        normal = normalize(text)
        if normal is None:
            assert encoded == value
            continue
        assert normal.text == f"[{value}]"
        assert normal.span_in_original(1, 1 + len(value)) == (1, 1 + len(encoded))


@pytest.mark.parametrize(
    "text",
    [
        "AT&amp;T outage in R&amp;D, Q&amp;A",
        "a &lt; b &amp;&amp; c &gt; d",
        "&#169; 2024 Example Corp &#8212; disk full",
        "&nbsp;&nbsp;CRITICAL - load 5.01",
        "https://grafana.example.com/d/abc?orgId=1&amp;from=now-1h&amp;to=now",
        "&#0; &#1114112; &amp &unknown; &#x;",
    ],
)
def test_character_references_of_benign_text_stay(text):
    assert unchanged(text)


@pytest.mark.parametrize(
    "text",
    [
        "<version>1.2.3.4</version>",
        "<AssemblyVersion>1.0.0.0</AssemblyVersion>",
        "<appVersion>10.0.17763.107</appVersion>",
    ],
)
def test_version_in_an_xml_tag_is_no_address(text):
    assert unchanged(text, "ipv4")


def test_address_in_an_xml_tag_is_found():
    assert not survives("10.0.0.1", "<host>10.0.0.1</host>", "ipv4")


# --- Cards, SSNs, IBANs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "card",
    ["4111111111111111", "5555555555554444", "6011111111111117", "3530111333300000"],
)
@pytest.mark.parametrize("context", ["card {} declined", '"pan":"{}"', "<Pan>{}</Pan>", "{}."])
def test_card_number_in_dotted_groups_is_found(card, context):
    dotted = ".".join(card[i : i + 4] for i in range(0, 16, 4))
    assert not survives(dotted, context.format(dotted), "credit_card")


def test_amex_in_dotted_groups_is_found():
    assert not survives("3782.822463.10005", "amex 3782.822463.10005 ok", "credit_card")


@pytest.mark.parametrize(
    "text",
    [
        "order 4111.1111.1111.1112",  # Luhn fails
        "OID 1.4111.1111.1111.1111",  # glued to more dotted numbers
        "4111.1111.1111.1111.5",
        "table 2024.0101.1234.5678.9 rows",
        "version 1111.2222.3333",
    ],
)
def test_dotted_numbers_that_are_no_card_stay(text):
    assert unchanged(text, "credit_card")


@pytest.mark.parametrize(
    "text",
    [
        "SSN: 123.45.6789",
        '"ssn":"123.45.6789"',
        "social security number 123.45.6789",
        "tax id (SSN) 123.45.6789 rejected",
        "customerSsn=123.45.6789",
    ],
)
def test_ssn_in_dots_after_a_label_is_found(text):
    assert not survives("123.45.6789", text, "ssn")


@pytest.mark.parametrize(
    "text", ["table 123.45.6789 rows", "ssn 123.45.67890", "ssn 123.45.6789.1", "v 123.45.6789"]
)
def test_dotted_numbers_that_are_no_ssn_stay(text):
    assert unchanged(text, "ssn")


IBANS = [
    "GB82WEST12345698765432",
    "DE89370400440532013000",
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
    "IT60X0542811101000000123456",
    "BE68539007547034",
]


def grouped(iban: str, separator: str) -> str:
    return separator.join(iban[i : i + 4] for i in range(4, len(iban), 4))


@pytest.mark.parametrize("iban", IBANS)
@pytest.mark.parametrize(
    "form",
    [
        lambda i: f"{i[:2]} {i[2:4]} {grouped(i, ' ')}",  # GB 82 WEST 1234 ...
        lambda i: f"{i[:2]}-{i[2:4]}-{grouped(i, '-')}",  # GB-82-WEST-1234-...
        lambda i: f"{i[:4]}.{grouped(i, '.')}",  # GB82.WEST.1234...
        lambda i: f"{i[:2]} {i[2:]}",  # GB 82WEST1234...
    ],
)
@pytest.mark.parametrize("context", ["IBAN {} ok", "iban={}&bic=X", '"iban": "{}"'])
def test_iban_split_after_the_country_code_or_in_dots_is_found(iban, form, context):
    written = form(iban)
    out = Scrubber(["iban"])(context.format(written))[0]
    assert "[IBAN]" in out and written[5:12] not in out


@pytest.mark.parametrize(
    "text",
    [
        "GB 82 WEST 1234 5698 7654 33",  # check digits wrong
        "DE 89 points, ISO GB 82",
        "GB-82 weather",
        "GB 82-WEST-1234-5698-7654-32",  # separators mixed
        "node DE.89.1234.5678",
    ],
)
def test_look_alikes_of_a_split_iban_stay(text):
    assert unchanged(text, "iban")


# --- MAC addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, mac",
    [
        ("mac 00 1a 2b 3c 4d 5e", "00 1a 2b 3c 4d 5e"),
        ("MAC address: 00 1A 2B 3C 4D 5E", "00 1A 2B 3C 4D 5E"),
        ("hwaddr 00 1a 2b 3c 4d 5e, lease 3600", "00 1a 2b 3c 4d 5e"),
        ('"mac": "00.1a.2b.3c.4d.5e"', "00.1a.2b.3c.4d.5e"),
        ("MAC 001a2b-3c4d5e port 24", "001a2b-3c4d5e"),  # HP / Aruba
        ("mac_address=001a2b:3c4d5e", "001a2b:3c4d5e"),
        ("MAC\u00a000\u00a01a\u00a02b\u00a03c\u00a04d\u00a05e", "2b\u00a03c"),
    ],
)
def test_mac_in_pairs_or_halves_after_a_label_is_found(text, mac):
    assert not survives(mac, text, "mac")


@pytest.mark.parametrize(
    "text",
    [
        "00 1a 2b 3c 4d 5e",  # no label: a hex dump as likely
        "mac 00 1a 2b 3c 4d 5e 6f 70 hexdump",
        "0000: 00 1a 2b 3c 4d 5e 6f 70",
        "build 001a2b-3c4d5e",
        "macOS 14.2.1 (23C71)",
    ],
)
def test_hex_pairs_that_are_no_labelled_mac_stay(text):
    assert unchanged(text, "mac")


@pytest.mark.parametrize(
    "text",
    [
        "kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:1a:2b:3c:4d:5e:00:1a:2b:3c:4d:5f:08:00 "
        "SRC=203.0.113.7 DST=10.0.0.5 LEN=60",
        "IN=eth0 OUT= MAC=ff:ff:ff:ff:ff:ff:00:1a:2b:3c:4d:5f:08:06 SRC=10.0.0.9",
        "IN=br0 MAC=00:1a:2b:3c:4d:5e:00:1a:2b:3c:4d:5f:86:dd SRC=2001:db8::7",
    ],
)
def test_netfilter_link_layer_header_is_masked_whole(text):
    out = scrub_all(text)[0]
    assert "MAC=[MAC] SRC=" in out and "4d:5f" not in out


@pytest.mark.parametrize(
    "policy", ["nagios", "alertmanager", "zabbix", "pagerduty-events", "logzio-samples"]
)
def test_netfilter_header_leaves_no_source_mac_after_address_masking(policy):
    text = "fw: IN=eth0 OUT= MAC=00:1a:2b:3c:4d:5e:00:1a:2b:3c:4d:5f:08:00 SRC=203.0.113.7"
    sender = next(s for s in SENDERS if s.policy == policy)
    slot = next(slot for slot in sender.slots if slot.kind == "text")
    outputs = shipped_policies()[policy].apply_all(sender.build(Random(3), {slot.field: text}))
    assert all("4d:5f" not in s for o in outputs for s in strings_in(o.payload))


@pytest.mark.parametrize(
    "text",
    [
        "ssh fingerprint 43:51:43:a1:b5:fc:8b:b7:0a:3a:a9:b1:0f:66:73:a8",
        "SHA1 Fingerprint=A8:98:5D:3A:65:E5:E5:C4:B2:D7:D6:6D:40:C6:DD:2F:B1:9C:54:36",
    ],
)
def test_fingerprints_are_no_address(text):
    assert unchanged(text)


def test_cisco_mac_of_decimal_digits_is_labelled_a_mac():
    assert scrub_all("Gi0/1 0011.2233.4455 DYNAMIC")[0] == "Gi0/1 [MAC] DYNAMIC"


def test_bare_mac_after_a_label_with_hex_after_it_is_found():
    assert not survives("001a2b3c4d5e", "ether 001a2b3c4d5e brd ff", "mac")


# --- Versions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "mysql-server 8.0.35-0ubuntu0.22.04.1",
        "Inst openssl [1.1.1f-1ubuntu2.20] (1.1.1f-1ubuntu2.22.04.1 Ubuntu:22.04)",
        "Version: 2.7.4-0UBUNTU0.20.04.1",
    ],
)
def test_ubuntu_backport_version_is_no_address(text):
    assert unchanged(text, "ipv4")


@pytest.mark.parametrize("text", ["host ubuntu 10.0.0.1", "ubuntu-10.0.0.1", "ubuntu10.0.0.1"])
def test_address_after_the_word_ubuntu_is_found(text):
    assert not survives("10.0.0.1", text, "ipv4")


# --- Whole alerts through the scrubber --------------------------------------------------------


def test_a_soap_alert_body_with_escaped_values_keeps_nothing():
    body = (
        '<?xml version="1.0"?><soap:Envelope><soap:Body><Alert>'
        "<Host>10.1.2.3</Host><Contact>bob&#x40;example.org</Contact>"
        "<Detail>&lt;user email=&quot;carol&#64;example.net&quot; "
        "ssn=&quot;123.45.6789&quot;/&gt;</Detail>"
        "<Iban>DE 89 3704 0044 0532 0130 00</Iban><Card>4111.1111.1111.1111</Card>"
        "<Mac>MAC 00 1a 2b 3c 4d 5e</Mac></Alert></soap:Body></soap:Envelope>"
    )
    out = scrub_all(body)[0]
    for value in ("10.1.2.3", "bob&#x40;", "carol&#64;", "123.45", "3704", "4111", "2b 3c"):
        assert value not in out
    assert out.startswith('<?xml version="1.0"?><soap:Envelope>')


# Planted in a sender's free text: (text, what must not survive).
PLANTED = [
    ("escalate to zq.owner&#64;example.com", "zq.owner"),
    ("contact &lt;zq.lead@example.org&gt;", "zq.lead"),
    ("payout IBAN DE 89 3704 0044 0532 0130 00 failed", "0532 0130"),
    ("card 4012.8888.8888.1881 declined", "8888.1881"),
    ("SSN: 219.09.9999 rejected", "219.09"),
    ("port 24 learned MAC 00 1a 2b 3c 4d 5f", "3c 4d 5f"),
    ("host 10&#46;77&#46;0&#46;9 unreachable", "&#46;77&#46;"),
]


@pytest.mark.parametrize("sender", SENDERS, ids=lambda sender: sender.name)
def test_new_shapes_in_every_senders_free_text_never_leave_its_shipped_policy(sender):
    policy = shipped_policies()[sender.policy]
    for slot in (slot for slot in sender.slots if slot.kind == "text"):
        for text, value in PLANTED:
            document = sender.build(Random(3), {slot.field: text})
            outputs = [output.payload for output in policy.apply_all(document)]
            assert all(value not in s for o in outputs for s in strings_in(o)), (slot, text)


# --- Bounded work -----------------------------------------------------------------------------

ADVERSARIAL = {
    "references": (lambda n: "&#6" * n, 20_000),
    "named-references": (lambda n: "&amp;&commat" * n, 10_000),
    "split-ibans": (lambda n: "GB 82 WEST " * n, 10_000),
    "dotted-ibans": (lambda n: "GB82.WEST." * n, 10_000),
    "dotted-cards": (lambda n: "4111.1111." * n, 10_000),
    "dotted-ssns": (lambda n: "ssn 123.45." * n, 10_000),
    "mac-pairs": (lambda n: "mac 00 1a 2b " * n, 10_000),
    "mac-halves": (lambda n: "mac 001a2b-" * n, 10_000),
    "ubuntu": (lambda n: "0ubuntu0.1.2." * n, 10_000),
    "colon-pairs": (lambda n: "MAC=00:1a:2b:3c:4d:5e:00:1a " * n, 5_000),
    "long-colon-run": (lambda n: "0a:" * n, 20_000),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_probed_forms_do_bounded_work_on_adversarial_input(name):
    make, n = ADVERSARIAL[name]
    assert_linear_growth(scrub_all, make, n)
