"""S24: every API endpoint is rate limited (429 with Retry-After), exports more strictly;
the counts live in Redis, shared by every web process, and fail open without it (R3)."""

from __future__ import annotations

import logging

import pytest
import redis
from django.conf import settings as django_settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts import tokens
from authq.lib import cache as fail_open_cache
from authq.lib import throttling
from authq.lib.throttling import ApiRateThrottle
from tests import mfa

pytestmark = pytest.mark.django_db

DASHBOARD = "/dashboard/"
# A moment 10 seconds into a minute (and into an hour): 50 s left in the minute's window.
MOMENT = 1_800_000_010.0


@pytest.fixture
def frozen(monkeypatch) -> list[float]:
    """The throttles' clock, stopped at MOMENT; set now[0] to move it."""
    now = [MOMENT]
    monkeypatch.setattr(throttling, "clock", lambda: now[0])
    return now


@pytest.fixture
def rates(settings) -> None:
    settings.AUTHQ_THROTTLE_RATES = {"api": "3/minute", "export": "2/hour"}


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.issue_token(user)[1]}")
    return client


def signed_in(user) -> Client:
    web = Client()
    web.force_login(user)
    return web


def confirmed(user) -> Client:
    """Signed in and the password given again just now, as an export asks (S18)."""
    web = signed_in(user)
    mfa.reauthenticate(web, "correct-horse-battery")
    return web


