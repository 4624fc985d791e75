"""Secrets never leak: canaries through a real proxy, credentials and keys everywhere else.

Hypothesis builds alerts full of canaries (e-mail and IP addresses, AWS keys, JWTs, bearer
tokens, host and user names, passwords) that the test's policy drops, hashes, tokenizes, scrubs
or masks, and sends them to a real proxy process in front of a real upstream stand-in, some as
hostile requests that must be refused. The stand-in answers 404 for a while so some alerts end in
the dead letters. Afterwards no canary may appear in what the upstream received, any log line,
`/metrics`, any error body, the spool's files (spool.db, its WAL), the dead-letter table or
`sanitizer spool list`.

Inbound credentials and keys are checked separately: never in a log, a repr, an exception
message or any `--help`, and compared in constant time over fixed-length digests.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanitizer import cli
from sanitizer.errors import SanitizerError
from sanitizer.loader import load_policy
from sanitizer.proxy import credentials as credentials_module
from sanitizer.proxy.config import load_settings
from sanitizer.proxy.runtime import build_runtime
from sanitizer.proxy.spool import SpooledAlert
from sanitizer.proxy.upstreams import HttpOptions
from sanitizer.proxy.upstreams.victorops import VictorOpsUpstream
from tests.proxyproc import (
    INBOUND_TOKEN,
    PSEUDONYM_KEY,
    VICTOROPS_KEY,
    environment,
    free_port,
    start_proxy,
)
from tests.standin import make_tls_files, start_standin

MAX_BODY = 65536
KEY_HEX = base64.b64decode(PSEUDONYM_KEY).hex()
# Every inbound credential and key the proxy holds; none may show anywhere but where it belongs.
SECRETS = {
    "inbound token": INBOUND_TOKEN,
    "victorops api key": VICTOROPS_KEY,
    "pseudonym key (base64)": PSEUDONYM_KEY,
    "pseudonym key (hex)": KEY_HEX,
}

CANARY_POLICY = r"""
version: 1
name: canaries
keys:
  pseudonym: {env: SANITIZER_KEY_PSEUDONYM}
rules:
  - {id: drop-credentials, action: drop, keys: '(?i)passw(or)?d|secret|token|api_?key'}
  - {id: drop-contacts, action: drop, keys: '(?i)^contact'}
  - {id: hash-host, action: hash, select: host, key: pseudonym}
  - {id: tokenize-user, action: tokenize, select: user, key: pseudonym}
  - {id: magnitude, action: set, select: magnitude, expr: "abs(severity)", when: severity}
  - {id: scrub-hostnames, action: scrub, pattern: 'cnry-[a-z0-9]+\.corp\.example', label: '[HOST]'}
  - {id: scrub-detectors, action: scrub}
  - {id: mask-addresses, action: mask_ip, mode: fixed}
guard: [email, ipv4, ipv6, aws_access_key, jwt, bearer]
"""


def canary_config(standin_url: str) -> str:
    return f"""\
spool: {{path: spool, max_bytes: 50000000}}
limits: {{max_body_bytes: {MAX_BODY}, max_depth: 16, read_timeout: 5}}
delivery: {{workers: 4, backoff_base: 0.05, backoff_cap: 0.3, max_age: 3600}}
routes:
  canaries:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: canaries.yaml
    on_refusal: notify
    upstream:
      type: victorops
      url: '{standin_url}/integrations/generic/20131114/alert'
      api_key: {{env: VICTOROPS_API_KEY}}
      routing_key: ops
