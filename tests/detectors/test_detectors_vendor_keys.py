"""`vendor_key`: keys of vendors without a detector of their own, found by the prefix each
vendor puts in front of them, in every context an alert carries them in.

The values are generated for these tests in each vendor's documented shape (prefix, alphabet,
length); none is a real key.
"""

from __future__ import annotations

import random
import string

import pytest

from sanitizer.detectors import DETECTORS
from tests.detectors.helpers import CONTEXTS, assert_linear, scrub_all

_ALNUM = string.ascii_letters + string.digits
_B64URL = _ALNUM + "_-"
_HEX = "0123456789abcdef"


def _run(alphabet: str, size: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(size))


# (vendor, key as written, the part that must go): the whole key, or a webhook's secret path.
KEYS = [
    ("openai project", f"sk-proj-{_run(_B64URL, 74, 1)}T3BlbkFJ{_run(_B64URL, 74, 2)}"),
    ("openai service account", f"sk-svcacct-{_run(_B64URL, 58, 3)}T3BlbkFJ{_run(_B64URL, 58, 4)}"),
    ("openai legacy", f"sk-{_run(_ALNUM, 20, 5)}T3BlbkFJ{_run(_ALNUM, 20, 6)}"),
    ("anthropic", f"sk-ant-api03-{_run(_B64URL, 93, 7)}AA"),
    ("anthropic admin", f"sk-ant-admin01-{_run(_B64URL, 93, 8)}AA"),
    ("hugging face", f"hf_{_run(string.ascii_letters, 34, 9)}"),
    ("hugging face org", f"api_org_{_run(string.ascii_letters, 34, 10)}"),
    ("vault service", f"hvs.{_run(_B64URL, 91, 11)}"),
    ("vault batch", f"hvb.{_run(_B64URL, 138, 12)}"),
    ("grafana service account", f"glsa_{_run(_ALNUM, 32, 13)}_{_run(_HEX, 8, 14)}"),
    ("grafana cloud", f"glc_{_run(_ALNUM + '+/', 80, 15)}=="),
    ("digitalocean", f"dop_v1_{_run(_HEX, 64, 16)}"),
    ("digitalocean oauth", f"doo_v1_{_run(_HEX, 64, 17)}"),
    ("shopify", f"shpat_{_run(_HEX, 32, 18)}"),
    ("atlassian", f"ATATT3xFfGF0{_run(_B64URL, 180, 19)}"),
    ("postman", f"PMAK-{_run(_HEX, 24, 20)}-{_run(_HEX, 34, 21)}"),
    ("linear", f"lin_api_{_run(_ALNUM, 40, 22)}"),
    ("new relic user", f"NRAK-{_run(string.ascii_uppercase + string.digits, 27, 23)}"),
    ("doppler", f"dp.pt.{_run(_ALNUM, 43, 24)}"),
    ("planetscale", f"pscale_pw_{_run(_B64URL, 43, 25)}"),
    ("pulumi", f"pul-{_run(_HEX, 40, 26)}"),
    ("perplexity", f"pplx-{_run(_ALNUM, 48, 27)}"),
    ("notion", f"ntn_{_run(string.digits, 11, 28)}{_run(_ALNUM, 35, 29)}"),
    ("sentry user", f"sntryu_{_run(_HEX, 64, 30)}"),
    ("age", f"AGE-SECRET-KEY-1{_run(string.ascii_uppercase + string.digits, 58, 31)}"),
]
DISCORD_PATH = f"1234567890123456789/{_run(_B64URL, 68, 32)}"
TEAMS_PATH = (
    f"{_run(_HEX, 8, 33)}-aaaa-bbbb-cccc-{_run(_HEX, 12, 34)}@{_run(_HEX, 8, 35)}-dddd-eeee-"
    f"ffff-{_run(_HEX, 12, 36)}/IncomingWebhook/{_run(_HEX, 32, 37)}/{_run(_HEX, 8, 38)}-1111"
    f"-2222-3333-{_run(_HEX, 12, 39)}"
)
WEBHOOKS = [
    ("discord", f"https://discord.com/api/webhooks/{DISCORD_PATH}", DISCORD_PATH),
    ("discord legacy host", f"https://discordapp.com/api/webhooks/{DISCORD_PATH}", DISCORD_PATH),
    ("teams", f"https://contoso.webhook.office.com/webhookb2/{TEAMS_PATH}", TEAMS_PATH),
]
find = DETECTORS["vendor_key"].find


@pytest.mark.parametrize("context", sorted(CONTEXTS))
@pytest.mark.parametrize(("vendor", "key"), KEYS, ids=[vendor for vendor, _ in KEYS])
def test_a_vendor_key_is_replaced_whole_in_every_context(vendor, key, context):
    text = CONTEXTS[context](key)
    out = scrub_all(text)[0]
    assert key not in out
    assert key[len(key) // 3 : 2 * len(key) // 3] not in out, "no part of the key is left"
    assert scrub_all.first_hit(out) is None, "the scrubbed text passes a guard"


@pytest.mark.parametrize(("key"), [key for _, key in KEYS], ids=[vendor for vendor, _ in KEYS])
def test_the_vendor_key_detector_alone_finds_exactly_the_key(key):
    text = f"upstream refused the request (key {key}), retrying"
    assert [text[start:end] for start, end in find(text)] == [key]


@pytest.mark.parametrize(("vendor", "url", "path"), WEBHOOKS, ids=[v for v, _, _ in WEBHOOKS])
def test_a_webhook_loses_its_secret_path_and_keeps_its_host(vendor, url, path):
    text = f"notification to {url} failed: 429 Too Many Requests"
    out = scrub_all(text)[0]
    assert path not in out
    assert url[: url.index(path)] in out, "the host and the fixed path stay readable"


@pytest.mark.parametrize(
    "text",
    [
        "disk-sk-usage above 90% on /var",
        "task-sk-1234 finished",
        "kubectl logs web-7d9f | grep -i sk-",
        "hf_hub_download failed: 404",
        "vault status: hvs. prefix expected",
        "dop_v1_ token missing from environment",
        "shpat_ token rotated",
        "see https://discord.com/api/webhooks for how to create one",
        "https://contoso.webhook.office.com/webhookb2/ is the new host",
        "NRAK- keys are user keys",
        "grafana service account glsa_ token expired",
    ],
)
def test_prefixes_alone_and_prose_are_left_alone(text):
    assert scrub_all(text)[0] == text


@pytest.mark.parametrize(
    "unit",
    [
        "sk-" + "a" * 21,
        "sk-proj-" + "a-" * 30,
        "sk-" + "a" * 30 + "T3BlbkFJ",
        "hvs." + "a" * 10,
        "/api/webhooks/",
        "discord.com/api/webhooks/1234567890123456789/",
    ],
)
def test_work_grows_linearly_on_adversarial_input(unit):
    assert_linear(find, unit, count=5_000)
