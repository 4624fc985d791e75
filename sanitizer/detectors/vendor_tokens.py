"""Vendor-issued secrets recognisable by their own format (GitHub, GitLab, Slack, Stripe, ...).

Every format here opens with a fixed prefix the vendor put there so that scanners can find
it; each finder first checks that its prefixes occur at all (plain substring tests, so clean
text costs a few scans) and only then runs its expression, which opens with that literal.

Choices made where the right answer is not obvious:

* A token's body is taken to the end of its character run, past the documented length
  (``ghp_`` + 36 characters, then anything alphanumeric that follows), so a token glued to
  more text never leaves a tail behind.
* Short or word-like prefixes (``sk_``, ``rk_``, ``npm_``, ``SG.``) must not follow a letter
  or digit, so ``task_live_…`` or ``MSG.…`` are not keys; the long, distinctive prefixes
  (``ghp_``, ``glpat-``, ``AIza``, ``xoxb-``) are found anywhere.
* Stripe publishable keys (``pk_live_``, ``pk_test_``) are left alone: they are public by
  design, shipped in every page that takes a payment. Secret (``sk_``) and restricted
  (``rk_``) keys are replaced.
* A Slack webhook keeps ``https://hooks.slack.com/services/`` readable and loses the
  path that authorises posting (workspace, channel and secret), so a reader still sees
  where the alert was going. The path is also found without the host
  (``url: /services/T…/B…/…`` in an HTTP client's error) when it has the shape of
  Slack's ids.
* Other vendors whose keys open with a prefix of their own (``vendor_key``): OpenAI,
  Anthropic, Hugging Face, HashiCorp Vault, Grafana, DigitalOcean, Shopify, Atlassian,
  Postman, Linear, New Relic, Doppler, PlanetScale, Pulumi, Perplexity, Notion, Sentry,
  1Password service accounts and age keys, Stripe webhook secrets (``whsec_``), Docker Hub,
  Databricks, Supabase, SonarQube, Heroku, JFrog, Terraform Cloud, Azure AD client secrets
  (``…8Q~…``) and Telegram bot tokens (also after ``/bot`` in an API URL), each in the
  length its vendor documents; the secret path of Discord and Microsoft Teams webhooks (the
  host stays readable, as for Slack), and the key in the path of VictorOps REST endpoint and
  PagerDuty Events v1 URLs (the routing key after it stays). A body bounded on both sides
  keeps the work per prefix bounded.
* Azure: the values of ``AccountKey=`` and ``SharedAccessKey=`` are replaced, and the
  ``sig=`` of a shared access signature (a query string that also holds ``sv=``, ``se=``,
  ``sp=``...); account names, endpoints, permissions and expiry stay readable, as they
  are what an operator needs to tell which credential leaked.
"""

from __future__ import annotations

import re

from sanitizer.detectors.base import Detector, Span, case_blind, literal

__all__ = ["DETECTORS"]

_ALNUM = "A-Za-z0-9"
_B64URL = "A-Za-z0-9_-"


def _token_detector(
    name: str,
    label: str,
    prefixes: tuple[str, ...],
    pattern: re.Pattern[str],
    summary: str,
) -> Detector:
    """A detector that runs `pattern` only on text holding one of `prefixes`, which are
    also its prefilter anchors. Each match gives the span of the group that matched (the
    secret part of a webhook URL), or the whole match when the pattern has no group."""

    def find(text: str) -> list[Span]:
        for prefix in prefixes:
            if prefix in text:
                return [match.span(match.lastindex or 0) for match in pattern.finditer(text)]
        return []

    return Detector(name, label, find, summary, anchors=literal(*prefixes))


# ghp_ (personal), gho_ (OAuth), ghu_ (user-to-server), ghs_ (server-to-server), ghr_
# (refresh): 36 base62 characters. Fine-grained personal tokens: github_pat_ + 82 [\w].
_GITHUB_RE = re.compile(
    rf"(?:gh[pousr]_[{_ALNUM}]{{36}}[{_ALNUM}]*+|github_pat_[{_ALNUM}_]{{82}}[{_ALNUM}_]*+)"
)

# Personal, deploy, runner, pipeline-trigger, CI job, incoming-mail, SCIM, feature-flag,
# feed, agent and OAuth-application tokens; GR1348941 runner registration tokens. Routable
# tokens end in "." and nine lower-case base36 characters.
_GITLAB_RE = re.compile(
    r"(?:gl(?:pat|dt|rt|ptt|cbt|imt|soat|ffct|ft|agent|oas)-|GR1348941)"
    rf"[{_B64URL}]{{20}}[{_B64URL}]*+(?:\.[0-9a-z]{{9}}(?![{_ALNUM}]))?+"
)

