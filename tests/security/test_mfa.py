"""Multi-factor sign-in (S16-S18): allauth's TOTP and recovery codes, enrolment for
everyone, each code once, and a fresh password before changing sign-in settings or
exporting in bulk."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import redis
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from accounts import roles
from tests import mfa
from tests.views.conftest import HTMX

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
LOGIN = "/accounts/login/"
SECOND_STEP = "/accounts/2fa/authenticate/"
ENROL = "/accounts/2fa/totp/activate/"
REAUTH = "/accounts/reauthenticate/"


def _password_only(user: User) -> Client:
    web = Client()
    response = web.post(LOGIN, {"login": user.username, "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, SECOND_STEP)
    return web


# S16: a password alone reaches nothing; a person without a second factor must enrol.


def test_a_password_without_the_second_factor_cannot_reach_a_queue(specialist: User) -> None:
    web = _password_only(specialist)
    response = web.get("/queue/")
    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next=/queue/")
    assert web.get("/api/v1/work-items/").status_code == 401  # not signed in
    assert "_auth_user_id" not in web.session


def test_a_wrong_code_keeps_the_person_out(specialist: User) -> None:
    web = _password_only(specialist)
    good = mfa.totp_code(specialist)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = web.post(SECOND_STEP, {"code": wrong})
    assert response.status_code == 200
    assert b"Incorrect code" in response.content
    assert web.get("/queue/").status_code == 302


def test_the_code_after_the_password_signs_in(specialist: User) -> None:
    web = _password_only(specialist)
    response = web.post(SECOND_STEP, {"code": mfa.second_factor(specialist)}, follow=True)
    assert response.redirect_chain[-1][0] == "/queue/"
    assert response.status_code == 200 and "_auth_user_id" in web.session


@pytest.fixture
def newcomer(make_user: Callable[..., User]) -> User:
    """A specialist whose account was just made: no authenticator yet."""
    return make_user("newcomer", roles.SPECIALIST, second_factor=False)


def test_a_person_without_a_second_factor_can_only_enrol(newcomer: User) -> None:
    web = Client()
    response = web.post(LOGIN, {"login": "newcomer", "password": PASSWORD})
    assert response.status_code == 302  # signed in by password: nothing to check yet
    for url in ["/queue/", "/", "/dashboard/", "/accounts/email/", "/accounts/2fa/"]:
        response = web.get(url)
        assert (response.status_code, response["Location"]) == (302, ENROL), url
    assert web.get("/queue/", **HTMX)["HX-Redirect"] == ENROL
    api = web.get("/api/v1/work-items/")
    assert api.status_code == 403 and "two-factor" in api.json()["detail"]
    assert web.post("/accounts/logout/").status_code == 302


def test_enrolment_with_the_app_code_lets_the_person_work(newcomer: User) -> None:
    web = Client()
    web.post(LOGIN, {"login": "newcomer", "password": PASSWORD})
    # Enrolling changes the sign-in settings: allauth asks for the password first.
    response = web.get(ENROL)
    assert (response.status_code, response["Location"]) == (
        302,
        f"{REAUTH}?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F",
    )
    mfa.reauthenticate(web, PASSWORD)
    page = web.get(ENROL).content.decode()
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    code = mfa.code_for(secret)
    response = web.post(ENROL, {"code": code})
    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/recovery-codes/")
    codes = web.get("/accounts/2fa/recovery-codes/").content.decode()
    assert all(c in codes for c in mfa.recovery_codes(newcomer))
    assert web.get("/queue/").status_code == 200
    assert Authenticator.objects.filter(user=newcomer, type="totp").count() == 1


def test_removing_the_authenticator_sends_the_person_back_to_enrol(specialist: User) -> None:
    web = Client()
    mfa.sign_in(web, specialist, PASSWORD)
    assert web.get("/queue/").status_code == 200
    mfa.reauthenticate(web, PASSWORD)
    response = web.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=specialist, type="totp").exists()
    assert web.get("/queue/")["Location"] == ENROL


def test_an_authenticator_deleted_by_an_administrator_sends_the_person_to_enrol(
    specialist: User,
) -> None:
    web = Client()
    mfa.sign_in(web, specialist, PASSWORD)
    assert web.get("/queue/").status_code == 200
    Authenticator.objects.filter(user=specialist).delete()  # as the admin's delete does
    assert web.get("/queue/")["Location"] == ENROL


def test_the_admin_signs_in_through_the_second_factor(make_user: Callable[..., User]) -> None:
    response = Client().get("/admin/login/?next=/admin/")
    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next=%2Fadmin%2F")
    response = Client().post("/admin/login/", {"username": "x", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_nobody_signs_themselves_up() -> None:
    web = Client()
    response = web.post(
        "/accounts/signup/",
        {
            "username": "walk-in",
            "password1": "a-long-enough-pass-2026",
            "password2": "a-long-enough-pass-2026",
        },
    )
    assert b"Sign Up Closed" in response.content
    assert not User.objects.filter(username="walk-in").exists()


# S17: each code works once.


def _sign_out(web: Client) -> None:
    assert web.post("/accounts/logout/").status_code == 302


def test_a_totp_code_works_once(specialist: User) -> None:
    code = mfa.totp_code(specialist)
    web = _password_only(specialist)
    assert web.post(SECOND_STEP, {"code": code})["Location"] == "/"
    _sign_out(web)
    again = _password_only(specialist)
    response = again.post(SECOND_STEP, {"code": code})
    assert response.status_code == 200 and b"Incorrect code" in response.content
    assert again.get("/queue/").status_code == 302


def test_a_used_totp_code_is_remembered_in_redis_for_every_web_worker(specialist: User) -> None:
    code = mfa.totp_code(specialist)
    _password_only(specialist).post(SECOND_STEP, {"code": code})
    # Another process reads the same Redis: the mark is there, not in this process's memory.
    server = redis.Redis.from_url(settings.REDIS_URL)
    marks = server.keys(f"*allauth.mfa.totp.used?user={specialist.pk}&code={code}")
    assert len(marks) == 1


def test_a_recovery_code_works_once(specialist: User) -> None:
    code = mfa.recovery_codes(specialist)[0]
    web = _password_only(specialist)
    assert web.post(SECOND_STEP, {"code": code})["Location"] == "/"
    assert code not in mfa.recovery_codes(specialist)
    _sign_out(web)
    again = _password_only(specialist)
    response = again.post(SECOND_STEP, {"code": code})
    assert response.status_code == 200 and b"Incorrect code" in response.content
    assert again.get("/queue/").status_code == 302


# S18: a fresh password (or code) before changing MFA or email, and before a bulk export.

SENSITIVE = [
    ("get", "/accounts/2fa/totp/deactivate/"),
    ("post", "/accounts/2fa/totp/deactivate/"),
    ("get", "/accounts/2fa/recovery-codes/generate/"),
    ("post", "/accounts/2fa/recovery-codes/generate/"),
    ("post", "/accounts/email/"),
]


@pytest.mark.parametrize(("method", "url"), SENSITIVE)
def test_changing_sign_in_settings_asks_for_the_password_again(
    specialist: User, method: str, url: str
) -> None:
    web = Client()
    mfa.sign_in(web, specialist, PASSWORD)  # signed in, but not re-confirmed
    data = {"action_add": "", "email": "spec1@example.org"} if "email" in url else {}
    response = getattr(web, method)(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{REAUTH}?next=")
    assert Authenticator.objects.filter(user=specialist, type="totp").exists()
    assert not EmailAddress.objects.filter(user=specialist).exists()
    assert mail.outbox == []


def test_after_the_password_a_new_email_is_added_and_a_confirmation_mailed(
    specialist: User,
) -> None:
    web = Client()
    mfa.sign_in(web, specialist, PASSWORD)
    mfa.reauthenticate(web, PASSWORD)
    response = web.post("/accounts/email/", {"action_add": "", "email": "spec1@example.org"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["spec1@example.org"]
    link = re.search(r"(/accounts/confirm-email/\S+/)", message.body).group(1)
    assert web.post(link).status_code == 302
    assert EmailAddress.objects.filter(
        user=specialist, email="spec1@example.org", verified=True
    ).exists()


def test_the_dashboard_export_asks_for_the_password_again(manager: User) -> None:
    web = Client()
    mfa.sign_in(web, manager, PASSWORD)
    url = "/dashboard/?export=payers"
    response = web.get(url)
    assert (response.status_code, response["Location"]) == (
        302,
        f"{REAUTH}?next=%2Fdashboard%2F%3Fexport%3Dpayers",
    )
    response = web.post(f"{REAUTH}?next=%2Fdashboard%2F%3Fexport%3Dpayers", {"password": PASSWORD})
    assert response["Location"] == url
    export = web.get(url)
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert web.get("/dashboard/").status_code == 200  # the page itself asks nothing


def test_a_wrong_password_does_not_confirm(manager: User) -> None:
    web = Client()
    mfa.sign_in(web, manager, PASSWORD)
    response = web.post(REAUTH, {"password": "not-the-password"})
    assert response.status_code == 200
    assert web.get("/dashboard/?export=payers").status_code == 302


def test_a_confirmation_older_than_five_minutes_asks_again(manager: User) -> None:
    web = Client()
    mfa.sign_in(web, manager, PASSWORD)
    mfa.reauthenticate(web, PASSWORD)
    assert web.get("/dashboard/?export=payers").status_code == 200
    session = web.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] -= settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()
    response = web.get("/dashboard/?export=payers")
    assert response.status_code == 302 and response["Location"].startswith(REAUTH)


def test_a_totp_code_also_confirms(manager: User) -> None:
    web = Client()
    mfa.sign_in(web, manager, PASSWORD)
    response = web.post("/accounts/2fa/reauthenticate/", {"code": mfa.recovery_codes(manager)[0]})
    assert response.status_code == 302
    assert web.get("/dashboard/?export=payers").status_code == 200


def test_the_export_refuses_other_roles_before_asking_anything(scheduler: User) -> None:
    web = Client()
    web.force_login(scheduler)
    assert web.get("/dashboard/?export=payers").status_code == 403
