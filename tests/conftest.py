"""Shared helpers: build policies from YAML text with keys from a private environment."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from sanitizer.loader import policy_from_text
from sanitizer.policy.apply import Policy

FIXTURES = Path(__file__).parent / "fixtures"
KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 132))
ENVIRON = {
    "KEY_A": base64.b64encode(KEY_A).decode(),
    "KEY_B": base64.b64encode(KEY_B).decode(),
}


def make_policy(
    rules_yaml: str, *, extra: str = "", environ: dict[str, str] | None = None
) -> Policy:
    """A policy with keys `a` and `b` declared, from the rules given as YAML text."""
    text = (
        "version: 1\nname: test\nkeys:\n  a: {env: KEY_A}\n  b: {env: KEY_B}\n"
        + extra
        + "rules:\n"
        + rules_yaml
    )
    return policy_from_text(text, environ=ENVIRON if environ is None else environ)


def load_alert(name: str) -> Any:
    return json.loads((FIXTURES / "alerts" / name).read_text(encoding="utf-8"))


@pytest.fixture
def nagios_alert() -> Any:
    return load_alert("nagios-service-critical.json")


@pytest.fixture
def victorops_alert() -> Any:
    return load_alert("victorops-rest-critical.json")


from tests.standin import standin, standin_server  # noqa: E402, F401
