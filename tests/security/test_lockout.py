"""S15: 5 failed sign-ins by one username from one address lock it out for 15 minutes,
in the database, logged; the admin's sign-in too; an administrator can unlock.

Sign-in is allauth's: the password (fields `login`, `password`), then the second factor.
A wrong password or a wrong code counts; a complete sign-in starts the count again."""

from __future__ import annotations

import datetime as dt
import logging
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import F
from django.test import Client

from accounts import roles
from tests import mfa

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
WRONG = "not-the-password-42"


SECOND_STEP = "/accounts/2fa/authenticate/"


def sign_in(web: Client, username: str, password: str, path: str = "/accounts/login/"):
    """The password step of allauth's sign-in form."""
    return web.post(path, {"login": username, "password": password})


def password_accepted(answer) -> bool:
    return answer.status_code == 302 and answer["Location"] == SECOND_STEP


def sign_in_fully(web: Client, user: User) -> bool:
    """The password, then the code from the person's app; True if signed in."""
    assert password_accepted(sign_in(web, user.username, PASSWORD))
    done = web.post(SECOND_STEP, {"code": mfa.second_factor(user)})
    return done.status_code == 302 and signed_in(web)


def signed_in(web: Client) -> bool:
    return "_auth_user_id" in web.session


def age_attempts(by: dt.timedelta) -> None:
    """Time travel: the stored failures happened `by` earlier."""
    assert AccessAttempt.objects.update(attempt_time=F("attempt_time") - by) >= 1


def fail_five_times(web: Client, username: str, path: str = "/accounts/login/") -> list:
    return [sign_in(web, username, WRONG, path) for _ in range(5)]


@pytest.fixture
def staff_admin(make_user) -> User:
    """An administrator as `create_user --role admin` makes one: staff, not superuser."""
    user = make_user("site-admin", roles.ADMIN)
    user.is_staff = True
    user.save()
    return user


def test_five_failures_lock_the_account_and_fifteen_minutes_later_it_opens(
    specialist, caplog
) -> None:
    web = Client()
    answers = fail_five_times(web, "spec1")
    assert [a.status_code for a in answers[:4]] == [200] * 4
    assert b"username and/or password you specified are not correct" in answers[0].content
    assert answers[4].status_code == 429
    assert b"Sign-in locked" in answers[4].content

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="accounts.lockout"):
        refused = sign_in(web, "spec1", PASSWORD)
    assert refused.status_code == 429 and not signed_in(web)
    logged = [r.getMessage() for r in caplog.records if r.name == "accounts.lockout"]
    assert logged == ["sign-in locked out: username 'spec1' from 127.0.0.1"]

    # Stored in PostgreSQL: one row for the pair, six failures (the refused right one too).
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (
        "spec1",
        "127.0.0.1",
        6,
    )

    age_attempts(dt.timedelta(minutes=14, seconds=59))
    assert sign_in(web, "spec1", PASSWORD).status_code == 429  # and the wait starts again
    assert not signed_in(web)

    # More tries are answered by axes alone (allauth's own count would have cut in by now).
    for _ in range(4):
        assert sign_in(web, "spec1", WRONG).status_code == 429
    assert AccessAttempt.objects.get().failures_since_start == 11

    age_attempts(dt.timedelta(minutes=15))
    assert sign_in_fully(web, specialist)
    assert not AccessAttempt.objects.exists()  # a success clears the count


def test_the_lock_is_for_that_username_from_that_address(specialist, specialist2) -> None:
    fail_five_times(Client(), "spec1")
    assert sign_in(Client(), "spec1", PASSWORD).status_code == 429
    assert sign_in_fully(Client(), specialist2)
    assert sign_in_fully(Client(REMOTE_ADDR="10.1.2.3"), specialist)


def test_a_success_starts_the_count_again(specialist) -> None:
    web = Client()
    for _ in range(4):
        sign_in(web, "spec1", WRONG)
    assert sign_in_fully(web, specialist)
    web = Client()
    answers = [sign_in(web, "spec1", WRONG) for _ in range(4)]
    assert [a.status_code for a in answers] == [200] * 4
    assert sign_in_fully(web, specialist)


def test_the_right_password_alone_does_not_start_the_count_again(specialist) -> None:
    web = Client()
    for _ in range(4):
        sign_in(web, "spec1", WRONG)
    assert password_accepted(sign_in(web, "spec1", PASSWORD))  # no code typed
    assert sign_in(Client(), "spec1", WRONG).status_code == 429


def test_wrong_codes_at_the_second_step_count_and_lock(specialist) -> None:
    web = Client()
    assert password_accepted(sign_in(web, "spec1", PASSWORD))
    answers = [web.post(SECOND_STEP, {"code": "000000"}) for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 4 + [429]
    assert b"Sign-in locked" in answers[4].content
    # Locked: the right code is refused too, and counts; the password step is refused.
    assert web.post(SECOND_STEP, {"code": mfa.totp_code(specialist)}).status_code == 429
    assert not signed_in(web)
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.failures_since_start) == ("spec1", 6)
    assert "000000" not in attempt.post_data  # codes are not stored
    assert sign_in(Client(), "spec1", PASSWORD).status_code == 429


def test_a_lockout_stops_a_sign_in_waiting_at_the_second_step(specialist) -> None:
    waiting = Client()
    assert password_accepted(sign_in(waiting, "spec1", PASSWORD))
    fail_five_times(Client(), "spec1")  # from the same address
    refused = waiting.post(SECOND_STEP, {"code": mfa.totp_code(specialist)})
    assert refused.status_code == 429 and b"Sign-in locked" in refused.content
    assert not signed_in(waiting)


