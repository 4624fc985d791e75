"""TLS on ingress, against the real proxy process on 127.0.0.1 with certificates made here:
HTTPS only (TLS 1.2+), mutual TLS with `client_ca`, certificates reloaded on SIGHUP, `sanitizer
send` over TLS, and one-line config errors naming `listen.tls.<field>`."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.capture import wait_for_captured
from tests.proxyproc import (
    INBOUND_TOKEN,
    ROOT,
    ProxyProcess,
    environment,
    https_client,
    start_proxy,
)
from tests.tlscerts import SERVER_NAMES, Authority, Pair, self_signed, serial_number

ALERT = json.dumps(
    {"HOSTNAME": "web-01", "SERVICESTATE": "CRITICAL", "NOTIFICATIONTYPE": "PROBLEM"}
)


@dataclass(frozen=True)
class Certificates:
    ca: Authority
    server: Pair
    client: Pair  # issued by `ca`
    foreign_client: Pair  # self-signed: from no CA the proxy trusts
    directory: Path


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    directory = tmp_path_factory.mktemp("certs")
    ca = Authority.create(directory / "ca")
    return Certificates(
        ca=ca,
        server=ca.issue(directory, "server", server_names=SERVER_NAMES),
        client=ca.issue(directory, "client", client=True),
        foreign_client=self_signed(directory, "foreign-client"),
        directory=directory,
    )


def tls_config(workdir: Path, tls: str) -> str:
    return f"""\
listen: {{tls: {tls}}}
spool: {{path: spool}}
routes:
  nagios:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: {ROOT / "rules/nagios.yaml"}
    upstream: {{type: capture, path: {workdir / "captured.jsonl"}}}
"""


def copy_pair(pair: Pair, workdir: Path) -> None:
    """The server's files next to the config, where a reload reads them again."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pair.cert, workdir / "server.crt")
    shutil.copyfile(pair.key, workdir / "server.key")


@pytest.fixture
def https_proxy(tmp_path: Path, certs: Certificates) -> Iterator[ProxyProcess]:
    copy_pair(certs.server, tmp_path)
    running = start_proxy(
        tmp_path,
        tls_config(tmp_path, "{cert: server.crt, key: server.key}"),
        https=https_client(certs.ca.cert),
    )
    yield running
    running.stop()


@pytest.fixture
def mutual_proxy(tmp_path: Path, certs: Certificates) -> Iterator[ProxyProcess]:
    copy_pair(certs.server, tmp_path)
    running = start_proxy(
        tmp_path,
        tls_config(tmp_path, f"{{cert: server.crt, key: server.key, client_ca: {certs.ca.cert}}}"),
        https=https_client(certs.ca.cert, certs.client.cert, certs.client.key),
    )
    yield running
    running.stop()


