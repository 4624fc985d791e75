"""`sanitizer send`: a client for Nagios notification commands.

Nagios exports its macros to notification commands as `NAGIOS_*` environment variables when
`enable_environment_macros=1`. This builds one alert from them (prefix stripped:
`NAGIOS_HOSTNAME` → `HOSTNAME`) and posts it to the proxy. The route's token comes from a
file or `SANITIZER_TOKEN`, never from the command line, where other users could read it.
"""

from __future__ import annotations

import os
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


def send(
    url: str,
    *,
    token_file: str | None = None,
    timeout: float = 10.0,
    ca_bundle: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Post the alert; return the proxy's alert id, or raise `SendError` with one line."""
    env = os.environ if environ is None else environ
    alert = alert_from_environment(env)
    token = read_token(token_file, env)
    try:
        response = httpx.post(
            url,
            content=jsonio.dumps(alert).encode("utf-8"),
            headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
            timeout=timeout,
            verify=ca_bundle or True,
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
