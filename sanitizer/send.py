"""`sanitizer send`: a client for Nagios notification commands.

Nagios exports its macros to notification commands as `NAGIOS_*` environment variables when
`enable_environment_macros=1`. This builds one alert from them (prefix stripped:
`NAGIOS_HOSTNAME` → `HOSTNAME`) and posts it to the proxy. The route's token comes from a
file or `SANITIZER_TOKEN`, never from the command line, where other users could read it.
An https proxy URL is verified against the system's CAs or `--ca-bundle`; a proxy that asks
for client certificates (mutual TLS) gets `--client-cert` and `--client-key`.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from pathlib import Path

import httpx

from sanitizer import jsonio
from sanitizer.errors import SendError

PREFIX = "NAGIOS_"


def alert_from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    alert = {
        name[len(PREFIX) :]: value
        for name, value in sorted(environ.items())
        if name.startswith(PREFIX) and len(name) > len(PREFIX)
    }
    if not alert:
        raise SendError(
            "no NAGIOS_* variables in the environment; set enable_environment_macros=1 in "
            "nagios.cfg"
        )
    return alert


def read_token(token_file: str | None, environ: Mapping[str, str]) -> str:
    if token_file:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SendError(
                f"cannot read the token file ({exc.strerror or type(exc).__name__})"
            ) from None
    else:
        token = environ.get("SANITIZER_TOKEN", "").strip()
    if not token:
        raise SendError("no token: pass --token-file FILE or set SANITIZER_TOKEN")
    return token


def _readable(path: str, option: str) -> None:
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise SendError(
            f"cannot read the {option} file {path} ({exc.strerror or type(exc).__name__})"
        ) from None


def tls_context(
    url: str, ca_bundle: str | None, client_cert: str | None, client_key: str | None
) -> ssl.SSLContext | bool:
    """What verifies the proxy (and, for mutual TLS, presents our certificate): the system's
    CAs unless `ca_bundle` is given. Raises `SendError` naming the option to fix."""
    if (client_cert is None) != (client_key is None):
        raise SendError("give --client-cert and --client-key together")
    if ca_bundle is None and client_cert is None:
        return True
    if not url.lower().startswith("https://"):
        raise SendError("--ca-bundle, --client-cert and --client-key need an https:// proxy URL")
    context = ssl.create_default_context()
    if ca_bundle is not None:
        _readable(ca_bundle, "--ca-bundle")
        try:
            context.load_verify_locations(cafile=ca_bundle)
        except (ssl.SSLError, OSError):
            raise SendError(
                f"the --ca-bundle file {ca_bundle} holds no PEM certificate; give the CA "
                "certificate(s) that issued the proxy's certificate"
            ) from None
    if client_cert is not None and client_key is not None:
        _readable(client_cert, "--client-cert")
        _readable(client_key, "--client-key")
        try:
            # An empty passphrase: an encrypted key fails here instead of prompting on a tty.
            context.load_cert_chain(client_cert, client_key, password="")
        except (ssl.SSLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or "not PEM, or the key is encrypted"
            raise SendError(
                f"--client-cert and --client-key are not a usable pair ({reason}); give a PEM "
                "certificate and its unencrypted PEM private key"
            ) from None
    return context


def send(
    url: str,
    *,
    token_file: str | None = None,
    timeout: float = 10.0,
    ca_bundle: str | None = None,
    client_cert: str | None = None,
    client_key: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Post the alert; return the proxy's alert id, or raise `SendError` with one line."""
    env = os.environ if environ is None else environ
    verify = tls_context(url, ca_bundle, client_cert, client_key)
    alert = alert_from_environment(env)
    token = read_token(token_file, env)
    try:
        response = httpx.post(
            url,
            content=jsonio.dumps(alert).encode("utf-8"),
            headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
            timeout=timeout,
            verify=verify,
        )
    except httpx.HTTPError as exc:
        raise SendError(f"cannot reach the proxy ({type(exc).__name__})") from None
    if response.status_code != 202:
        try:
            reason = response.json().get("message", "")
        except ValueError:
            reason = ""
        raise SendError(f"the proxy answered {response.status_code}: {reason}".rstrip(": "))
    return str(response.json().get("id", ""))
