"""TLS on ingress: the listener's certificate, key and client CA, checked when the config
loads; the server's `SSLContext` built from them, and new certificates put into it on reload.

The files are read once, when the config loads, and everything after works from those bytes:
a reload checks the new pair and installs exactly what it checked, never a file that changed
in between (a half-written key, or a new certificate next to the old key). OpenSSL reads
certificates only from paths, so the checked bytes reach it through an in-memory file.

The context: TLS 1.2 or newer, no compression, no renegotiation, the server's cipher order,
HTTP/1.1 over ALPN; with `client_ca`, a client must present a certificate issued by one of
those CAs, or the handshake fails (mutual TLS).
"""

from __future__ import annotations

import contextlib
import os
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from sanitizer.errors import ConfigError

_WHERE = "listen.tls"
_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class TlsSettings:
    """The listener's TLS files, with the checked contents they had when they were read."""

    cert_path: Path
    key_path: Path
    client_ca_path: Path | None
    cert_pem: bytes = field(repr=False)
    key_pem: bytes = field(repr=False)
    client_ca_der: bytes | None = field(repr=False)
    expires_at: float = 0.0  # the server certificate's notAfter, Unix time

    @property
    def mutual(self) -> bool:
        return self.client_ca_der is not None


def _read(path: Path, name: str, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path} ({exc.strerror or type(exc).__name__}); give the path of {what} "
            "in PEM, readable by the proxy's user",
            field=f"{_WHERE}.{name}",
        ) from None


def _certificates(data: bytes, name: str, what: str) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        raise ConfigError(
            f"holds no PEM certificate; give {what} as '-----BEGIN CERTIFICATE-----' blocks",
            field=f"{_WHERE}.{name}",
        ) from None


def _private_key_spki(data: bytes) -> bytes:
    """The public half of the PEM private key in `data`, to compare with the certificate's."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise ConfigError(
            "the private key is encrypted and the proxy reads no passphrase; give it "
            "unencrypted (`openssl pkey -in KEY -out PLAIN`), readable only by the proxy's user",
            field=f"{_WHERE}.key",
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigError(
            "holds no PEM private key this proxy can use; give the server certificate's key "
            "(RSA, EC or Ed25519) in PEM",
            field=f"{_WHERE}.key",
        ) from None
    return key.public_key().public_bytes(*_SPKI)


def read_tls_files(cert: Path, key: Path, client_ca: Path | None) -> TlsSettings:
    """Read and check the listener's files; raise `ConfigError` naming `listen.tls.<field>`."""
    cert_pem = _read(cert, "cert", "the server certificate (then any intermediates)")
    key_pem = _read(key, "key", "the server certificate's private key")
    chain = _certificates(cert_pem, "cert", "the server certificate (then any intermediates)")
    if _private_key_spki(key_pem) != chain[0].public_key().public_bytes(*_SPKI):
        raise ConfigError(
            f"this key does not belong to the certificate in {_WHERE}.cert (their public keys "
            "differ); give the key the certificate was issued for",
            field=f"{_WHERE}.key",
        )
    client_ca_der = None
    if client_ca is not None:
        authorities = _certificates(
            _read(client_ca, "client_ca", "the CA certificates that issue client certificates"),
            "client_ca",
            "the CA certificates that issue client certificates",
        )
        client_ca_der = b"".join(ca.public_bytes(serialization.Encoding.DER) for ca in authorities)
    expires_at = chain[0].not_valid_after_utc.timestamp()
    settings = TlsSettings(cert, key, client_ca, cert_pem, key_pem, client_ca_der, expires_at)
    try:
        server_context(settings)
    except ssl.SSLError as exc:
        raise ConfigError(
            f"OpenSSL refused the certificate and key ({exc.reason or type(exc).__name__}); "
            "use an RSA key of at least 2048 bits or an EC key, and a SHA-256 (or better) "
            "signature",
            field=_WHERE,
        ) from None
    return settings


def server_context(tls: TlsSettings) -> ssl.SSLContext:
    """A server context for `tls`: TLS 1.2+, no compression, mutual TLS with `client_ca`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.options |= (
        ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_NO_RENEGOTIATION
    )
    context.set_alpn_protocols(["http/1.1"])
    if tls.client_ca_der is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cadata=tls.client_ca_der)
    load_certificate(context, tls)
    return context


def load_certificate(context: ssl.SSLContext, tls: TlsSettings) -> None:
    """Put the certificate and key of `tls` into `context`; handshakes that start afterwards
    use them, connections already open keep theirs."""
    with _in_memory(tls.cert_pem) as cert, _in_memory(tls.key_pem) as key:
        context.load_cert_chain(cert, key)


@contextlib.contextmanager
def _in_memory(data: bytes) -> Iterator[str]:
    """A path from which OpenSSL reads `data`: an anonymous in-memory file on Linux (nothing
    touches a disk, a read-only root filesystem is fine), else a private temporary file."""
    if hasattr(os, "memfd_create"):
        descriptor = os.memfd_create("sanitizer-tls", os.MFD_CLOEXEC)
        try:
            with open(descriptor, "wb", closefd=False) as handle:
                handle.write(data)
            yield f"/proc/self/fd/{descriptor}"
        finally:
            os.close(descriptor)
        return
    with tempfile.TemporaryDirectory() as directory:  # created 0700
        path = Path(directory) / "pem"
        path.write_bytes(data)
        yield str(path)


EXPIRY_WARNING_DAYS = 14


def expiry_warning(tls: TlsSettings, now: float) -> str | None:
    """A log line when the server certificate has expired or expires within two weeks."""
    days = (tls.expires_at - now) / 86_400
    if days <= 0:
        return "the listener's certificate has expired: renew it, then send SIGHUP"
    if days < EXPIRY_WARNING_DAYS:
        return f"the listener's certificate expires in {days:.1f} days: renew it, then send SIGHUP"
    return None
