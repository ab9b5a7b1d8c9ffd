"""403 and 404 pages in the site's layout, and the favicon (with DEBUG off, as served)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug_off(settings: object) -> None:
    settings.DEBUG = False  # type: ignore[attr-defined]


def test_an_unknown_address_gets_the_404_page_in_the_layout(specialist_web: Client) -> None:
    response = specialist_web.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "<title>Not found · authq</title>" in body
    assert '<header class="topbar">' in body and 'href="/queue/"' in body  # the navigation
    assert "There is nothing at this address" in body
    assert 'href="/">Back to your start page' in body


def test_an_unknown_item_gets_the_404_page(specialist_web: Client) -> None:
    response = specialist_web.get(reverse("worklists:item", args=[987654]))
    assert response.status_code == 404
    assert 'id="error-page"' in response.content.decode()


def test_anonymous_visitors_get_the_404_page_with_a_sign_in_link(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert '<header class="topbar">' in body and 'href="/accounts/login/">Sign in' in body


def test_a_page_the_role_may_not_see_gets_the_403_page_in_the_layout(
    scheduler_web: Client,
) -> None:
    response = scheduler_web.get(reverse("reports:dashboard"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "<title>Not allowed · authq</title>" in body
    assert '<header class="topbar">' in body
    assert "Your role does not give access to this page (scheduler)" in body
    assert 'href="/">Back to your start page' in body


def test_the_403_page_of_the_home_page_does_not_link_back_to_itself(
    outsider_web: Client,
) -> None:
    response = outsider_web.get("/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "you have no role yet" in body
    assert "Back to your start page" not in body


def test_pages_link_the_favicon_and_favicon_ico_answers(client: Client) -> None:
    login = client.get(reverse("login")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in login
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (301, "/static/favicon.svg")
