"""Tests for the Crypto-PAn prefix-preserving address pseudonymiser."""

from __future__ import annotations

import base64
import ipaddress
import threading

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st

from sanitizer.actions import cryptopan
from sanitizer.actions.cryptopan import CryptoPAn
from tests.cryptopan_reference import REFERENCE_KEY, VECTORS, with_first_bit_flipped

KEY_ERROR = "Crypto-PAn needs a 32-byte key"

keys = st.binary(min_size=32, max_size=32)
ipv4_ints = st.integers(min_value=0, max_value=2**32 - 1)
ipv6_ints = st.integers(min_value=0, max_value=2**128 - 1)


@pytest.fixture(scope="module")
def reference_cp() -> CryptoPAn:
    return CryptoPAn(REFERENCE_KEY)


def bit_by_bit_reference(key: bytes, value: int, bits: int) -> int:
    """Straightforward one-AES-call-per-bit Crypto-PAn, used to cross-check the fast path,
    with the module's one change: where the reference would keep the first bit of every
    address (the pad's own bit is 0), it is flipped."""
    encryptor = Cipher(algorithms.AES(key[:16]), modes.ECB()).encryptor()
    pad = int.from_bytes(encryptor.update(key[16:]), "big")
    flip = 0 if encryptor.update(pad.to_bytes(16, "big"))[0] >> 7 else 1 << (bits - 1)
    original = value << (128 - bits)
    result = 0
    for i in range(bits):
        prefix_mask = ((1 << i) - 1) << (128 - i)
        block = (original & prefix_mask) | (pad & ~prefix_mask & (2**128 - 1))
        msb = encryptor.update(block.to_bytes(16, "big"))[0] >> 7
        original_bit = (value >> (bits - 1 - i)) & 1
        result = (result << 1) | (original_bit ^ msb)
    return result ^ flip


def common_prefix_len(a: int, b: int, bits: int) -> int:
    return bits - (a ^ b).bit_length()


def key_renderings(key: bytes) -> list[str]:
    return [key.hex(), key.hex().upper(), base64.b64encode(key).decode(), repr(key)]


def test_reference_vector_key_base64_matches_key_bytes() -> None:
    assert base64.b64decode(VECTORS["key_base64"]) == REFERENCE_KEY
    assert len(REFERENCE_KEY) == 32


@pytest.mark.parametrize(("raw", "reference"), VECTORS["ipv4"])
def test_reproduces_reference_ipv4_vectors_but_their_kept_first_bit(
    reference_cp: CryptoPAn, raw: str, reference: str
) -> None:
    expected = with_first_bit_flipped(reference)
    assert reference_cp.anonymize_str(raw) == expected
    assert reference_cp.anonymize(ipaddress.IPv4Address(raw)) == ipaddress.IPv4Address(expected)


@pytest.mark.parametrize(("raw", "reference"), VECTORS["ipv6"])
def test_reproduces_reference_ipv6_vectors_but_their_kept_first_bit(
    reference_cp: CryptoPAn, raw: str, reference: str
) -> None:
    expected = with_first_bit_flipped(reference)
    assert reference_cp.anonymize_str(raw) == expected
    assert reference_cp.anonymize(ipaddress.IPv6Address(raw)) == ipaddress.IPv6Address(expected)


def test_the_reference_keeps_the_first_bit_of_every_vector_under_its_key() -> None:
    """Why the vectors are compared with their first bit flipped: the reference keeps it."""
    for family in ("ipv4", "ipv6"):
        for raw, reference in VECTORS[family]:
            first = ipaddress.ip_address(raw).max_prefixlen - 1
            assert (
                int(ipaddress.ip_address(raw)) >> first
                == int(ipaddress.ip_address(reference)) >> first
            )


def test_reference_vectors_cover_both_families() -> None:
    assert len(VECTORS["ipv4"]) >= 1
    assert len(VECTORS["ipv6"]) >= 1


@given(value=ipv4_ints)
def test_batched_ipv4_matches_bit_by_bit_reference(reference_cp: CryptoPAn, value: int) -> None:
    assert reference_cp.anonymize_int(value, 32) == bit_by_bit_reference(REFERENCE_KEY, value, 32)


