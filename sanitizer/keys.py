"""Named secret keys: references in a policy, resolution from the environment or a file, key ids.

A policy never holds key material. It names a reference, `{env: VAR}` or `{file: PATH}`, whose
content is 32 random bytes in standard base64 (what `sanitizer keygen` prints). Only the key's
name, its reference and its id (a fingerprint that reveals nothing about the key) ever appear in
messages and reprs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sanitizer.errors import KeyLoadError

KEY_BYTES = 32
_KEY_ID_LABEL = b"alert-sanitizer key id v1"


@dataclass(frozen=True)
class SecretRef:
    """Where a secret lives: exactly one of an environment variable or a file path."""

    env: str | None = None
    file: str | None = None

    def describe(self) -> str:
        return f"environment variable {self.env}" if self.env else f"file {self.file}"


def parse_secret_ref(value: object, *, what: str) -> SecretRef:
    """Validate a `{env: NAME}` / `{file: PATH}` mapping; pure, no I/O."""
    if isinstance(value, str):
        raise KeyLoadError(
            f"{what} is written inline; secrets are referenced, never inline: "
            "use {env: VARIABLE} or {file: /run/secrets/NAME}"
        )
    if not isinstance(value, Mapping) or len(value) != 1:
        raise KeyLoadError(f"{what} must be a mapping with exactly one of 'env' or 'file'")
    ((kind, target),) = value.items()
    if kind not in ("env", "file") or not isinstance(target, str) or not target:
        raise KeyLoadError(
            f"{what} must be {{env: VARIABLE}} or {{file: PATH}} with a non-empty string"
        )
    return SecretRef(**{kind: target})


def read_secret(ref: SecretRef, *, what: str, environ: Mapping[str, str] | None = None) -> str:
    """Read a secret's text (stripped of surrounding whitespace) from its reference."""
    env = os.environ if environ is None else environ
    if ref.env is not None:
        text = env.get(ref.env)
        if text is None:
            raise KeyLoadError(
                f"{what}: {ref.describe()} is not set; export it or mount the secret as a file"
            )
    else:
        assert ref.file is not None
        try:
            text = Path(ref.file).read_text(encoding="utf-8")
        except OSError as exc:
            raise KeyLoadError(
                f"{what}: cannot read {ref.describe()} ({exc.strerror or type(exc).__name__}); "
                "check the path and that the proxy's user may read it"
            ) from None
        except UnicodeDecodeError:
            raise KeyLoadError(f"{what}: {ref.describe()} is not UTF-8 text") from None
    text = text.strip()
    if not text:
        raise KeyLoadError(f"{what}: {ref.describe()} is empty")
    return text


def decode_key(text: str, *, what: str) -> bytes:
    """Decode a base64 key and insist on exactly 32 bytes."""
    try:
        material = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise KeyLoadError(
            f"{what} is not standard base64; generate one with `sanitizer keygen`"
        ) from None
    if len(material) != KEY_BYTES:
        raise KeyLoadError(
            f"{what} decodes to {len(material)} bytes but must be {KEY_BYTES}; "
            "generate one with `sanitizer keygen`"
        )
    return material


def key_id(material: bytes) -> str:
    """A short public fingerprint of a key, so rotated keys' outputs can be told apart."""
    return hmac.new(material, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:8]


@dataclass(frozen=True)
class Key:
    """A loaded key. Its material never shows in repr, str or comparisons' output."""

    name: str
    material: bytes = field(repr=False)

    @property
    def id(self) -> str:
        return key_id(self.material)

    def __repr__(self) -> str:
        return f"Key(name={self.name!r}, id={self.id!r})"

    __str__ = __repr__


def load_key(name: str, ref: SecretRef, *, environ: Mapping[str, str] | None = None) -> Key:
    what = f"key {name!r}"
    return Key(name, decode_key(read_secret(ref, what=what, environ=environ), what=what))


def generate_key() -> str:
    """32 bytes from the OS's CSPRNG, in standard base64."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def token_text(material: bytes) -> str:
    """Bytes as a credential that needs no escaping anywhere, a URL path included: base64url
    without padding (A-Z a-z 0-9 - _ only)."""
    return base64.urlsafe_b64encode(material).rstrip(b"=").decode("ascii")


def generate_token() -> str:
    """A new inbound credential: 32 bytes from the OS's CSPRNG as `token_text` (43
    characters), what `sanitizer keygen --token` prints."""
    return token_text(secrets.token_bytes(KEY_BYTES))
