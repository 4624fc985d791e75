"""Crypto-PAn prefix-preserving IP address pseudonymisation.

Implements the scheme of J. Xu, J. Fan, M. Ammar and S. B. Moon, "Prefix-Preserving IP
Address Anonymization: Measurement-based Security Evaluation and a New Cryptography-based
Scheme", Proc. IEEE ICNP 2002.

A 32-byte key is split as the reference implementation does: bytes 0-15 are the AES-128 key
``k``, bytes 16-31 are a padding secret, and ``pad = AES_k(key[16:32])``. To anonymise an
address ``a`` of ``n`` bits (32 for IPv4, 128 for IPv6), output bit ``i`` (counting from the
most significant) is ``a[i] XOR msb(AES_k(block_i))``, where ``block_i`` is the 128-bit block
made of the first ``i`` bits of ``a`` followed by the bits of ``pad`` from position ``i`` on.
An IPv4 address occupies the 32 most significant bits of the block; IPv6 uses all 128, so the
two families share one construction. Because output bit ``i`` depends only on ``a[0..i]``,
two addresses sharing a ``p``-bit prefix map to outputs sharing exactly a ``p``-bit prefix,
and the mapping is a bijection on each address family.

One change to the reference: the first bit of every address always flips. Bit 0's pad is
``msb(AES_k(pad))``, the same for every address of a key; where it is 0 (half of all keys),
the reference keeps it, and because ``block_(i+1)`` equals ``block_i`` wherever the address's
bit ``i`` equals the pad's, addresses near the pad keep long runs of their own bits. Measured
on 100,000 random IPv4 addresses under such a key: 20 mapped to themselves, 221 kept their
own /24 and 2,050 their /16 (a random bijection: 0.00002, 0.006 and 1.5). Flipping the first
bit of every output of such a key (an XOR with one constant) keeps the mapping a
prefix-preserving bijection and leaves no address with even its first bit: no address is
ever its own pseudonym. Keys whose first pad bit is already 1 give exactly the reference's
output; the reference's published key keeps the first bit, so its vectors are reproduced
with that bit flipped (tests/actions/test_cryptopan.py).

Every ``block_i`` depends only on the original address, so all of an address's blocks are
built at once with big-integer arithmetic and encrypted in a single ECB call. Results are
kept in a bounded per-instance cache because alert streams repeat the same addresses.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterable
from typing import overload

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = ["CryptoPAn"]

_KEY_SIZE = 32
_BLOCK_BITS = 128
_BLOCK_BYTES = _BLOCK_BITS // 8
_ALL_ONES = (1 << _BLOCK_BITS) - 1
_CACHE_MAX = 65_536
_PREFETCH_CHUNK = 256  # addresses per AES call in `prefetch`: 512 KiB of blocks for IPv6
# Cache keys: IPv4 values are < 2**32, IPv6 values are tagged with this bit so they never clash.
_V6_TAG = 1 << _BLOCK_BITS
# Maps each byte to "1" if its most significant bit is set, else "0".
_MSB_TABLE = bytes(0x31 if b & 0x80 else 0x30 for b in range(256))

_KEY_ERROR = "Crypto-PAn needs a 32-byte key"


class _Layout:
    """Constants that build all ``bits`` AES input blocks of one address in a few int ops.

    Block ``i`` sits at slot ``i`` (slot 0 is the most significant 128 bits) of a
    ``bits * 128``-bit integer. ``replicate`` copies the (left-aligned) address into every
    slot, ``keep`` masks each slot to its first ``i`` bits, and ``fill`` supplies the pad's
    bits from position ``i`` onwards.
    """

    __slots__ = ("bits", "fill", "keep", "nbytes", "replicate")

    def __init__(self, bits: int, pad: int) -> None:
        shift = _BLOCK_BITS - bits
        replicate = keep = fill = 0
        for i in range(bits):
            prefix_mask = _ALL_ONES ^ (_ALL_ONES >> i)
            slot = _BLOCK_BITS * (bits - 1 - i)
            replicate |= 1 << (slot + shift)
            keep |= prefix_mask << slot
            fill |= (pad & ~prefix_mask & _ALL_ONES) << slot
        self.bits = bits
        self.replicate = replicate
        self.keep = keep
        self.fill = fill
        self.nbytes = bits * _BLOCK_BYTES

    def blocks(self, value: int) -> bytes:
        """All AES input blocks of the address `value`, in order."""
        return (((value * self.replicate) & self.keep) | self.fill).to_bytes(self.nbytes, "big")


def _cache_key(value: int, bits: int) -> int:
    return value if bits == 32 else value | _V6_TAG


class CryptoPAn:
    """Prefix-preserving, keyed, bijective pseudonymisation of IPv4 and IPv6 addresses."""

    __slots__ = ("__weakref__", "_cache", "_cipher", "_flips", "_layouts", "_local")

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) != _KEY_SIZE:
            raise ValueError(_KEY_ERROR)
        key = bytes(key)
        # ECB is what the scheme calls for: each block is an independent PRF evaluation.
        self._cipher = Cipher(algorithms.AES(key[:16]), modes.ECB())  # noqa: S305  # nosec B305
        encryptor = self._cipher.encryptor()
        pad_bytes = encryptor.update(key[16:])
        pad = int.from_bytes(pad_bytes, "big")
        self._layouts = {32: _Layout(32, pad), 128: _Layout(128, pad)}
        # Block 0 is the pad itself for every address: where its bit is 0, the first output
        # bit is flipped by this constant instead (see the module's docstring).
        kept = encryptor.update(pad_bytes)[0] >> 7 == 0
        self._flips = {bits: (1 << (bits - 1)) if kept else 0 for bits in (32, 128)}
        self._local = threading.local()
        self._cache: dict[int, int] = {}

    def __repr__(self) -> str:
        return "CryptoPAn(<key hidden>)"

    def _encrypt(self, data: bytes) -> bytes:
        # Cipher contexts are not safe to share between threads; keep one per thread.
        try:
            encryptor = self._local.encryptor
        except AttributeError:
            encryptor = self._local.encryptor = self._cipher.encryptor()
        return encryptor.update(data)

    def anonymize_int(self, value: int, bits: int) -> int:
        """Anonymise an address given as an unsigned integer of ``bits`` (32 or 128) bits."""
        layout = self._layouts.get(bits)
        if layout is None:
            raise ValueError("bits must be 32 or 128")
        if not isinstance(value, int):
            raise TypeError("value must be an int")
        if not 0 <= value < 1 << bits:
            raise ValueError(f"value out of range for a {bits}-bit address")
        cache_key = _cache_key(value, bits)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        return self._remember(cache_key, value, bits, self._encrypt(layout.blocks(value)))

    def _remember(self, cache_key: int, value: int, bits: int, encrypted: bytes) -> int:
        """The anonymised `value` from its encrypted blocks, kept in the cache."""
        mask = int(encrypted[::_BLOCK_BYTES].translate(_MSB_TABLE), 2)
        result = value ^ mask ^ self._flips[bits]
        cache = self._cache
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[cache_key] = result
        return result

    def prefetch(self, addresses: Iterable[tuple[int, int]]) -> None:
        """Anonymise many ``(value, bits)`` addresses ahead of their `anonymize_int` calls,
        `_PREFETCH_CHUNK` of them per AES call instead of one each.

        Each AES call lets go of the GIL. Made once per address between a few µs of Python,
        those releases are too short for a waiting thread to take the GIL, yet each resets
        the interpreter's switch timer, so the proxy's event loop waited up to ~0.9 s behind
        the sanitizing thread on a text of thousands of addresses. Fewer, longer calls leave
        it room (and save the per-call cost).
        """
        misses = list(
            dict.fromkeys(
                (value, bits)
                for value, bits in addresses
                if bits in self._layouts
                and 0 <= value < 1 << bits
                and _cache_key(value, bits) not in self._cache
            )
        )
        for start in range(0, len(misses), _PREFETCH_CHUNK):
            chunk = misses[start : start + _PREFETCH_CHUNK]
            encrypted = self._encrypt(
                b"".join(self._layouts[bits].blocks(value) for value, bits in chunk)
            )
            offset = 0
            for value, bits in chunk:
                size = self._layouts[bits].nbytes
                block = encrypted[offset : offset + size]
                self._remember(_cache_key(value, bits), value, bits, block)
                offset += size

    @overload
    def anonymize(self, address: ipaddress.IPv4Address) -> ipaddress.IPv4Address: ...

    @overload
    def anonymize(self, address: ipaddress.IPv6Address) -> ipaddress.IPv6Address: ...

    def anonymize(
        self, address: ipaddress.IPv4Address | ipaddress.IPv6Address
    ) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        """Anonymise an address object, returning an address of the same family.

        An IPv6 scope id (``%eth0``) is not carried over to the result.
        """
        if isinstance(address, ipaddress.IPv4Address):
            return ipaddress.IPv4Address(self.anonymize_int(int(address), 32))
        if isinstance(address, ipaddress.IPv6Address):
            return ipaddress.IPv6Address(self.anonymize_int(int(address), 128))
        raise TypeError("expected an IPv4Address or IPv6Address")

    def anonymize_str(self, text: str) -> str:
        """Anonymise a textual address, returning the result in compressed form.

        Raises ``ValueError`` (without echoing the input) if ``text`` is not an address.
        """
        if not isinstance(text, str):
            raise TypeError("expected a str")
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise ValueError("not an IPv4 or IPv6 address") from None
        return self.anonymize(address).compressed
