"""The queue's rows (worklists/_queue_rows.jinja): what each row shows, and hostile text.

Every text from the records goes through a row escaped once: a browser reads back exactly
what was stored, and no stored text becomes markup.
"""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.test import Client

from accounts import roles
from tests import factories as f
from tests.views.items import make_item
from worklists.models import ItemKind, ItemStatus, Queue

pytestmark = pytest.mark.django_db

QUEUE = "/queue/"
EVIL = "<script>alert(1)</script>"
SONS = 'O\'Brien & "Sons"'
HOSTILE = f"{EVIL} {SONS}"
# The tags a queue row is made of; anything else in the table body was injected.
ROW_TAGS = {"tr", "th", "td", "span", "a", "small", "b", "form", "input", "button"}
ROW_TAGS |= {"details", "summary", "div"}


class Body(HTMLParser):
    """The table body of the queue page: its elements (tag, attributes, text inside)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.elements: list[dict] = []
        self.open: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            self.inside = True
        elif self.inside:
            element = {"tag": tag, "attrs": dict(attrs), "text": ""}
            self.elements.append(element)
            if tag != "input":
                self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self.inside = False
        elif self.inside and self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element["text"] += data

    def cell(self, item_pk: int, index: int) -> dict:
        """The index-th cell (from 0) of the item's row."""
        row = next(e for e in self.elements if e["attrs"].get("data-item") == str(item_pk))
        start = self.elements.index(row)
        cells = [e for e in self.elements[start + 1 :] if e["tag"] == "td"]
        return cells[index]


def body_of(html: str) -> Body:
    parser = Body()
    parser.feed(html)
    return parser


def hostile_item(colleague: User | None = None) -> tuple:
    payer = f.payer(name=f"{HOSTILE} payer")
    item = make_item(
        Queue.STAT,
        due_in=-2,
        payer=payer,
        department=f"{HOSTILE} dept",
        kind=ItemKind.DENIED,
        status=ItemStatus.WAITING_ON_PAYER,
    )
    patient = item.order.patient
    patient.last_name, patient.first_name, patient.mrn = HOSTILE, SONS, "M<1>&'\""
    patient.save()
    order = item.order
    order.external_id, order.code = f"<b>{SONS}", "C<&>'\""
    order.save()
    if colleague is not None:
        item.assignee = colleague
        item.status = ItemStatus.IN_PROGRESS
        item.save()
    return item, patient, order


def test_hostile_text_in_every_field_comes_out_as_text(
    specialist_web: Client, make_user: Callable[..., User]
) -> None:
    # A username from the admin's form could hold none of this; one written in the database
    # could.
    colleague = make_user('o\'brien&"sons"<i>', roles.SPECIALIST)
    item, patient, order = hostile_item(colleague)
    # The filters travel in the rows' forms and links too.
    query = urlencode({"department": f"{HOSTILE} dept"})
    html = specialist_web.get(f"{QUEUE}?{query}").content.decode()
    assert "<script>alert" not in html
    body = body_of(html)
    assert {e["tag"] for e in body.elements} <= ROW_TAGS
    assert body.cell(item.pk, 2)["text"] == "M<1>&'\""
    patient_cell = body.cell(item.pk, 3)
    assert patient_cell["text"] == patient_cell["attrs"]["title"] == f"{HOSTILE}, {SONS}"
    assert body.cell(item.pk, 4)["text"] == f"<b>{SONS} · C<&>'\""
    payer_cell = body.cell(item.pk, 5)
    assert payer_cell["text"] == payer_cell["attrs"]["title"] == f"{HOSTILE} payer"
    dept_cell = body.cell(item.pk, 8)
    assert dept_cell["text"] == dept_cell["attrs"]["title"] == f"{HOSTILE} dept"
    assert body.cell(item.pk, 9)["text"] == colleague.username
    link = next(e for e in body.elements if e["tag"] == "a" and "plink" in e["attrs"]["class"])
    back = urlencode({"back": f"{QUEUE}?{query}"})
    assert link["attrs"]["href"] == f"/items/{item.pk}/?{back}"


def test_hostile_filters_reach_the_row_actions_as_sent(specialist_web: Client) -> None:
    item = make_item(Queue.ROUTINE, department=f"{HOSTILE} dept")
    query = urlencode({"department": f"{HOSTILE} dept"})
    body = body_of(specialist_web.get(f"{QUEUE}?{query}").content.decode())
    returned = [
        e["attrs"]["value"]
        for e in body.elements
        if e["tag"] == "input" and e["attrs"]["name"] == "return_query"
    ]
    assert returned == [query]
    claim = next(e for e in body.elements if e["tag"] == "form")
    assert claim["attrs"]["action"] == claim["attrs"]["hx-post"] == f"/items/{item.pk}/claim/"
    assign = next(e for e in body.elements if e["tag"] == "details")
    assert assign["attrs"]["hx-get"] == (
        f"/items/{item.pk}/assign/menu/?{urlencode({'return_query': query})}"
    )


def test_a_row_shows_its_fields(specialist_web: Client, specialist: User) -> None:
    payer = f.payer(name="Acme Health")
    item = make_item(Queue.STAT, due_in=3, payer=payer, department="Ortho", affected=2)
    mine = make_item(Queue.ROUTINE, due_in=4)
    mine.assignee, mine.status = specialist, ItemStatus.IN_PROGRESS
    mine.save()
    body = body_of(specialist_web.get(QUEUE).content.decode())
    groups = [e["text"] for e in body.elements if e["tag"] == "th"]
    assert groups == ["STAT", "Routine"]
    order = item.order
    texts = [body.cell(item.pk, i)["text"] for i in range(12)]
    due = item.due_date
    first = item.first_service_date
    assert texts[0] == f"STAT {due:%b} {due.day}"
    assert texts[1] == "Missing auth"
    assert body.cell(item.pk, 1)["attrs"]["title"] == ItemKind.MISSING_AUTH.label
    assert texts[2:10] == [
        order.patient.mrn,
        f"{order.patient.last_name}, {order.patient.first_name}",
        f"{order.external_id} · {order.code}",
        "Acme Health",
        f"{first:%b} {first.day}",
        "2",
        "Ortho",
        "unclaimed",
    ]
    assert texts[10] == "0d"
    assert "Claim" in texts[11] and "Assign" in texts[11]
    assert body.cell(mine.pk, 9)["text"] == "you"
    assert "Release" in body.cell(mine.pk, 11)["text"]
    assert body.cell(mine.pk, 5)["text"] != "—"  # make_item gives a payer


def test_rows_spell_escaped_quotes_as_the_rest_of_the_page(specialist_web: Client) -> None:
    hostile_item()
    html = specialist_web.get(QUEUE).content.decode()
    assert "&#39;" not in html and "&#34;" not in html
    assert "O&#x27;Brien &amp; &quot;Sons&quot;" in html
