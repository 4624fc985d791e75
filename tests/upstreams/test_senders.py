"""What every sender shares: secrets never shown, a describe() that names the endpoint."""

from __future__ import annotations

import secrets
import string
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanitizer.proxy.delivery import Delivered, Rejected
from tests.standin import StandIn
from tests.upstreams.sending import alert, assert_clean, build, send, send_one


def test_pagerduty_and_bigpanda_reject_a_body_that_is_not_an_object(standin: StandIn) -> None:
    pd = build({"type": "pagerduty", "url": standin.url, "routing_key": {"env": "K"}}, {"K": "k"})
    bp = build(
        {"type": "bigpanda", "url": standin.url, "token": {"env": "K"}, "app_key": "a"},
        {"K": "k"},
    )
    assert send_one(pd, alert([1, 2])) == Rejected("alert body is not a JSON object")
    assert send_one(bp, alert(raw=b"not json")) == Rejected("alert body is not a JSON object")
    assert standin.requests() == []


_SECRET_CHARS = string.ascii_letters + string.digits + "-_.~+/=!$%&*"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    api_key=st.text(_SECRET_CHARS, min_size=12, max_size=64),
    token=st.text(_SECRET_CHARS, min_size=12, max_size=64),
    routing_key=st.text(_SECRET_CHARS, min_size=12, max_size=64),
    header=st.text(_SECRET_CHARS, min_size=12, max_size=64),
)
def test_secrets_never_in_repr_or_describe(
    api_key: str, token: str, routing_key: str, header: str
) -> None:
    environ = {"A": api_key, "T": token, "R": routing_key, "H": header}
    senders = [
        build({"type": "victorops", "api_key": {"env": "A"}, "routing_key": "ops"}, environ),
        build(
            {"type": "webhook", "url": "https://h.example/x", "headers": {"X-K": {"env": "H"}}},
            environ,
        ),
        build({"type": "bigpanda", "token": {"env": "T"}, "app_key": "app"}, environ),
        build({"type": "pagerduty", "routing_key": {"env": "R"}, "dedup_key": "host"}, environ),
    ]
    for sender in senders:
        shown = repr(sender) + str(sender) + sender.describe()
        for value in environ.values():
            assert value not in shown
    assert "<api key>" in senders[0].describe()
    assert "X-K: <secret>".lower() in senders[1].describe().lower()


def test_describe_names_type_and_endpoint(tmp_path: Path) -> None:
    environ = {"K": "k" * 20}
    described = [
        build({"type": "victorops", "api_key": {"env": "K"}}, environ).describe(),
        build({"type": "bigpanda", "token": {"env": "K"}, "app_key": "a"}, environ).describe(),
        build(
            {"type": "pagerduty", "routing_key": {"env": "K"}, "dedup_key": "host"}, environ
        ).describe(),
        build(
            {"type": "webhook", "url": "https://h.example:8443/x", "headers": {"X-T": "ops"}}
        ).describe(),
        build({"type": "capture", "path": str(tmp_path / "c.jsonl")}).describe(),
    ]
    assert described == [
        "victorops https://alert.victorops.com/integrations/generic/20131114/alert"
        "/<api key>/<routing key>",
        "bigpanda https://api.bigpanda.io/data/v2/alerts (bearer <token>)",
        "pagerduty https://events.pagerduty.com/v2/enqueue (routing_key <secret>, dedup_key host)",
        "webhook POST https://h.example:8443/x (headers x-t)",
        f"capture {tmp_path / 'c.jsonl'}",
    ]


def test_describe_hides_query_strings() -> None:
    sender = build({"type": "webhook", "url": "https://h.example/hook?token=abc123"})
    assert sender.describe() == "webhook POST https://h.example/hook?…"
    assert "abc123" not in repr(sender)


def test_secret_outcomes_on_every_failure(standin: StandIn) -> None:
    """Reasons from each type, on failure, never carry a secret."""
    keys = {name: secrets.token_hex(16) for name in ("A", "T", "R", "H")}
    configs = [
        {"type": "victorops", "url": standin.url, "api_key": {"env": "A"}},
        {"type": "webhook", "url": standin.url, "headers": {"X-K": {"env": "H"}}},
        {"type": "bigpanda", "url": standin.url, "token": {"env": "T"}, "app_key": "a"},
        {"type": "pagerduty", "url": standin.url, "routing_key": {"env": "R"}},
    ]
    for config in configs:
        standin.set_mode("fail500", count=1)
        standin_outcomes = send(build(config, keys), alert())
        standin.set_mode("404", count=1)
        standin_outcomes += send(build(config, keys), alert())
        standin.set_mode("reset", count=1)
        standin_outcomes += send(build(config, keys), alert())
        for outcome in standin_outcomes:
            assert not isinstance(outcome, Delivered)
            assert_clean(outcome, *keys.values())
