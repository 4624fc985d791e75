"""The operator console in a real headless Chromium (Debian's, driven by Playwright) against a
real proxy with an admin listener: log in with the admin token, preview an alert through a
route's policy, see the output beside the input with the changed places marked and the
audit, see refusals explained; the page runs under its Content-Security-Policy without a
single violation (the `page` fixture fails a test on any console error)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.console.adminproc import ADMIN_TOKEN, Admin, wait_until
from tests.console.conftest import POLICY_DIGEST

expect.set_options(timeout=20_000)  # a noisy shared machine: readiness, however slow

NAGIOS = {
    "NOTIFICATIONTYPE": "PROBLEM",
    "HOSTNAME": "db-prod-07",
    "HOSTADDRESS": "10.20.30.40",
    "SERVICESTATE": "CRITICAL",
    "SERVICEOUTPUT": "CRITICAL - top client 10.20.31.7 (owner dba@example.com)",
    "CONTACTEMAIL": "dba-oncall@example.com",
}


def by_id(page: Any, testid: str) -> Any:
    return page.get_by_test_id(testid)


def log_in(page: Any) -> None:
    page.goto("/")
    expect(by_id(page, "login-section")).to_be_visible()
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Log in").click()
    expect(by_id(page, "app")).to_be_visible()
    expect(by_id(page, "session-status")).to_have_text("Logged in.")


def paste_alert(page: Any, alert: Any) -> None:
    page.get_by_label("Sample alert").select_option("")
    page.get_by_label("Alert as JSON").fill(json.dumps(alert, indent=2))


def screenshot(page: Any, artifacts: Path, name: str) -> Path:
    artifacts.mkdir(parents=True, exist_ok=True)
    path = artifacts / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def test_operator_logs_in_and_previews_a_route_seeing_sanitized_output_changes_and_audit(
    page, console: Admin, artifacts
):
    log_in(page)
    page.get_by_label("Route", exact=True).select_option("nagios")
    expect(by_id(page, "route-summary")).to_contain_text(POLICY_DIGEST[:12])
    paste_alert(page, NAGIOS)
    page.get_by_role("button", name="Preview").click()

    output = by_id(page, "output-view")
    expect(output).to_contain_text('"message_type": "CRITICAL"')
    expect(output).to_contain_text("(owner [EMAIL])")
    expect(output).not_to_contain_text("dba@example.com")
    expect(output).not_to_contain_text("10.20.31.7")
    expect(by_id(page, "refusal")).to_be_hidden()
    expect(by_id(page, "contract-verdict")).to_contain_text("Meets the victorops contract")

    # The input beside it, its dropped and renamed places marked removed; the output's new
    # places marked added, and the scrubbed text marked changed.
    input_view = by_id(page, "input-view")
    expect(input_view.locator('.diff-removed[data-path="CONTACTEMAIL"]').first).to_be_visible()
    expect(input_view.locator('.diff-removed[data-path="HOSTNAME"]').first).to_be_visible()
    expect(output.locator('.diff-added[data-path="entity_id"]')).to_be_visible()
    expect(output.locator('.diff-added[data-path="state_message"]')).to_be_visible()
    expect(by_id(page, "diff-summary")).to_contain_text("places removed")

    audit = by_id(page, "audit-table")
    for rule, action, path in [
        ("drop-contacts", "drop", "*"),
        ("host-to-entity", "rename", "entity_id"),
        ("only-victorops-fields", "allow", "@"),
        ("scrub-message", "scrub", "state_message"),
    ]:
        row = audit.locator("tbody tr").filter(has_text=rule)
        expect(row.locator("td").nth(1)).to_have_text(action)
        expect(row.locator("td").nth(2)).to_have_text(path)
    screenshot(page, artifacts, "preview-route")


def test_refusal_by_a_rule_is_explained_with_the_rule_its_reason_and_what_to_change(
    page, console: Admin, artifacts
):
    log_in(page)
    page.get_by_label("Route", exact=True).select_option("nagios")
    paste_alert(page, {**NAGIOS, "SERVICESTATE": 2})
    page.get_by_role("button", name="Preview").click()

    refusal = by_id(page, "refusal")
    expect(refusal).to_be_visible()
    expect(by_id(page, "refusal-rule")).to_have_text("state-is-text")
    expect(by_id(page, "refusal-reason")).to_contain_text("on_mismatch: drop")
    expect(by_id(page, "refusal-fix")).to_contain_text("Change the rule")
    expect(by_id(page, "output-view")).to_have_text("Nothing: the alert was refused.")
    screenshot(page, artifacts, "refusal-rule")


def test_refusal_by_the_guard_of_an_edited_policy_names_the_path_and_the_fix(page, console):
    log_in(page)
    page.get_by_label("Edit a policy").check()
    page.get_by_label("Policy as YAML").fill(
        "version: 1\nname: leaky\nrules:\n"
        "  - {id: keep-output, action: allow, select: SERVICEOUTPUT}\n"
        "guard: [email]\n"
    )
    paste_alert(page, NAGIOS)
    page.get_by_role("button", name="Preview").click()

    expect(by_id(page, "refusal")).to_be_visible()
    expect(by_id(page, "refusal-rule")).to_have_text("guard")
    expect(by_id(page, "refusal-path")).to_have_text("SERVICEOUTPUT")
    expect(by_id(page, "refusal-reason")).to_contain_text("'email'")
    expect(by_id(page, "refusal-fix")).to_contain_text("guard:")
    # The reason is value-free: the address the guard found is not repeated in it.
    expect(by_id(page, "refusal")).not_to_contain_text("dba@example.com")


def test_an_invalid_edited_policy_is_reported_and_nothing_is_shown_as_its_result(page, console):
    log_in(page)
    page.get_by_label("Edit a policy").check()
    page.get_by_label("Policy as YAML").fill(
        "version: 1\nname: broken\nrules:\n  - {id: nope, action: teleport}\n"
    )
    paste_alert(page, NAGIOS)
    page.get_by_role("button", name="Preview").click()
    expect(by_id(page, "preview-error")).to_contain_text("The policy is not valid")
    expect(by_id(page, "preview-result")).to_be_hidden()


def test_edited_policy_is_checked_against_the_chosen_receivers_contract(page, console):
    log_in(page)
    page.get_by_label("Edit a policy").check()
    page.get_by_label("Check against the contract of").select_option("victorops")
    page.get_by_label("Policy as YAML").fill(
        "version: 1\nname: no-type\nrules:\n  - {id: keep-host, action: allow, select: HOSTNAME}\n"
    )
    paste_alert(page, NAGIOS)
    page.get_by_role("button", name="Preview").click()
    expect(by_id(page, "contract-verdict")).to_contain_text("victorops contract refuses")
    expect(by_id(page, "refusal-rule")).to_contain_text("contract:victorops")


def test_a_wrong_token_is_refused_and_the_page_stays_logged_out(page, console):
    page.goto("/")
    page.get_by_label("Admin token").fill("not-the-admin-token-at-all")
    page.get_by_role("button", name="Log in").click()
    expect(by_id(page, "login-error")).to_have_text("That is not the admin token.")
    expect(by_id(page, "app")).to_be_hidden()


def test_the_session_survives_a_reload_and_ends_with_log_out(page, console):
    log_in(page)
    page.reload()
    expect(by_id(page, "app")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(by_id(page, "login-section")).to_be_visible()
    page.reload()
    expect(by_id(page, "login-section")).to_be_visible()
    expect(by_id(page, "app")).to_be_hidden()


def test_markup_in_an_alert_is_shown_as_text_and_never_run(page, console):
    log_in(page)
    page.get_by_label("Edit a policy").check()
    page.get_by_label("Policy as YAML").fill(
        "version: 1\nname: keep-all\nrules:\n"
        "  - {id: tag, action: set, select: seen, value: true}\n"
    )
    markup = "<img src=x onerror=window.__ran=1>"
    paste_alert(page, {markup: markup, "nested": {"html": "<script>window.__ran = 2</script>"}})
    page.get_by_role("button", name="Preview").click()
    output = by_id(page, "output-view")
    expect(output).to_contain_text(markup)
    expect(output.locator("img, script")).to_have_count(0)
    expect(by_id(page, "input-view").locator("img, script")).to_have_count(0)
    assert page.evaluate("() => window.__ran") is None


def test_routes_tab_shows_the_policy_name_digest_prefix_and_upstream_type(page, console, artifacts):
    log_in(page)
    page.get_by_role("tab", name="Routes").click()
    row = by_id(page, "routes-table").locator("tbody tr").filter(has_text="nagios")
    expect(row.locator("td").nth(1)).to_have_text("console-test")
    expect(row.locator("td").nth(2)).to_have_text(POLICY_DIGEST[:12])
    expect(row.locator("td").nth(3)).to_have_text("victorops")
    expect(by_id(page, "reload-status")).to_have_text("No reload since the proxy started.")
    screenshot(page, artifacts, "routes")


def test_live_tap_shows_a_sanitized_alert_queued_while_listening(page, console: Admin, artifacts):
    log_in(page)
    page.get_by_role("tab", name="Live tap").click()
    expect(by_id(page, "tap-status")).to_have_text("Listening to every route.")
    response = console.proxy.post("nagios", json.dumps({**NAGIOS, "HOSTNAME": "tap-host-1"}))
    assert response.status_code == 202, response.text
    alerts = by_id(page, "tap-alerts")
    expect(alerts.locator('[data-route="nagios"] pre').first).to_contain_text("tap-host-1")
    expect(alerts).not_to_contain_text("dba@example.com")
    counts = by_id(page, "tap-counts").locator("tbody tr").filter(has_text="nagios")
    expect(counts.locator("td").nth(3)).to_have_text("1")
    screenshot(page, artifacts, "live-tap")


def test_json_diff_marks_removed_changed_and_added_paths(page, console):
    page.goto("/")
    marks = page.evaluate(
        """async () => {
            const { diff } = await import("/static/jsondiff.js");
            const result = diff(
                {a: 1, b: {c: "x", d: [1, 2]}, "odd key": null, gone: {deep: true}},
                {a: 2, b: {c: "x", d: [1], e: false}, "odd key": null, gone: "flat"},
            );
            return Object.fromEntries(
                Object.entries(result).map(([name, set]) => [name, [...set].sort()]));
        }"""
    )
    assert marks == {
        "removed": ["b.d[1]", "gone.deep"],
        "changed": ["a", "gone"],
        "added": ["b.e"],
    }


def wait_for_dead_letters(console: Admin, n: int) -> list[dict[str, Any]]:
    """Until the spool holds exactly `n` dead letters (read with the admin token)."""

    def listed() -> tuple[list[dict[str, Any]]] | None:
        letters = console.get("/api/dead-letters").json()["dead_letters"]
        return (letters,) if len(letters) == n else None  # a tuple: truthy when empty too

    return wait_until(listed, f"{n} dead letters")[0]


def test_dead_letters_are_listed_retried_and_purged_after_a_confirmation(
    page, console: Admin, standin, artifacts
):
    standin.set_mode("404", count=2)
    for host in ("dead-host-1", "dead-host-2"):
        assert console.proxy.post("nagios", json.dumps({**NAGIOS, "HOSTNAME": host})).is_success
    first, second = wait_for_dead_letters(console, 2)
    log_in(page)
    page.get_by_role("tab", name="Dead letters").click()
    rows = by_id(page, "dead-letters-table").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first.locator("td").nth(1)).to_have_text("nagios")
    expect(rows.first).not_to_contain_text("dba@example.com")
    screenshot(page, artifacts, "dead-letters")

    page.get_by_role("button", name=f"Retry dead letter {first['id']}").click()
    expect(by_id(page, "dead-letters-status")).to_contain_text("is queued again")
    expect(rows).to_have_count(1)
    delivered = standin.wait_for(3, timeout=20)[-1]
    assert "dead-host-1" in delivered["body"]

    page.get_by_role("button", name=f"Purge dead letter {second['id']}").click()
    dialog = by_id(page, "purge-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Keep it").click()
    expect(rows).to_have_count(1)
    page.get_by_role("button", name=f"Purge dead letter {second['id']}").click()
    dialog.get_by_role("button", name="Purge").click()
    expect(by_id(page, "dead-letters-status")).to_contain_text("was purged")
    expect(rows).to_have_count(0)
    wait_for_dead_letters(console, 0)


def test_routes_tab_shows_the_shadow_policys_differences_by_kind_and_place(
    page, console: Admin, artifacts
):
    response = console.proxy.post("nagios", json.dumps(NAGIOS))
    assert response.status_code == 202, response.text

    def compared() -> bool:
        routes = console.get("/api/routes").json()["routes"]
        return routes[0]["shadow_policy"]["differing_alerts"] >= 1

    wait_until(compared, "the shadow policy's comparison of an alert")
    log_in(page)
    page.get_by_role("tab", name="Routes").click()
    section = by_id(page, "shadow-summaries").locator('section[data-route="nagios"]')
    expect(section.locator("h3")).to_contain_text("shadow console-next")
    expect(section.get_by_test_id("shadow-totals")).to_contain_text("differed")
    places = section.get_by_role("table", name="Places that differ in nagios")
    expect(places).to_contain_text("state_message")
    expect(places).to_contain_text("changed differently")
    expect(section).not_to_contain_text("dba@example.com")
    screenshot(page, artifacts, "shadow")