# xoxb- (bot), xoxp- (user), xoxa-/xoxr- (workspace access/refresh), xoxo-/xoxs- (legacy),
# xoxe- and xoxe.xoxb-/xoxe.xoxp- (configuration tokens), xapp- (app-level): every form
# continues with a digit.
_SLACK_TOKEN_RE = re.compile(
    rf"x(?:ox(?:[abeoprs]|e\.xox[bp])|app)-[0-9][{_ALNUM}-]{{8}}[{_ALNUM}-]*+"
)

_SLACK_WEBHOOK_RE = re.compile(
    r"hooks\.slack\.com/(?:services|workflows|triggers)/"
    rf"([{_ALNUM}][{_ALNUM}_+/-]{{19}}[{_ALNUM}_+/-]*+)"
    # The path alone, as an HTTP client's error prints it next to host='hooks.slack.com':
    # only in the shape of Slack's ids (T workspace, B or A app, digits, secret).
    r"|/(?:services/(?=T[A-Z0-9]{6,}+/B[A-Z0-9]{6,}+/[A-Za-z0-9]{20})"
    r"|(?:workflows|triggers)/(?=T[A-Z0-9]{6,}+/A[A-Z0-9]{6,}+/[0-9]{6,}+/[A-Za-z0-9]{20}))"
    rf"(T[A-Z0-9]++/[AB][A-Z0-9]++/[{_ALNUM}_+/-]++)"
)

_STRIPE_RE = re.compile(rf"[rs]k_(?<![{_ALNUM}][rs]k_)(?:live|test|prod)_[{_ALNUM}]{{16,}}+")

_GOOGLE_API_KEY_RE = re.compile(rf"AIza[{_B64URL}]{{35}}[{_B64URL}]*+")

_SENDGRID_RE = re.compile(
    rf"SG\.(?<![{_ALNUM}]SG\.)[{_B64URL}]{{22}}\.[{_B64URL}]{{43}}[{_B64URL}]*+"
)

_NPM_RE = re.compile(rf"npm_(?<![{_ALNUM}]npm_)[{_ALNUM}]{{36}}[{_ALNUM}]*+")

# A PyPI token is a macaroon whose first bytes name its index: base64 of "\x02\x01\x08pypi.org"
# (or "\x02\x01\rtest.pypi.org" for TestPyPI).
_PYPI_RE = re.compile(
    rf"pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[{_B64URL}]{{50}}[{_B64URL}]*+"
)

# Values of the account-key fields of Azure connection strings: base64, ended by ";".
_AZURE_KEY_RE = re.compile(r"(?i:accountkey|sharedaccesskey)=([A-Za-z0-9+/%]{16}[A-Za-z0-9+/%=]*+)")
# A shared access signature's signature, and the fields that make a query string a SAS.
_SAS_SIG_RE = re.compile(r"sig=(?<![A-Za-z0-9_]sig=)([A-Za-z0-9+/%=]{8,}+)")
_SAS_FIELD_RE = re.compile(r"[?&;](?:sv|se|sp|sr|ss|st|srt|spr|skoid|sktid)=")
_SAS_WINDOW = 512  # how far from sig= the other SAS fields are looked for
_URLISH_RUN = re.compile(rf"[^\s\"'<>]{{0,{_SAS_WINDOW}}}")


