"""The config's `admin` section: the console's listener and token, checked at load with one
message naming the field and the fix; the token never shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanitizer.errors import LoadError
from sanitizer.proxy.config import AdminSettings, settings_from_mapping
from tests.proxyproc import PSEUDONYM_KEY, ROOT

TOKEN = "admin-token-0123456789abcdef"
ENV = {
    "INBOUND": "inbound-token-0123456789abcdef",
    "ADMIN": TOKEN,
    "SHORT": "short",
    "SANITIZER_KEY_PSEUDONYM": PSEUDONYM_KEY,
}


def load(admin: object, **listen: object) -> AdminSettings | None:
    doc = {
        "listen": {"host": "127.0.0.1", "port": 8080, **listen},
        "routes": {
            "nagios": {
                "credentials": [{"env": "INBOUND"}],
                "policy": str(ROOT / "rules/strict.yaml"),
                "upstream": {"type": "capture", "path": "x.jsonl"},
            }
        },
    }
    if admin is not None:
        doc["admin"] = admin
    return settings_from_mapping(doc, base=Path("."), source="c.yaml", environ=ENV).admin


def test_without_admin_the_console_is_off():
    assert load(None) is None


def test_admin_gives_the_listener_and_the_token_which_never_shows():
    admin = load({"listen": {"host": "127.0.0.2", "port": 9001}, "token": {"env": "ADMIN"}})
    assert admin == AdminSettings("127.0.0.2", 9001, TOKEN.encode())
    assert TOKEN not in repr(admin)


def test_the_listener_defaults_to_loopback_8081():
    admin = load({"token": {"env": "ADMIN"}})
    assert admin is not None and (admin.host, admin.port) == ("127.0.0.1", 8081)


@pytest.mark.parametrize(
    ("admin", "field", "words"),
    [
        ({"listen": {"port": 9001}}, "admin.token", "{env: VARIABLE}"),
        ({"token": {"env": "UNSET"}}, "admin.token", "not set"),
        ({"token": {"env": "SHORT"}}, "admin.token", "16 characters"),
        ({"token": {"env": "INBOUND"}}, "admin.token", "inbound credential"),
        ({"token": TOKEN}, "admin.token", "inline"),
        ({"token": {"env": "ADMIN"}, "listen": {"port": 8080}}, "admin.listen.port", "ingress"),
        ({"token": {"env": "ADMIN"}, "listen": {"port": "x"}}, "admin.listen.port", "port"),
        ({"token": {"env": "ADMIN"}, "listen": {"tls": {}}}, "admin.listen", "host and port"),
        ({"token": {"env": "ADMIN"}, "extra": 1}, "admin.extra", "allowed here"),
        ("yes", "admin", "mapping"),
    ],
)
def test_a_bad_admin_section_names_the_field_and_the_fix(admin, field, words):
    with pytest.raises(LoadError) as caught:
        load(admin)
    assert caught.value.field == field
    assert words in caught.value.message
    assert TOKEN not in caught.value.message and "inbound-token" not in caught.value.message


def test_an_empty_token_file_is_refused_naming_the_field(tmp_path):
    empty = tmp_path / "token"
    empty.write_text("\n")
    with pytest.raises(LoadError) as caught:
        load({"token": {"file": str(empty)}})
    assert caught.value.field == "admin.token" and "empty" in caught.value.message
