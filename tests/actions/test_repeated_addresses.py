"""A text that repeats its addresses is masked once per distinct address (issue 9, speed),
with exactly the result and count of masking one address at a time."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from hypothesis import given, settings
from hypothesis import strategies as st

import sanitizer.actions.addresses as addresses_module
from sanitizer.actions.addresses import IpMasker
from sanitizer.actions.cryptopan import CryptoPAn
from sanitizer.detectors import network, versions
from tests.actions.test_addresses import KEY, addresses, masker, texts_with_addresses

MODES = ["fixed", "truncate", "pseudonym"]

# Pieces of text in which addresses are found, not found, or found overlapping: versions,
# host names, reverse DNS, mapped and malformed addresses, escapes.
FRAGMENTS = [
    "client 10.20.31.7: 301 idle; ",
    "client 10.20.31.9: 120 active\n",
    "peer 2001:db8:4::17 up ",
    "version 2.19.5.57 ",
    "upgraded to 10.1.2.3 ",
    "v10.1.2.3 ",
    "srv10.0.0.1 ",
    "ip-10-1-2-3.ec2.internal ",
    "10-1-2-3.nip.io ",
    "3.2.1.10.in-addr.arpa ",
    "ip-1-2-3-4.5.6.7 ",
    "::ffff:010.1.2.3 ",
    "::ffff:10.1.2.3 ",
    "1.2.3.4.5 ",
    ".1.3.6.1.4.1.2021.10.1.3.1 ",
    "2001%3Adb8%3A%3A1 ",
    "[fe80::1%eth0]:443 ",
    "1::2::3 ",
    "x",
    " ",
    ":",
    ".",
    "-",
    "\n",
]
_NIBBLE_NAME = ".".join(reversed("20010db8000000000000000000000017")) + ".ip6.arpa "
FRAGMENTS.append(_NIBBLE_NAME)


@contextmanager
def one_address_at_a_time() -> Iterator[None]:
    """`IpMasker` as it was before it grouped repeated addresses: each address replaced on
    its own, in order."""
    saved = addresses_module._JOIN_FROM
    addresses_module._JOIN_FROM = 10**9
    try:
        yield
    finally:
        addresses_module._JOIN_FROM = saved


@settings(max_examples=300)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=60), st.sampled_from(MODES))
def test_grouping_repeated_addresses_gives_what_one_at_a_time_gives(pieces, mode):
    text = "".join(pieces)
    grouped = masker(mode)(text)
    with one_address_at_a_time():
        assert masker(mode)(text) == grouped


@settings(max_examples=100)
@given(
    st.lists(texts_with_addresses(), min_size=1, max_size=4),
    st.lists(st.integers(0, 3), min_size=8, max_size=40),
    st.sampled_from(MODES),
)
def test_masking_a_text_of_repeated_lines_equals_masking_each_line(lines, order, mode):
    chosen = [lines[index % len(lines)][0] for index in order]
    single = masker(mode)
    expected = [single(line) for line in chosen]
    result = masker(mode)("\n".join(chosen))
    assert result == ("\n".join(text for text, _ in expected), sum(n for _, n in expected))


class RecordingCryptoPAn(CryptoPAn):
    """Crypto-PAn that records what it is asked to prefetch."""

    def __init__(self, key: bytes) -> None:
        super().__init__(key)
        self.asked: list[list[tuple[int, int]]] = []

    def prefetch(self, addresses: Iterable[tuple[int, int]]) -> None:
        self.asked.append(list(addresses))
        super().prefetch(self.asked[-1])


@given(st.lists(addresses, min_size=1, max_size=3, unique=True), st.integers(16, 60))
def test_a_text_repeating_few_addresses_many_times_prefetches_each_once(ips, repeats):
    lines = [f"client {ip.compressed} up" for ip in ips]
    text = "\n".join(itertools.islice(itertools.cycle(lines), repeats))
    m = masker("pseudonym")
    m._pan = recording = RecordingCryptoPAn(KEY)
    assert m(text) == masker("pseudonym")(text)
    assert len(recording.asked) == 1
    assert 1 <= len(recording.asked[0]) == len(set(recording.asked[0])) <= len(ips)


def _find_ipv4_by_call(text: str) -> list[tuple[int, int]]:
    """`find_ipv4`'s dotted quads as found before the version check's first step was cached:
    `is_version` called for every match."""
    if not network._IPV4_HINT.search(text):
        return []
    spans = []
    for m in network._IPV4_RE.finditer(text):
        k = m.lastindex
        assert k is not None
        start = m.start() - k
        if not versions.is_version(text, start):
            spans.append((start, m.end(k)))
    if spans and network._mentions_arpa(text):
        runs = [(a, b) for a, b, _ in network._nibble_runs(text)]
        spans = [span for span in spans if not any(a <= span[0] < b for a, b in runs)]
    if spans and network._LONG_DOTTED_HINT.search(text):
        runs = [m.span() for m in network._LONG_DOTTED.finditer(text)]
        spans = [span for span in spans if not any(a <= span[0] < b for a, b in runs)]
    return spans


_BEFORE = [*versions.VERSION_WORDS, "to", "from", "client", "V", "v", "x", "\u212a", "\u0130"]


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from(_BEFORE)
        | st.sampled_from([" ", ":", "=", " to ", " from ", "", "\n"])
        | st.sampled_from(["10.1.2.3", "1.2.3.4.5", "255.255.255.255", "9.9.9.9"]),
        max_size=30,
    )
)
def test_the_cached_version_check_finds_what_the_full_check_finds(pieces):
    text = "".join(pieces)
    assert network.find_ipv4(text) == _find_ipv4_by_call(text)


def test_address_forms_of_one_text_are_those_found_apart():
    text = "".join(FRAGMENTS) * 3
    assert network.find_address_forms(text) == (
        network.find_ipv4_forms(text),
        network.find_ipv6_forms(text),
    )


def test_one_masker_masks_the_same_text_the_same_way_twice():
    m = IpMasker("pseudonym", key=bytes(range(32)))
    text = "".join(FRAGMENTS) * 5
    assert m(text) == m(text) == IpMasker("pseudonym", key=bytes(range(32)))(text)
