"""The access audit page: MRNs and usernames, in the managers' navigation, and a queue left
open does not add an audit row every 30 seconds."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from patients.models import AccessAction, AccessEvent
from tests.views.conftest import BACKGROUND
from tests.views.items import make_item, make_items
from worklists.models import Queue

pytestmark = pytest.mark.django_db

AUDIT = reverse("worklists:audit")


def queue_views(user: User) -> list[AccessEvent]:
    return list(
        AccessEvent.objects.filter(
            user=user, action=AccessAction.VIEW, model="worklists.workitem"
        ).order_by("id")
    )


def shown_token(html: str) -> str:
    match = re.search(r'"X-Authq-Shown": "([^"]+)"', html)
    assert match
    return match.group(1)


def test_the_audit_page_names_patients_by_mrn_and_people_by_username(
    specialist_web: Client, specialist: User, manager_web: Client
) -> None:
    items = make_items(2, Queue.ROUTINE)
    specialist_web.get("/queue/")
    html = manager_web.get(AUDIT, {"user": specialist.username}).content.decode()
    row = re.search(r'<tr class="row">.*?</tr>', html, re.S)
    assert row
    cells = row.group(0)
    assert f">{specialist.username}</a>" in cells
    mrns = sorted(i.order.patient.mrn for i in items)
    patients = re.search(r'<td class="mono ids patients">([^<]*)</td>', cells)
    assert patients and sorted(patients.group(1).split(", ")) == mrns


def test_showing_mrns_on_the_audit_page_is_itself_audited(
    specialist_web: Client, manager_web: Client, manager: User
) -> None:
    item = make_item()
    specialist_web.get("/queue/")
    manager_web.get(AUDIT)
    (event,) = AccessEvent.objects.filter(user=manager, model="patients.patient")
    assert event.object_ids == [item.order.patient_id]


def test_the_audit_page_costs_the_same_queries_however_many_rows(
    specialist_web: Client, manager_web: Client, django_assert_max_num_queries: object
) -> None:
    make_items(2, Queue.ROUTINE)
    specialist_web.get("/queue/")
    with django_assert_max_num_queries(20) as ctx:  # type: ignore[operator]
        manager_web.get(AUDIT)
    few = len(ctx.captured_queries)
    make_items(10, Queue.ROUTINE)
    for _ in range(5):
        specialist_web.get("/queue/", {"page": 1, "kind": "missing_auth"})
    with django_assert_max_num_queries(few):  # type: ignore[operator]
        manager_web.get(AUDIT)


def test_the_audit_is_in_the_navigation_of_managers_only(
    manager_web: Client, specialist_web: Client, scheduler_web: Client
) -> None:
    assert f'href="{AUDIT}"' in manager_web.get("/queue/").content.decode()
    assert f'href="{AUDIT}"' not in specialist_web.get("/queue/").content.decode()
    assert f'href="{AUDIT}"' not in scheduler_web.get("/scheduler/").content.decode()
    assert specialist_web.get(AUDIT).status_code == 403
    assert scheduler_web.get(AUDIT).status_code == 403


def test_a_background_refresh_showing_the_same_rows_records_nothing_new(
    specialist_web: Client, specialist: User
) -> None:
    make_items(3, Queue.ROUTINE)
    page = specialist_web.get("/queue/", {"queue": "routine"}).content.decode()
    assert len(queue_views(specialist)) == 1
    token = shown_token(page)
    for _ in range(3):
        refresh = specialist_web.get(
            "/queue/", {"queue": "routine"}, HTTP_X_AUTHQ_SHOWN=token, **BACKGROUND
        )
        assert refresh.status_code == 200
        token = shown_token(refresh.content.decode())
    assert len(queue_views(specialist)) == 1

    # A new item changes what is shown: that refresh is recorded, once.
    new = make_item(Queue.ROUTINE, due_in=0)
    refresh = specialist_web.get(
        "/queue/", {"queue": "routine"}, HTTP_X_AUTHQ_SHOWN=token, **BACKGROUND
    )
    events = queue_views(specialist)
    assert len(events) == 2 and new.pk in events[-1].object_ids
    token = shown_token(refresh.content.decode())
    specialist_web.get("/queue/", {"queue": "routine"}, HTTP_X_AUTHQ_SHOWN=token, **BACKGROUND)
    assert len(queue_views(specialist)) == 2

    # Opening the page again is a new view, whatever it shows.
    specialist_web.get("/queue/", {"queue": "routine"})
    assert len(queue_views(specialist)) == 3


def test_a_refresh_with_a_forged_or_foreign_token_is_recorded(
    specialist_web: Client, specialist: User, specialist2_web: Client
) -> None:
    make_items(2, Queue.ROUTINE)
    theirs = shown_token(specialist2_web.get("/queue/").content.decode())
    specialist_web.get("/queue/", HTTP_X_AUTHQ_SHOWN=theirs, **BACKGROUND)
    specialist_web.get("/queue/", HTTP_X_AUTHQ_SHOWN="made-up:token", **BACKGROUND)
    assert len(queue_views(specialist)) == 2
