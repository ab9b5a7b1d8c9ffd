"""Transport and browser promises: S1-S4, S6, S9 (headers), S13, S19 and API-only accounts."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core import management
from django.test import Client

from accounts import checks as account_checks
from accounts import roles, tokens
from accounts.models import APIToken
from tests import mfa
from tests.security.servers import ROOT, subprocess_env
from tests.views.items import make_item
from worklists.models import Queue

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _signed_in(user: User) -> Client:
    web = Client()
    assert mfa.sign_in(web, user, PASSWORD).status_code == 302
    return web


def _production_env() -> dict[str, str]:
    return subprocess_env(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 30 + "-not-a-real-secret-but-long-and-random-9f3k2j4h5g6",
        DJANGO_ALLOWED_HOSTS="authq.example.org",
        AUTHQ_EMAIL_HOST="smtp.example.org",
    )


@pytest.mark.django_db(transaction=True)
def test_check_deploy_is_clean_with_production_settings() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_redirects_plain_http_and_sends_hsts(settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    web = Client()
    plain = web.get("/accounts/login/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/accounts/login/"
    secure = web.get("/accounts/login/", secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_behind_the_proxy_its_header_marks_the_request_secure(settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    web = Client()
    assert web.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert web.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="http").status_code == 301


def test_session_and_csrf_cookies_are_secure_httponly_and_lax(settings, specialist) -> None:
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    web = Client(enforce_csrf_checks=False)
    web.get("/accounts/login/", secure=True)
    csrf = web.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    mfa.sign_in(web, specialist, PASSWORD, secure=True)
    session = web.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def _pages(specialist: User, manager: User, admin: User) -> list[tuple[Client, str]]:
    item = make_item(Queue.STAT)
    spec, mgr, adm = _signed_in(specialist), _signed_in(manager), Client()
    adm.force_login(admin)
    return [
        (Client(), "/accounts/login/"),
        (spec, "/queue/"),
        (spec, f"/items/{item.pk}/"),
        (spec, f"/orders/{item.order_id}/timeline/"),
        (mgr, "/dashboard/"),
        (mgr, "/audit/"),
        (adm, "/admin/"),
        (adm, "/admin/patients/patient/"),
        (spec, "/api/schema/ui/"),
    ]


@pytest.fixture
def admin_user(make_user) -> User:
    user = make_user("site-admin", roles.ADMIN)
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def test_every_html_page_carries_a_nonce_policy(specialist, manager, admin_user) -> None:
    nonces = set()
    for web, url in _pages(specialist, manager, admin_user):
        response = web.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html"), url
        policy = response["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["object-src"] == "'none'", url
        assert directives["base-uri"] == "'none'", url
        assert directives["frame-ancestors"] == "'none'", url
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, url
        body = response.content.decode()
        nonce = re.search(r"'nonce-([^']+)'", directives["script-src"])
        assert nonce, url
        nonces.add(nonce.group(1))
        # Every script and style carries the response's nonce; none is inline without it.
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", body):
            assert f'nonce="{nonce.group(1)}"' in tag, (url, tag)
    assert len(nonces) == 9, "a fresh nonce per response"


def test_security_headers_on_pages(specialist) -> None:
    response = _signed_in(specialist).get("/queue/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_sign_out_clears_site_data(specialist) -> None:
    response = _signed_in(specialist).post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'


def test_deactivating_a_user_ends_all_their_sessions_and_tokens(specialist, specialist2) -> None:
    first, second = _signed_in(specialist), _signed_in(specialist)
    colleague = _signed_in(specialist2)
    token, key = tokens.issue_token(specialist)
    assert first.get("/queue/").status_code == second.get("/queue/").status_code == 200
    specialist.is_active = False
    specialist.save()
    for web in (first, second):
        response = web.get("/queue/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    token.refresh_from_db()
    assert token.revoked is not None
    assert not APIToken.objects.filter(user=specialist).usable().exists()
    assert colleague.get("/queue/").status_code == 200
    holders = {s.get_decoded().get("_auth_user_id") for s in Session.objects.all()}
    assert str(specialist.pk) not in holders and str(specialist2.pk) in holders
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/work-items/").status_code == 401


def test_deactivation_in_the_admin_ends_the_sessions(specialist, admin_user) -> None:
    web = _signed_in(specialist)
    admin = Client()
    admin.force_login(admin_user)
    page = admin.get(f"/admin/auth/user/{specialist.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and not isinstance(value, list | tuple)
    }
    data.update(
        username="spec1",
        is_active="",
        date_joined_0=specialist.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=specialist.date_joined.strftime("%H:%M:%S"),
        groups=[g.pk for g in specialist.groups.all()],
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data.pop("password", None)
    response = admin.post(f"/admin/auth/user/{specialist.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    specialist.refresh_from_db()
    assert not specialist.is_active
    assert web.get("/queue/").status_code == 302


def test_default_accounts_fail_the_production_check(settings, make_user) -> None:
    settings.DEBUG = False
    assert account_checks.no_default_accounts() == []
    make_user("admin", None)
    make_user("integration", roles.INTEGRATION)
    (error,) = account_checks.no_default_accounts()
    assert error.id == "accounts.E001" and "admin, integration" in error.msg
    with pytest.raises(management.base.SystemCheckError):
        management.call_command("check", "--deploy", "--fail-level", "ERROR")


def test_default_accounts_are_allowed_with_debug(settings, make_user) -> None:
    settings.DEBUG = True
    make_user("admin", None)
    assert account_checks.no_default_accounts() == []


def test_an_api_only_account_cannot_sign_in_to_the_pages(integration) -> None:
    response = Client().post(
        "/accounts/login/", {"login": integration.username, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert b"REST API only" in response.content
    assert "_auth_user_id" not in Client().session


def test_no_template_holds_inline_style_or_script() -> None:
    """The policy allows no inline code: styles and scripts live in static files."""
    found = []
    for template in sorted(ROOT.glob("**/templates/**/*.html")):
        if ".venv" in template.parts:
            continue
        text = template.read_text()
        for pattern in (r"<style\b", r"<script(?![^>]*\bsrc=)[^>]*>", r"\sstyle=", r"\son[a-z]+="):
            if re.search(pattern, text):
                found.append(f"{template.relative_to(ROOT)}: {pattern}")
    assert found == []


@pytest.mark.parametrize(
    ("password", "refused_by"),
    [
        ("short-pass1", "password_too_short"),
        ("password1234", "password_too_common"),
        ("736492018563", "password_entirely_numeric"),
        ("spec1spec", "password_too_similar"),
    ],
)
def test_passwords_are_refused_by_each_validator(specialist, password, refused_by) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        validate_password(password, specialist)
    assert refused_by in {e.code for e in refused.value.error_list}


def test_passwords_are_stored_with_argon2(settings, specialist) -> None:
    from authq import settings as project_settings

    # The suite hashes with MD5 for speed (tests/conftest.py); the product's first hasher:
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    specialist.set_password("a-long-enough-pass-phrase")
    assert specialist.password.startswith("argon2$argon2id$")
    assert specialist.check_password("a-long-enough-pass-phrase")
