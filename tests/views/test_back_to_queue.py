"""The item page's "← Queues" leads back to the queue with the filters it was opened from."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from tests.views.conftest import HTMX
from tests.views.items import make_item
from worklists.models import ItemKind, Queue

pytestmark = pytest.mark.django_db


def back_link(html: str) -> str:
    match = re.search(r'<a class="back" href="([^"]*)">← Queues</a>', html)
    assert match
    return match.group(1).replace("&amp;", "&")


def test_queue_rows_link_items_with_the_filters_and_the_item_page_links_back(
    specialist_web: Client,
) -> None:
    item = make_item(Queue.STAT, kind=ItemKind.DENIED)
    html = specialist_web.get("/queue/", {"queue": "stat", "kind": "denied"}).content.decode()
    href = f"/items/{item.pk}/?back={quote('/queue/?queue=stat&kind=denied', safe='')}"
    assert f'href="{href}"' in html

    page = specialist_web.get(href).content.decode()
    assert back_link(page) == "/queue/?queue=stat&kind=denied"


def test_without_filters_the_links_are_plain(specialist_web: Client) -> None:
    item = make_item()
    html = specialist_web.get("/queue/").content.decode()
    assert f'href="/items/{item.pk}/"' in html
    assert back_link(specialist_web.get(f"/items/{item.pk}/").content.decode()) == "/queue/"


def test_the_referer_counts_when_it_is_the_queue(specialist_web: Client) -> None:
    item = make_item()
    url = reverse("worklists:item", args=[item.pk])
    page = specialist_web.get(url, HTTP_REFERER="http://testserver/queue/?mine=on&overdue=on")
    assert back_link(page.content.decode()) == "/queue/?mine=on&overdue=on"
    other = specialist_web.get(url, HTTP_REFERER="http://testserver/scheduler/?q=x")
    assert back_link(other.content.decode()) == "/queue/"


def test_htmx_redraws_keep_the_back_link_from_the_page_address(specialist_web: Client) -> None:
    item = make_item()
    url = reverse("worklists:item", args=[item.pk])
    current = f"http://testserver{url}?back={quote('/queue/?queue=routine', safe='')}"
    response = specialist_web.post(
        reverse("worklists:item-note", args=[item.pk]),
        {"note-text": "called the payer"},
        HTTP_HX_CURRENT_URL=current,
        **HTMX,
    )
    assert response.status_code == 200
    assert back_link(response.content.decode()) == "/queue/?queue=routine"


@pytest.mark.parametrize(
    "back",
    [
        "https://evil.example/queue/?queue=stat",
        "//evil.example/queue/",
        "/scheduler/?q=1",
        "javascript:alert(1)",
        "/queue/?" + "x" * 3000,
    ],
)
def test_a_back_that_is_not_this_sites_queue_is_ignored(specialist_web: Client, back: str) -> None:
    item = make_item()
    page = specialist_web.get(reverse("worklists:item", args=[item.pk]), {"back": back})
    assert back_link(page.content.decode()) == "/queue/"
