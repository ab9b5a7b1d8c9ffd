"""Sessions: sign-in and out, idle logoff, background refresh, shift length, no-store (S7, S10-S12)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from authq import middleware
from tests import mfa
from tests.views.conftest import BACKGROUND, HTMX

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _shift(web: Client, key: str, seconds: float) -> None:
    """Move a time stored in the client's session back by seconds (time travel)."""
    session = web.session
    session[key] = session[key] - seconds
    session.save()


def _signed_in(user: User) -> Client:
    web = Client()
    assert mfa.sign_in(web, user, PASSWORD).status_code == 302
    return web


def test_sign_in_through_the_form_lands_on_the_role_page(specialist: User) -> None:
    web = Client()
    assert web.get("/accounts/login/").status_code == 200
    response = web.post("/accounts/login/", {"login": "spec1", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/2fa/authenticate/"
    response = web.post(
        "/accounts/2fa/authenticate/", {"code": mfa.second_factor(specialist)}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/queue/"
    assert b"Sign out" in response.content and b"specialist" in response.content


def test_wrong_password_is_refused(specialist: User) -> None:
    response = Client().post("/accounts/login/", {"login": "spec1", "password": "nope"})
    assert response.status_code == 200
    assert b"you specified are not correct" in response.content


def test_session_key_rotates_at_sign_in(specialist: User) -> None:
    web = Client()
    web.get("/accounts/login/")
    web.session.save()
    before = web.session.session_key
    mfa.sign_in(web, specialist, PASSWORD)
    after = web.cookies["sessionid"].value
    assert before and after and before != after


def test_sign_out_is_a_post_and_ends_the_session(specialist: User) -> None:
    web = _signed_in(specialist)
    assert web.get("/accounts/logout/").status_code == 405
    response = web.post("/accounts/logout/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert web.get("/queue/").status_code == 302


@pytest.mark.parametrize(
    ("idle_seconds", "signed_in"), [(14 * 60 + 59, True), (15 * 60 + 1, False)]
)
def test_idle_logoff_after_fifteen_minutes(
    specialist: User, idle_seconds: int, signed_in: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A frozen clock: a slow request must not eat the one-second margin.
    now = middleware.clock()
    monkeypatch.setattr(middleware, "clock", lambda: now)
    web = _signed_in(specialist)
    web.get("/queue/")
    _shift(web, middleware.LAST_ACTIVITY, idle_seconds)
    response = web.get("/queue/")
    if signed_in:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/queue/")
        assert web.get("/queue/").status_code == 302  # the session is gone for good


def test_idle_logoff_sends_htmx_requests_to_sign_in(specialist: User) -> None:
    web = _signed_in(specialist)
    web.get("/queue/")
    _shift(web, middleware.LAST_ACTIVITY, 15 * 60 + 1)
    response = web.get("/queue/", **BACKGROUND)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/"
    assert b"results" not in response.content


def test_idle_timeout_is_a_setting(specialist: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.AUTHQ_IDLE_TIMEOUT_MINUTES = 2
    web = _signed_in(specialist)
    web.get("/queue/")
    _shift(web, middleware.LAST_ACTIVITY, 121)
    assert web.get("/queue/", **HTMX)["HX-Redirect"] == "/accounts/login/"


def test_background_refresh_does_not_keep_the_session_alive(specialist: User) -> None:
    web = _signed_in(specialist)
    web.get("/queue/")
    # Polls every 30 s for 14 minutes do not move the last activity...
    _shift(web, middleware.LAST_ACTIVITY, 14 * 60)
    stamp = web.session[middleware.LAST_ACTIVITY]
    for _ in range(3):
        assert web.get("/queue/", **BACKGROUND).status_code == 200
    assert web.session[middleware.LAST_ACTIVITY] == stamp
    # ...so 1 minute and a bit later the session has ended, polls or not.
    _shift(web, middleware.LAST_ACTIVITY, 61)
    assert web.get("/queue/", **BACKGROUND)["HX-Redirect"] == "/accounts/login/"


def test_a_click_keeps_the_session_alive(specialist: User) -> None:
    web = _signed_in(specialist)
    web.get("/queue/")
    _shift(web, middleware.LAST_ACTIVITY, 14 * 60)
    assert web.get("/queue/", **HTMX).status_code == 200  # a person's htmx request counts
    _shift(web, middleware.LAST_ACTIVITY, 60)  # 15 minutes after the first, 1 after the click
    assert web.get("/queue/").status_code == 200


def test_shift_length_ends_even_a_busy_session(specialist: User) -> None:
    web = _signed_in(specialist)
    web.get("/queue/")
    _shift(web, middleware.STARTED, 12 * 3600 - 60)
    assert web.get("/queue/").status_code == 200
    _shift(web, middleware.STARTED, 61)
    assert web.get("/queue/").status_code == 302


def test_sessions_are_stored_in_the_database(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert settings.AUTHQ_IDLE_TIMEOUT_MINUTES == 15


@pytest.mark.parametrize("url", ["/queue/", "/queue/?queue=stat", "/accounts/login/", "/"])
def test_no_store_on_every_authenticated_response(specialist: User, url: str) -> None:
    web = _signed_in(specialist)
    response = web.get(url)
    assert "no-store" in response["Cache-Control"], url


def test_no_store_on_htmx_partials_and_actions(specialist_web: Client) -> None:
    assert "no-store" in specialist_web.get("/queue/", **HTMX)["Cache-Control"]
    assert "no-store" in specialist_web.post("/queue/claim-next/", **HTMX)["Cache-Control"]
