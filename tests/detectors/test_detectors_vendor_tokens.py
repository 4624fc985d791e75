"""Vendor-token detectors find every documented token format in every context an alert
carries, replace exactly the secret, leave look-alikes alone, and work linearly."""

from __future__ import annotations

import base64
import timeit
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanitizer.detectors import DETECTORS, Scrubber
from tests.detectors.helpers import (
    ALNUM,
    HEX,
    UPPER_ALNUM,
    Instance,
    assert_linear,
    b64,
    chars,
    check_scrubbed_in_context,
    fragments,
)

B64URL = ALNUM + "-_"
DIGITS = "0123456789"
LOWER_BASE36 = "abcdefghijklmnopqrstuvwxyz0123456789"


def whole(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[Instance]:
    """Instances that are all secret."""
    return strategy.map(lambda token: Instance(token, token))


github_tokens = whole(
    st.builds(
        lambda prefix, body: prefix + body,
        st.sampled_from(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]),
        chars(ALNUM, 36),
    )
    | st.builds(lambda a, b: f"github_pat_{a}_{b}", chars(ALNUM, 22), chars(ALNUM, 59))
)

GITLAB_PREFIXES = "glpat- gldt- glrt- glptt- glcbt- glimt- glsoat- glffct- glft- glagent- gloas-"
gitlab_tokens = whole(
    st.builds(
        lambda prefix, body: prefix + body,
        st.sampled_from([*GITLAB_PREFIXES.split(), "GR1348941"]),
        chars(B64URL, 20, 64),
    )
    | st.builds(  # routable tokens
        lambda body, crc: f"glpat-{body}.01{crc}", chars(B64URL, 27, 60), chars(LOWER_BASE36, 7)
    )
)

slack_tokens = whole(
    st.builds(
        lambda kind, a, b, c: f"xox{kind}-{a}-{b}-{c}",
        st.sampled_from("bpaor"),
        chars(DIGITS, 10, 13),
        chars(DIGITS, 10, 13),
        chars(ALNUM, 24, 32),
    )
    | st.builds(
        lambda a, b, c: f"xapp-1-A{a}-{b}-{c}",
        chars(UPPER_ALNUM, 10),
        chars(DIGITS, 13),
        chars(HEX, 64),
    )
    | st.builds(
        lambda kind, body: f"xoxe.xox{kind}-1-{body}", st.sampled_from("bp"), chars(ALNUM, 163)
    )
    | st.builds(lambda body: f"xoxe-1-{body}", chars(ALNUM, 146))
    | st.builds(lambda a, b: f"xoxs-{a}-{b}", chars(DIGITS, 12), chars(HEX, 10))
)


@st.composite
def slack_webhooks(draw: st.DrawFn) -> Instance:
    team = "T" + draw(chars(UPPER_ALNUM, 8, 10))
    kind = draw(st.sampled_from(["services", "workflows", "triggers"]))
    if kind == "services":
        path = f"{team}/B{draw(chars(UPPER_ALNUM, 8, 10))}/{draw(chars(ALNUM, 24))}"
    elif kind == "workflows":
        workflow, trigger = draw(chars(UPPER_ALNUM, 10)), draw(chars(DIGITS, 18))
        path = f"{team}/A{workflow}/{trigger}/{draw(chars(ALNUM, 24))}"
    else:
        path = f"{team}/{draw(chars(DIGITS, 13))}/{draw(chars(HEX, 32))}"
    scheme = draw(st.sampled_from(["https://", "http://", ""]))
    return Instance(f"{scheme}hooks.slack.com/{kind}/{path}", path)


stripe_keys = whole(
    st.builds(
        lambda kind, mode, body: f"{kind}_{mode}_{body}",
        st.sampled_from(["sk", "rk"]),
        st.sampled_from(["live", "test"]),
        chars(ALNUM, 24) | chars(ALNUM, 99),
    )
)
google_api_keys = whole(chars(B64URL, 35).map(lambda body: "AIza" + body))
sendgrid_keys = whole(st.builds(lambda a, b: f"SG.{a}.{b}", chars(B64URL, 22), chars(B64URL, 43)))
npm_tokens = whole(chars(ALNUM, 36).map(lambda body: "npm_" + body))
pypi_tokens = whole(
    st.builds(
        lambda prefix, data: prefix + base64.urlsafe_b64encode(data).rstrip(b"=").decode(),
        st.sampled_from(["pypi-AgEIcHlwaS5vcmc", "pypi-AgENdGVzdC5weXBpLm9yZw"]),
        st.binary(min_size=60, max_size=200),
    )
)


