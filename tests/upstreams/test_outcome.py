"""How an HTTP exchange becomes a delivery outcome, without a network."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from sanitizer.proxy.delivery import Delivered, Rejected, RetryLater
from sanitizer.proxy.upstreams import MAX_RETRY_AFTER, outcome_of, parse_retry_after


def test_outcome_mapping_without_network() -> None:
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert outcome_of(httpx.Response(204)) == Delivered()
    assert outcome_of(httpx.Response(429, headers={"retry-after": date}), now=now) == RetryLater(
        "HTTP 429", 30.0
    )
    assert outcome_of(httpx.Response(500, headers={"retry-after": "9"})) == RetryLater("HTTP 500")
    assert outcome_of(httpx.ReadTimeout("https://x/KEY")) == RetryLater("ReadTimeout")
    assert outcome_of(httpx.Response(410)) == Rejected("HTTP 410")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        (" 12 ", 12.0),
        ("99999999999999999999", MAX_RETRY_AFTER),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("\u0662", None),  # a non-ASCII digit
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=time.time()) == expected
