"""What the sender tests share: the programs they run (installed by scripts/test-services), the
secrets they plant, a real proxy with one route in front of an upstream stand-in, and the check
that no planted secret reached the stand-in."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sanitizer.keys import generate_token
from tests.proxyproc import ROOT, VICTOROPS_KEY, ProxyProcess, environment, start_proxy
from tests.standin import StandIn

RULES = ROOT / "rules"
SERVICES = "scripts/test-services"
PAGERDUTY_UPSTREAM_KEY = "pd-upstream-routing-key-0123456789"
VICTOROPS_ROUTING_KEY = "ops"


def program(path: str) -> str:
    """The absolute path of an installed program, or the test fails saying how to install it."""
    found = path if os.path.isabs(path) and os.access(path, os.X_OK) else shutil.which(path)
    if not found:
        pytest.fail(f"{path} is not installed: run {SERVICES} (it installs every sender)")
    return found


def data_file(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: run {SERVICES} (it installs every sender)")
    return path


def url_safe_token() -> str:
    """A new inbound credential, as `sanitizer keygen --token` prints it (base64url)."""
    return generate_token()


@dataclass(frozen=True)
class Canaries:
    """Secrets planted in an alert's free text; none of them may reach an upstream."""

    github_token: str
    aws_key: str
    password: str
    email: str

    @classmethod
    def plant(cls) -> Canaries:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return cls(
            github_token="ghp_" + secrets.token_hex(18),
            aws_key="AKIA" + "".join(secrets.choice(alphabet) for _ in range(16)),
            password="Pw" + secrets.token_hex(10),
            email=f"oncall.{secrets.token_hex(6)}@example.org",
        )

    def prose(self) -> str:
        """One line of alert text with every canary where a careless sender would put it."""
        return (
            f"backup job failed: password={self.password} token {self.github_token} "
            f"AWS_ACCESS_KEY_ID={self.aws_key}, escalate to {self.email}"
        )

    def values(self) -> tuple[str, ...]:
        """What must be absent: each secret, and the e-mail's local part on its own."""
        return (
            self.github_token,
            self.aws_key,
            self.password,
            self.email,
            self.email.split("@")[0],
        )


def assert_nothing_leaked(
    standin: StandIn,
    canaries: Canaries,
    *,
    proxy: ProxyProcess | None = None,
    also: tuple[str, ...] = (),
) -> None:
    """No canary (nor any of `also`, e.g. inbound credentials) in the raw bytes the stand-in
    received (method, path, headers, bodies), nor in the proxy's log."""
    received = standin.record.read_bytes()
    assert received, "the stand-in received nothing"
    for value in (*canaries.values(), *also):
        assert value.encode() not in received, f"planted {value!r} reached the upstream"
        if proxy is not None:
            assert value not in proxy.log(), f"planted {value!r} is in the proxy's log"


def victorops_upstream(standin: StandIn) -> dict[str, Any]:
    return {
        "type": "victorops",
        "url": f"{standin.url}/integrations/generic/20131114/alert",
        "api_key": {"env": "VICTOROPS_API_KEY"},
        "routing_key": VICTOROPS_ROUTING_KEY,
    }


def pagerduty_upstream(standin: StandIn) -> dict[str, Any]:
    return {
        "type": "pagerduty",
        "url": f"{standin.url}/v2/enqueue",
        "routing_key": {"env": "PAGERDUTY_UPSTREAM_KEY"},
    }


def proxy_config(
    route: str, policy: str, upstream: dict[str, Any], *, tls: dict[str, str] | None = None
) -> str:
    """One route, its inbound credential in $ROUTE_TOKEN, a shipped policy, quick retries."""
    listen: dict[str, Any] = {"host": "127.0.0.1"}
    if tls:
        listen["tls"] = tls
    config = {
        "listen": listen,
        "spool": {"path": "spool"},
        "delivery": {"workers": 2, "backoff_base": 0.05, "backoff_cap": 0.3, "max_age": 3600},
        "routes": {
            route: {
                "credentials": [{"env": "ROUTE_TOKEN"}],
                "policy": str(RULES / policy),
                "upstream": upstream,
            }
        },
    }
    return json.dumps(config, indent=2)  # JSON is YAML


def start_route_proxy(
    workdir: Path,
    route: str,
    policy: str,
    upstream: dict[str, Any],
    token: str,
    *,
    tls: dict[str, str] | None = None,
    https: Any = None,
) -> ProxyProcess:
    env = environment(
        ROUTE_TOKEN=token,
        VICTOROPS_API_KEY=VICTOROPS_KEY,
        PAGERDUTY_UPSTREAM_KEY=PAGERDUTY_UPSTREAM_KEY,
    )
    config = proxy_config(route, policy, upstream, tls=tls)
    return start_proxy(workdir / "proxy", config, env=env, https=https)


@dataclass
class Service:
    """A sender daemon started for a test: its process (in a session of its own) and log."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def start_service(
    name: str,
    command: list[str],
    workdir: Path,
    ready: Callable[[], bool],
    *,
    env: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Service:
    """Start `command`, wait until `ready()` is true; fail with its log if it exits first."""
    log_path = workdir / f"{name}.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    service = Service(name, process, log_path)
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            service.stop()
            pytest.fail(f"{name} did not become ready:\n{service.log()}")
        time.sleep(0.05)
    return service


def answers(url: str, **options: Any) -> bool:
    try:
        return httpx.get(url, timeout=1, **options).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for_bodies(
    standin: StandIn,
    condition: Callable[[list[dict[str, Any]]], bool],
    *,
    what: str,
    timeout: float = 20.0,
    explain: Callable[[], str] = lambda: "",
) -> list[dict[str, Any]]:
    """The JSON bodies the stand-in received, once `condition` holds for them."""
    deadline = time.monotonic() + timeout
    while True:
        bodies = [json.loads(request["body"]) for request in standin.requests()]
        if condition(bodies):
            return bodies
        if time.monotonic() > deadline:
            pytest.fail(
                f"the upstream did not receive {what} within {timeout}s; it got "
                f"{bodies}\n{explain()}"
            )
        time.sleep(0.05)