def handshake(port: int, context: ssl.SSLContext) -> ssl.SSLSocket:
    """A new TLS connection to the proxy (the caller closes it)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        return context.wrap_socket(raw, server_hostname="127.0.0.1")
    except BaseException:
        raw.close()
        raise


def served_serial(proxy: ProxyProcess, ca: Authority) -> int:
    """The serial number of the certificate a new connection is shown."""
    with handshake(proxy.port, https_client(ca.cert)) as connection:
        der = connection.getpeercert(binary_form=True)
    assert der is not None
    return serial_number(ssl.DER_cert_to_PEM_cert(der).encode())


def wait_for_reload(proxy: ProxyProcess, result: str, count: float = 1) -> None:
    deadline = time.monotonic() + 15
    while proxy.metric("sanitizer_config_reloads_total", result=result) < count:
        assert time.monotonic() < deadline, proxy.log()
        time.sleep(0.05)


def test_an_alert_posted_over_https_is_accepted_and_delivered(https_proxy: ProxyProcess) -> None:
    assert https_proxy.url.startswith("https://127.0.0.1:")
    response = https_proxy.post("nagios", ALERT)
    assert response.status_code == 202, response.text
    captured = wait_for_captured(https_proxy.workdir / "captured.jsonl", response.json()["id"])
    assert captured is not None


def test_the_handshake_is_tls_1_2_or_newer_without_compression_for_the_ip_address(
    https_proxy: ProxyProcess, certs: Certificates
) -> None:
    # https_client checks the host name: 127.0.0.1 must be an IP SAN of the certificate.
    with handshake(https_proxy.port, https_client(certs.ca.cert)) as connection:
        assert connection.version() in ("TLSv1.2", "TLSv1.3")
        assert connection.compression() is None
    tls12 = https_client(certs.ca.cert)
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    with handshake(https_proxy.port, tls12) as connection:
        assert connection.version() == "TLSv1.2"


def test_plain_http_to_the_tls_port_gets_no_answer(https_proxy: ProxyProcess) -> None:
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{https_proxy.port}/readyz", timeout=5)
    assert https_proxy.process.poll() is None


def test_a_client_that_offers_only_tls_1_1_is_refused(https_proxy: ProxyProcess) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSVersion.TLSv1_1 itself
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.check_hostname = False
        old.verify_mode = ssl.CERT_NONE
        old.minimum_version = old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("DEFAULT:@SECLEVEL=0")  # so this client's OpenSSL will offer TLS 1.1 at all
    # It can: it writes its ClientHello and waits for an answer (no local refusal)...
    with pytest.raises(ssl.SSLWantReadError):
        old.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO()).do_handshake()
    # ...and the proxy ends that handshake (an alert, or the connection closed).
    with pytest.raises(ssl.SSLError):
        handshake(https_proxy.port, old).close()
    assert https_proxy.post("nagios", ALERT).status_code == 202


def test_with_client_ca_a_client_without_a_certificate_is_refused(
    mutual_proxy: ProxyProcess, certs: Certificates
) -> None:
    with pytest.raises(httpx.TransportError):
        httpx.post(
            f"{mutual_proxy.url}/v1/alerts/nagios",
            content=ALERT,
            headers={"authorization": f"Bearer {INBOUND_TOKEN}"},
            verify=https_client(certs.ca.cert),
            timeout=5,
        )
    # TLS 1.2: the refusal is in the handshake itself.
    tls12 = https_client(certs.ca.cert)
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises(ssl.SSLError):
        handshake(mutual_proxy.port, tls12).close()


def test_with_client_ca_a_certificate_from_another_issuer_is_refused(
    mutual_proxy: ProxyProcess, certs: Certificates
) -> None:
    foreign = https_client(certs.ca.cert, certs.foreign_client.cert, certs.foreign_client.key)
    with pytest.raises(httpx.TransportError):
        httpx.post(
            f"{mutual_proxy.url}/v1/alerts/nagios",
            content=ALERT,
            headers={"authorization": f"Bearer {INBOUND_TOKEN}"},
            verify=foreign,
            timeout=5,
        )
    foreign.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises(ssl.SSLError):
        handshake(mutual_proxy.port, foreign).close()
    assert not (mutual_proxy.workdir / "captured.jsonl").exists()


def test_with_client_ca_a_certificate_the_ca_issued_is_accepted(
    mutual_proxy: ProxyProcess,
) -> None:
    response = mutual_proxy.post("nagios", ALERT)  # presents certs.client
    assert response.status_code == 202, response.text
    captured = wait_for_captured(mutual_proxy.workdir / "captured.jsonl", response.json()["id"])
    assert captured is not None


def test_sighup_with_a_new_certificate_serves_it_to_new_connections_without_a_pause(
    https_proxy: ProxyProcess, certs: Certificates, tmp_path: Path
) -> None:
    old_serial = serial_number(certs.server.cert.read_bytes())
    assert served_serial(https_proxy, certs.ca) == old_serial
    renewed = certs.ca.issue(tmp_path / "renewed", "server", server_names=SERVER_NAMES)
    with httpx.Client(verify=https_client(certs.ca.cert), timeout=10) as kept_open:
        headers = {"authorization": f"Bearer {INBOUND_TOKEN}", "content-type": "application/json"}
        url = f"{https_proxy.url}/v1/alerts/nagios"
        assert kept_open.post(url, content=ALERT, headers=headers).status_code == 202
        copy_pair(renewed, https_proxy.workdir)
        https_proxy.send_signal(signal.SIGHUP)
        wait_for_reload(https_proxy, "ok")
        # The connection opened before the reload keeps working...
        assert kept_open.post(url, content=ALERT, headers=headers).status_code == 202
    # ...and a new one is shown the new certificate.
    assert served_serial(https_proxy, certs.ca) == serial_number(renewed.cert.read_bytes())
    assert https_proxy.post("nagios", ALERT).status_code == 202
    assert "certificate loaded" in https_proxy.log()


def not_after(pem: bytes) -> float:
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem).not_valid_after_utc.timestamp()


def test_the_certificate_expiry_is_exported_warned_about_and_follows_a_reload(
    https_proxy: ProxyProcess, certs: Certificates, tmp_path: Path
) -> None:
    """The test certificates live two days: inside the two-week warning."""
    name = "sanitizer_tls_certificate_expiry_timestamp_seconds"
    expected = not_after(certs.server.cert.read_bytes())
    assert https_proxy.metric(name, listener="ingress") == pytest.approx(expected)
    assert "certificate expires in" in https_proxy.log()
    renewed = certs.ca.issue(tmp_path / "renewed", "server", server_names=SERVER_NAMES)
    copy_pair(renewed, https_proxy.workdir)
    https_proxy.send_signal(signal.SIGHUP)
    wait_for_reload(https_proxy, "ok")
    renewed_at = not_after(renewed.cert.read_bytes())
    assert https_proxy.metric(name, listener="ingress") == pytest.approx(renewed_at)


def test_without_tls_no_certificate_expiry_is_exported(tmp_path: Path) -> None:
    running = start_proxy(
        tmp_path,
        f"""\
