"""`sanitizer send`: a client for Nagios notification commands.

Nagios exports its macros to notification commands as `NAGIOS_*` environment variables when
`enable_environment_macros=1`. This builds one alert from them (prefix stripped:
`NAGIOS_HOSTNAME` → `HOSTNAME`) and posts it to the proxy. The route's token comes from a
file or `SANITIZER_TOKEN`, never from the command line, where other users could read it.
An https proxy URL is verified against the system's CAs or `--ca-bundle`; a proxy that asks
for client certificates (mutual TLS) gets `--client-cert` and `--client-key`.

Nagios never retries a notification command, so an alert the proxy cannot take *now* (it is
unreachable, times out, or answers 408, 429 or 5xx) goes to the outbox (`sanitizer.outbox`)
and `send` still succeeds; every later `send` first delivers that backlog, oldest first, and
`send --flush` delivers it alone (from a timer). A refusal that retrying cannot fix (401,
403, 404, 413, 415, 422, ...) is never queued: `send` fails with the proxy's reason.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sanitizer import jsonio
from sanitizer.errors import SanitizerError, SendError
from sanitizer.outbox import DEFAULT_MAX_BYTES, Outbox, default_outbox

PREFIX = "NAGIOS_"
# Refusals about the route or its credential rather than the alert: a flush that meets one
# stops and keeps the backlog (fix the token or URL, and it is delivered), where an alert
# refused for itself (413, 415, 422, ...) is moved to rejected/.
ROUTE_REFUSALS = frozenset({401, 403, 404})


def lease_for(timeout: float) -> float:
    """How long a claimed outbox alert stays with its claimer before another process may
    take it back: longer than one delivery attempt can last (connect, write, read and pool
    waits, each up to `timeout`)."""
    return max(60.0, 4 * timeout)


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


@dataclass(frozen=True)
class Answer:
    """What one post got: `status` None when the proxy could not be reached (a TLS failure
    too: an expired proxy certificate is an outage that ends, and the alert is kept)."""

    status: int | None
    reason: str
    alert_id: str = ""

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def transient(self) -> bool:
        """Worth keeping for a later attempt: unreachable, timed out, 408, 429 or 5xx."""
        return self.status is None or self.status in (408, 429) or self.status >= 500

    @property
    def route_refused(self) -> bool:
        """Refused over the route or credential, whatever the alert: 401, 403, 404."""
        return self.status in ROUTE_REFUSALS


def _tls_problem(exc: BaseException) -> str | None:
    """The TLS reason behind a transport error (CERTIFICATE_VERIFY_FAILED, ...), for the
    message: a certificate problem is a setting to fix, and the line should say so."""
    cause: BaseException | None = exc
    for _ in range(8):  # the SSL error sits a few causes down httpx's and httpcore's errors
        if cause is None:
            break
        if isinstance(cause, ssl.SSLError) and cause.reason:
            return str(cause.reason)
        cause = cause.__cause__ or cause.__context__
    return None


def _post(client: httpx.Client, url: str, token: str, alert: Any) -> Answer:
    try:
        response = client.post(
            url,
            content=jsonio.dumps(alert).encode("utf-8"),
            headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
        )
    except httpx.HTTPError as exc:
        problem = _tls_problem(exc)
        detail = type(exc).__name__ if problem is None else f"{type(exc).__name__}: TLS {problem}"
        return Answer(None, f"cannot reach the proxy ({detail})")
    try:
        doc = response.json()
    except ValueError:
        doc = None
    doc = doc if isinstance(doc, dict) else {}
    if 200 <= response.status_code < 300:
        return Answer(response.status_code, "", str(doc.get("id", "")))
    reason = f"the proxy answered {response.status_code}: {doc.get('message', '')}"
    return Answer(response.status_code, reason.rstrip(": "))


@dataclass
class Backlog:
    """What delivering the outbox did: alerts delivered, alerts moved to rejected/, why it
    stopped early (`stopped`; `route_refused` when no alert can pass until a setting is
    fixed) if it did, and how many alerts for the URL wait in the outbox (`waiting`, set by
    `send` and `flush`)."""

    outbox: Path
    delivered: int = 0
    rejected: int = 0
    stopped: str | None = None
    route_refused: bool = False
    waiting: int = 0


def deliver_backlog(outbox: Outbox, client: httpx.Client, url: str, token: str) -> Backlog:
    """Deliver `url`'s queued alerts, oldest first, each claimed before it is posted so that
    no other process posts it too. Stops at the first answer that says "later" (the alert
    goes back) or that refuses the route or credential; moves an alert refused for itself to
    rejected/."""
    backlog = Backlog(outbox.directory)
    for claim in outbox.claims(url):
        try:
            entry = outbox.read(claim)
        except (SanitizerError, OSError):
            outbox.reject(claim, "unreadable")
            backlog.rejected += 1
            continue
        answer = _post(client, url, token, entry["alert"])
        if answer.accepted:
            outbox.done(claim)
            backlog.delivered += 1
        elif answer.transient or answer.route_refused:
            outbox.release(claim)
            backlog.stopped, backlog.route_refused = answer.reason, answer.route_refused
            return backlog
        else:
            outbox.reject(claim, f"http{answer.status}")
            backlog.rejected += 1
    return backlog


@dataclass(frozen=True)
class Connection:
    """Where and how `send` reaches the proxy, and the outbox it keeps."""

    url: str
    token_file: str | None = None
    timeout: float = 10.0
    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    outbox: Path | None = None
    outbox_max_bytes: int = DEFAULT_MAX_BYTES


@dataclass
class Sent:
    """The outcome of `send`: the proxy's id for the alert, why it was queued locally
    (`queued`), or why the proxy refused it for good (`refused`: not queued); `backlog` is
    what delivering the earlier alerts did."""

    backlog: Backlog
    alert_id: str = ""
    queued: str | None = None
    refused: str | None = None


def _open(connection: Connection, env: Mapping[str, str]) -> tuple[Outbox, httpx.Client, str]:
    verify = tls_context(
        connection.url, connection.ca_bundle, connection.client_cert, connection.client_key
    )
    token = read_token(connection.token_file, env)
    outbox = Outbox(
        connection.outbox or default_outbox(env),
        max_bytes=connection.outbox_max_bytes,
        lease=lease_for(connection.timeout),
    )
    return outbox, httpx.Client(verify=verify, timeout=connection.timeout), token


def _route_refused(backlog: Backlog) -> None:
    if backlog.route_refused:
        raise SendError(f"{backlog.stopped}; the outbox keeps its alerts until this is fixed")


def send(connection: Connection, environ: Mapping[str, str] | None = None) -> Sent:
    """Deliver the outbox's backlog, then post the alert from the environment; queue it when
    the proxy cannot take it now. Raises `SendError` (one line) when the route or credential
    is refused, or the alert cannot be queued."""
    env = os.environ if environ is None else environ
    alert = alert_from_environment(env)
    outbox, client, token = _open(connection, env)
    with client:
        backlog = deliver_backlog(outbox, client, connection.url, token)
        _route_refused(backlog)
        if backlog.stopped is None:
            answer = _post(client, connection.url, token, alert)
            if answer.accepted:
                return Sent(backlog, alert_id=answer.alert_id)
            if not answer.transient:
                return Sent(backlog, refused=answer.reason)
            why = answer.reason
        else:
            why = backlog.stopped
    outbox.enqueue(connection.url, connection.token_file, alert)
    backlog.waiting = len(outbox.queued(connection.url))
    return Sent(backlog, queued=why)


def flush(connection: Connection, environ: Mapping[str, str] | None = None) -> Backlog:
    """Deliver the outbox's backlog for `connection.url` alone (no alert of its own)."""
    env = os.environ if environ is None else environ
    outbox, client, token = _open(connection, env)
    with client:
        backlog = deliver_backlog(outbox, client, connection.url, token)
    _route_refused(backlog)
    backlog.waiting = len(outbox.queued(connection.url))
    return backlog