@st.composite
def azure_storage_keys(draw: st.DrawFn) -> Instance:
    account = draw(chars("abcdefghijklmnopqrstuvwxyz0123456789", 3, 24))
    form = draw(st.sampled_from(["account key", "sas url", "sas connection", "service bus"]))
    if form == "account key":
        key = b64(draw(st.binary(min_size=64, max_size=64)))
        return Instance(
            f"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={key};"
            "EndpointSuffix=core.windows.net",
            key,
        )
    if form == "service bus":
        key = b64(draw(st.binary(min_size=32, max_size=32)))
        return Instance(
            f"Endpoint=sb://{account}.servicebus.windows.net/;"
            f"SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={key}",
            key,
        )
    signature = urllib.parse.quote(b64(draw(st.binary(min_size=32, max_size=32))), safe="")
    sas = (
        "sv=2022-11-02&ss=bfqt&srt=sco&sp=rwdlacupiytfx&se=2025-01-01T00:00:00Z"
        f"&st=2024-01-01T00:00:00Z&spr=https&sig={signature}"
    )
    if form == "sas url":
        return Instance(f"https://{account}.blob.core.windows.net/backups/db.bak?{sas}", signature)
    return Instance(
        f"BlobEndpoint=https://{account}.blob.core.windows.net/;SharedAccessSignature={sas}",
        signature,
    )


GENERATED: dict[str, st.SearchStrategy[Instance]] = {
    "github_token": github_tokens,
    "gitlab_token": gitlab_tokens,
    "slack_token": slack_tokens,
    "slack_webhook": slack_webhooks(),
    "stripe_key": stripe_keys,
    "google_api_key": google_api_keys,
    "sendgrid_key": sendgrid_keys,
    "npm_token": npm_tokens,
    "pypi_token": pypi_tokens,
    "azure_storage_key": azure_storage_keys(),
}


def test_every_vendor_detector_is_registered_with_its_label():
    labels = {name: DETECTORS[name].label for name in GENERATED}
    assert labels == {
        "github_token": "[GITHUB_TOKEN]",
        "gitlab_token": "[GITLAB_TOKEN]",
        "slack_token": "[SLACK_TOKEN]",
        "slack_webhook": "[SLACK_WEBHOOK]",
        "stripe_key": "[STRIPE_KEY]",
        "google_api_key": "[GOOGLE_API_KEY]",
        "sendgrid_key": "[SENDGRID_KEY]",
        "npm_token": "[NPM_TOKEN]",
        "pypi_token": "[PYPI_TOKEN]",
        "azure_storage_key": "[AZURE_KEY]",
    }
    assert all(DETECTORS[name].summary for name in GENERATED)


@pytest.mark.parametrize("name", sorted(GENERATED))
@given(data=st.data())
def test_each_vendor_token_is_replaced_exactly_in_every_context(name, data):
    check_scrubbed_in_context(name, data, GENERATED[name])


@given(st.lists(st.sampled_from(sorted(GENERATED)), min_size=2, max_size=4), st.data())
def test_several_vendor_tokens_on_one_line_are_all_replaced(names, data):
    scrub_all = Scrubber(list(DETECTORS))
    instances = [data.draw(GENERATED[name]) for name in names]
    text = " ".join(instance.text for instance in instances)
    out, _ = scrub_all(text)
    for instance in instances:
        for piece in fragments(instance.secret, text.replace(instance.secret, "")):
            assert piece not in out
    assert scrub_all.first_hit(out) is None


# --- Realistic alert lines ----------------------------------------------------------------

