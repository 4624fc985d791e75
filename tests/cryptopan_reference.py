"""The Crypto-PAn reference vectors (tests/reference/cryptopan-vectors.json) and how this
project's pseudonyms relate to them: under the reference key, which keeps the first bit of
every address, ours are the reference's with that bit flipped (see
`sanitizer.actions.cryptopan`)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "reference" / "cryptopan-vectors.json").read_text(encoding="utf-8")
)
REFERENCE_KEY = bytes(VECTORS["key_bytes"])


def with_first_bit_flipped(address: str) -> str:
    """A reference pseudonym as this project gives it for the reference key, compressed."""
    parsed = ipaddress.ip_address(address)
    return ipaddress.ip_address(int(parsed) ^ (1 << (parsed.max_prefixlen - 1))).compressed
