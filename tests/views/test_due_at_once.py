"""Due at once and late (worklists.models.due_standing): the queue rows and the item page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from authq.lib import clock
from tests import factories as f
from tests.views.item_fixtures import missing_auth_item, order_of, soon
from tests.views.items import make_item
from worklists import item_actions
from worklists.models import (
    AT_ONCE_LATE,
    DUE_AT_ONCE,
    LATE,
    ON_TIME,
    ItemKind,
    WorkItem,
    due_standing,
)
from worklists.views.queue_rows import day_text

pytestmark = pytest.mark.django_db

D = dt.date


def test_due_standing_tells_found_after_its_due_date_from_late() -> None:
    today = D(2026, 12, 10)
    # Found today with a due date already past: due at once, nobody was late.
    assert due_standing(D(2026, 12, 3), today, today) == DUE_AT_ONCE
    # Found before its due date, which passed while it was open: late.
    assert due_standing(D(2026, 12, 9), D(2026, 12, 1), today) == LATE
    # Found after its due date and still open days later: late as well.
    assert due_standing(D(2026, 12, 3), D(2026, 12, 8), today) == AT_ONCE_LATE
    # Due today or later, or due on the day found: on time.
    assert due_standing(today, D(2026, 12, 1), today) == ON_TIME
    assert due_standing(D(2026, 12, 12), today, today) == ON_TIME
    assert due_standing(D(2026, 12, 9), D(2026, 12, 9), today) == LATE


def _row(html: str, pk: int) -> str:
    """The row's markup, its text (tags dropped) after it for the words a person reads."""
    match = re.search(rf'<tr class="([^"]*)" data-item="{pk}".*?</tr>', html, re.S)
    assert match, pk
    return match.group(0) + " | " + re.sub(r"<[^>]+>", "", match.group(0))


def test_the_queue_says_due_at_once_for_an_item_found_after_its_due_date(
    specialist_web: Client,
) -> None:
    today = clock.today()
    at_once = make_item(due_in=-4, found_in=0)
    late = make_item(due_in=-2, found_in=-6)
    waited = make_item(due_in=-9, found_in=-3)
    html = specialist_web.get("/queue/").content.decode()

    row = _row(html, at_once.pk)
    assert "due at once" in row and f"since {day_text(today)}" in row
    assert f'title="Due {day_text(today - dt.timedelta(days=4))}, before it was found' in row
    assert ">late<" not in row and "overdue" not in row.split(">")[0]

    row = _row(html, late.pk)
    assert "due at once" not in row and ">late<" in row
    assert day_text(today - dt.timedelta(days=2)) in row
    assert "overdue" in row.split(">")[0]

    row = _row(html, waited.pk)
    assert f"since {day_text(today - dt.timedelta(days=3))}" in row and ">late<" in row


def test_the_item_page_says_due_at_once_or_late(specialist_web: Client) -> None:
    today = clock.today()
    at_once = make_item(due_in=-4, found_in=0)
    body = specialist_web.get(reverse("worklists:item", args=[at_once.pk])).content.decode()
    due = re.search(r'<span class="due[^"]*" id="item-due">(.*?)</span>\s*\n', body, re.S)
    assert due
    text = re.sub(r"<[^>]+>", "", due.group(1))
    assert f"due at once since {today:%a %b} {today.day}" in text
    assert "late" not in text

    late = make_item(due_in=-2, found_in=-6)
    body = specialist_web.get(reverse("worklists:item", args=[late.pk])).content.decode()
    due = re.search(r'<span class="due[^"]*" id="item-due">(.*?)</span>\s*\n', body, re.S)
    assert due
    text = re.sub(r"<[^>]+>", "", due.group(1))
    assert "due at once" not in text and text.endswith("· late")


def test_a_denial_recorded_today_is_due_at_once_not_late(
    specialist: User, specialist_web: Client
) -> None:
    item = missing_auth_item()  # visits from 3 days out; the rule's lead time is 7 days
    auth = f.auth(order_of(item), "submitted", submitted_at=f.at(soon(-2).isoformat(), 9))
    item_actions.decide_for_item(
        item, auth, by=specialist, outcome="denied", determination_code="A3",
        denial_reason_code="medical_necessity", denial_reason="not medically necessary",
    )  # fmt: skip
    denied = WorkItem.objects.get(order_id=item.order_id, kind=ItemKind.DENIED)
    # The contract's due date: the earlier of the first visit - lead time and the appeal
    # deadline, here before today.
    assert denied.due_date == soon(3) - dt.timedelta(days=7)
    assert denied.due_standing(clock.today()) == DUE_AT_ONCE
    body = specialist_web.get(reverse("worklists:item", args=[denied.pk])).content.decode()
    assert "<b>due at once</b> since" in body and "· late" not in body
    row = _row(specialist_web.get("/queue/").content.decode(), denied.pk)
    assert "at once" in row and ">late<" not in row
