"""The Assign menu: the colleagues are fetched when it opens, not rendered in every row."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.views.conftest import HTMX
from tests.views.items import make_items
from worklists.models import Queue

pytestmark = pytest.mark.django_db


def test_the_queue_page_carries_no_colleague_list_per_row(
    manager_web: Client, specialist2: User
) -> None:
    items = make_items(5, Queue.STAT)
    html = manager_web.get("/queue/").content.decode()
    assert 'name="to"' not in html
    for item in items:
        assert f"/items/{item.pk}/assign/menu/" in html


def test_opening_the_menu_lists_the_specialists(
    manager_web: Client, specialist: User, specialist2: User
) -> None:
    (item,) = make_items(1, Queue.STAT)
    response = manager_web.get(f"/items/{item.pk}/assign/menu/?return_query=kind%3Ddenied", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # the partial only
    assert f'action="/items/{item.pk}/assign/"' in html
    assert f'value="{specialist.pk}"' in html and f'value="{specialist2.pk}"' in html
    assert 'name="return_query" value="kind=denied"' in html


def test_without_javascript_the_menu_is_a_small_page(
    specialist_web: Client, specialist2: User
) -> None:
    (item,) = make_items(1, Queue.ROUTINE)
    response = specialist_web.get(f"/items/{item.pk}/assign/menu/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and f"Assign item {item.pk}" in html
    assert f'value="{specialist2.pk}"' in html


def test_schedulers_and_outsiders_cannot_open_it(
    scheduler_web: Client, outsider_web: Client
) -> None:
    (item,) = make_items(1, Queue.ROUTINE)
    assert scheduler_web.get(f"/items/{item.pk}/assign/menu/").status_code == 403
    assert outsider_web.get(f"/items/{item.pk}/assign/menu/").status_code == 403