@given(value=ipv6_ints)
def test_batched_ipv6_matches_bit_by_bit_reference(reference_cp: CryptoPAn, value: int) -> None:
    assert reference_cp.anonymize_int(value, 128) == bit_by_bit_reference(REFERENCE_KEY, value, 128)


@given(key=keys, v4=ipv4_ints, v6=ipv6_ints)
def test_batched_matches_bit_by_bit_reference_for_any_key(key: bytes, v4: int, v6: int) -> None:
    cp = CryptoPAn(key)
    assert cp.anonymize_int(v4, 32) == bit_by_bit_reference(key, v4, 32)
    assert cp.anonymize_int(v6, 128) == bit_by_bit_reference(key, v6, 128)


@st.composite
def address_pairs(draw: st.DrawFn, bits: int) -> tuple[int, int]:
    """Pairs of addresses whose common prefix length is spread evenly over 0..bits."""
    a = draw(st.integers(min_value=0, max_value=2**bits - 1))
    shared = draw(st.integers(min_value=0, max_value=bits))
    if shared == bits:
        return a, a
    differing_bit = 1 << (bits - 1 - shared)
    low = draw(st.integers(min_value=0, max_value=differing_bit - 1))
    b = ((a ^ differing_bit) & ~(2 * differing_bit - 1)) | low
    return a, b


@given(pair=address_pairs(32))
def test_preserves_exact_common_prefix_length_ipv4(
    reference_cp: CryptoPAn, pair: tuple[int, int]
) -> None:
    a, b = pair
    out_a, out_b = reference_cp.anonymize_int(a, 32), reference_cp.anonymize_int(b, 32)
    assert common_prefix_len(out_a, out_b, 32) == common_prefix_len(a, b, 32)


@given(pair=address_pairs(128))
def test_preserves_exact_common_prefix_length_ipv6(
    reference_cp: CryptoPAn, pair: tuple[int, int]
) -> None:
    a, b = pair
    out_a, out_b = reference_cp.anonymize_int(a, 128), reference_cp.anonymize_int(b, 128)
    assert common_prefix_len(out_a, out_b, 128) == common_prefix_len(a, b, 128)


@given(key=keys, a=ipv4_ints, b=ipv4_ints)
def test_preserves_common_prefix_length_for_any_key_and_unrelated_pairs(
    key: bytes, a: int, b: int
) -> None:
    cp = CryptoPAn(key)
    out_a, out_b = cp.anonymize_int(a, 32), cp.anonymize_int(b, 32)
    assert common_prefix_len(out_a, out_b, 32) == common_prefix_len(a, b, 32)


def test_is_bijective_on_an_ipv4_slash16_and_keeps_it_one_slash16() -> None:
    cp = CryptoPAn(REFERENCE_KEY)
    base = int(ipaddress.IPv4Address("10.20.0.0"))
    outputs = {cp.anonymize_int(base + host, 32) for host in range(2**16)}
    assert len(outputs) == 2**16
    assert len({out >> 16 for out in outputs}) == 1


def test_is_bijective_on_an_ipv6_slash116_and_keeps_it_one_slash116() -> None:
    cp = CryptoPAn(REFERENCE_KEY)
    base = int(ipaddress.IPv6Address("2001:db8:1234:5678:9abc:def0:1234:5000"))
    outputs = {cp.anonymize_int(base + host, 128) for host in range(2**12)}
    assert len(outputs) == 2**12
    assert len({out >> 12 for out in outputs}) == 1


@given(key_a=keys, key_b=keys)
def test_different_keys_give_different_outputs(key_a: bytes, key_b: bytes) -> None:
    sample = ["10.0.0.1", "192.168.1.1", "8.8.8.8", "2001:db8::1"]
    outputs_a = [CryptoPAn(key_a).anonymize_str(s) for s in sample]
    outputs_b = [CryptoPAn(key_b).anonymize_str(s) for s in sample]
    assert (outputs_a == outputs_b) == (key_a == key_b)


@given(key=keys, value=ipv6_ints)
def test_same_key_gives_same_output_across_instances(key: bytes, value: int) -> None:
    assert CryptoPAn(key).anonymize_int(value, 128) == CryptoPAn(key).anonymize_int(value, 128)


