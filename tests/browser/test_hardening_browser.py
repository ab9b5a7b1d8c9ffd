"""In a real browser: the lockout page (S15; wrong passwords or second-factor codes), the
admin's one-time API key and the page of a refused export (S24) render in their layouts
without a CSP violation."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import expect
from rest_framework.test import APIClient

from accounts import roles
from tests import mfa
from tests.browser.conftest import PASSWORD, shot

pytestmark = pytest.mark.django_db(transaction=True)


def test_five_wrong_passwords_show_the_locked_page(
    watched_context, live_url, specialist, csp_violations
) -> None:
    page = watched_context().new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_url}/accounts/login/")
    for attempt in range(5):
        page.fill("#id_login", specialist.username)
        page.fill("#id_password", "not-the-password-42")
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        if attempt < 4:
            expect(page.locator(".msg-error")).to_contain_text(
                "username and/or password you specified are not correct"
            )
    expect(page.locator("h1")).to_have_text("Sign-in locked")
    expect(page.locator("main")).to_contain_text("locked for 15 minutes")
    expect(page.locator("header.topbar .brand")).to_be_visible()
    shot(page, "lockout")
    # Back to the form: the right password is refused while locked.
    page.click("text=Back to sign in")
    page.fill("#id_login", specialist.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Sign-in locked")
    assert csp_violations == []


def test_five_wrong_codes_at_the_second_step_show_the_locked_page(
    watched_context, live_url, specialist, csp_violations
) -> None:
    page = watched_context().new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_url}/accounts/login/")
    page.fill("#id_login", specialist.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/2fa/authenticate/")
    for attempt in range(5):
        page.fill("#id_code", "000000")
        page.click("button.primary[type=submit]")
        page.wait_for_load_state("networkidle")
        if attempt < 4:
            expect(page.locator("h1")).not_to_have_text("Sign-in locked")
    expect(page.locator("h1")).to_have_text("Sign-in locked")
    expect(page.locator("header.topbar .brand")).to_be_visible()
    # Back to the sign-in, which still waits for the code: the right one is refused too.
    page.click("text=Back to sign in")
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill("#id_code", mfa.totp_code(specialist))
    page.click("button.primary[type=submit]")
    expect(page.locator("h1")).to_have_text("Sign-in locked")
    assert csp_violations == []


def test_an_administrator_issues_a_token_and_sees_the_key_once(
    signed_in_page, live_url, make_user, integration, csp_violations
) -> None:
    admin: User = make_user("site-admin", roles.ADMIN)
    admin.is_staff = True
    admin.save()
    page = signed_in_page(admin)
    page.goto(f"{live_url}/admin/accounts/apitoken/add/")
    page.select_option("#id_user", integration.username)
    page.fill("#id_days", "30")
    page.click("input[type=submit]")
    key = page.locator("code.api-key").inner_text()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key)
    shot(page, "api-key-issued")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/payers/").status_code == 200
    page.goto(f"{live_url}/admin/accounts/apitoken/")
    expect(page.locator("#result_list")).to_contain_text(key[:8])
    expect(page.locator("body")).not_to_contain_text(key)
    assert csp_violations == []


def test_a_refused_export_shows_a_page_in_the_layout(
    signed_in_page, live_url, manager, settings, csp_violations
) -> None:
    settings.AUTHQ_THROTTLE_RATES = {**settings.AUTHQ_THROTTLE_RATES, "export": "1/hour"}
    spent = Client()
    spent.force_login(manager)
    mfa.reauthenticate(spent, PASSWORD)  # an export asks for the password again (S18)
    assert spent.get("/dashboard/", {"export": "denials"}).status_code == 200
    page = signed_in_page(manager)
    page.goto(f"{live_url}/dashboard/?export=denials")
    # The password again first (S18); then the export is counted, and refused.
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.fill("#id_password", PASSWORD)
    with page.expect_response(lambda r: "export=denials" in r.url) as answer:
        page.click("button.primary[type=submit]")
    assert answer.value.status == 429
    expect(page.locator("h1")).to_have_text("Too many exports")
    expect(page.locator("header.topbar")).to_contain_text("Dashboard")
    assert csp_violations == []


def test_a_manager_unlocks_from_the_lockouts_page(
    signed_in_page, live_url, manager, specialist, csp_violations
) -> None:
    locked = Client()
    for _ in range(5):
        locked.post("/accounts/login/", {"login": "spec1", "password": "not-it-42"})
    page = signed_in_page(manager)
    page.click("nav >> text=Lockouts")
    row = page.locator("#lockouts tr.row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("spec1")
    shot(page, "lockouts")
    row.locator("button", has_text="Unlock").click()
    expect(page.locator(".messages")).to_contain_text("spec1 may sign in again")
    expect(page.locator("#lockouts")).to_contain_text("Nobody is locked out.")
    again = Client()
    mfa.sign_in(again, specialist, PASSWORD)
    assert "_auth_user_id" in again.session
    assert csp_violations == []
