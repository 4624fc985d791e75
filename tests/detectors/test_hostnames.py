"""`internal_hostname`: names under special-use suffixes and the policy's own domains are
found in every context, replaced by [HOST] or a stable keyed pseudonym that keeps the suffix,
never re-detected; public names, paths and prose stay."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanitizer.detectors import DETECTORS, Scrubber
from sanitizer.detectors.hostnames import SPECIAL_USE_SUFFIXES, hostname_detector
from sanitizer.errors import GuardHit, PolicyError
from tests.conftest import KEY_A, KEY_B, make_policy
from tests.growth import assert_linear_growth

DOMAINS = ("corp.example", "payments.example.net")
labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?", fullmatch=True)
stems = st.lists(labels, min_size=1, max_size=4).map(".".join).filter(lambda s: s != "localhost")
suffixes = st.sampled_from([*SPECIAL_USE_SUFFIXES, *DOMAINS])

CONTEXTS = [
    ("CRITICAL - ", " is DOWN"),
    ("2024-10-01T12:30:45Z ERROR dial tcp: lookup ", ": no such host"),
    ('  File "/srv/app.py", line 12\nConnectionError: host="', '" port=5432'),
    ('psycopg2.OperationalError: could not translate host name "', '" to address'),
    ("Host: ", "\r\nUser-Agent: curl/8.0"),
    ("curl -sS https://", ":8443/health?x=1"),
    ("DB_HOST=", "\nDB_PORT=5432"),
    ("spec:\n  rules:\n  - host: ", "\n    http: {}"),
    ("https://monitor/check?target=", "&n=1"),
    ("upstream=", " state=CRITICAL"),
    ('{\\"host\\": \\"', '\\"}'),
    ('{\\\\\\"host\\\\\\": \\\\\\"', '\\\\\\"}'),
    ("ssh deploy@", " uptime"),
    ("resolved ", ". in 3ms"),  # a trailing FQDN dot stays outside the name
]
contexts = st.sampled_from(CONTEXTS)
keyed = hostname_detector(DOMAINS, KEY_A)
unkeyed = hostname_detector(DOMAINS)


def found(detector, text: str) -> list[str]:
    return [text[start:end] for start, end in detector.find(text)]


@given(stems, suffixes, contexts, st.booleans())
def test_internal_names_are_found_whole_in_every_context(stem, suffix, context, upper):
    name = f"{stem}.{suffix}"
    name = name.upper() if upper else name
    text = context[0] + name + context[1]
    assert found(unkeyed, text) == [name]
    assert Scrubber([unkeyed])(text) == (context[0] + "[HOST]" + context[1], 1)


@given(stems, suffixes, contexts)
def test_keyed_pseudonyms_keep_the_suffix_and_are_stable(stem, suffix, context):
    name = f"{stem}.{suffix}"
    text = context[0] + name + context[1]
    out, count = Scrubber([keyed])(text)
    assert count == 1
    pseudonym = out.removeprefix(context[0]).removesuffix(context[1])
    assert re.fullmatch(r"host-[0-9a-f]{10}\.(.+)", pseudonym)
    kept = pseudonym.split(".", 1)[1].lower()
    assert name.lower().endswith("." + kept) and kept.endswith(suffix)
    assert Scrubber([keyed])(context[0] + name.upper() + context[1])[0].lower() == out.lower()


@given(stems, suffixes, contexts)
def test_pseudonyms_are_never_detected_again(stem, suffix, context):
    text = context[0] + f"{stem}.{suffix}" + context[1]
    scrubber = Scrubber([keyed])
    out, _ = scrubber(text)
    assert scrubber(out) == (out, 0)
    for detector in (keyed, unkeyed, DETECTORS["internal_hostname"]):
        assert detector.find(out) == []


@given(stems, suffixes)
def test_different_keys_give_different_pseudonyms(stem, suffix):
    name = f"{stem}.{suffix}"
    other = hostname_detector(DOMAINS, KEY_B)
    assert Scrubber([keyed])(name)[0] != Scrubber([other])(name)[0]


def test_the_kept_suffix_is_the_longest_one_the_name_ends_with():
    cases = {
        "ip-10-1-2-3.eu-west-1.compute.internal": ".compute.internal",
        "ip-10-1-2-3.ec2.internal": ".ec2.internal",
        "redis-master.prod.svc.cluster.local": ".cluster.local",
        "db-7.payments.corp.example": ".corp.example",
        "api.payments.example.net": ".payments.example.net",
        "printer.home.arpa": ".home.arpa",
        "vault.service.consul": ".consul",
    }
    for name, suffix in cases.items():
        out = Scrubber([keyed])(name)[0]
        assert re.fullmatch(r"host-[0-9a-f]{10}" + re.escape(suffix), out), (name, out)


@pytest.mark.parametrize(
    "text",
    [
        "www.example.com api.github.com corp.example.org",
        "x.local.example.com db.localhost db.internals",  # the suffix is not the last label
        "corp.example alone, .local alone, ~/.local/bin, /home/u/.local/share",
        "/etc/rc.local and /etc/hosts.local were edited",  # file path segments
        "localhost.localdomain",
        "at jdk.internal.misc.Unsafe.park(Native Method)",
        "Traceback: pip._internal.cli.main",
        "version 2.19.5.57 at 2024-10-01T12:30:45Z took 1.5s; load1=0.5;1;2;0;",
        "uuid 550e8400-e29b-41d4-a716-446655440000 OID 1.3.6.1.2.1.1.3.0 std::cerr",
        "host-0123456789.corp.example",  # the shape of a pseudonym
    ],
)
def test_public_names_paths_and_prose_stay(text):
    assert Scrubber([unkeyed])(text) == (text, 0)


def test_a_path_segment_under_a_policy_domain_is_still_found():
    assert found(unkeyed, "/srv/db-7.corp.example/data") == ["db-7.corp.example"]
    assert found(unkeyed, "http://db.internal/health") == ["db.internal"]


def test_a_policy_domain_is_only_found_when_the_policy_names_it():
    text = "db-7.payments.corp.example down"
    assert found(DETECTORS["internal_hostname"], text) == []
    assert found(unkeyed, text) == ["db-7.payments.corp.example"]


def test_a_merged_span_that_is_not_one_name_becomes_the_label():
    assert keyed.replace is not None
    assert keyed.replace("db.internal and more") == "[HOST]"


# --- Policies ---------------------------------------------------------------------------------


def host_policy(rule: str, guard: str = "[internal_hostname]"):
    return make_policy(
        rule, extra=f"internal_domains: [corp.example, Payments.Example.NET]\nguard: {guard}\n"
    )


def test_scrub_with_a_key_pseudonymises_and_the_guard_passes():
    policy = host_policy(
        "  - {id: hosts, action: scrub, detectors: [internal_hostname, ipv4], key: a}\n"
    )
    alert = {"host": "db-7.corp.example", "msg": "ip-10-1-2-3.ec2.internal down", "n": 7}
    out = policy.apply(alert).payload
    assert re.fullmatch(r"host-[0-9a-f]{10}\.corp\.example", out["host"])
    assert re.fullmatch(r"host-[0-9a-f]{10}\.ec2\.internal down", out["msg"])
    assert policy.apply(out).payload == out  # scrubbing twice changes nothing


def test_scrub_without_a_key_writes_the_label_and_the_guard_passes():
    policy = host_policy("  - {id: hosts, action: scrub, detectors: [internal_hostname]}\n")
    out = policy.apply({"host": "api.payments.example.net"}).payload
    assert out == {"host": "[HOST]"}


def test_the_guard_knows_the_policy_domains():
    policy = host_policy("  - {id: nothing, action: drop, select: unused}\n")
    with pytest.raises(GuardHit) as caught:
        policy.apply({"host": "db-7.corp.example"})
    assert "internal_hostname" in caught.value.message
    assert "db-7" not in caught.value.message


def test_a_key_without_internal_hostname_is_refused():
    with pytest.raises(PolicyError) as caught:
        make_policy("  - {id: s, action: scrub, detectors: [email], key: a}\n")
    assert "internal_hostname" in caught.value.message
    assert caught.value.field == "key"


@pytest.mark.parametrize(
    ("domains", "fragment"),
    [
        ("corp.example", "must be a list"),
        ("[.corp.example]", "without a leading or trailing dot"),
        ("['*.corp.example']", "wildcard"),
        ("[corp..example]", "is not a DNS domain name"),
        ("[-corp.example]", "is not a DNS domain name"),
        ("[corp_x.example]", "is not a DNS domain name"),
        ("[42]", "must be a DNS domain name"),
    ],
)
def test_bad_internal_domains_are_refused_naming_the_field(domains, fragment):
    with pytest.raises(PolicyError) as caught:
        make_policy("  []\n", extra=f"internal_domains: {domains}\n")
    assert fragment in caught.value.message
    assert "internal_domains" in (caught.value.field or "")


# --- Bounded work -----------------------------------------------------------------------------


ADVERSARIAL = {
    "local-runs": lambda n: ".local" * n,
    "labels-then-internal": lambda n: "a." * (n * 5) + "internal",
    "dashes-then-lan": lambda n: "-" * (n * 5) + "x.lan",
    "many-names": lambda n: "".join(f"db{i}.corp.example " for i in range(n // 4)),
    "almost-names": lambda n: "db.local-" * n,
    "double-dots": lambda n: "a..local" * n,
    "paths": lambda n: "/x.local" * n,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_internal_hostname_does_bounded_work_on_adversarial_input(name):
    scrubber = Scrubber([keyed])
    make = ADVERSARIAL[name]
    n = 20_000
    assert_linear_growth(scrubber, make, n)