@given(key=keys)
def test_repr_and_str_never_contain_key_bytes(key: bytes) -> None:
    cp = CryptoPAn(key)
    assert repr(cp) == "CryptoPAn(<key hidden>)"
    for rendering in key_renderings(key):
        assert rendering not in repr(cp)
        assert rendering not in str(cp)


@given(key=st.binary(max_size=64).filter(lambda k: len(k) != 32))
def test_wrong_length_key_error_never_contains_key_bytes(key: bytes) -> None:
    with pytest.raises(ValueError) as excinfo:
        CryptoPAn(key)
    assert str(excinfo.value) == KEY_ERROR
    assert excinfo.value.args == (KEY_ERROR,)
    if len(key) >= 4:  # shorter renderings can occur in any text by chance, e.g. "32"
        for rendering in key_renderings(key):
            assert rendering not in str(excinfo.value)
            assert rendering not in repr(excinfo.value)


@pytest.mark.parametrize("key", ["x" * 32, None, 32, list(range(32))])
def test_non_bytes_key_is_rejected_with_the_key_error(key: object) -> None:
    with pytest.raises(ValueError, match=f"^{KEY_ERROR}$"):
        CryptoPAn(key)  # type: ignore[arg-type]


def test_bytearray_key_is_accepted_like_bytes() -> None:
    assert CryptoPAn(bytearray(REFERENCE_KEY)).anonymize_str("128.11.68.132") == "7.242.180.132"


def test_anonymize_returns_the_same_address_family(reference_cp: CryptoPAn) -> None:
    assert isinstance(
        reference_cp.anonymize(ipaddress.IPv4Address("1.2.3.4")), ipaddress.IPv4Address
    )
    assert isinstance(reference_cp.anonymize(ipaddress.IPv6Address("::1")), ipaddress.IPv6Address)


def test_anonymize_str_returns_compressed_form(reference_cp: CryptoPAn) -> None:
    expanded = "0000:0000:0000:0000:0000:0000:0000:0001"
    assert (
        reference_cp.anonymize_str(expanded)
        == ipaddress.IPv6Address(with_first_bit_flipped(dict(VECTORS["ipv6"])["::1"])).compressed
    )


def test_ipv4_mapped_ipv6_is_anonymised_as_ipv6(reference_cp: CryptoPAn) -> None:
    mapped = ipaddress.IPv6Address("::ffff:128.11.68.132")
    out = reference_cp.anonymize(mapped)
    assert isinstance(out, ipaddress.IPv6Address)
    assert int(out) == reference_cp.anonymize_int(int(mapped), 128)


def test_anonymize_rejects_non_address_objects(reference_cp: CryptoPAn) -> None:
    with pytest.raises(TypeError):
        reference_cp.anonymize("1.2.3.4")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        reference_cp.anonymize(ipaddress.IPv4Network("10.0.0.0/8"))  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["not-an-ip", "10.0.0.256", "10.0.0.0/8", " 10.0.0.1", ""])
def test_anonymize_str_rejects_non_addresses_without_echoing_input(
    reference_cp: CryptoPAn, text: str
) -> None:
    with pytest.raises(ValueError) as excinfo:
        reference_cp.anonymize_str(text)
    assert str(excinfo.value) == "not an IPv4 or IPv6 address"


def test_anonymize_str_rejects_non_str(reference_cp: CryptoPAn) -> None:
    with pytest.raises(TypeError):
        reference_cp.anonymize_str(b"\x01\x02\x03\x04")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "bits", "error"),
    [
        (0, 64, ValueError),
        (0, 0, ValueError),
        (-1, 32, ValueError),
        (2**32, 32, ValueError),
        (2**128, 128, ValueError),
        (1.0, 32, TypeError),
    ],
)
def test_anonymize_int_rejects_bad_width_or_range(
    reference_cp: CryptoPAn, value: object, bits: int, error: type[Exception]
) -> None:
    with pytest.raises(error):
        reference_cp.anonymize_int(value, bits)  # type: ignore[arg-type]


