"""The console's JSON API against a real proxy process with an admin listener: who gets in
(token, session cookie, CSRF), what each endpoint answers, and that the ingress port serves
none of it."""

from __future__ import annotations

import contextlib
import hashlib
import signal

import httpx
import pytest

from tests.console.adminproc import ADMIN_TOKEN, NAGIOS_ALERT, Admin, start_admin, wait_until
from tests.proxyproc import INBOUND_TOKEN, ROOT

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
API = [
    ("GET", "/api/routes"),
    ("GET", "/api/samples"),
    ("POST", "/api/preview"),
    ("GET", "/api/dead-letters"),
    ("POST", "/api/dead-letters/0123abcd/retry"),
    ("POST", "/api/dead-letters/0123abcd/purge"),
    ("GET", "/api/tap"),
    ("POST", "/api/logout"),
    ("GET", "/api/session"),
]


@pytest.fixture(scope="module")
def admin(tmp_path_factory, standin_server):
    running = start_admin(tmp_path_factory.mktemp("console-api"), standin_server.url)
    yield running
    running.proxy.stop()


def login(admin: Admin) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=admin.url, timeout=10)
    answer = client.post("/api/login", json={"token": ADMIN_TOKEN})
    assert answer.status_code == 200, answer.text
    return client, answer.json()["csrf"]


@pytest.mark.parametrize(("method", "path"), API)
def test_every_api_endpoint_refuses_a_request_without_the_token_with_401_json(admin, method, path):
    answer = httpx.request(method, f"{admin.url}{path}", json={}, timeout=10)
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"


@pytest.mark.parametrize(("method", "path"), API)
def test_every_api_endpoint_refuses_a_wrong_bearer_token_with_401(admin, method, path):
    answer = httpx.request(
        method, f"{admin.url}{path}", json={}, headers=admin.headers("wrong-" + ADMIN_TOKEN)
    )
    assert answer.status_code == 401
    assert ADMIN_TOKEN not in answer.text


def test_a_wrong_bearer_token_is_refused_even_beside_a_valid_session_cookie(admin):
    client, _ = login(admin)
    with contextlib.closing(client):
        assert client.get("/api/routes").status_code == 200
        refused = client.get("/api/routes", headers={"authorization": "Bearer not-the-token"})
        assert refused.status_code == 401


def test_login_sets_an_httponly_samesite_strict_session_cookie_without_secure_on_plain_http(
    admin,
):
    answer = httpx.post(f"{admin.url}/api/login", json={"token": ADMIN_TOKEN}, timeout=10)
    assert answer.status_code == 200
    cookie = answer.headers["set-cookie"]
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert attributes[0].startswith("sanitizer_session=")
    assert "httponly" in attributes and "samesite=strict" in attributes and "path=/" in attributes
    assert "secure" not in attributes
    assert ADMIN_TOKEN not in cookie
    assert len(answer.json()["csrf"]) >= 32


def test_login_with_a_wrong_token_is_401_and_opens_no_session(admin):
    answer = httpx.post(f"{admin.url}/api/login", json={"token": "nope-" + ADMIN_TOKEN})
    assert answer.status_code == 401
    assert "set-cookie" not in answer.headers
    assert "nope-" not in answer.text


def test_a_session_cookie_reads_and_its_session_answers_the_csrf_token(admin):
    client, csrf = login(admin)
    with contextlib.closing(client):
        assert client.get("/api/session").json() == {"csrf": csrf}
        assert client.get("/api/routes").status_code == 200


def test_a_cookie_post_without_the_csrf_header_is_refused_403_and_with_it_is_let_in(admin):
    client, csrf = login(admin)
    with contextlib.closing(client):
        body = {"route": "nagios", "alert": NAGIOS_ALERT}
        refused = client.post("/api/preview", json=body)
        assert refused.status_code == 403
        assert refused.json()["error"] == "csrf"
        wrong = client.post("/api/preview", json=body, headers={"x-csrf-token": csrf + "x"})
        assert wrong.status_code == 403
        assert client.post("/api/preview", json=body, headers={"x-csrf-token": csrf}).is_success


