"""Timelines and the item page's history name people, records and values, not raw ids."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from patients.models import AccessEvent
from tests import factories as f
from tests.views.item_fixtures import missing_auth_item, order_of
from worklists import claiming, item_actions
from worklists.models import WorkItem

pytestmark = pytest.mark.django_db


def details(html: str) -> list[str]:
    cells = re.findall(r'<td class="muted details">(.*?)</td>', html, re.S)
    return [re.sub(r"\s+", " ", c).strip() for c in cells]


def _worked_item(specialist: User, specialist2: User, manager: User) -> WorkItem:
    item = missing_auth_item()
    claiming.claim(item, by=specialist)
    claiming.assign(item, to=specialist2, by=manager)
    item_actions.add_item_note(item, by=specialist2, text="Called the payer, fax number changed")
    auth = f.auth(order_of(item), "submitted", auth_number="", submitted_at=f.at("2026-11-20", 9))
    item_actions.decide_for_item(
        item, auth, by=specialist2, outcome="denied", determination_code="A3",
        denial_reason_code="medical_necessity", denial_reason="not medically necessary",
    )  # fmt: skip
    return WorkItem.objects.get(pk=item.pk)


def test_the_order_timeline_shows_names_and_values(
    specialist: User, specialist2: User, manager: User, manager_web: Client
) -> None:
    item = _worked_item(specialist, specialist2, manager)
    html = manager_web.get(reverse("worklists:order-timeline", args=[item.order_id])).content
    text = " | ".join(details(html.decode()))
    assert f"to: {specialist2.username}" in text and f"from: {specialist.username}" in text
    assert "note: “Called the payer, fax number changed”" in text
    assert "outcome: denied" in text and "determination: A3 not certified" in text
    assert "queue: Routine" in text or "queue: STAT" in text
    assert re.search(r"due: [A-Z][a-z]{2} \d{1,2}, \d{4}", text)
    # No raw ids of people or records.
    for raw in (f"assignee: {specialist2.pk}", "note: 1", f"previous assignee: {specialist.pk}"):
        assert raw not in text


def test_quoting_a_note_on_the_timeline_is_audited(
    specialist: User, specialist2: User, manager: User, manager_web: Client
) -> None:
    item = _worked_item(specialist, specialist2, manager)
    manager_web.get(reverse("worklists:patient-timeline", args=[item.order.patient_id]))
    (event,) = AccessEvent.objects.filter(user=manager, model="worklists.workitemnote")
    assert event.object_ids == list(item.notes.values_list("id", flat=True))


def test_the_item_page_history_shows_names(
    specialist: User, specialist2: User, manager: User, manager_web: Client
) -> None:
    item = _worked_item(specialist, specialist2, manager)
    html = manager_web.get(reverse("worklists:item", args=[item.pk])).content.decode()
    data = " | ".join(re.findall(r'<div class="evdata">(.*?)</div>', html))
    assert f"to: {specialist2.username}, from: {specialist.username}" in data
    assert "note: “Called the payer, fax number changed”" in data


def test_timeline_queries_do_not_grow_with_the_events(
    specialist: User,
    specialist2: User,
    manager: User,
    manager_web: Client,
    django_assert_max_num_queries: object,
) -> None:
    item = missing_auth_item()
    claiming.assign(item, to=specialist, by=manager)
    item_actions.add_item_note(item, by=specialist, text="first")
    url = reverse("worklists:order-timeline", args=[item.order_id])
    with django_assert_max_num_queries(25) as ctx:  # type: ignore[operator]
        manager_web.get(url)
    few = len(ctx.captured_queries)
    for n in range(6):
        claiming.release(item, by=manager)
        claiming.assign(item, to=[specialist, specialist2][n % 2], by=manager)
        item_actions.add_item_note(item, by=specialist, text=f"note {n}")
    with django_assert_max_num_queries(few):  # type: ignore[operator]
        manager_web.get(url)