"""


# ---------------------------------------------------------------------------- canaries

_HEX = "0123456789abcdef"
uids = st.text(alphabet=_HEX, min_size=10, max_size=10)
CANARY_KINDS: dict[str, Any] = {
    "email": uids.map(lambda h: f"cnry{h}@mx{h[:4]}.example.org"),
    "ipv4": st.tuples(st.integers(18, 19), st.integers(0, 255), st.integers(1, 254)).map(
        lambda t: f"198.{t[0]}.{t[1]}.{t[2]}"
    ),
    "ipv6": uids.map(lambda h: f"2001:db8:{h[:4]}:{h[4:8]}::{h[8:]}"),
    "aws_access_key": st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=16
    ).map(lambda s: "AKIA" + s),
    "jwt": uids.map(lambda h: f"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOi{h}.c2lnbmF0dXJl{h}"),
    "hostname": uids.map(lambda h: f"cnry-{h}.corp.example"),
}
bearer_tokens = uids.map(lambda h: f"tkn{h}Zq9")
passwords = uids.map(lambda h: f"pw-{h}-CANARY")
users = uids.map(lambda h: f"user-{h}")
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
separators = st.sampled_from([" ", ", ", "; ", " (", ") ", "\n", " = ", " [", "] ", ' "', "' "])

# How each alert is sent, and what the proxy must answer.
REQUEST_KINDS = {
    "accepted": 202,
    "victorops-url": 202,
    "rule-fails": 422,
    "duplicate-key": 400,
    "invalid-utf8": 400,
    "oversized": 413,
    "wrong-credential": 401,
    "victorops-wrong-key": 401,
}


@st.composite
def canary_alerts(draw) -> tuple[dict[str, Any], list[str]]:
    """An alert and every canary in it."""
    canaries: list[str] = []

    def canary(strategy) -> str:
        value = draw(strategy)
        canaries.append(value)
        return value

    parts = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from([*CANARY_KINDS, "bearer", "word"]))
        if kind == "word":
            parts.append(draw(words))
        elif kind == "bearer":
            parts.append("Authorization: Bearer " + canary(bearer_tokens))
        else:
            parts.append(canary(CANARY_KINDS[kind]))
    message = draw(separators).join(parts)
    details: dict[str, Any] = {
        "password": canary(passwords),
        "api_key": canary(passwords),
        "contact_email": canary(CANARY_KINDS["email"]),
        "addresses": [canary(CANARY_KINDS["ipv4"]), canary(CANARY_KINDS["ipv6"])],
        "seen_from": f"{canary(CANARY_KINDS['hostname'])} via {canary(CANARY_KINDS['ipv4'])}",
    }
    details[canary(st.sampled_from(list(CANARY_KINDS.values())).flatmap(lambda s: s))] = "a key"
    alert = {
        "host": canary(CANARY_KINDS["hostname"]),
        "user": canary(users),
        "message": message,
        "details": details,
        "tags": [f"on {canary(CANARY_KINDS['hostname'])}", draw(words)],
        "severity": draw(st.integers(-5, 5)),
    }
    return alert, canaries


def build_request(
    kind: str, alert: dict[str, Any], canaries: list[str], proxy_url: str, serial: int
) -> tuple[str, dict[str, str], bytes]:
    """URL, headers and body for one request of `kind`; adds to `canaries` what it invents."""
    alert = {"marker": f"alert-{serial:04d}", "message_type": "CRITICAL", **alert}
    headers = {"content-type": "application/json", "authorization": f"Bearer {INBOUND_TOKEN}"}
    url = f"{proxy_url}/v1/alerts/canaries"
    if kind == "rule-fails":
        alert["severity"] = canaries[0]  # abs() of a string raises inside rule `magnitude`
    if kind == "oversized":
        alert["padding"] = " ".join(canaries) * (MAX_BODY // max(len(" ".join(canaries)), 1) + 1)
    body = json.dumps(alert).encode()
    if kind == "duplicate-key":
        body = body[:-1] + b', "message": "the same key again"}'
    if kind == "invalid-utf8":
        body = body[:-1] + b', "broken": "\xff"}'
    if kind == "wrong-credential":
        wrong = f"{INBOUND_TOKEN[:-4]}{serial:04d}"
        canaries.append(wrong)
        headers["authorization"] = f"Bearer {wrong}"
    if kind == "victorops-url":
        del headers["authorization"]
        url = f"{proxy_url}/integrations/generic/20131114/alert/{INBOUND_TOKEN}/ops"
    if kind == "victorops-wrong-key":
        del headers["authorization"]
        wrong = f"wrongkey{serial:04d}{canaries[0][:6]}"
        canaries.append(wrong)
        url = f"{proxy_url}/integrations/generic/20131114/alert/{wrong}/ops"
    return url, headers, body


def spool_bytes(spool: Path) -> bytes:
    """Every byte of every file in the spool directory (spool.db, -wal, -shm, the lock)."""
    return b"".join(path.read_bytes() for path in sorted(spool.iterdir()) if path.is_file())


def dead_letter_rows(spool: Path) -> list[tuple]:
    conn = sqlite3.connect(f"file:{spool / 'spool.db'}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT * FROM dead").fetchall()
    finally:
        conn.close()


def test_no_canary_reaches_upstream_logs_metrics_errors_spool_or_dead_letters(tmp_path, standin):
    (tmp_path / "canaries.yaml").write_text(CANARY_POLICY, encoding="utf-8")
    proxy = start_proxy(tmp_path, canary_config(standin.url))
    every_canary: set[str] = set()
    error_bodies: list[str] = []
    statuses: dict[str, int] = {}
    serial = 0
    kinds = list(REQUEST_KINDS)
    dead_phase = 8
    standin.set_mode("404", count=dead_phase)  # the first deliveries end as dead letters
    try:
        with httpx.Client(timeout=10) as client:

            @settings(
                max_examples=80,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            )
            @given(canary_alerts())
            def send(generated: tuple[dict[str, Any], list[str]]) -> None:
                nonlocal serial
                serial += 1
                kind = kinds[serial % len(kinds)]  # every kind in turn, whatever hypothesis draws
                alert, canaries = generated[0], list(generated[1])
                url, headers, body = build_request(kind, alert, canaries, proxy.url, serial)
                response = client.post(url, content=body, headers=headers)
                assert response.status_code == REQUEST_KINDS[kind], (kind, response.text)
                if response.status_code != 202:
                    error_bodies.append(response.text)
                every_canary.update(canaries)
                statuses[kind] = statuses.get(kind, 0) + 1

            send()
        wait_until_settled(proxy)
        spool = tmp_path / "spool"
        live_spool = spool_bytes(spool)
        dead = dead_letter_rows(spool)
        listed = subprocess.run(
            [sys.executable, "-m", "sanitizer.cli", "spool", "list", "--spool", str(spool)],
            capture_output=True,
            text=True,
            env=environment(),
            timeout=30,
            check=True,
        ).stdout
        metrics = httpx.get(f"{proxy.url}/metrics", timeout=5).text
    finally:
        proxy.stop()
    assert len(dead) >= 1, "no alert reached the dead letters"
    assert set(statuses) == set(REQUEST_KINDS), statuses
    requests = standin.requests()
    upstream_text = standin.record.read_text(encoding="utf-8")
    haystacks = {
        "upstream requests": upstream_text,
        "proxy log": proxy.log(),
        "/metrics": metrics,
        "error bodies": "\n".join(error_bodies),
        "spool files (running)": live_spool.decode("utf-8", "replace"),
        "spool files (stopped)": spool_bytes(spool).decode("utf-8", "replace"),
        "dead-letter table": repr(dead) + "".join(bytes(r[3]).decode("utf-8") for r in dead),
        "sanitizer spool list": listed,
    }
    leaks = [
        (where, canary)
        for where, text in haystacks.items()
        for canary in sorted(every_canary)
        if canary in text
    ]
    assert leaks == []
    upstream_bodies = "\n".join(r["body"] + json.dumps(r["headers"]) for r in requests)
    for name, secret in SECRETS.items():
        for where, text in {**haystacks, "upstream bodies and headers": upstream_bodies}.items():
            if (name, where) == ("victorops api key", "upstream requests"):
                continue  # its URL path carries it by design; bodies and headers are checked
            assert secret not in text, f"{name} found in {where}"
    assert "Traceback" not in proxy.log()
    print(
        f"\ncanaries: {sum(statuses.values())} alerts ({statuses}), {len(every_canary)} distinct "
        f"canaries, {len(requests)} upstream requests, {len(dead)} dead letters, "
        f"{len(haystacks)} places searched: none found"
    )


def wait_until_settled(proxy, timeout: float = 20) -> None:
    """Until every queued alert (and refusal notice) was delivered or dead-lettered."""
    deadline = time.monotonic() + timeout
    while proxy.metric("sanitizer_spool_depth") > 0:
        assert time.monotonic() < deadline, "the spool did not drain"
        time.sleep(0.05)


# ---------------------------------------------------------------------------- credentials


def _settings_file(tmp_path: Path, routes: dict[str, list[str]]) -> Path:
    (tmp_path / "p.yaml").write_text(
        "version: 1\nname: p\nkeys:\n  k: {env: SANITIZER_KEY_PSEUDONYM}\nrules:\n"
        "  - {id: h, action: hash, select: host, key: k}\n",
        encoding="utf-8",
    )
    lines = ["spool: {path: spool}", "routes:"]
    for name, variables in routes.items():
        refs = ", ".join(f"{{env: {v}}}" for v in variables)
        lines += [
            f"  {name}:",
            f"    credentials: [{refs}]",
            "    policy: p.yaml",
            "    upstream: {type: victorops, url: 'https://alerts.example/alert', "
            "api_key: {env: VICTOROPS_API_KEY}, routing_key: ops}",
        ]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


CREDENTIALS = {
    "CRED_A1": "route-a-credential-one-0001",
    "CRED_A2": "route-a-credential-two-0002",
    "CRED_B1": "route-b-credential-one-0003",
    "CRED_C1": "route-c-credential-one-0004",
    "CRED_C2": "route-c-credential-two-0005",
}


def test_inbound_credentials_are_compared_in_constant_time_over_fixed_length_digests(
    tmp_path, monkeypatch
):
    env = {**environment(), **CREDENTIALS}
    path = _settings_file(
        tmp_path, {"a": ["CRED_A1", "CRED_A2"], "b": ["CRED_B1"], "c": ["CRED_C1", "CRED_C2"]}
    )
    runtime = build_runtime(load_settings(path, environ=env), environ=env)
    calls: list[tuple[int, int]] = []
    real_compare = hmac.compare_digest

    def counting_compare(a: bytes, b: bytes) -> bool:
        assert isinstance(a, bytes) and isinstance(b, bytes)
        calls.append((len(a), len(b)))
        return real_compare(a, b)

    monkeypatch.setattr(credentials_module.hmac, "compare_digest", counting_compare)
    candidates = {
        CREDENTIALS["CRED_A1"]: "a",  # the very first credential: the loop must go on anyway
        CREDENTIALS["CRED_B1"]: "b",
        CREDENTIALS["CRED_C2"]: "c",  # the very last one
        "x": None,
        CREDENTIALS["CRED_A1"][:-1]: None,  # a prefix of a real credential
        CREDENTIALS["CRED_A1"] + "0": None,
        "y" * 10_000: None,
        "\udcff lone surrogate": None,
    }
    try:
        for candidate, owner in candidates.items():
            calls.clear()
            route = credentials_module.find_route_by_credential(runtime, candidate)
            assert (route.name if route else None) == owner
            assert len(calls) == len(CREDENTIALS), "a comparison was skipped after a match"
            assert set(calls) == {(32, 32)}, "not fixed-length SHA-256 digests"
    finally:
        asyncio.run(runtime.aclose())


def test_credentials_and_keys_never_show_in_reprs_or_descriptions(tmp_path):
    env = {**environment(), **CREDENTIALS}
    path = _settings_file(tmp_path, {"a": ["CRED_A1", "CRED_A2"]})
    settings_obj = load_settings(path, environ=env)
    runtime = build_runtime(settings_obj, environ=env)
    policy = load_policy(tmp_path / "p.yaml", environ=env)
    alert = SpooledAlert("id1", "a", "ops", b'{"a": 1}', 0.0, 0)
    shown = [
        repr(settings_obj),
        str(settings_obj),
        repr(runtime),
        repr(runtime.routes["a"]),
        repr(runtime.routes["a"].sender),
        str(runtime.routes["a"].sender),
        runtime.routes["a"].sender.describe(),
        repr(policy),
        repr(policy.keys),
        str(policy.keys[0]),
        repr(alert),
    ]
    asyncio.run(runtime.aclose())
    secrets = {**SECRETS, **CREDENTIALS}
    for text in shown:
        for name, secret in secrets.items():
            assert secret not in text, f"{name} in {text[:80]}"


def test_a_failed_delivery_never_names_the_api_key_that_is_in_its_url():
    sender = VictorOpsUpstream(
        api_key=VICTOROPS_KEY,
        url=f"http://127.0.0.1:{free_port()}/integrations/generic/20131114/alert",
        http=HttpOptions(timeout=1),
    )
    alert = SpooledAlert("id1", "a", "ops", b'{"a": 1}', 0.0, 0)

    async def attempt():
        try:
            return await sender.send(alert)
        finally:
            await sender.aclose()

    outcome = asyncio.run(attempt())
    assert type(outcome).__name__ == "RetryLater"
    assert VICTOROPS_KEY not in repr(outcome) and VICTOROPS_KEY not in outcome.reason


@pytest.mark.parametrize(
    ("key_text", "what"),
    [
        ("not base64 at all: SECRET-KEY-TEXT!", "not base64"),
        (base64.b64encode(b"SECRET-KEY-16byt").decode(), "16 bytes instead of 32"),
    ],
)
def test_a_malformed_key_is_refused_without_quoting_it(tmp_path, key_text, what):
    (tmp_path / "p.yaml").write_text(
        "version: 1\nname: p\nkeys:\n  k: {env: BAD_KEY}\nrules:\n"
        "  - {id: h, action: hash, select: host, key: k}\n",
        encoding="utf-8",
    )
    with pytest.raises(SanitizerError) as caught:
        load_policy(tmp_path / "p.yaml", environ={"BAD_KEY": key_text})
    for text in (caught.value.message, str(caught.value), repr(caught.value)):
        assert key_text not in text, what
        assert "SECRET-KEY" not in text, what


@pytest.mark.parametrize(
    ("credentials", "environ", "secret"),
    [
        ("[{env: SHORT}]", {"SHORT": "tiny-SECRET-x"}, "tiny-SECRET-x"),
        ("['inline-SECRET-credential-123']", {}, "inline-SECRET-credential-123"),
    ],
    ids=["too-short", "inline"],
)
def test_a_refused_credential_is_never_quoted_in_the_error(tmp_path, credentials, environ, secret):
    (tmp_path / "p.yaml").write_text("version: 1\nname: p\nrules: []\n", encoding="utf-8")
    (tmp_path / "config.yaml").write_text(
        "routes:\n  a:\n"
        f"    credentials: {credentials}\n"
        "    policy: p.yaml\n"
        "    upstream: {type: capture, path: out.jsonl}\n",
        encoding="utf-8",
    )
    with pytest.raises(SanitizerError) as caught:
        load_settings(tmp_path / "config.yaml", environ=environ)
    for text in (caught.value.message, str(caught.value), repr(caught.value)):
        assert secret not in text


def test_inline_upstream_secrets_are_refused_without_quoting_them(tmp_path):
    (tmp_path / "p.yaml").write_text("version: 1\nname: p\nrules: []\n", encoding="utf-8")
    (tmp_path / "config.yaml").write_text(
        "routes:\n  a:\n"
        "    credentials: [{env: INBOUND_TOKEN}]\n"
        "    policy: p.yaml\n"
        "    upstream: {type: victorops, api_key: 'inline-SECRET-api-key-42'}\n",
        encoding="utf-8",
    )
    settings_obj = load_settings(tmp_path / "config.yaml", environ=environment())
    with pytest.raises(SanitizerError) as caught:
        build_runtime(settings_obj, environ=environment())
    for text in (caught.value.message, str(caught.value), repr(caught.value)):
        assert "inline-SECRET-api-key-42" not in text


def _commands() -> list[str]:
    parser = cli.build_parser()
    [subparsers] = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return sorted(subparsers.choices)


def test_no_help_output_shows_a_credential_or_key(monkeypatch, capsys):
    for name, value in environment(SANITIZER_TOKEN=INBOUND_TOKEN).items():
        monkeypatch.setenv(name, value)
    commands = _commands()
    assert {"serve", "spool", "apply", "send"} <= set(commands)
    outputs = {}
    for command in [None, *commands]:
        argv = ["--help"] if command is None else [command, "--help"]
        with contextlib.suppress(SystemExit):
            cli.main(argv)
        outputs[command or "sanitizer"] = capsys.readouterr().out
    outputs["sanitizer (process)"] = subprocess.run(
        [sys.executable, "-m", "sanitizer.cli", "--help"],
        capture_output=True,
        text=True,
        env=environment(SANITIZER_TOKEN=INBOUND_TOKEN),
        timeout=30,
        check=True,
    ).stdout
    for command, text in outputs.items():
        assert "usage:" in text, command
        for name, secret in SECRETS.items():
            assert secret not in text, f"{name} in `{command} --help`"
    print(f"\n--help checked for {len(outputs)} commands: {sorted(outputs)}")


def test_serve_check_describes_upstreams_without_their_secrets(tmp_path):
    (tmp_path / "canaries.yaml").write_text(CANARY_POLICY, encoding="utf-8")
    (tmp_path / "config.yaml").write_text(canary_config("https://alerts.example"))
    done = subprocess.run(
        [sys.executable, "-m", "sanitizer.cli", "serve", "--config", "config.yaml", "--check"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment(),
        timeout=30,
        check=True,
    )
    assert "valid" in done.stdout
    for name, secret in SECRETS.items():
        assert secret not in done.stdout + done.stderr, name


# ---------------------------------------------------------------------------- TLS


def test_tls_verification_cannot_be_switched_off_silently(tmp_path):
    """Verification is on by default (an unknown CA is never delivered to); `tls_verify: false`
    works, but the proxy logs a WARNING naming the route when it starts."""
    tls = make_tls_files(tmp_path / "tls")
    upstream = start_standin(
        tmp_path / "tls-standin", certfile=tls.cert, keyfile=tls.key, ca=tls.ca
    )
    (tmp_path / "keep.yaml").write_text(
        "version: 1\nname: keep\nrules:\n  - {id: keep, action: allow, select: [marker]}\n",
        encoding="utf-8",
    )
    config = f"""\
