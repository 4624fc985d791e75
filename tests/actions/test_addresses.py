"""The `mask_ip` transform: no address survives any mode, and what surrounds it is kept."""

from __future__ import annotations

import base64
import ipaddress
import random
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sanitizer.actions.addresses import IpMasker
from sanitizer.actions.cryptopan import CryptoPAn
from sanitizer.detectors import find_ipv4, find_ipv6
from sanitizer.errors import PolicyError
from tests.conftest import make_policy
from tests.cryptopan_reference import VECTORS, with_first_bit_flipped
from tests.strategies import words  # no version word: "release 1.2.3.4" is a version

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

KEY = bytes(range(32))
MODES = ["fixed", "truncate", "pseudonym"]

# A bare "::" is deliberately never masked (it reveals nothing), so it is not generated.
addresses = (
    st.ip_addresses(v=4)
    | st.ip_addresses(v=6).filter(lambda ip: ip != ipaddress.IPv6Address("::"))
    | st.ip_addresses(v=4).map(lambda ip: ipaddress.IPv6Address(f"::ffff:{ip}"))
)
separators = st.sampled_from(
    [" ", "  ", "\t", "\n", ",", ", ", ";", "(", ")", "[", "]", "<", ">", "=", '"', "'"]
)


def masker(mode: str, **kwargs: int) -> IpMasker:
    return IpMasker(mode, key=KEY if mode == "pseudonym" else None, **kwargs)


@st.composite
def rendered(draw: st.DrawFn, ip: IPAddress) -> tuple[str, str, str]:
    """(before, address text, after): one way the address may be written in an alert."""
    forms = ["compressed", "exploded", "port", "prefix"]
    if ip.version == 6:
        forms += ["zone"] + (["mixed"] if ip.ipv4_mapped is not None else [])
    form = draw(st.sampled_from(forms))
    text = ip.exploded if form == "exploded" else ip.compressed
    if form == "mixed":
        text = f"::ffff:{ip.ipv4_mapped}"
    if form == "port":
        port = draw(st.integers(1, 65535))
        return ("[", text, f"]:{port}") if ip.version == 6 else ("", text, f":{port}")
    if form == "prefix":
        return "", text, f"/{draw(st.integers(0, ip.max_prefixlen))}"
    if form == "zone":
        return "", text, "%" + draw(st.sampled_from(["eth0", "en1", "25lo", "2"]))
    return "", text, ""


@st.composite
def texts_with_addresses(draw: st.DrawFn) -> tuple[str, str, list[IPAddress]]:
    """(text, the same text with every address written as [IP], the addresses)."""
    ips = draw(st.lists(addresses, min_size=1, max_size=5))
    text, template = [], []
    for ip in ips:
        before, written, after = draw(rendered(ip))
        lead = draw(words) + draw(separators) + before
        tail = after + draw(separators)
        text += [lead, written, tail]
        template += [lead, "[IP]", tail]
    last = draw(words)
    return "".join(text) + last, "".join(template) + last, ips


def textual_forms(ip: IPAddress) -> set[str]:
    forms = {str(ip), ip.exploded, ip.compressed}
    if ip.version == 6 and ip.ipv4_mapped is not None:
        forms.add(f"::ffff:{ip.ipv4_mapped}")
    return forms


def occurs(form: str, text: str) -> bool:
    """Whether `form` appears in `text` as a whole address, not inside a longer one."""
    return (
        re.search(rf"(?<![0-9A-Za-z_:.]){re.escape(form)}(?![0-9A-Za-z_:]|\.[0-9])", text)
        is not None
    )