# Keys of other vendors, each opening with its own literal; not glued to a letter or digit
# before. OpenAI's keys hold "T3BlbkFJ" (base64 of "OpenAI") between two runs.
_VENDOR_KEY_PREFIXES = (
    "sk-", "hf_", "api_org_", "hvs.", "hvb.", "hvr.", "glsa_", "glc_", "_v1_", "shp", "ATATT3",
    "PMAK-", "lin_api_", "NRAK-", "NRII-", "NRJS-", "dp.", "pscale_", "pul-", "pplx-", "ntn_",
    "sntry", "ops_eyJ", "AGE-SECRET-KEY-1", "/api/webhooks/", "webhook.office.com/webhookb2/",
    "victorops.com/integrations/", "pagerduty.com/", "whsec_", "dckr_pat_", "dapi", "sbp_",
    "sqp_", "squ_", "sqa_", "HRKU-", "AKCp", ".atlasv1.",
)  # fmt: skip
_VENDOR_KEY_RE = re.compile(
    r"(?<![A-Za-z0-9_-])(?:"
    r"sk-(?:(?:proj|svcacct|admin)-)?+[A-Za-z0-9_-]{20,80}T3BlbkFJ"
    r"[A-Za-z0-9_-]{20}[A-Za-z0-9_-]*+"
    r"|sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40}[A-Za-z0-9_-]*+"
    r"|sk-ant-[a-z]{2,8}[0-9]{2}-[A-Za-z0-9_-]{32}[A-Za-z0-9_-]*+"
    r"|(?:hf_|api_org_)[A-Za-z0-9]{34}(?![A-Za-z0-9])"
    r"|hv[sbr]\.[A-Za-z0-9_-]{24}[A-Za-z0-9_-]*+"
    r"|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"
    r"|glc_[A-Za-z0-9+/]{32}[A-Za-z0-9+/]{0,400}+={0,3}+"
    r"|do[opr]_v1_[a-f0-9]{64}"
    r"|shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"
    r"|ATATT3[A-Za-z0-9_=-]{60}[A-Za-z0-9_=-]*+"
    r"|PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}"
    r"|lin_api_[A-Za-z0-9]{40}"
    r"|NRAK-[A-Z0-9]{27}|NRII-[A-Za-z0-9-]{32}|NRJS-[a-f0-9]{19}"
    r"|dp\.(?:pt|st|sa|ct|scim|audit)\.(?:[a-z0-9_-]{1,64}+\.)?+[A-Za-z0-9]{40}[A-Za-z0-9]*+"
    r"|pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_=.-]{32}[A-Za-z0-9_=.-]*+"
    r"|pul-[a-f0-9]{40}|pplx-[A-Za-z0-9]{48}|ntn_[0-9]{11}[A-Za-z0-9]{35}"
    r"|sntrys_eyJ[A-Za-z0-9+/=_-]{60}[A-Za-z0-9+/=_-]*+|sntryu_[a-f0-9]{64}"
    r"|ops_eyJ[A-Za-z0-9+/]{250}[A-Za-z0-9+/]*+={0,3}+"
    r"|AGE-SECRET-KEY-1[0-9A-Z]{58}"
    # Stripe webhook signing secrets, Docker Hub, Databricks, Supabase, SonarQube, Heroku,
    # JFrog and Terraform Cloud tokens.
    r"|whsec_[A-Za-z0-9+/]{24}[A-Za-z0-9+/=]*+|dckr_pat_[A-Za-z0-9_-]{27}[A-Za-z0-9_-]*+"
    r"|dapi[a-f0-9]{32}(?:-[0-9])?+(?![A-Za-z0-9])|sbp_[a-f0-9]{40}(?![A-Za-z0-9])"
    r"|sq[pua]_[a-f0-9]{40}(?![A-Za-z0-9])|HRKU-[A-Za-z0-9_-]{40}[A-Za-z0-9_-]*+"
    r"|AKCp[A-Za-z0-9]{65}[A-Za-z0-9]*+"
    r"|[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60}[A-Za-z0-9_=-]*+"
    r")"
    # Webhook paths: the host stays, the id and token after it go.
    r"|discord(?:app)?+\.com/api/webhooks/([0-9]{17,20}/[A-Za-z0-9_-]{60}[A-Za-z0-9_-]*+)"
    r"|\.webhook\.office\.com/webhookb2/([^\s\"'<>]{40}[^\s\"'<>]*+)"
    # VictorOps (Splunk On-Call) REST endpoint and PagerDuty Events v1 URLs: the API or
    # integration key in their path goes, the routing key after it stays.
    r"|victorops\.com/integrations/[a-z0-9_-]{1,32}+/[0-9]{8}/alert/([A-Za-z0-9-]{16}[A-Za-z0-9-]*+)"
    r"|events\.(?:eu\.)?+pagerduty\.com/(?:integration|x-ere)/([A-Za-z0-9]{20}[A-Za-z0-9]*+)"
)


# Found from their middle literal, each looked for only when that literal occurs: Azure AD
# (Entra ID) client secrets (three characters, a digit, "Q~", 31 to 34 more) and Telegram bot
# tokens (also inside api.telegram.org/bot<token>/ URLs).
_MIDDLE_LITERAL_KEYS = (
    ("Q~", re.compile(r"(?<![A-Za-z0-9_.~-])[A-Za-z0-9_.~]{3}[0-9]Q~[A-Za-z0-9_.~-]{31,34}+"
                      r"(?![A-Za-z0-9_.~-])")),
    (":A", re.compile(r"(?<![0-9])[0-9]{5,16}+:A[A-Za-z0-9_-]{34}(?![A-Za-z0-9_-])")),
)  # fmt: skip


def _find_vendor_key(text: str) -> list[Span]:
    spans: list[Span] = []
    for prefix in _VENDOR_KEY_PREFIXES:
        if prefix in text:
            spans = [m.span(m.lastindex or 0) for m in _VENDOR_KEY_RE.finditer(text)]
            break
    for literal_, pattern in _MIDDLE_LITERAL_KEYS:
        if literal_ in text:
            spans += [match.span() for match in pattern.finditer(text)]
    spans.sort()
    return spans


