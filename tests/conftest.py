"""Shared fixtures: the people who use authq, and API clients signed in as them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from accounts import roles
from tests import mfa


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    """A fast password hasher, and a fresh cache for each test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test starts with an empty cache (its own keys in the shared Redis): no rate-limit
    # count, used TOTP code or cached choice carries over from another test.
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"},
    }


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings: Any) -> None:
    """Each test caches and counts rate limits under keys of its own in the shared Redis."""
    settings.CACHES = {
        alias: {**conf, "KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}"}
        for alias, conf in settings.CACHES.items()
    }


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(username: str, role: str | None, *, second_factor: bool = True) -> User:
        """A person with the role; enrolled in TOTP unless second_factor=False."""
        user = User.objects.create_user(username=username, password="correct-horse-battery")
        if role is not None:
            roles.ensure_roles()
            user.groups.add(Group.objects.get(name=role))
        if second_factor:
            mfa.enrol(user)
        return user

    return make


@pytest.fixture
def specialist(make_user: Callable[..., User]) -> User:
    return make_user("spec1", roles.SPECIALIST)


@pytest.fixture
def specialist2(make_user: Callable[..., User]) -> User:
    return make_user("spec2", roles.SPECIALIST)


@pytest.fixture
def scheduler(make_user: Callable[..., User]) -> User:
    return make_user("sched1", roles.SCHEDULER)


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user("mgr1", roles.MANAGER)


@pytest.fixture
def integration(make_user: Callable[..., User]) -> User:
    return make_user("engine", roles.INTEGRATION)


@pytest.fixture
def outsider(make_user: Callable[..., User]) -> User:
    """A signed-in account that holds no role."""
    return make_user("outsider", None)


def _client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api(integration: User) -> APIClient:
    """An API client signed in as an integration engine."""
    return _client_for(integration)


@pytest.fixture
def api_as() -> Callable[[User], APIClient]:
    return _client_for
