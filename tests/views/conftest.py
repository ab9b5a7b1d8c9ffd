"""Web clients signed in as each persona, for the page tests (HTML and HTMX)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def web_as() -> Callable[[User], Client]:
    """web_as(user): a Django test client signed in as that user."""
    return _client_for


@pytest.fixture
def specialist_web(specialist: User) -> Client:
    return _client_for(specialist)


@pytest.fixture
def specialist2_web(specialist2: User) -> Client:
    return _client_for(specialist2)


@pytest.fixture
def scheduler_web(scheduler: User) -> Client:
    return _client_for(scheduler)


@pytest.fixture
def manager_web(manager: User) -> Client:
    return _client_for(manager)


@pytest.fixture
def outsider_web(outsider: User) -> Client:
    return _client_for(outsider)


HTMX = {"HTTP_HX_REQUEST": "true"}
BACKGROUND = {"HTTP_HX_REQUEST": "true", "HTTP_X_AUTHQ_BACKGROUND": "1"}