def _find_slack_webhook(text: str) -> list[Span]:
    if "hooks.slack.com/" not in text and "s/T" not in text:
        return []
    return [match.span(match.lastindex or 0) for match in _SLACK_WEBHOOK_RE.finditer(text)]


def _find_azure_storage_key(text: str) -> list[Span]:
    spans: list[Span] = []
    lowered = text.lower()  # a precheck only: lower() may change lengths, so no spans from it
    if "accountkey=" in lowered or "sharedaccesskey=" in lowered:
        spans += [match.span(1) for match in _AZURE_KEY_RE.finditer(text)]
    if "sig=" in text:
        for match in _SAS_SIG_RE.finditer(text):
            start, end = match.span()
            # The stretch of URL-ish text around sig=, at most _SAS_WINDOW each side.
            before_run = _URLISH_RUN.match(text[max(0, start - _SAS_WINDOW) : start][::-1])
            after_run = _URLISH_RUN.match(text, end)
            # Never None: _URLISH_RUN matches the empty string.
            assert before_run is not None and after_run is not None
            before, after = before_run.end(), after_run.end()
            if _SAS_FIELD_RE.search(text, start - before, after):
                spans.append(match.span(1))
    spans.sort()
    return spans


DETECTORS = (
    _token_detector(
        "github_token",
        "[GITHUB_TOKEN]",
        ("gh", "github_pat_"),
        _GITHUB_RE,
        "GitHub tokens: ghp_, gho_, ghu_, ghs_, ghr_ and fine-grained github_pat_",
    ),
    _token_detector(
        "gitlab_token",
        "[GITLAB_TOKEN]",
        ("gl", "GR1348941"),
        _GITLAB_RE,
        "GitLab tokens: glpat-, gldt-, glrt-, glptt-, glcbt-... and GR1348941 runner tokens",
    ),
    _token_detector(
        "slack_token",
        "[SLACK_TOKEN]",
        ("xox", "xapp-"),
        _SLACK_TOKEN_RE,
        "Slack bot, user, app, configuration and legacy tokens (xoxb-, xoxp-, xapp-...)",
    ),
    Detector(
        "slack_webhook",
        "[SLACK_WEBHOOK]",
        _find_slack_webhook,
        "the secret path of Slack incoming-webhook, workflow and trigger URLs",
        anchors=(
            *literal("hooks.slack.com/"),
            r"/(?:services|workflows|triggers)/T[A-Z0-9]{6}",
        ),
    ),
    _token_detector(
        "stripe_key",
        "[STRIPE_KEY]",
        ("k_live_", "k_test_", "k_prod_"),
        _STRIPE_RE,
        "Stripe secret and restricted keys (sk_live_, rk_test_...); publishable pk_ keys stay",
    ),
    _token_detector(
        "google_api_key",
        "[GOOGLE_API_KEY]",
        ("AIza",),
        _GOOGLE_API_KEY_RE,
        "Google API keys (AIza...)",
    ),
    _token_detector(
        "sendgrid_key",
        "[SENDGRID_KEY]",
        ("SG.",),
        _SENDGRID_RE,
        "SendGrid API keys (SG.<22>.<43>)",
    ),
    _token_detector(
        "npm_token",
        "[NPM_TOKEN]",
        ("npm_",),
        _NPM_RE,
        "npm access tokens (npm_...)",
    ),
    _token_detector(
        "pypi_token",
        "[PYPI_TOKEN]",
        ("pypi-",),
        _PYPI_RE,
        "PyPI and TestPyPI upload tokens (pypi-AgEIcHlwaS5vcmc...)",
    ),
    Detector(
        "vendor_key",
        "[VENDOR_KEY]",
        _find_vendor_key,
        "keys of other vendors by their prefix (OpenAI sk-proj-, Anthropic sk-ant-, Hugging"
        " Face hf_, Vault hvs., Grafana glsa_, DigitalOcean dop_v1_, Shopify shpat_, Atlassian"
        " ATATT3, Postman PMAK-, New Relic NRAK-, Docker Hub dckr_pat_, Azure AD ...Q~...,"
        " Telegram bot tokens...) and Discord and Teams webhook paths",
        anchors=literal(*_VENDOR_KEY_PREFIXES, *(word for word, _ in _MIDDLE_LITERAL_KEYS)),
    ),
    Detector(
        "azure_storage_key",
        "[AZURE_KEY]",
        _find_azure_storage_key,
        "Azure AccountKey= and SharedAccessKey= values and SAS signatures (sig=)",
        anchors=(*case_blind("accountkey=", "sharedaccesskey="), *literal("sig=")),
    ),
)
