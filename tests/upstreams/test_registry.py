"""The registry: every receiver type provides every part, from its own module."""

from __future__ import annotations

import importlib
import json

import pytest

from sanitizer.errors import ConfigError
from sanitizer.proxy.upstreams import (
    CONTRACT_TYPES,
    REGISTRY,
    UPSTREAM_TYPES,
    RequiredField,
    contract_for,
    notice_body,
    required_fields,
)


@pytest.mark.parametrize("name", UPSTREAM_TYPES)
def test_every_registry_entry_provides_every_part(name):
    kind = REGISTRY[name]
    assert kind.name == name
    # options: the keys of its `upstream:` mapping, besides `type`
    assert kind.options and "type" not in kind.options
    assert len(set(kind.options)) == len(kind.options)
    # a sender, and the function that builds it from the mapping
    assert callable(kind.build)
    assert kind.sender.type == name
    for method in ("send", "aclose", "describe"):
        assert callable(getattr(kind.sender, method))
    # a contract, or None; required fields only where there is a contract to check them
    contract = contract_for(name)
    assert (contract is None) == (kind.checks is None) == (name not in CONTRACT_TYPES)
    assert all(isinstance(field, RequiredField) for field in kind.required)
    assert contract is not None or kind.required == ()
    # a notice shape: a JSON object its own receiver's contract accepts unchanged
    body = notice_body(name, "route-a", "rule-b", 3)
    assert isinstance(body, dict)
    json.dumps(body)
    if contract is not None:
        assert contract.check(body) == body


@pytest.mark.parametrize("name", UPSTREAM_TYPES)
def test_every_type_is_one_module_named_after_it(name):
    module = importlib.import_module(f"sanitizer.proxy.upstreams.{name}")
    assert module.TYPE is REGISTRY[name]
    assert module.TYPE.sender.__module__ == module.__name__
    assert module.TYPE.build.__module__ == module.__name__


@pytest.mark.parametrize("upstream", ["webhook", "capture"])
def test_webhook_and_capture_have_no_contract(upstream):
    assert contract_for(upstream) is None
    assert required_fields(upstream) == ()


def test_an_unknown_upstream_type_is_a_config_error_listing_the_types():
    with pytest.raises(ConfigError) as caught:
        contract_for("opsgenie")
    assert "victorops" in caught.value.message and "pagerduty" in caught.value.message


def test_required_fields_name_what_each_receiver_needs():
    assert [r.describe() for r in required_fields("victorops")] == ["'message_type'"]
    assert [r.describe() for r in required_fields("bigpanda")] == [
        "'status'",
        "any of 'host', 'service', 'application', 'device'",
    ]
    assert [r.describe() for r in required_fields("pagerduty")] == [
        "'payload.summary'",
        "'payload.source'",
        "'payload.severity'",
    ]


def test_the_readme_describes_every_registered_type():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("Upstream types:") :].split("\n\n")[0]
    assert [name for name in UPSTREAM_TYPES if f"`{name}`" not in paragraph] == []