spool: {{path: spool}}
routes:
  nagios:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: {ROOT / "rules/nagios.yaml"}
    upstream: {{type: capture, path: {tmp_path / "captured.jsonl"}}}
""",
    )
    try:
        text = httpx.get(f"{running.url}/metrics", timeout=5).text
        assert "sanitizer_tls_certificate_expiry_timestamp_seconds{" not in text
    finally:
        running.stop()


@pytest.mark.parametrize(
    "break_it",
    [
        pytest.param(
            lambda key: key.write_text("-----BEGIN PRIVATE KEY-----\nnope\n"), id="garbage"
        ),
        pytest.param(lambda key: key.write_bytes(key.read_bytes()[:60]), id="truncated"),
        pytest.param(lambda key: key.unlink(), id="missing"),
    ],
)
def test_sighup_with_a_broken_key_keeps_the_old_certificate_serving(
    https_proxy: ProxyProcess, certs: Certificates, tmp_path: Path, break_it
) -> None:
    old_serial = serial_number(certs.server.cert.read_bytes())
    renewed = certs.ca.issue(tmp_path / "renewed", "server", server_names=SERVER_NAMES)
    shutil.copyfile(renewed.cert, https_proxy.workdir / "server.crt")
    break_it(https_proxy.workdir / "server.key")
    https_proxy.send_signal(signal.SIGHUP)
    wait_for_reload(https_proxy, "failed")
    assert served_serial(https_proxy, certs.ca) == old_serial
    assert https_proxy.post("nagios", ALERT).status_code == 202
    refused = [line for line in https_proxy.log().splitlines() if "reload refused" in line]
    assert len(refused) == 1 and "listen.tls.key" in refused[0]


def test_sighup_with_a_key_of_another_certificate_keeps_the_old_one_serving(
    https_proxy: ProxyProcess, certs: Certificates, tmp_path: Path
) -> None:
    old_serial = serial_number(certs.server.cert.read_bytes())
    renewed = certs.ca.issue(tmp_path / "renewed", "server", server_names=SERVER_NAMES)
    shutil.copyfile(renewed.cert, https_proxy.workdir / "server.crt")  # the old key stays
    https_proxy.send_signal(signal.SIGHUP)
    wait_for_reload(https_proxy, "failed")
    assert served_serial(https_proxy, certs.ca) == old_serial
    assert "does not belong to the certificate" in https_proxy.log()


def run_send(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = environment(
        SANITIZER_TOKEN=INBOUND_TOKEN, NAGIOS_HOSTNAME="web-01", NAGIOS_SERVICESTATE="CRITICAL"
    )
    env["SANITIZER_OUTBOX"] = tempfile.mkdtemp(prefix="outbox-")  # not the runner's home
    return subprocess.run(
        [sys.executable, "-m", "sanitizer.cli", "send", "--nagios-env", url, *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )


def test_sanitizer_send_with_ca_bundle_and_client_certificate_delivers(
    mutual_proxy: ProxyProcess, certs: Certificates
) -> None:
    result = run_send(
        f"{mutual_proxy.url}/v1/alerts/nagios",
        "--ca-bundle",
        str(certs.ca.cert),
        "--client-cert",
        str(certs.client.cert),
        "--client-key",
        str(certs.client.key),
    )
    assert result.returncode == 0, result.stderr
    alert_id = result.stdout.strip().removeprefix("queued as ")
    assert wait_for_captured(mutual_proxy.workdir / "captured.jsonl", alert_id) is not None


def test_sanitizer_send_without_a_client_certificate_is_refused_in_one_line(
    mutual_proxy: ProxyProcess, certs: Certificates
) -> None:
    result = run_send(f"{mutual_proxy.url}/v1/alerts/nagios", "--ca-bundle", str(certs.ca.cert))
    # The proxy drops the connection: to the sender, not reached; the alert waits in its outbox.
    assert result.returncode == 0 and "queued locally" in result.stderr
    assert result.stderr.count("\n") == 1 and "cannot reach the proxy" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (("--ca-bundle", "{missing}"), "cannot read the --ca-bundle file"),
        (("--ca-bundle", "{client_key}"), "--ca-bundle file"),
        (("--client-cert", "{client_cert}", "--client-key", "{missing}"), "--client-key file"),
        (("--client-cert", "{missing}", "--client-key", "{client_key}"), "--client-cert file"),
        (("--client-cert", "{client_cert}"), "--client-cert and --client-key together"),
        (("--client-cert", "{client_cert}", "--client-key", "{server_key}"), "usable pair"),
    ],
)
def test_sanitizer_send_names_an_unusable_tls_file_in_one_line(
    certs: Certificates, tmp_path: Path, arguments: tuple[str, ...], says: str
) -> None:
    files = {
        "missing": str(tmp_path / "absent.pem"),
        "client_cert": str(certs.client.cert),
        "client_key": str(certs.client.key),
        "server_key": str(certs.server.key),
    }
    result = run_send(
        "https://127.0.0.1:9/v1/alerts/nagios", *(a.format(**files) for a in arguments)
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_sanitizer_send_refuses_tls_options_for_a_plain_http_url(certs: Certificates) -> None:
    result = run_send("http://127.0.0.1:9/v1/alerts/nagios", "--ca-bundle", str(certs.ca.cert))
    assert result.returncode == 1
    assert "need an https:// proxy URL" in result.stderr


@pytest.mark.parametrize(
    ("tls", "field", "says"),
    [
        ("{cert: absent.crt, key: server.key}", "listen.tls.cert", "cannot read"),
        ("{cert: server.crt, key: absent.key}", "listen.tls.key", "cannot read"),
        ("{cert: server.key, key: server.key}", "listen.tls.cert", "no PEM certificate"),
        ("{cert: server.crt, key: server.crt}", "listen.tls.key", "no PEM private key"),
        ("{cert: server.crt, key: client.key}", "listen.tls.key", "does not belong"),
        (
            "{cert: server.crt, key: server.key, client_ca: server.key}",
            "listen.tls.client_ca",
            "no PEM",
        ),
        ("{cert: server.crt}", "listen.tls.key", "needs the path"),
        ("{cert: server.crt, key: server.key, ca: x}", "listen.tls.ca", "unknown setting"),
        ("server.crt", "listen.tls", "must be a mapping"),
    ],
)
def test_a_bad_tls_setting_is_one_line_naming_the_field(
    certs: Certificates, tmp_path: Path, tls: str, field: str, says: str
) -> None:
    copy_pair(certs.server, tmp_path)
    shutil.copyfile(certs.client.key, tmp_path / "client.key")
    (tmp_path / "config.yaml").write_text(tls_config(tmp_path, tls), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "sanitizer.cli", "serve", "--check", "--config", "config.yaml"],
        capture_output=True,
        text=True,
        env=environment(),
        cwd=tmp_path,
        timeout=30,
    )
    assert result.returncode == 2, result.stdout
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"field '{field}'" in result.stderr and says in result.stderr, result.stderr


def test_an_encrypted_key_is_refused_saying_the_proxy_reads_no_passphrase(
    certs: Certificates, tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives import serialization

    from sanitizer.errors import ConfigError
    from sanitizer.proxy.tls import read_tls_files

    key = serialization.load_pem_private_key(certs.server.key.read_bytes(), password=None)
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    with pytest.raises(ConfigError) as refused:
        read_tls_files(certs.server.cert, encrypted, None)
    assert refused.value.field == "listen.tls.key" and "no passphrase" in refused.value.message


def test_tls_settings_never_show_key_material(certs: Certificates) -> None:
    from sanitizer.proxy.tls import read_tls_files

    settings = read_tls_files(certs.server.cert, certs.server.key, certs.ca.cert)
    shown = repr(settings) + str(settings)
    assert "PRIVATE KEY" not in shown and str(certs.server.key) in shown


def test_sighup_with_a_new_client_ca_warns_that_it_takes_a_restart_and_keeps_the_old_one(
    tmp_path: Path, certs: Certificates
) -> None:
    copy_pair(certs.server, tmp_path)
    shutil.copyfile(certs.ca.cert, tmp_path / "clients.crt")
    running = start_proxy(
        tmp_path,
        tls_config(tmp_path, "{cert: server.crt, key: server.key, client_ca: clients.crt}"),
        https=https_client(certs.ca.cert, certs.client.cert, certs.client.key),
    )
    try:
        other = Authority.create(tmp_path / "other", "Other CA")
        shutil.copyfile(other.cert, tmp_path / "clients.crt")
        running.send_signal(signal.SIGHUP)
        wait_for_reload(running, "ok")
        assert "a new listen.tls.client_ca takes effect after a restart" in running.log()
        assert running.post("nagios", ALERT).status_code == 202
    finally:
        running.stop()
