"""S25 for the pages: every page and partial that shows patient data records the ids shown.

One AccessEvent per kind of record a page shows (so the queries stay flat), holding the
ids of exactly the records on the page and the patients they belong to.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from patients.models import AccessAction, AccessEvent, Appointment, Coverage
from payers.models import Authorization, Document
from tests import factories as f
from tests.views.conftest import BACKGROUND, HTMX
from tests.views.item_fixtures import missing_auth_item, order_of, soon
from tests.views.items import make_items
from worklists import item_actions
from worklists.models import Queue, WorkItem, WorkItemNote
from worklists.views import queue as queue_views

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def views_by(user: User) -> dict[str, list[AccessEvent]]:
    """The view events of this user, by model label."""
    out: dict[str, list[AccessEvent]] = {}
    for event in AccessEvent.objects.filter(user=user, action=AccessAction.VIEW).order_by("id"):
        out.setdefault(event.model, []).append(event)
    return out


def shown_item_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-item="(\d+)"', html)]


# The queue.


def test_the_queue_records_the_items_on_the_page_and_their_patients(
    specialist_web: Client, specialist: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue_views, "PAGE_SIZE", 4)
    items = make_items(6, Queue.ROUTINE)
    response = specialist_web.get("/queue/")
    on_page = shown_item_ids(response.text)
    assert len(on_page) == 4
    (event,) = views_by(specialist)["worklists.workitem"]
    assert event.object_ids == sorted(on_page)
    by_id = {i.pk: i for i in items}
    assert event.patient_ids == sorted(by_id[i].order.patient_id for i in on_page)
    assert event.request_id and event.remote_addr == "127.0.0.1"

    specialist_web.get("/queue/?page=2", **HTMX)
    second = views_by(specialist)["worklists.workitem"][-1]
    assert second.object_ids == sorted(set(by_id) - set(on_page))


def test_the_queue_refresh_and_actions_record_what_they_show(
    specialist_web: Client, specialist: User
) -> None:
    (item,) = make_items(1, Queue.STAT)
    specialist_web.get("/queue/", **BACKGROUND)
    specialist_web.post(reverse("worklists:claim", args=[item.pk]), **HTMX)
    events = views_by(specialist)["worklists.workitem"]
    assert [e.object_ids for e in events] == [[item.pk], [item.pk]]


def test_an_empty_queue_records_nothing(specialist_web: Client, specialist: User) -> None:
    assert specialist_web.get("/queue/").status_code == 200
    assert views_by(specialist) == {}


def test_the_queue_records_one_event_whatever_the_number_of_rows(
    specialist_web: Client, specialist: User, django_assert_max_num_queries: object
) -> None:
    make_items(3, Queue.ROUTINE)
    with django_assert_max_num_queries(15) as ctx:  # type: ignore[operator]
        specialist_web.get("/queue/")
    few = len(ctx.captured_queries)
    make_items(20, Queue.ROUTINE)
    with django_assert_max_num_queries(few):  # type: ignore[operator]
        specialist_web.get("/queue/")
    assert len(views_by(specialist)["worklists.workitem"]) == 2


# The work-item page.


def _busy_item(specialist: User) -> WorkItem:
    """An item whose page shows every kind of record: coverage, auths, visits, notes..."""
    item = missing_auth_item(visits=3)
    order = order_of(item)
    f.auth(order, status="denied", decided_at=f.at(soon(-5)), denial_reason="x")
    f.auth(order, status="approved", start_date=soon(30), end_date=soon(90), approved_visits=4)
    item_actions.add_item_note(item, by=specialist, text="called the payer")
    return WorkItem.objects.get(pk=item.pk)


def test_the_item_page_records_each_kind_of_record_it_shows(
    specialist_web: Client, specialist: User, settings: object, tmp_path: object
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    item = _busy_item(specialist)
    order = order_of(item)
    specialist_web.post(
        reverse("worklists:item-document", args=[item.pk]),
        {"doc-file": SimpleUploadedFile("a.pdf", PDF), "doc-kind": "payer_letter"},
    )
    before = AccessEvent.objects.filter(user=specialist, action=AccessAction.VIEW).count()
    assert specialist_web.get(reverse("worklists:item", args=[item.pk])).status_code == 200
    events = AccessEvent.objects.filter(user=specialist, action=AccessAction.VIEW).order_by("id")[
        before:
    ]
    got = {e.model: e.object_ids for e in events}
    assert len(got) == len(events), "one event per kind of record"
    open_items = sorted(
        {item.pk, *WorkItem.objects.open().filter(order=order).values_list("pk", flat=True)}
    )
    assert got == {
        "patients.patient": [order.patient_id],
        "patients.order": [order.pk],
        "worklists.workitem": open_items,
        "patients.coverage": sorted(
            Coverage.objects.filter(patient_id=order.patient_id).values_list("pk", flat=True)
        ),
        "payers.authorization": sorted(
            Authorization.objects.filter(order=order).values_list("pk", flat=True)
        ),
        "patients.appointment": sorted(
            Appointment.objects.filter(order=order).values_list("pk", flat=True)
        ),
        "payers.document": [Document.objects.get().pk],
        "worklists.workitemnote": [WorkItemNote.objects.get().pk],
    }
    assert all(e.patient_ids == [order.patient_id] for e in events)


def test_an_item_action_answered_with_the_page_body_records_the_reads_too(
    specialist_web: Client, specialist: User
) -> None:
    item = missing_auth_item()
    specialist_web.post(
        reverse("worklists:item-note", args=[item.pk]), {"note-text": "left a message"}, **HTMX
    )
    models = set(views_by(specialist))
    assert {"patients.patient", "patients.order", "worklists.workitemnote"} <= models


def test_a_manager_reading_an_item_is_recorded_under_the_manager(
    manager_web: Client, manager: User
) -> None:
    item = missing_auth_item()
    manager_web.get(reverse("worklists:item", args=[item.pk]))
    assert views_by(manager)["patients.patient"][0].object_ids == [order_of(item).patient_id]


def test_the_item_page_audit_costs_the_same_queries_however_big_the_order(
    specialist_web: Client, specialist: User, django_assert_max_num_queries: object
) -> None:
    small = missing_auth_item(visits=2)
    big = missing_auth_item(visits=12)
    for n in range(4):
        item_actions.add_item_note(big, by=specialist, text=f"note {n}")
    with django_assert_max_num_queries(60) as ctx:  # type: ignore[operator]
        specialist_web.get(reverse("worklists:item", args=[small.pk]))
    few = len(ctx.captured_queries)
    with django_assert_max_num_queries(few + 1):  # type: ignore[operator]
        # + 1: the notes of the big item are one more kind of record (one more insert).
        specialist_web.get(reverse("worklists:item", args=[big.pk]))


def test_a_document_download_is_recorded(
    specialist_web: Client, specialist: User, settings: object, tmp_path: object
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    item = missing_auth_item()
    specialist_web.post(
        reverse("worklists:item-document", args=[item.pk]),
        {"doc-file": SimpleUploadedFile("a.pdf", PDF), "doc-kind": "payer_letter"},
    )
    doc = Document.objects.get()
    before = len(views_by(specialist).get("payers.document", []))
    response = specialist_web.get(
        reverse("worklists:item-document-download", args=[item.pk, doc.pk])
    )
    assert response.status_code == 200
    events = views_by(specialist)["payers.document"]
    assert len(events) == before + 1
    assert events[-1].object_ids == [doc.pk]
    assert events[-1].patient_ids == [order_of(item).patient_id]


def test_refused_requests_record_nothing(scheduler_web: Client, scheduler: User) -> None:
    item = missing_auth_item()
    assert scheduler_web.get(reverse("worklists:item", args=[item.pk])).status_code == 403
    assert scheduler_web.get("/queue/").status_code == 403
    assert views_by(scheduler) == {}