def test_the_limits_are_settings(settings, specialist) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    web = Client()
    assert [sign_in(web, "spec1", WRONG).status_code for _ in range(2)] == [200, 429]


def test_the_locked_page_is_in_the_sites_layout_without_inline_script(specialist) -> None:
    web = Client()
    page = fail_five_times(web, "spec1")[-1]
    assert page.status_code == 429
    assert page["Retry-After"] == "900"
    assert page["Content-Type"].startswith("text/html")
    body = page.content.decode()
    assert "15 minutes" in body and 'class="topbar"' in body and "ask an administrator" in body
    nonce = page["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert body.count("<script") == body.count(f'nonce="{nonce}"') == 2
    assert "<style" not in body and "style=" not in body


def test_nothing_stored_holds_the_password_or_the_next_address(specialist) -> None:
    web = Client()
    for _ in range(2):
        web.post(
            "/accounts/login/?next=/scheduler/%3Fq%3DBirch-Lark",
            {"login": "spec1", "password": WRONG, "next": "/scheduler/?q=Birch-Lark"},
        )
    attempt = AccessAttempt.objects.get()
    stored = attempt.get_data + attempt.post_data
    assert WRONG not in stored and "Birch" not in stored
    assert "spec1" in stored  # the username typed is kept: staff names, not patient data


def test_the_admin_sign_in_is_locked_too(staff_admin) -> None:
    web = Client()
    # The admin's own form takes no password: it sends people to the pages' sign-in.
    sent = sign_in(web, "site-admin", WRONG, "/admin/login/")
    assert sent.status_code == 302
    assert sent["Location"] == "/accounts/login/?next=%2Fadmin%2Flogin%2F"
    assert not AccessAttempt.objects.exists() and not signed_in(web)
    path = "/accounts/login/?next=/admin/"
    answers = fail_five_times(web, "site-admin", path)
    assert answers[0].status_code == 200 and answers[4].status_code == 429
    assert sign_in(web, "site-admin", PASSWORD, path).status_code == 429
    assert not signed_in(web)
    assert web.get("/admin/").status_code == 302


def test_an_administrator_unlocks_in_the_admin(specialist, staff_admin) -> None:
    fail_five_times(Client(), "spec1")
    admin = Client()
    admin.force_login(staff_admin)
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and b"spec1" in listing.content
    attempt = AccessAttempt.objects.get(username="spec1")
    done = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert done.status_code == 302
    assert sign_in_fully(Client(), specialist)


def test_the_command_unlocks(specialist) -> None:
    fail_five_times(Client(), "spec1")
    call_command("axes_reset_username", "spec1", stdout=StringIO())
    assert sign_in_fully(Client(), specialist)


def test_people_without_the_admin_cannot_see_or_lift_lockouts(specialist, manager) -> None:
    fail_five_times(Client(), "spec1")
    boss = Client()
    boss.force_login(manager)
    assert boss.get("/admin/axes/accessattempt/").status_code == 302  # to the admin sign-in
    attempt = AccessAttempt.objects.get()
    boss.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_a_manager_sees_the_lockouts_and_unlocks(
    specialist, specialist2, manager, caplog, django_assert_max_num_queries
) -> None:
    fail_five_times(Client(), "spec1")
    fail_five_times(Client(REMOTE_ADDR="10.9.8.7"), "spec2")
    for _ in range(2):  # failing, not locked: not listed
        sign_in(Client(), "mgr1", WRONG)
    boss = Client()
    boss.force_login(manager)
    with django_assert_max_num_queries(8):
        page = boss.get("/accounts/lockouts/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "spec1" in body and "10.9.8.7" in body and "mgr1" not in body.split("<h1>")[1]
    assert 'href="/accounts/lockouts/"' in body  # in the nav
    attempt = AccessAttempt.objects.get(username="spec1")
    caplog.clear()
    done = boss.post(f"/accounts/lockouts/{attempt.pk}/unlock/")
    assert done.status_code == 302 and done["Location"] == "/accounts/lockouts/"
    logged = [r.getMessage() for r in caplog.records if r.name == "accounts.lockout"]
    assert logged == [
        f"sign-in lockout of username 'spec1' from 127.0.0.1 lifted by user id {manager.pk}"
    ]
    assert sign_in_fully(Client(), specialist)
    assert sign_in(Client(REMOTE_ADDR="10.9.8.7"), "spec2", PASSWORD).status_code == 429
    after = boss.get("/accounts/lockouts/").content.decode()
    assert "spec1 may sign in again from 127.0.0.1." in after
    assert boss.post("/accounts/lockouts/999999/unlock/").status_code == 404


def test_other_roles_get_403_on_the_lockouts_page(specialist, scheduler, outsider) -> None:
    fail_five_times(Client(), "spec1")
    attempt = AccessAttempt.objects.get()
    for user in (specialist, scheduler, outsider):
        web = Client()
        web.force_login(user)
        assert web.get("/accounts/lockouts/").status_code == 403
        assert web.post(f"/accounts/lockouts/{attempt.pk}/unlock/").status_code == 403
        if user is not outsider:  # their home page has no link to it
            home = web.get("/", follow=True)
            assert home.status_code == 200 and b'class="nav"' in home.content
            assert b"/accounts/lockouts/" not in home.content
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()
    anonymous = Client().get("/accounts/lockouts/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_wrong_passwords_when_confirming_again_count_too(specialist) -> None:
    web = Client()
    assert sign_in_fully(web, specialist)
    answers = [web.post("/accounts/reauthenticate/", {"password": WRONG}) for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 4 + [429]
    assert b"Sign-in locked" in answers[4].content
    refused = web.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert refused.status_code == 429
    assert sign_in(Client(), "spec1", PASSWORD).status_code == 429