def address_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the addresses in `text`, an IPv4 inside a mixed IPv6 counted once."""
    outer: list[tuple[int, int]] = []
    for start, end in sorted(find_ipv4(text) + find_ipv6(text), key=lambda s: (s[0], -s[1])):
        if not outer or start >= outer[-1][1]:
            outer.append((start, end))
    return outer


def addresses_in(text: str) -> list[IPAddress]:
    return [ipaddress.ip_address(text[start:end]) for start, end in address_spans(text)]


def truncated(ip: IPAddress, v4: int = 24, v6: int = 48) -> IPAddress:
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return ipaddress.IPv6Address(f"::ffff:{truncated(ip.ipv4_mapped, v4, v6)}")
    prefix = v4 if ip.version == 4 else v6
    return ipaddress.ip_network((ip, prefix), strict=False).network_address


def pseudonym(ip: IPAddress) -> IPAddress:
    pan = CryptoPAn(KEY)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return ipaddress.IPv6Address(f"::ffff:{pan.anonymize(ip.ipv4_mapped)}")
    return pan.anonymize(ip)


# --- Properties ------------------------------------------------------------------------------


@given(texts_with_addresses(), st.sampled_from(MODES))
def test_no_generated_address_survives_masking(sample, mode):
    text, _, ips = sample
    out, count = masker(mode)(text)
    assert count == len(ips)
    expected = {
        "fixed": set(),
        "truncate": {truncated(ip) for ip in ips},
        "pseudonym": {pseudonym(ip) for ip in ips},
    }[mode]
    for ip in ips:
        if ip in expected:  # truncate: an address that already is its own prefix
            continue
        for form in textual_forms(ip):
            assert not occurs(form, out), (form, out)
            if mode == "fixed":
                assert form not in out
    assert set(addresses_in(out)) <= expected


@given(texts_with_addresses())
def test_fixed_mode_replaces_exactly_the_addresses_and_keeps_their_surroundings(sample):
    text, template, ips = sample
    assert masker("fixed")(text) == (template, len(ips))


@given(texts_with_addresses(), st.sampled_from(MODES))
def test_every_mode_keeps_brackets_ports_zones_and_prefix_lengths(sample, mode):
    text, template, ips = sample
    if mode == "truncate":  # a truncated "::" is not an address the finders report
        assume(all(truncated(ip) != ipaddress.IPv6Address("::") for ip in ips))
    out, _ = masker(mode)(text)
    # Put [IP] back where each output address is: the rest must be the original text.
    spans = address_spans(out) if mode != "fixed" else []
    for start, end in reversed(spans):
        out = out[:start] + "[IP]" + out[end:]
    assert out == template


@given(addresses, st.integers(0, 32), st.integers(0, 128))
def test_truncate_keeps_exactly_the_prefix_bits(ip, v4_prefix, v6_prefix):
    out, count = IpMasker("truncate", ipv4_prefix=v4_prefix, ipv6_prefix=v6_prefix)(
        f"host {ip.compressed} down"
    )
    assert count == 1
    masked = ipaddress.ip_address(out.removeprefix("host ").removesuffix(" down"))
    assert masked.version == ip.version
    assert masked == truncated(ip, v4_prefix, v6_prefix)
    source = ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped is not None else ip
    result = masked.ipv4_mapped if source.version != masked.version else masked
    bits = v4_prefix if source.version == 4 else v6_prefix
    host_bits = source.max_prefixlen - bits
    assert int(result) >> host_bits == int(source) >> host_bits
    assert int(result) & ((1 << host_bits) - 1) == 0


@given(
    st.text(
        alphabet=st.characters(blacklist_characters=".:", blacklist_categories=["Cs"]), max_size=80
    ),
    st.sampled_from(MODES),
)
def test_text_without_addresses_is_unchanged_with_count_zero(text, mode):
    assert masker(mode)(text) == (text, 0)


@given(st.text(alphabet="0123456789.:abcdef[]% /", max_size=60), st.sampled_from(MODES))
def test_text_where_nothing_is_found_is_returned_as_is(text, mode):
    if not find_ipv4(text) and not find_ipv6(text):
        assert masker(mode)(text) == (text, 0)


def common_prefix(x: IPAddress, y: IPAddress) -> int:
    return x.max_prefixlen - (int(x) ^ int(y)).bit_length()


@given(st.data(), st.sampled_from([4, 6]))
def test_pseudonyms_are_stable_and_preserve_common_prefixes(data, version):
    plain = st.ip_addresses(v=version).filter(
        lambda ip: ip.version == 4 or not (ip.ipv4_mapped or ip == ipaddress.IPv6Address("::"))
    )
    a, b = data.draw(plain), data.draw(plain)
    m = masker("pseudonym")
    out, count = m(f"{a.compressed} {b.compressed}")
    pa, pb = (ipaddress.ip_address(part) for part in out.split(" "))
    assert count == 2 and pa.version == pb.version == version
    assert m(f"again {a.exploded}") == (f"again {pa.compressed}", 1)
    assert common_prefix(pa, pb) == common_prefix(a, b)


@given(st.ip_addresses(v=4))
def test_mapped_ipv6_gets_the_pseudonym_of_its_ipv4_address(ip):
    m = masker("pseudonym")
    plain, _ = m(str(ip))
    assert m(f"::ffff:{ip}") == (f"::ffff:{plain}", 1)
    assert m(ipaddress.IPv6Address(f"::ffff:{ip}").compressed) == (f"::ffff:{plain}", 1)


def test_adversarial_megabyte_is_masked():
    rng = random.Random(7)
    text = "".join(rng.choice("0123456789.:") for _ in range(1_000_000))
    text += " 10.20.30.40 [2001:db8::17]:443 " + "1:" * 50_000
    out, count = masker("fixed")(text)
    assert count > 0
    assert "10.20.30.40" not in out and "2001:db8::17" not in out
    assert not find_ipv4(out) and not find_ipv6(out)


# --- Examples --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "text", "expected"),
    [
        ("fixed", "PING CRITICAL - Packet loss = 100%, host 10.20.30.40",
         "PING CRITICAL - Packet loss = 100%, host [IP]"),
        ("fixed",
         "CRITICAL - Socket timeout after 10 seconds connecting to [2001:db8::17]:443",
         "CRITICAL - Socket timeout after 10 seconds connecting to [[IP]]:443"),
        ("truncate", "PING OK - 10.20.30.40: rta 0.034ms, lost 0%",
         "PING OK - 10.20.30.0: rta 0.034ms, lost 0%"),
        ("truncate", "CRITICAL - Socket timeout connecting to [2001:db8:4:5::17]:443",
         "CRITICAL - Socket timeout connecting to [2001:db8:4::]:443"),
        ("truncate", "route fe80::1ff:fe23:4567:890a%eth0 via 2001:db8:aa::/48.",
         "route fe80::%eth0 via 2001:db8:aa::/48."),
        ("truncate", "client ::ffff:192.0.2.77 said hi", "client ::ffff:192.0.2.0 said hi"),
        ("fixed", "host10.0.0.1 up, 010.001.002.003 too; 1.2.3.4:8080.",
         "host[IP] up, [IP] too; [IP]:8080."),
        ("fixed", "std::cerr << Foo::Bar at 12:30:45 from 00:11:22:33:44:55 (::)",
         "std::cerr << Foo::Bar at 12:30:45 from 00:11:22:33:44:55 (::)"),
        ("fixed", "v1.2.3 took 12.5s; rta=0.034ms;100.000;500.000;0; pl=0%;20;60;;",
         "v1.2.3 took 12.5s; rta=0.034ms;100.000;500.000;0; pl=0%;20;60;;"),
        ("fixed", "DSN postgres://app@10.20.30.40:5432/app", "DSN postgres://app@[IP]:5432/app"),
    ],
)  # fmt: skip
def test_nagios_examples(mode, text, expected):
    assert masker(mode)(text)[0] == expected


def test_pseudonym_matches_the_crypto_pan_reference_vectors_with_the_first_bit_flipped():
    m = IpMasker("pseudonym", key=bytes(VECTORS["key_bytes"]))
    for raw, reference in VECTORS["ipv4"] + VECTORS["ipv6"]:
        assert m(f"host {raw} down") == (f"host {with_first_bit_flipped(reference)} down", 1)


def test_replacement_is_configurable():
    assert IpMasker("fixed", replacement="<ip>")("a 10.0.0.1 b ::1") == ("a <ip> b <ip>", 2)


def test_partially_overlapping_matches_become_the_replacement_in_every_mode():
    for mode in MODES:
        assert masker(mode)("x ::ffff:010.1.2.3 y") == ("x [IP] y", 1)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"mode": "sideways"}, "one of: fixed, truncate, pseudonym"),
        ({"mode": "truncate", "ipv4_prefix": 33}, "ipv4_prefix must be an integer from 0 to 32"),
        ({"mode": "truncate", "ipv4_prefix": -1}, "from 0 to 32"),
        ({"mode": "truncate", "ipv4_prefix": "24"}, "from 0 to 32"),
        ({"mode": "truncate", "ipv6_prefix": 129}, "ipv6_prefix must be an integer from 0 to 128"),
        ({"mode": "truncate", "ipv6_prefix": True}, "from 0 to 128"),
        ({"mode": "pseudonym"}, "exactly 32 bytes"),
        ({"mode": "pseudonym", "key": b"short"}, "exactly 32 bytes"),
        ({"mode": "fixed", "key": KEY}, "only used by mode 'pseudonym'"),
        ({"mode": "fixed", "replacement": None}, "replacement must be a string"),
    ],
)
def test_invalid_arguments_are_refused_saying_how_to_fix_them(kwargs, fragment):
    with pytest.raises(PolicyError) as caught:
        IpMasker(**kwargs)
    assert fragment in caught.value.message


def test_repr_never_shows_the_key():
    text = repr(masker("pseudonym"))
    assert "pseudonym" in text
    for shown in (repr(KEY), KEY.hex(), base64.b64encode(KEY).decode()):
        assert shown not in text


# --- Addresses inside host names keep their form ----------------------------------------------

HOST_CONTEXTS = ["host ", "lookup ", '{\\"host\\": \\"', "https://", "DB_HOST="]


def dashed(ip: ipaddress.IPv4Address) -> str:
    return str(ip).replace(".", "-")


@given(st.ip_addresses(v=4), st.sampled_from(["truncate", "pseudonym"]))
def test_dashed_host_names_keep_their_shape_with_the_masked_address(ip, mode):
    m = masker(mode)
    expected = dashed(ipaddress.IPv4Address(m(str(ip))[0]))
    for shape in ("ip-{}.ec2.internal", "ip-{}", "{}.nip.io", "{}.ns.pod.cluster.local"):
        for before in HOST_CONTEXTS:
            out, count = m(before + shape.format(dashed(ip)) + " down")
            assert (out, count) == (before + shape.format(expected) + " down", 1)


@given(st.ip_addresses(v=4), st.sampled_from(["truncate", "pseudonym"]))
def test_reverse_dns_names_are_masked_as_the_address_they_name_and_written_back_reversed(ip, mode):
    m = masker(mode)
    masked = ipaddress.IPv4Address(m(str(ip))[0])
    assert m(f"PTR {ip.reverse_pointer}.") == (f"PTR {masked.reverse_pointer}.", 1)


@given(addresses, st.sampled_from(["truncate", "pseudonym"]))
def test_nibble_names_are_masked_as_the_ipv6_address_they_name(ip, mode):
    ip6 = ip if ip.version == 6 else ipaddress.IPv6Address(f"::ffff:{ip}")
    m = masker(mode)
    masked = ipaddress.IPv6Address(m(f"x {ip6.exploded} y")[0].split(" ")[1])
    assert m(ip6.reverse_pointer) == (masked.reverse_pointer, 1)


def test_fixed_mode_replaces_the_address_inside_host_names():
    text = "ip-10-1-2-3.ec2.internal 3.2.1.10.in-addr.arpa"
    assert masker("fixed")(text) == ("ip-[IP].ec2.internal [IP].in-addr.arpa", 2)


def test_dates_and_versions_are_not_addresses_to_mask():
    text = "backup-2024-10-01-12.tar.gz version 2.19.5.57 built 24-10-01-12"
    assert masker("pseudonym")(text) == (text, 0)


# --- Numbers ----------------------------------------------------------------------------------


def test_mask_ip_and_scrub_scan_numbers_and_leave_clean_ones_as_numbers():
    policy = make_policy(
        "  - {id: cards, action: scrub, detectors: [credit_card]}\n  - {id: ips, action: mask_ip}\n"
    )
    alert = {"card": 4111111111111111, "packed": 167837953, "ratio": 0.5, "n": [1, 2.25]}
    out = policy.apply(alert).payload
    assert out == {"card": "[CARD]", "packed": 167837953, "ratio": 0.5, "n": [1, 2.25]}


# --- The pseudonym cache ----------------------------------------------------------------------


def test_the_cache_keeps_recently_used_addresses_when_full(monkeypatch):
    import sanitizer.actions.addresses as addresses_module

    monkeypatch.setattr(addresses_module, "_RECENT_LIMIT", 3)
    m = masker("pseudonym")
    m("10.0.0.1 10.0.0.2 10.0.0.3")
    m("10.0.0.1")  # used again: now the most recent
    m("10.0.0.4")  # evicts 10.0.0.2, the least recently used
    assert list(m._recent) == ["10.0.0.3", "10.0.0.1", "10.0.0.4"]
    assert m("10.0.0.2")[0] == masker("pseudonym")("10.0.0.2")[0]


@given(
    st.lists(st.tuples(addresses, st.sampled_from(["", "rev", "dash"])), min_size=16, max_size=40)
)
def test_a_text_of_many_addresses_gets_the_same_pseudonyms_as_each_alone(items):
    """Texts with many addresses have them anonymised in batches (`CryptoPAn.prefetch`): the
    result is the one each address gets in a text of its own, in every form it is written."""

    def written(ip: IPAddress, form: str) -> str:
        if ip.version == 4 and form == "rev":
            return ".".join(reversed(str(ip).split("."))) + ".in-addr.arpa"
        if ip.version == 4 and form == "dash":
            return "ip-" + str(ip).replace(".", "-") + ".ec2.internal"
        if ip.version == 6 and form == "rev":
            return ".".join(reversed(ip.exploded.replace(":", ""))) + ".ip6.arpa"
        return ip.compressed

    lines = [f"peer {written(ip, form)} up" for ip, form in items]
    expected = "\n".join(masker("pseudonym")(line)[0] for line in lines)
    assert masker("pseudonym")("\n".join(lines))[0] == expected