def test_the_call_after_the_limit_is_429_with_retry_after(
    rates, frozen, integration, make_user
) -> None:
    engine = token_client(integration)
    answers = [engine.get("/api/v1/payers/").status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    refused = engine.get("/api/v1/patients/")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "50"
    assert "throttled" in refused.json()["detail"].lower()
    # Per person: another engine is not held back.
    other = token_client(make_user("engine2", "integration"))
    assert other.get("/api/v1/payers/").status_code == 200
    # The next window opens on time.
    frozen[0] = MOMENT + 50
    assert engine.get("/api/v1/payers/").status_code == 200


def test_the_counts_live_in_redis_for_every_process(rates, frozen, integration) -> None:
    engine = token_client(integration)
    for _ in range(2):
        engine.get("/api/v1/payers/")
    # Another process reads the same count straight from Redis.
    server = redis.Redis.from_url(django_settings.REDIS_URL)
    prefix = django_settings.CACHES["default"]["KEY_PREFIX"]
    window = int(MOMENT // 60) * 60
    key = f"{prefix}:1:throttle:api:user:{integration.pk}:{window}"
    assert server.get(key) == b"2"
    assert 0 < server.ttl(key) <= 61


def _api_views(patterns: list, prefix: str = "") -> list[tuple[str, type]]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += _api_views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            view = getattr(entry.callback, "cls", None) or getattr(
                entry.callback, "view_class", None
            )
            if view is not None and issubclass(view, APIView):
                found.append((prefix + str(entry.pattern), view))
    return found


def test_every_api_endpoint_is_throttled() -> None:
    views = _api_views(get_resolver().url_patterns)
    paths = {path for path, _ in views}
    assert {"api/v1/", "api/schema/"} <= {p.split("^")[0] for p in paths}
    assert len(views) >= 20
    for path, view in views:
        assert any(isinstance(t, ApiRateThrottle) for t in view().get_throttles()), path


def test_the_schema_is_throttled_too(rates, frozen, integration) -> None:
    engine = token_client(integration)
    assert [engine.get("/api/schema/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_dashboard_exports_are_limited_more_strictly(rates, frozen, manager) -> None:
    # Sent to re-authenticate first: that trip is not an export and costs none.
    unconfirmed = signed_in(manager)
    for _ in range(3):
        sent = unconfirmed.get(DASHBOARD, {"export": "denials"})
        assert sent.status_code == 302 and sent["Location"].startswith("/accounts/reauthenticate/")
    web = confirmed(manager)
    assert web.get(DASHBOARD, {"export": "denials"}).status_code == 200
    assert web.get(DASHBOARD, {"export": "scorecard"}).status_code == 200
    refused = web.get(DASHBOARD, {"export": "denials"})
    assert refused.status_code == 429
    assert refused["Retry-After"] == str(3600 - 10)
    body = refused.content.decode()
    assert "Too many exports" in body and "60 minutes" in body and 'class="topbar"' in body
    assert "text/csv" not in refused["Content-Type"]
    # The page itself is not an export: it still loads.
    assert web.get(DASHBOARD).status_code == 200


def test_exports_fail_their_checks_before_counting(rates, frozen, specialist, manager) -> None:
    spec = signed_in(specialist)
    for _ in range(3):
        assert spec.get(DASHBOARD, {"export": "denials"}).status_code == 403
    web = confirmed(manager)
    for _ in range(3):
        assert web.get(DASHBOARD, {"export": "nope"}).status_code == 404
    assert web.get(DASHBOARD, {"export": "denials"}).status_code == 200


def test_with_redis_unreachable_everything_works_unlimited(
    settings, rates, frozen, integration, manager, specialist, caplog
) -> None:
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    }
    engine = token_client(integration)
    with caplog.at_level(logging.WARNING, logger="authq.lib.cache"):
        assert [engine.get("/api/v1/payers/").status_code for _ in range(5)] == [200] * 5
    warnings = [r.getMessage() for r in caplog.records if r.name == "authq.lib.cache"]
    assert warnings == ["cache unavailable, failing open: ConnectionError"]
    web = confirmed(manager)
    exports = [web.get(DASHBOARD, {"export": "denials"}).status_code for _ in range(4)]
    assert exports == [200] * 4
    # Pages that cache (the queue's filter choices) keep working.
    assert signed_in(specialist).get("/queue/").status_code == 200


def test_with_redis_unreachable_people_still_sign_in_and_lockouts_hold(
    settings, specialist, specialist2
) -> None:
    settings.CACHES = {  # its own address: the outage test above expects a first warning
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/2"}
    }
    web = Client()
    answer = web.post("/accounts/login/", {"login": "spec1", "password": "correct-horse-battery"})
    assert (answer.status_code, answer["Location"]) == (302, "/accounts/2fa/authenticate/")
    # A TOTP code's single use (S17) cannot be checked without Redis: it is refused...
    refused = web.post("/accounts/2fa/authenticate/", {"code": mfa.totp_code(specialist)})
    assert refused.status_code == 200 and "_auth_user_id" not in web.session
    # ...and a recovery code (kept in the database) lets the person in.
    code = mfa.recovery_codes(specialist)[0]
    assert web.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    assert "_auth_user_id" in web.session
    # The lockout is kept in PostgreSQL (S15): it holds through the outage.
    other = Client()
    answers = [
        other.post("/accounts/login/", {"login": "spec2", "password": "wrong-42"}).status_code
        for _ in range(5)
    ]
    assert answers == [200] * 4 + [429]


def test_the_fail_open_cache_reads_misses_and_keeps_nothing(settings) -> None:
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/1"}
    }
    from django.core.cache import cache

    fail_open_cache._down_until.pop("redis://127.0.0.1:1/1", None)
    assert cache.get("k", "fallback") == "fallback"
    assert cache.add("k", 1) is False
    assert cache.add("ratelimit:key:lock", True) is True  # allauth's lock: nothing to guard
    cache.set("k", 1)
    assert cache.get_many(["k"]) == {}
    with pytest.raises(ValueError):
        cache.incr("k")
    assert cache.get_or_set("k", 5) == 5


def test_rates_are_checked_when_read() -> None:
    assert throttling.parse_rate("30/hour") == (30, 3600)
    for bad in ("0/minute", "ten/minute", "5/fortnight", "5"):
        with pytest.raises(ValueError, match="N/second, N/minute"):
            throttling.parse_rate(bad)
