"""Checking payloads against a receiver's contract, and one valid payload per type."""

from __future__ import annotations

import pytest

from sanitizer.errors import Refusal
from sanitizer.proxy.upstreams import contract_for

CANARY = "CANARYQWERTYZXCVB"


def refusal(upstream: str, payload, **options) -> Refusal:
    contract = contract_for(upstream, **options)
    assert contract is not None
    with pytest.raises(Refusal) as caught:
        contract.check(payload)
    assert CANARY not in caught.value.message
    assert "not forwarded" in caught.value.message
    return caught.value


def check(upstream: str, payload, **options):
    contract = contract_for(upstream, **options)
    assert contract is not None
    return contract.check(payload)


VALID_VO = {
    "message_type": "CRITICAL",
    "entity_id": "disk/web-1",
    "entity_display_name": "Disk full on web-1",
    "state_message": "disk /var at 99%",
    "state_start_time": 1795500000,
}


VALID_BP = {
    "status": "critical",
    "host": "db-1.example.com",
    "check": "PostgreSQL connections",
    "description": "498 of 500 used",
    "timestamp": 1795500764,
}


VALID_PD = {
    "event_action": "trigger",
    "dedup_key": "pg/db-1",
    "payload": {"summary": "PostgreSQL connections", "source": "db-1", "severity": "critical"},
}