def test_logout_ends_the_session(admin):
    client, csrf = login(admin)
    with contextlib.closing(client):
        cookie = client.cookies["sanitizer_session"]
        assert client.post("/api/logout", headers={"x-csrf-token": csrf}).status_code == 200
        stale = httpx.get(
            f"{admin.url}/api/routes", cookies={"sanitizer_session": cookie}, timeout=10
        )
        assert stale.status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", "/static/console.js"), ("POST", "/api/login"), *API],
)
def test_the_ingress_port_serves_none_of_the_console(admin, method, path):
    answer = httpx.request(
        method,
        f"{admin.proxy.url}{path}",
        json={"token": ADMIN_TOKEN},
        headers=admin.headers(),
        timeout=10,
    )
    assert answer.status_code in (404, 405), answer.text
    assert "content-security-policy" not in answer.headers


@pytest.mark.parametrize("path", ["/", "/static/console.js", "/api/routes", "/api/nothing"])
def test_every_console_answer_carries_the_csp_and_api_answers_are_never_stored(admin, path):
    answer = admin.get(path)
    assert answer.headers["content-security-policy"] == CSP
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    if path.startswith("/api/"):
        assert answer.headers["cache-control"] == "no-store"


def test_the_page_and_its_assets_load_without_a_token(admin):
    page = httpx.get(f"{admin.url}/", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    script = httpx.get(f"{admin.url}/static/console.js", timeout=10)
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]


def test_unknown_paths_and_escaping_static_paths_are_404_json(admin):
    for path in ("/api/nothing", "/static/../config.yaml", "/static/%2e%2e/config.yaml", "/x"):
        answer = admin.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["error"] == "not_found"


def test_routes_name_the_policy_its_digest_the_upstream_and_no_reload_yet(admin):
    digest = hashlib.sha256((ROOT / "rules/nagios.yaml").read_bytes()).hexdigest()
    assert admin.get("/api/routes").json() == {
        "routes": [
            {
                "name": "nagios",
                "policy": {"name": "nagios", "digest": digest},
                "upstream": {"type": "victorops", "contract": "victorops"},
                "on_refusal": "drop",
                "shadow_policy": None,
            }
        ],
        "reload": {"result": None, "at": None, "message": None},
    }


def test_routes_show_the_shadow_policy_and_its_value_free_differences(tmp_path, standin):
    shadow = tmp_path / "shadow.yaml"
    shadow.write_text(
        "version: 1\nname: next\nrules:\n"
        "  - {id: drop-output, select: SERVICEOUTPUT, action: drop}\n",
        encoding="utf-8",
    )
    running = start_admin(tmp_path / "proxy", standin.url, shadow=str(shadow))
    try:
        answer = httpx.post(
            f"{running.proxy.url}/v1/alerts/nagios",
            json=NAGIOS_ALERT,
            headers={"authorization": f"Bearer {INBOUND_TOKEN}"},
            timeout=10,
        )
        assert answer.status_code == 202, answer.text

        def compared() -> dict | None:
            summary = running.get("/api/routes").json()["routes"][0]["shadow_policy"]
            return summary if summary["alerts"] >= 1 else None

        summary = wait_until(compared, "the shadow comparison of the alert")
        digest = hashlib.sha256(shadow.read_bytes()).hexdigest()
        assert (summary["name"], summary["digest"]) == ("next", digest)
        assert summary["differing_alerts"] == 1
        assert sum(summary["differences"].values()) >= 1
    finally:
        running.proxy.stop()


def test_samples_are_example_alerts_named_with_the_route_that_takes_them(admin):
    samples = admin.get("/api/samples").json()["samples"]
    assert samples and all(isinstance(sample["alert"], dict) for sample in samples)
    by_name = {sample["name"]: sample for sample in samples}
    assert by_name["nagios"]["route"] == "nagios"
    assert by_name["alertmanager"]["route"] is None  # this proxy has no such route