def test_ipv4_and_ipv6_with_equal_integer_values_are_cached_separately() -> None:
    cp = CryptoPAn(REFERENCE_KEY)
    v4 = cp.anonymize_int(1, 32)
    v6 = cp.anonymize_int(1, 128)
    assert v4 == bit_by_bit_reference(REFERENCE_KEY, 1, 32)
    assert v6 == bit_by_bit_reference(REFERENCE_KEY, 1, 128)
    assert cp.anonymize_int(1, 32) == v4
    assert cp.anonymize_int(1, 128) == v6


def test_cache_stays_bounded_and_results_stay_correct(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cryptopan, "_CACHE_MAX", 8)
    cp = CryptoPAn(REFERENCE_KEY)
    first = [cp.anonymize_int(v, 32) for v in range(100)]
    assert len(cp._cache) <= 8
    assert [cp.anonymize_int(v, 32) for v in range(100)] == first
    assert first == [bit_by_bit_reference(REFERENCE_KEY, v, 32) for v in range(100)]


def test_concurrent_use_from_threads_gives_consistent_results() -> None:
    values = list(range(0, 2**32, 2**32 // 2000))
    expected = [CryptoPAn(REFERENCE_KEY).anonymize_int(v, 32) for v in values]
    shared = CryptoPAn(REFERENCE_KEY)
    results: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            results[n] = [shared.anonymize_int(v, 32) for v in values]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(results[n] == expected for n in range(4))


@given(st.lists(st.one_of(ipv4_ints.map(lambda v: (v, 32)), ipv6_ints.map(lambda v: (v, 128)))))
def test_prefetched_addresses_anonymise_as_one_by_one(addresses) -> None:
    batched, single = CryptoPAn(REFERENCE_KEY), CryptoPAn(REFERENCE_KEY)
    batched.prefetch(addresses)
    for value, bits in addresses:
        assert batched.anonymize_int(value, bits) == single.anonymize_int(value, bits)


# A key whose pad bit for the first address bit is 0: the reference keeps the first bit of
# every address under it, and maps 192.168.107.28 to itself.
KEPT_FIRST_BIT_KEY = b"property-test-key-not-a-secret!!"


def test_an_address_the_reference_maps_to_itself_gets_another_pseudonym() -> None:
    address = int(ipaddress.IPv4Address("192.168.107.28"))
    encryptor = Cipher(algorithms.AES(KEPT_FIRST_BIT_KEY[:16]), modes.ECB()).encryptor()
    pad = int.from_bytes(encryptor.update(KEPT_FIRST_BIT_KEY[16:]), "big")
    reference = 0
    for i in range(32):  # the reference, unchanged, for this key
        prefix_mask = ((1 << i) - 1) << (128 - i)
        block = ((address << 96) & prefix_mask) | (pad & ~prefix_mask & (2**128 - 1))
        bit = encryptor.update(block.to_bytes(16, "big"))[0] >> 7
        reference = (reference << 1) | ((address >> (31 - i)) & 1) ^ bit
    assert reference == address  # what the reference does with this key
    assert CryptoPAn(KEPT_FIRST_BIT_KEY).anonymize_int(address, 32) != address


@given(key=keys, v4=ipv4_ints, v6=ipv6_ints)
def test_no_address_keeps_even_its_first_bit_so_none_is_its_own_pseudonym(
    key: bytes, v4: int, v6: int
) -> None:
    cp = CryptoPAn(key)
    assert cp.anonymize_int(v4, 32) >> 31 != v4 >> 31
    assert cp.anonymize_int(v6, 128) >> 127 != v6 >> 127


def test_prefetched_pseudonyms_flip_the_first_bit_too() -> None:
    addresses = [(int(ipaddress.IPv4Address("192.168.107.28")) + n, 32) for n in range(300)]
    prefetched = CryptoPAn(KEPT_FIRST_BIT_KEY)
    prefetched.prefetch(addresses)
    one_by_one = CryptoPAn(KEPT_FIRST_BIT_KEY)
    for value, bits in addresses:
        assert prefetched.anonymize_int(value, bits) == one_by_one.anonymize_int(value, bits)
        assert prefetched.anonymize_int(value, bits) >> 31 != value >> 31
