"""What is kept of a receiver's error text: its own words, never a value it was sent, a
credential of the request, a control character, or more than MAX_CHARS."""

from __future__ import annotations

import json
import string

import httpx
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sanitizer.proxy.delivery import Rejected, RetryLater
from sanitizer.proxy.upstreams.errortext import MAX_CHARS, SENT, upstream_error_text
from sanitizer.proxy.upstreams.outcome import explained, outcome_of

URL = "https://alert.example.com/integrations/generic/20131114/alert/KEY-5f4dcc3b5aa765d61d83/ops"
HEADERS = {"authorization": "Bearer TOKEN-0a1b2c3d4e5f", "content-type": "application/json"}

canaries = st.text(string.ascii_letters + string.digits + "-_.", min_size=3, max_size=40).map(
    lambda tail: f"CANARY{tail}"
)


def clean(head: bytes, body: bytes = b"{}") -> str | None:
    return upstream_error_text(head, url=URL, body=body, headers=HEADERS)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(canaries, min_size=1, max_size=8, unique=True),
    style=st.sampled_from(["raw", "json", "quoted", "percent"]),
)
def test_no_value_the_alert_carried_survives_in_any_echoed_form(values, style):
    body = json.dumps({"fields": {f"k{i}": v for i, v in enumerate(values)}}).encode()
    forms = {
        "raw": " ".join(values),
        "json": json.dumps({"received": json.loads(body)}),
        "quoted": "; ".join(f"field value '{v}' is invalid" for v in values),
        "percent": " ".join(httpx.URL("http://x/", params={"v": v}).query.decode() for v in values),
    }
    text = clean(f"Bad request: {forms[style]}".encode(), body)
    assert text is not None and text.startswith("Bad request")
    for value in values:
        assert value not in text


def test_the_receivers_words_stay_and_what_it_echoed_is_marked():
    body = json.dumps({"entity_id": "db-7-CANARY", "state": "CRITICAL"}).encode()
    text = clean(b'{"message": "entity_id db-7-CANARY: state CRITICAL not allowed"}', body)
    assert text == f'{{"message": "entity_id {SENT}: state {SENT} not allowed"}}'


def test_credentials_of_the_request_are_cut_from_the_text():
    text = clean(b"bad key KEY-5f4dcc3b5aa765d61d83 with Bearer TOKEN-0a1b2c3d4e5f on /alert")
    assert text is not None
    assert "KEY-5f4dcc" not in text and "TOKEN-0a1b" not in text and "/alert" in text


def test_what_the_detectors_find_is_replaced_by_its_label():
    text = clean(b"contact ops@corp.example.com from 10.1.2.3, password=hunter2")
    assert text == "contact [EMAIL] from [IPV4], password=[SECRET]"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=6000) | st.text(max_size=400).map(str.encode))
@example("a\u202eb\u2028c\x1b[31md\u0557e".encode())  # override, separator, escape, unassigned
def test_the_text_is_one_bounded_line_without_control_characters(head):
    text = clean(head)
    if text is not None:
        assert len(text) <= MAX_CHARS
        assert all(c.isprintable() for c in text), repr(text)


def test_an_empty_or_binary_body_says_nothing():
    assert clean(b"  \r\n ") is None
    assert clean(bytes(range(128, 256)) * 4) is None


def test_only_a_refusal_is_explained_and_its_detail_is_not_part_of_equality():
    refusal = outcome_of(httpx.Response(400))
    kept = explained(refusal, b'{"error": "bad"}', url=URL, body=b"{}", headers=HEADERS)
    assert kept == Rejected("HTTP 400") and kept.detail == '{"error": "bad"}'
    retry = RetryLater("HTTP 503")
    assert explained(retry, b"busy", url=URL, body=b"{}", headers=HEADERS) is retry