spool: {{path: spool}}
delivery: {{workers: 2, backoff_base: 0.05, backoff_cap: 0.3}}
routes:
  verified:
    credentials: [{{env: INBOUND_TOKEN}}]
    policy: keep.yaml
    upstream: {{type: webhook, url: '{upstream.url}/verified', timeout: 2}}
  insecure:
    credentials: [{{env: OTHER_TOKEN}}]
    policy: keep.yaml
    upstream: {{type: webhook, url: '{upstream.url}/insecure', timeout: 2, tls_verify: false}}
"""
    other = "insecure-route-token-00112233"
    proxy = start_proxy(tmp_path, config, env=environment(OTHER_TOKEN=other))
    try:
        entries = [json.loads(line) for line in proxy.log().splitlines() if line.startswith("{")]
        warnings = [
            e["msg"] for e in entries if "TLS certificate verification is OFF" in e.get("msg", "")
        ]
        assert len(warnings) == 1 and "'insecure'" in warnings[0], warnings
        [entry] = [e for e in entries if e.get("msg") == warnings[0]]
        assert entry["level"] == "warning"
        assert proxy.post("verified", json.dumps({"marker": "verified"})).status_code == 202
        response = httpx.post(
            f"{proxy.url}/v1/alerts/insecure",
            content=json.dumps({"marker": "insecure"}),
            headers={"content-type": "application/json", "authorization": f"Bearer {other}"},
            timeout=10,
        )
        assert response.status_code == 202
        [delivered] = upstream.wait_for(1, timeout=10)
        assert delivered["path"] == "/insecure"
        deadline = time.monotonic() + 10
        while proxy.metric("sanitizer_delivery_retries_total", route="verified") < 2:
            assert time.monotonic() < deadline, "the unverifiable upstream was not retried"
            time.sleep(0.05)
        assert proxy.metric("sanitizer_delivery_retries_total", reason="ConnectError") >= 2
        assert [r["path"] for r in upstream.requests()] == ["/insecure"]
    finally:
        proxy.stop()
        upstream.stop()