GHP = "ghp_" + "Zr4nD0m" * 5 + "x"
GLPAT = "glpat-" + "xK9" * 7
AZURE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("github_token",
         f"HTTP CRITICAL - curl -H 'Authorization: token {GHP}' https://api.github.com/rate_limit",
         "HTTP CRITICAL - curl -H 'Authorization: token [GITHUB_TOKEN]' "
         "https://api.github.com/rate_limit"),
        ("github_token", f"git clone https://x-access-token:{GHP}@github.com/org/repo.git failed",
         "git clone https://x-access-token:[GITHUB_TOKEN]@github.com/org/repo.git failed"),
        ("gitlab_token", f"runner: POST /api/v4/jobs/request 403 (PRIVATE-TOKEN: {GLPAT})",
         "runner: POST /api/v4/jobs/request 403 (PRIVATE-TOKEN: [GITLAB_TOKEN])"),
        ("gitlab_token", "gitlab-runner register --registration-token "
                         "GR1348941aB3dE5fG7hJ9kL1mN3pQ5r",
         "gitlab-runner register --registration-token [GITLAB_TOKEN]"),
        ("slack_token", "slack notify failed: invalid_auth "
                        "token=xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
         "slack notify failed: invalid_auth token=[SLACK_TOKEN]"),
        ("slack_webhook", 'notify-by-slack: POST '
                          '"https://hooks.slack.com/services/T024BE7LD/B01ABCDEF/aBcDeFgHiJkLmNoPq'
                          'RsTuVwX" -> 404',
         'notify-by-slack: POST "https://hooks.slack.com/services/[SLACK_WEBHOOK]" -> 404'),
        ("stripe_key", "STRIPE_SECRET_KEY=sk_live_51H8abcDEF0123456789xyzXYZ "
                       "STRIPE_PUBLISHABLE_KEY=pk_live_51H8abcDEF0123456789xyzXYZ",
         "STRIPE_SECRET_KEY=[STRIPE_KEY] "
         "STRIPE_PUBLISHABLE_KEY=pk_live_51H8abcDEF0123456789xyzXYZ"),
        ("google_api_key", "GET https://maps.googleapis.com/maps/api/geocode/json?address=x&key=AI"
                           "zaSyD3asb-2pEZVqMkmL6M9N6nHZRR_znhrh0 403",
         "GET https://maps.googleapis.com/maps/api/geocode/json?address=x&key=[GOOGLE_API_KEY]"
         " 403"),
        ("sendgrid_key",
         '{"smtp": {"user": "apikey", "pass": '
         '"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"}}',
         '{"smtp": {"user": "apikey", "pass": "[SENDGRID_KEY]"}}'),
        ("npm_token", "//registry.npmjs.org/:_authToken=npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
         "//registry.npmjs.org/:_authToken=[NPM_TOKEN]"),
        ("pypi_token", "twine upload -u __token__ -p "
                       "pypi-AgEIcHlwaS5vcmcCJDU3OTM1MjliLWIyYTYtNDEwOC05NzRkLTM0MjNiNmEwNWIzYgACF"
                       "1sxLFsiZXhhbXBsZS1wYWNrYWdlIl1dAAIsWzIsWyJmYWtlIl1d",
         "twine upload -u __token__ -p [PYPI_TOKEN]"),
        ("azure_storage_key", f"AzureStorage=DefaultEndpointsProtocol=https;AccountName=backups01;"
                              f"AccountKey={AZURE_KEY};EndpointSuffix=core.windows.net",
         "AzureStorage=DefaultEndpointsProtocol=https;AccountName=backups01;AccountKey=[AZURE_KEY]"
         ";EndpointSuffix=core.windows.net"),
        ("azure_storage_key", "AuthenticationFailed GET "
                              "https://acct.blob.core.windows.net/c/b?sv=2020-08-04&se=2024-01-01&"
                              "sp=r&sig=AbC%2Bd%2FeF0gH1iJ2kL3mN4oP5qR6sT7uV8wX9yZ%3D",
         "AuthenticationFailed GET "
         "https://acct.blob.core.windows.net/c/b?sv=2020-08-04&se=2024-01-01&sp=r&sig=[AZURE_KEY]"),
    ],
)  # fmt: skip
def test_realistic_alert_lines(name, text, expected):
    assert Scrubber([name])(text)[0] == expected


