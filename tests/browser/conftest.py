"""Browser tests: Playwright driving Debian's chromium against pytest-django's live_server.

Fixtures for every page's browser tests:
- ``browser``: one headless chromium per test session;
- ``signed_in_page(user)``: a new browser context (its own cookies) signed in through the
  real login form and the second-factor form (a TOTP code computed from the user's secret),
  returning the Page on the user's home page. Every page of such a
  context reports Content-Security-Policy violations, and the test fails on any (S5).
Personas come from tests/conftest.py; their password is ``PASSWORD``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from tests import mfa

# Playwright's sync API runs an event loop in this thread; Django's async-safety check
# would then refuse ORM calls made by the test itself.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct-horse-battery"
SHOTS = Path(os.environ.get("AUTHQ_SHOTS", "/tmp/shots"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def live_url(live_server: object) -> str:
    return live_server.url  # type: ignore[attr-defined]


# Runs in every page before its own scripts: each CSP violation is handed to the test.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__authqCspViolation(
    [event.violatedDirective, event.blockedURI, event.sourceFile, event.lineNumber].join(" ")
  );
});
"""


@pytest.fixture
def csp_violations() -> list[str]:
    """The Content-Security-Policy violations seen by this test's pages."""
    return []


@pytest.fixture
def watched_context(browser: Browser, csp_violations: list[str]) -> Iterator[Callable[[], Any]]:
    """watched_context(): a new browser context whose pages report CSP violations."""
    contexts = []

    def make() -> Any:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        context.expose_binding(
            "__authqCspViolation",
            lambda source, text: csp_violations.append(f"{source['page'].url}: {text}"),
        )
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert csp_violations == [], "Content-Security-Policy violations"


@pytest.fixture
def signed_in_page(
    watched_context: Callable[[], Any], live_url: str
) -> Iterator[Callable[[User], Page]]:
    """signed_in_page(user): a fresh context signed in as user via the login form."""

    def sign_in(user: User) -> Page:
        context = watched_context()
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{live_url}/accounts/login/")
        page.fill("#id_login", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/accounts/2fa/authenticate/")
        page.fill("#id_code", mfa.second_factor(user))
        page.click("button.primary[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    yield sign_in


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under /tmp/shots (AUTHQ_SHOTS) for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
