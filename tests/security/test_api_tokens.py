"""API tokens: stored hashed, expiring, revocable; a command and the admin issue them."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import re
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles, tokens
from accounts.models import APIToken

pytestmark = pytest.mark.django_db


def api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def issue(username: str, *args: str) -> str:
    out = StringIO()
    call_command("issue_token", username, *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


@pytest.fixture
def staff_admin(make_user) -> User:
    user = make_user("site-admin", roles.ADMIN)
    user.is_staff = True
    user.save()
    return user


def test_an_issued_key_signs_in_and_only_its_hash_is_stored(integration) -> None:
    key = issue("engine")
    assert len(key) >= 40
    assert api(key).get("/api/v1/patients/").status_code == 200
    token = APIToken.objects.get()
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        row = " ".join(str(value) for value in cursor.fetchone())
    assert key not in row
    assert token.last_used is not None


def test_a_token_expires_after_the_setting(settings, integration) -> None:
    settings.AUTHQ_API_TOKEN_DAYS = 90
    key = issue("engine")
    token = APIToken.objects.get()
    assert token.expires - token.created == dt.timedelta(days=90)
    # Time travel: issued 90 days and a second ago.
    APIToken.objects.update(
        created=token.created - dt.timedelta(days=90, seconds=1),
        expires=token.expires - dt.timedelta(days=90, seconds=1),
    )
    response = api(key).get("/api/v1/patients/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_days_are_bounded_and_named(integration) -> None:
    assert APIToken.objects.count() == 0
    key = issue("engine", "--days", "7")
    token = APIToken.objects.get()
    assert token.expires - token.created == dt.timedelta(days=7)
    assert api(key).get("/api/v1/patients/").status_code == 200
    for days in ("0", "366"):
        with pytest.raises(CommandError, match="days must be between 1 and 365"):
            issue("engine", "--days", days)
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        issue("nobody")
    assert APIToken.objects.count() == 1


def test_revoke_tokens_refuses_every_key_of_the_user(integration, make_user) -> None:
    first, second = issue("engine"), issue("engine")
    other = make_user("engine2", roles.INTEGRATION)
    theirs = issue(other.username)
    out = StringIO()
    call_command("revoke_tokens", "engine", stdout=out)
    assert out.getvalue().strip() == "Revoked 2 tokens of engine."
    assert api(first).get("/api/v1/patients/").status_code == 401
    assert api(second).get("/api/v1/patients/").status_code == 401
    assert api(theirs).get("/api/v1/patients/").status_code == 200
    assert APIToken.objects.filter(user=integration, revoked__isnull=False).count() == 2


def test_deactivation_revokes_the_tokens(integration) -> None:
    key = issue("engine")
    integration.is_active = False
    integration.save()
    assert APIToken.objects.get().revoked is not None
    integration.is_active = True
    integration.save()
    assert api(key).get("/api/v1/patients/").status_code == 401


def test_a_wrong_or_malformed_header_is_401(integration) -> None:
    issue("engine")
    for header in ("Token", "Token a b", "Token " + "x" * 43):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        assert client.get("/api/v1/patients/").status_code == 401, header


def test_the_admin_issues_a_key_shown_once(staff_admin, integration) -> None:
    web = Client()
    web.force_login(staff_admin)
    form = web.get("/admin/accounts/apitoken/add/")
    assert form.status_code == 200 and b"Issue the token" in form.content
    bad = web.post("/admin/accounts/apitoken/add/", {"user": "engine", "days": "400"})
    assert bad.status_code == 200 and b"days" in bad.content
    assert not APIToken.objects.exists()
    page = web.post("/admin/accounts/apitoken/add/", {"user": "engine", "days": "30"})
    assert page.status_code == 200
    key = re.search(r'<code class="api-key">([^<]+)</code>', page.content.decode()).group(1)
    assert api(key).get("/api/v1/patients/").status_code == 200
    token = APIToken.objects.get()
    assert token.expires - token.created == dt.timedelta(days=30)
    # The list and the token's page show the prefix, never the key.
    listing = web.get("/admin/accounts/apitoken/")
    detail = web.get(f"/admin/accounts/apitoken/{token.pk}/change/")
    for response in (listing, detail):
        assert response.status_code == 200
        assert token.prefix.encode() in response.content and key.encode() not in response.content


def test_the_admin_revokes_and_replaces(staff_admin, integration) -> None:
    old_one, old_two = issue("engine"), issue("engine")
    web = Client()
    web.force_login(staff_admin)
    ids = list(APIToken.objects.values_list("pk", flat=True))
    revoked = web.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke_selected", "_selected_action": ids[:1]},
    )
    assert revoked.status_code == 302
    assert APIToken.objects.filter(revoked__isnull=False).count() == 1
    replaced = web.post(
        "/admin/accounts/apitoken/",
        {"action": "replace_selected", "_selected_action": ids[1:]},
    )
    assert replaced.status_code == 200
    new_key = re.search(r'<code class="api-key">([^<]+)</code>', replaced.content.decode())[1]
    assert api(old_one).get("/api/v1/patients/").status_code == 401
    assert api(old_two).get("/api/v1/patients/").status_code == 401
    assert api(new_key).get("/api/v1/patients/").status_code == 200


def test_people_without_the_permission_cannot_issue(manager, integration) -> None:
    web = Client()
    web.force_login(manager)
    assert web.get("/admin/accounts/apitoken/add/").status_code == 302
    web.post("/admin/accounts/apitoken/add/", {"user": "engine", "days": "30"})
    assert not APIToken.objects.exists()


def test_the_migration_hashes_drf_tokens_so_integrators_keep_their_key(integration) -> None:
    legacy_key = "4f1c2e9b8a7d6c5b4a39281706f5e4d3c2b1a098"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY,"
            " created timestamptz NOT NULL, user_id integer NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            [legacy_key, timezone.now() - dt.timedelta(days=400), integration.pk],
        )
    migration = importlib.import_module("accounts.migrations.0002_adopt_drf_tokens")
    with connection.schema_editor() as editor:
        migration.adopt_drf_tokens(apps, editor)
    token = APIToken.objects.get()
    assert token.digest == hashlib.sha256(legacy_key.encode()).hexdigest()
    assert token.user == integration and token.expires > timezone.now()
    assert "authtoken_token" not in connection.introspection.table_names()
    assert api(legacy_key).get("/api/v1/patients/").status_code == 200


def test_drf_authtoken_is_gone(settings) -> None:
    assert "rest_framework.authtoken" not in settings.INSTALLED_APPS
    assert settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"][0] == (
        "accounts.authentication.APITokenAuthentication"
    )


def test_issuing_for_an_inactive_user_is_refused(integration) -> None:
    integration.is_active = False
    integration.save()
    with pytest.raises(CommandError, match="inactive"):
        issue("engine")
    assert tokens.revoke_tokens_of(integration) == 0