# --- Look-alikes stay ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "ghp is short for GitHub personal; ghp_short and gho_ alone are not tokens",
        "task_list=3 task_live_countdown=on desk_test_results_ok risk_live_metric=0.5",
        "sk_live_ and sk_test_short are too short; pk_live_51H8abcDEF0123456789xyzXYZ is public",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b, request "
        "550e8400-e29b-41d4-a716-446655440000",
        "npm_config_cache=/tmp/.npm npm_package_json=/srv/app/package.json "
        "npm_lifecycle_event=start",
        "MSG.deliver queue=SG.eu-west and xoxo-hugs from the team, glance at gl-runner",
        "See https://hooks.slack.com/services/ for setup and https://api.slack.com/apps",
        "query ?sig=abcdefghijklmno&page=2 (no SAS fields), AccountName=backups01 ok",
        "PING OK - Packet loss = 0%, RTA = 0.80 ms|rta=0.034ms;100.000;500.000;0; pl=0%;20;60;;",
        "SNMP OK - 1.3.6.1.2.1.1.3.0 = 123456, version 2.19.5.57, took 1h2m3s",
    ],
)
def test_vendor_look_alikes_are_left_alone(text):
    scrubber = Scrubber(sorted(GENERATED))
    assert scrubber(text) == (text, 0)


# --- Bounded work and cost on clean text -----------------------------------------------------

ADVERSARIAL = {
    "github_token": ["ghp_", "gh", "github_pat_", "ghp_" + "a" * 35 + " "],
    "gitlab_token": [
        "glpat-", "gl", "GR1348941", "glpat-" + "a" * 19 + " ", "glpat-" + "a" * 27 + ".",
    ],
    "slack_token": ["xoxb-", "xoxb-1", "xapp-1-", "xoxe.xoxp-"],
    "slack_webhook": ["hooks.slack.com/services/", "hooks.slack.com/services/T" + "A" * 18 + " "],
    "stripe_key": ["sk_live_", "task_live_", "sk_live_" + "a" * 15 + " "],
    "google_api_key": ["AIza", "AIza" + "a" * 34 + " "],
    "sendgrid_key": ["SG.", "SG." + "a" * 22 + ".", "SG." + "a" * 22 + "." + "b" * 42 + " "],
    "npm_token": ["npm_", "npm_" + "a" * 35 + " "],
    "pypi_token": ["pypi-AgEIcHlwaS5vcmc", "pypi-"],
    "azure_storage_key": [
        "AccountKey=", "sig=", "sig=aaaaaaaa&", "?sv=1&sig=aaaaaaaa&", "SharedAccessKey=a",
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "unit"), [(name, unit) for name, units in ADVERSARIAL.items() for unit in units]
)
def test_work_grows_linearly_on_adversarial_input(name, unit):
    assert_linear(DETECTORS[name].find, unit)


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_work_grows_linearly_on_long_token_bodies(name):
    prefix = {
        "github_token": "ghp_",
        "gitlab_token": "glpat-",
        "slack_token": "xoxb-1",
        "slack_webhook": "https://hooks.slack.com/services/T",
        "stripe_key": "sk_live_",
        "google_api_key": "AIza",
        "sendgrid_key": "SG.",
        "npm_token": "npm_",
        "pypi_token": "pypi-AgEIcHlwaS5vcmc",
        "azure_storage_key": "AccountKey=",
    }[name]
    assert_linear(DETECTORS[name].find, "a", count=50_000, prefix=prefix)


NAGIOS_OUTPUT = (
    "CRITICAL - Socket timeout after 10 seconds; HTTP/1.1 503 Service Unavailable from "
    "web-07.prod.example.com:443 (/healthz) in 10.004 second response time, "
    "ssl certificate expires in 23 days, load average: 3.71, 3.52, 3.40, "
    "DISK WARNING - free space: /var 1843 MB (9% inode=97%), /srv 10240 MB (41%) "
    "|time=10.004s;2.000;5.000;0.000 size=0B;;;0 load1=3.710;4.000;6.000;0; "
    "load5=3.520;4.000;6.000;0; /var=17589MB;16384;18432;0;20480 /srv=14720MB;;;0;24960 "
    "procs=412;600;800;0 users=3;10;20;0 swap=0%;20;10;0"
)


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_clean_text_costs_no_more_than_a_few_substring_scans(name):
    """Measured, not asserted in absolute time: a clean line costs within a small factor of
    scanning it for one literal, which is what the prechecks do."""
    find = DETECTORS[name].find
    assert len(NAGIOS_OUTPUT) >= 500
    assert find(NAGIOS_OUTPUT) == []
    number = 2_000
    finder = min(timeit.repeat(lambda: find(NAGIOS_OUTPUT), number=number, repeat=5))
    scan = min(timeit.repeat(lambda: "ghp_" in NAGIOS_OUTPUT, number=number, repeat=5))
    assert finder < 40 * scan
