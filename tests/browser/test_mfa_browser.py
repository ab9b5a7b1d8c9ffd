"""In a real browser: a new person enrols an authenticator on first sign-in, and everyone
signs in with the password then a code that works once (S16, S17)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from accounts import roles
from tests import mfa
from tests.browser.conftest import PASSWORD, shot

pytestmark = pytest.mark.django_db(transaction=True)


def _password_step(page: Page, live_url: str, user: User) -> None:
    page.goto(f"{live_url}/accounts/login/")
    page.fill("#id_login", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_a_new_person_enrols_an_authenticator_on_first_sign_in(
    watched_context: Callable[[], Any], live_url: str, make_user: Callable[..., User]
) -> None:
    newcomer = make_user("newcomer", roles.SPECIALIST, second_factor=False)
    page = watched_context().new_page()
    page.set_default_timeout(10_000)
    _password_step(page, live_url, newcomer)
    # Sent to enrol; enrolling first asks for the password again.
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary[type=submit]")
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    expect(page.locator("img.qr")).to_be_visible()
    shot(page, "mfa-enrol")
    secret = page.locator("#totp-secret").inner_text()
    page.fill("#id_code", mfa.code_for(secret))  # what the app shows after scanning
    page.click("button.primary[type=submit]")
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    codes = page.locator(".recovery-codes li")
    expect(codes).to_have_count(10)
    shot(page, "mfa-recovery-codes")
    assert codes.first.inner_text() in mfa.recovery_codes(newcomer)
    page.click("text=Continue to authq")
    page.wait_for_url("**/queue/")
    expect(page.locator("h1")).to_be_visible()


def test_password_alone_stops_at_the_code_and_a_code_works_once(
    watched_context: Callable[[], Any], live_url: str, specialist: User
) -> None:
    page = watched_context().new_page()
    page.set_default_timeout(10_000)
    _password_step(page, live_url, specialist)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.goto(f"{live_url}/queue/")  # no way around the second step: back to it
    assert page.url == f"{live_url}/accounts/2fa/authenticate/"
    expect(page.locator("#items")).to_have_count(0)

    code = mfa.second_factor(specialist)
    page.fill("#id_code", code)
    page.click("button.primary[type=submit]")
    page.wait_for_url("**/queue/")
    page.click("text=Sign out")
    page.wait_for_url("**/accounts/login/")

    _password_step(page, live_url, specialist)
    page.fill("#id_code", code)  # the same code again
    page.click("button.primary[type=submit]")
    expect(page.locator("[role=alert]")).to_contain_text("Incorrect code")
    page.fill("#id_code", mfa.recovery_codes(specialist)[0])
    page.click("button.primary[type=submit]")
    page.wait_for_url("**/queue/")
