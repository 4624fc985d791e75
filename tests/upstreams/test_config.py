"""An `upstream:` mapping that does not build: the error names the field, never a secret."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from sanitizer.errors import LoadError
from tests.upstreams.sending import ROUTE, build


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"type": "splunk"}, "type"),
        ({"api_key": {"env": "K"}}, "type"),
        ({"type": "victorops", "api_key": {"env": "K"}, "bogus": 1}, "bogus"),
        ({"type": "victorops"}, "api_key"),
        ({"type": "victorops", "api_key": "inline-key"}, "api_key"),
        ({"type": "victorops", "api_key": {"env": "UNSET"}}, "api_key"),
        ({"type": "victorops", "api_key": {"file": "/nonexistent/key"}}, "api_key"),
        ({"type": "victorops", "api_key": {"env": "K"}, "url": "ftp://x/y"}, "url"),
        ({"type": "victorops", "api_key": {"env": "K"}, "url": "https://u:p@x/y"}, "url"),
        ({"type": "victorops", "api_key": {"env": "K"}, "url": "not a url"}, "url"),
        ({"type": "victorops", "api_key": {"env": "K"}, "routing_key": 5}, "routing_key"),
        ({"type": "victorops", "api_key": {"env": "K"}, "timeout": 0}, "timeout"),
        ({"type": "victorops", "api_key": {"env": "K"}, "timeout": "10"}, "timeout"),
        ({"type": "victorops", "api_key": {"env": "K"}, "max_connections": 0}, "max_connections"),
        ({"type": "victorops", "api_key": {"env": "K"}, "transport": "curl"}, "transport"),
        ({"type": "victorops", "api_key": {"env": "K"}, "tls_verify": "no"}, "tls_verify"),
        ({"type": "victorops", "api_key": {"env": "K"}, "ca_bundle": "/nonexistent"}, "ca_bundle"),
        (
            {"type": "victorops", "api_key": {"env": "K"}, "ca_bundle": "/x", "tls_verify": False},
            "ca_bundle",
        ),
        ({"type": "webhook"}, "url"),
        ({"type": "webhook", "url": "https://x/y", "method": "DELETE"}, "method"),
        ({"type": "webhook", "url": "https://x/y", "headers": ["X-A"]}, "headers"),
        ({"type": "webhook", "url": "https://x/y", "headers": {"X A": "v"}}, "headers.X A"),
        ({"type": "webhook", "url": "https://x/y", "headers": {"Host": "h"}}, "headers.Host"),
        ({"type": "webhook", "url": "https://x/y", "headers": {"X-A": "a\nb"}}, "headers.X-A"),
        (
            {"type": "webhook", "url": "https://x/y", "headers": {"X-A": {"env": "NL"}}},
            "headers.X-A",
        ),
        ({"type": "webhook", "url": "https://x/y", "headers": {"X-A": 5}}, "headers.X-A"),
        ({"type": "bigpanda", "token": {"env": "K"}}, "app_key"),
        ({"type": "bigpanda", "token": {"env": "NL"}, "app_key": "a"}, "token"),
        ({"type": "pagerduty", "routing_key": {"env": "K"}, "dedup_key": "a[?"}, "dedup_key"),
        ({"type": "pagerduty", "dedup_key": "a"}, "routing_key"),
        ({"type": "capture"}, "path"),
        ({"type": "capture", "path": "/tmp"}, "path"),
        ({"type": "capture", "path": "/tmp/x.jsonl", "timeout": 5}, "timeout"),
    ],
)
def test_config_errors_name_the_field(config: dict[str, Any], field: str) -> None:
    secret = "line-one\nline-two-" + secrets.token_hex(8)
    # A config problem is a ConfigError; a secret reference in it that cannot be read keeps
    # its own KeyLoadError; both are LoadErrors naming the config field.
    with pytest.raises(LoadError) as caught:
        build(config, {"K": "some-key", "NL": secret})
    assert caught.value.field == f"routes.{ROUTE}.upstream.{field}"
    assert f"routes.{ROUTE}.upstream.{field}" in caught.value.message
    assert secret.split("\n")[1] not in caught.value.message
    assert "some-key" not in caught.value.message
