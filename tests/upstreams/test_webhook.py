"""Webhook: its requests in process, and against the real stand-in."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from sanitizer.proxy.delivery import Delivered
from tests.standin import StandIn
from tests.upstreams.sending import (
    STATUS_IDS,
    STATUS_OUTCOMES,
    alert,
    answered,
    build,
    send_one,
)


def test_webhook_request_in_process_uses_the_configured_method_url_and_headers():
    secret = secrets.token_hex(12)
    raw = b'{"a": 1,  "b": "\xc3\xa9"}'
    request, outcome = answered(
        {
            "type": "webhook",
            "url": "https://hooks.example/x?team=ops",
            "method": "patch",
            "headers": {"X-Team": "ops", "X-Api-Key": {"env": "HOOK"}},
        },
        {"HOOK": secret},
        alert(raw=raw),
    )
    assert outcome == Delivered()
    assert request.method == "PATCH"
    assert str(request.url) == "https://hooks.example/x?team=ops"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-team"] == "ops"
    assert request.headers["x-api-key"] == secret
    assert request.content == raw  # sent as is, byte for byte
    assert json.loads(request.content) == {"a": 1, "b": "é"}


@pytest.mark.parametrize(("status", "headers", "expected"), STATUS_OUTCOMES, ids=STATUS_IDS)
def test_webhook_answer_maps_to_an_outcome_in_process(status, headers, expected):
    config = {"type": "webhook", "url": "https://hooks.example/x"}
    _, outcome = answered(config, {}, alert(), status, headers)
    assert outcome == expected


def test_webhook_method_and_headers_with_secret_refs(standin: StandIn, tmp_path: Path) -> None:
    env_secret, file_secret = secrets.token_hex(12), secrets.token_hex(12)
    (tmp_path / "hook").write_text(file_secret + "\n")
    raw = b'{"a": 1,  "b": "\xc3\xa9"}'
    sender = build(
        {
            "type": "webhook",
            "url": f"{standin.url}/hook?x=1",
            "method": "put",
            "headers": {
                "X-Team": "ops",
                "X-Api-Key": {"env": "HOOK_KEY"},
                "Authorization": {"file": str(tmp_path / "hook")},
            },
        },
        {"HOOK_KEY": env_secret},
    )
    assert send_one(sender, alert(raw=raw)) == Delivered()
    (request,) = standin.wait_for(1)
    assert (request["method"], request["path"]) == ("PUT", "/hook?x=1")
    assert request["body"].encode() == raw  # sent as is, byte for byte
    headers = request["headers"]
    assert headers["x-team"] == "ops"
    assert headers["x-api-key"] == env_secret
    assert headers["authorization"] == file_secret