def test_readyz_names_the_routes_only_to_the_admin_token(admin):
    anyone = httpx.get(f"{admin.proxy.url}/readyz", timeout=10).json()
    assert anyone == {"ready": True, "route_count": 1, "spool_writable": True}
    wrong = httpx.get(f"{admin.proxy.url}/readyz", headers=admin.headers("x" * 40), timeout=10)
    assert "routes" not in wrong.json()
    operator = httpx.get(f"{admin.proxy.url}/readyz", headers=admin.headers(), timeout=10)
    assert operator.json()["routes"] == ["nagios"]


def test_dead_letters_are_listed_retried_and_purged_and_unknown_ids_are_404(admin, standin):
    standin.set_mode("404")
    for _ in range(2):
        assert admin.proxy.post("nagios", NAGIOS_ALERT_BYTES).status_code == 202
    rows = wait_until(
        lambda: (
            len(admin.get("/api/dead-letters").json()["dead_letters"]) == 2
            and admin.get("/api/dead-letters").json()["dead_letters"]
        ),
        "two dead letters",
    )
    assert set(rows[0]) == {"id", "route", "created_at", "dead_at", "attempts", "reason", "size"}
    assert {row["route"] for row in rows} == {"nagios"}
    first, second = (row["id"] for row in rows)
    assert admin.proxy.metric("sanitizer_dead_letters") == 2

    standin.set_mode("ok")
    assert admin.post(f"/api/dead-letters/{first}/retry").json() == {"retried": 1}
    [delivered] = wait_until(
        lambda: [r for r in standin.requests() if r["mode"] == "ok"], "the retried alert"
    )
    assert '"message_type":"CRITICAL"' in delivered["body"]
    assert admin.post(f"/api/dead-letters/{second}/purge").json() == {"purged": 1}
    assert admin.get("/api/dead-letters").json() == {"dead_letters": []}
    assert admin.proxy.metric("sanitizer_dead_letters") == 0

    for action in ("retry", "purge"):
        for alert_id in (first, second, "no-such-id"):
            answer = admin.post(f"/api/dead-letters/{alert_id}/{action}")
            assert answer.status_code == 404 and answer.json()["error"] == "not_found"
    assert admin.get("/api/dead-letters?limit=0").status_code == 400


NAGIOS_ALERT_BYTES = (ROOT / "tests/fixtures/alerts/nagios-service-critical.json").read_bytes()


def test_sighup_records_the_reload_and_a_new_admin_token_ends_old_sessions(tmp_path, standin):
    policy = tmp_path / "policy.yaml"
    policy.write_bytes((ROOT / "rules/nagios.yaml").read_bytes())
    admin = start_admin(tmp_path / "proxy", standin.url, policy=str(policy))
    try:
        client, _ = login(admin)
        with contextlib.closing(client):
            policy.write_text("version: 1\nname: broken\nrules: [{id: x, action: nope}]\n")
            admin.proxy.send_signal(signal.SIGHUP)
            reload = wait_until(
                lambda: admin.get("/api/routes").json()["reload"]["result"], "a failed reload"
            )
            answer = admin.get("/api/routes").json()
            assert reload == "failed"
            assert "rule 'x'" in answer["reload"]["message"]
            assert answer["routes"][0]["policy"]["name"] == "nagios"  # the old one serves

            new_token = "console-api-rotated-token-77aa11bb22"
            admin.token_file.write_text(new_token + "\n")
            policy.write_bytes((ROOT / "rules/nagios.yaml").read_bytes())
            admin.proxy.send_signal(signal.SIGHUP)
            wait_until(
                lambda: admin.get("/api/routes", headers=admin.headers(new_token)).is_success,
                "the new admin token",
            )
            reload = admin.get("/api/routes", headers=admin.headers(new_token)).json()["reload"]
            assert reload["result"] == "ok" and reload["at"] > 0
            assert admin.get("/api/routes").status_code == 401  # the old token
            assert client.get("/api/routes").status_code == 401  # its session
    finally:
        assert admin.proxy.stop() == 0
    assert new_token not in admin.proxy.log() and ADMIN_TOKEN not in admin.proxy.log()
    assert INBOUND_TOKEN not in admin.proxy.log()
