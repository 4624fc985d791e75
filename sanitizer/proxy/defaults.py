"""The bundled default: the proxy runs on a fresh machine with nothing else.

`sanitizer serve` without `--config` listens on 127.0.0.1:8080 with one route per shipped
sender policy (`ROUTE_POLICIES`), each delivering to a `capture` upstream that appends
sanitized alerts to a JSON-lines file and runs the contract of the receiver the route stands
in for (`ROUTE_CONTRACTS`), so an alert the real receiver would refuse is refused here too.
Inbound tokens (URL-safe, `generate_token`) and the pseudonym key are generated on first start
and kept, readable only by their owner, in the state directory (`./var`, or
`SANITIZER_STATE_DIR`); a token file written by an older version is used as it is.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path

from sanitizer.keys import generate_key, generate_token
from sanitizer.proxy.config import Settings, settings_from_mapping


def rules_dir() -> Path:
    """Where the shipped policies are: `SANITIZER_RULES_DIR`, else the package `sanitizer.rules`
    installed with the proxy (in an editable install, the checkout's `rules/`)."""
    configured = os.environ.get("SANITIZER_RULES_DIR")
    if configured:
        return Path(configured)
    # Installs unpack the wheel, so the package is a folder of files (policies load by path).
    return Path(str(resources.files("sanitizer.rules")))


def _secret_file(path: Path, generate: Callable[[], str]) -> str:
    """Read a generated secret, creating it with `generate` (mode 0600) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(generate() + "\n")
    return path.read_text(encoding="utf-8").strip()


def default_state_dir() -> Path:
    return Path(os.environ.get("SANITIZER_STATE_DIR") or "var").resolve()


ROUTE_POLICIES = {
    "nagios": "nagios.yaml",
    "victorops": "victorops-rest.yaml",
    "logzio": "logzio-samples.yaml",
    "alertmanager": "alertmanager.yaml",
    "pagerduty": "pagerduty-events.yaml",
    "zabbix": "zabbix.yaml",
}
# The receiver each route's policy writes for, whose contract its capture upstream runs.
ROUTE_CONTRACTS = {
    "nagios": "victorops",
    "victorops": "victorops",
    "logzio": "victorops",
    "alertmanager": "victorops",
    "pagerduty": "pagerduty",
    "zabbix": "victorops",
}


def default_settings(
    state_dir: Path, *, port: int = 8080, environ: Mapping[str, str] | None = None
) -> tuple[Settings, dict[str, str]]:
    """Settings for the bundled default, and the environment its key references read.

    One route per shipped sender policy, each with its own inbound token in
    `state_dir/tokens/<route>` (a token names its route on the VictorOps URL shape, and is
    the `routing_key` of PagerDuty events).
    """
    env = dict(os.environ if environ is None else environ)
    env.setdefault(
        "SANITIZER_KEY_PSEUDONYM", _secret_file(state_dir / "pseudonym.key", generate_key)
    )
    routes = {}
    for route, policy in ROUTE_POLICIES.items():
        token = state_dir / "tokens" / route
        _secret_file(token, generate_token)
        routes[route] = {
            "credentials": [{"file": str(token)}],
            "policy": str(rules_dir() / policy),
            "upstream": {
                "type": "capture",
                "path": str(state_dir / "captured.jsonl"),
                "contract": ROUTE_CONTRACTS[route],
            },
        }
    doc = {
        "listen": {"host": "127.0.0.1", "port": port},
        "spool": {"path": str(state_dir / "spool")},
        "routes": routes,
    }
    settings = settings_from_mapping(doc, base=state_dir, source="built-in default", environ=env)
    return settings, env
