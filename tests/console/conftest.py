"""A real proxy with its console on an admin listener, and Debian's Chromium driven by
Playwright (never a browser Playwright downloads: `executable_path` is the system one)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.console.adminproc import Admin, start_admin
from tests.standin import StandIn

SERVICES = "scripts/test-services"
CHROMIUM = "/usr/bin/chromium"

# The route's policy: VictorOps fields from a Nagios alert; a SERVICESTATE that is not text
# refuses the alert (rule state-is-text), an e-mail address left anywhere trips the guard.
POLICY = """\
version: 1
name: console-test
rules:
  - id: drop-contacts
    action: drop
    keys: '(?i)^_?contact'
  - {id: state-is-text, action: expect, select: SERVICESTATE, type: string, on_mismatch: refuse}
  - {id: state-to-type, action: set, select: message_type, expr: SERVICESTATE}
  - {id: host-to-entity, action: rename, select: HOSTNAME, to: entity_id}
  - {id: output-to-message, action: rename, select: SERVICEOUTPUT, to: state_message}
  - id: only-victorops-fields
    action: allow
    select: [message_type, entity_id, state_message]
  - {id: scrub-message, action: scrub, select: state_message}
  - {id: hide-addresses, action: mask_ip, mode: fixed}
guard: [email]
"""
POLICY_DIGEST = hashlib.sha256(POLICY.encode("utf-8")).hexdigest()
# The route's shadow: the same policy without the message's scrub and the guard, so it
# differs in one place (and would let the owner's e-mail address through).
SHADOW = (
    POLICY.replace("name: console-test", "name: console-next")
    .replace("  - {id: scrub-message, action: scrub, select: state_message}\n", "")
    .replace("guard: [email]\n", "")
)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, standin_server: StandIn) -> Iterator[Admin]:
    """A proxy whose one route, nagios, runs POLICY (SHADOW beside it) and delivers to the
    stand-in."""
    workdir = tmp_path_factory.mktemp("console-page")
    policy = workdir / "console-test.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    shadow = workdir / "console-next.yaml"
    shadow.write_text(SHADOW, encoding="utf-8")
    running = start_admin(workdir, standin_server.url, policy=str(policy), shadow=str(shadow))
    try:
        yield running
    finally:
        running.proxy.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium; --no-sandbox only when running as root (its sandbox
    refuses root). Module-scoped: while Playwright's sync API runs, this thread has a running
    event loop, which would make the `asyncio.run` of later tests fail."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run {SERVICES} (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


# Chromium logs every 4xx answer as a console error; the page expects some (401 before login).
_ANSWERED = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d")


@dataclass
class PageProblems:
    """What the page reported as going wrong: console errors (a CSP violation is one) and
    uncaught exceptions; a 4xx answer the page handles itself is not one."""

    errors: list[str]

    def note(self, text: str) -> None:
        if not _ANSWERED.match(text):
            self.errors.append(text)

    def assert_none(self) -> None:
        assert self.errors == [], self.errors


@pytest.fixture
def page(browser: Any, console: Admin) -> Iterator[Any]:
    """A fresh browser context (no cookies) for the console; the test fails when the page
    logged an error (a Content-Security-Policy violation is one) or threw."""
    context = browser.new_context(base_url=console.url, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems = PageProblems([])
    page.on("console", lambda message: message.type == "error" and problems.note(message.text))
    page.on("pageerror", lambda error: problems.note(f"uncaught: {error}"))
    try:
        yield page
    finally:
        context.close()
    problems.assert_none()


@pytest.fixture
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: a pytest temporary folder, kept after the run (its path is
    printed by each test that saves one)."""
    return tmp_path_factory.getbasetemp() / "console-screenshots"
