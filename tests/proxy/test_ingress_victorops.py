"""The VictorOps URL shape with credentials that need percent-encoding, and tokens that do not."""

from __future__ import annotations

import json
import string
from urllib.parse import quote, unquote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from sanitizer.keys import KEY_BYTES, generate_token, token_text
from sanitizer.proxy.ingress.victorops import PREFIX, path_segments
from tests.proxyproc import ROOT, VICTOROPS_KEY, ProxyProcess, environment, start_proxy

# RFC 3986's unreserved characters: what a URL path carries as it is.
UNRESERVED = set(string.ascii_letters + string.digits + "-._~")
# Text a credential or routing key may hold: any character but lone surrogates.
SEGMENT_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)


def request_for(raw_path: str) -> Request:
    """A request as the server hands it over: `raw_path` as sent, `path` decoded."""
    raw = raw_path.encode("ascii")
    scope = {
        "type": "http",
        "method": "POST",
        "raw_path": raw,
        "path": unquote(raw_path),
        "query_string": b"",
        "headers": [],
    }
    return Request(scope)


@given(st.binary(min_size=KEY_BYTES, max_size=KEY_BYTES), SEGMENT_TEXT)
def test_any_generated_token_works_in_the_victorops_url_as_it_is(material, routing_key):
    token = token_text(material)
    assert set(token) <= UNRESERVED and quote(token, safe="") == token
    path = f"{PREFIX}/{token}/{quote(routing_key, safe='')}"
    assert path_segments(request_for(path)) == (token, routing_key)


@given(SEGMENT_TEXT, SEGMENT_TEXT)
def test_any_credential_round_trips_percent_encoded_segment_by_segment(credential, routing_key):
    path = f"{PREFIX}/{quote(credential, safe='')}/{quote(routing_key, safe='')}"
    assert path_segments(request_for(path)) == (credential, routing_key)


@given(SEGMENT_TEXT)
def test_a_plus_in_the_path_is_literal_and_2b_is_a_plus(text):
    encoded = quote(text, safe="").replace("%2B", "+")
    assert path_segments(request_for(f"{PREFIX}/{encoded}/ops")) == (text, "ops")


@pytest.mark.parametrize(
    "path",
    [
        PREFIX,
        f"{PREFIX}/",
        f"{PREFIX}/only-a-key",
        f"{PREFIX}/key/routing/extra",
        f"{PREFIX}/key/routing/",
        "/integrations/generic/20131114/other/key/routing",
        f"{PREFIX}/%FF%FE/routing",
    ],
)
def test_a_path_that_is_not_the_prefix_and_two_utf8_segments_has_no_segments(path):
    assert path_segments(request_for(path)) is None


# Configured credentials a URL cannot carry as they are (`sanitizer keygen` base64 holds
# '/', '+' and '='), and one from `generate_token`.
CREDENTIALS = {
    "slash": "abc/def/ghi+jkl=mnopqrst==",
    "plus": "0123456789+abcdef+ghij",
    "percent": "100%-sure%2Fnot-a-slash",
    "equals": "key=value=and=more=====",
    "generated": generate_token(),
}


@pytest.fixture(scope="module")
def proxy(tmp_path_factory, standin_server):
    workdir = tmp_path_factory.mktemp("victorops-credentials")
    env = environment(**{f"CRED_{name.upper()}": value for name, value in CREDENTIALS.items()})
    refs = ", ".join(f"{{env: CRED_{name.upper()}}}" for name in CREDENTIALS)
    config = f"""\
spool: {{path: spool}}
delivery: {{workers: 2, backoff_base: 0.05, backoff_cap: 0.3}}
routes:
  nagios:
    credentials: [{refs}]
    policy: {ROOT / "rules/victorops-rest.yaml"}
    upstream:
      type: victorops
      url: '{standin_server.url}{PREFIX}'
      api_key: {{env: VICTOROPS_API_KEY}}
"""
    running = start_proxy(workdir, config, env=env)
    yield running
    running.stop()


ALERT = json.dumps({"message_type": "CRITICAL", "entity_id": "disk/web-03"}).encode()


def post(proxy: ProxyProcess, key_segment: str, routing_segment: str = "database") -> int:
    """POST with the path's segments exactly as given (httpx keeps '%2F' and '+')."""
    url = httpx.URL(f"{proxy.url}{PREFIX}/{key_segment}/{routing_segment}")
    with proxy.died_explained():
        response = httpx.post(
            url, content=ALERT, headers={"content-type": "application/json"}, timeout=10
        )
    return response.status_code


@pytest.mark.parametrize("name", sorted(CREDENTIALS))
def test_a_configured_credential_works_percent_encoded_in_the_path(proxy, standin, name):
    assert post(proxy, quote(CREDENTIALS[name], safe="")) == 202
    [request] = standin.wait_for(1)
    assert request["path"] == f"{PREFIX}/{VICTOROPS_KEY}/database"
    assert CREDENTIALS[name] not in json.dumps(request) and CREDENTIALS[name] not in proxy.log()


def test_a_generated_token_and_a_literal_plus_work_unencoded(proxy, standin):
    assert post(proxy, CREDENTIALS["generated"]) == 202
    assert post(proxy, CREDENTIALS["plus"]) == 202
    standin.wait_for(2)


def test_an_unencoded_slash_makes_another_path_and_an_encoded_one_in_the_routing_key_is_400(
    proxy, standin
):
    assert post(proxy, CREDENTIALS["slash"]) == 404
    assert post(proxy, quote(CREDENTIALS["slash"], safe=""), "team%2Fdb") == 400
    assert standin.requests() == []
