"""The order workspace /orders/<id>/ (issue "The specialist's week", point 9)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patients.models import AccessAction, AccessEvent, Order
from payers.models import Authorization, Document
from tests import factories as f
from tests.views.item_fixtures import missing_auth_item, order_of, soon
from worklists import item_actions
from worklists.models import ItemKind, ItemStatus, Queue, WorkItem, WorkItemNote
from worklists.scan import apply

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def ws(order: Order | int, **query: object) -> str:
    url = reverse("worklists:order", args=[order if isinstance(order, int) else order.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def act(item: WorkItem, name: str, *args: object) -> str:
    return reverse(f"worklists:item-{name}", args=[item.pk, *args])


def closed_item(order: Order, kind: str = ItemKind.NO_COVERAGE) -> WorkItem:
    return WorkItem.objects.create(
        order=order,
        kind=kind,
        queue=Queue.ROUTINE,
        status=ItemStatus.RESOLVED,
        resolution="gap_closed",
        resolved_at=timezone.now(),
        due_date=soon(1),
        last_seen_as_of=soon(0),
    )


@pytest.fixture
def busy(specialist: User, settings: object, tmp_path: object) -> WorkItem:
    """An open denied item, closed items (one with a note), a denied auth, a document."""
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    order = order_of(missing_auth_item(visits=2))
    f.auth(order, status="denied", auth_number="DEN-5", decided_at=f.at(soon(-5)))
    apply.reevaluate_order(order)  # the missing-auth item closes, a denied one opens
    item = WorkItem.objects.open().get(order=order)
    old = closed_item(order)
    item_actions.add_item_note(old, by=specialist, text="spoke to the payer last month")
    item_actions.add_item_note(item, by=specialist, text="waiting on the fax")
    item_actions.attach_item_document(
        item, by=specialist, content=PDF, kind="payer_letter", original_name="l.pdf"
    )
    return WorkItem.objects.get(pk=item.pk)


def test_the_workspace_shows_the_whole_order(specialist_web: Client, busy: WorkItem) -> None:
    order = order_of(busy)
    old = WorkItem.objects.get(order=order, kind=ItemKind.NO_COVERAGE)
    doc = Document.objects.get()
    page = specialist_web.get(ws(order))
    assert page.status_code == 200
    text = page.text
    assert order.external_id in text and order.patient.mrn in text
    assert "M54.50" in text  # diagnoses: specialists may see them
    assert "DEN-5" in text and "Denied" in text  # authorizations
    assert 'id="visits"' in text and 'id="coverage"' in text
    # Items open and closed, each linking to its page.
    assert act(busy, "decide").replace("decide/", "") in text
    assert reverse("worklists:item", args=[old.pk]) in text and "Resolved" in text
    # The notes of every item, the documents of the order, its timeline.
    assert "spoke to the payer last month" in text and "waiting on the fax" in text
    assert reverse("worklists:order-document", args=[order.pk, doc.pk]) in text
    assert 'id="timeline"' in text and "Note added" in text
    assert reverse("worklists:order-timeline", args=[order.pk]) in text


def test_the_item_actions_are_the_item_pages_forms_posting_back_here(
    specialist_web: Client, busy: WorkItem
) -> None:
    text = specialist_web.get(ws(order_of(busy))).text
    for name in ("decide", "submit", "peer-review", "appeal", "note", "document", "dismiss"):
        assert f'action="{act(busy, name)}"' in text, name
    assert 'name="back" value="order"' in text
    assert "hx-disable" in text  # plain posts here: each answer is a redirect back


def test_an_approval_from_the_workspace_comes_back_to_it(
    specialist_web: Client, busy: WorkItem
) -> None:
    order = order_of(busy)
    response = specialist_web.post(
        act(busy, "decide"),
        {
            "back": "order",
            "decide-outcome": "approved",
            "decide-auth_number": "AUTH-WS",
            "decide-start_date": soon(0).isoformat(),
            "decide-end_date": soon(60).isoformat(),
            "decide-approved_visits": "12",
            "decide-channel": "phone",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == ws(order, item=busy.pk)
    busy.refresh_from_db()
    assert busy.status == ItemStatus.RESOLVED
    page = specialist_web.get(response["Location"])
    assert "Payer&#x27;s answer recorded" in page.text and "AUTH-WS" in page.text
    assert "left the queue" in page.text


def test_a_bad_form_from_the_workspace_shows_the_workspace_with_the_error(
    specialist_web: Client, busy: WorkItem
) -> None:
    response = specialist_web.post(
        act(busy, "decide"), {"back": "order", "decide-outcome": "approved"}
    )
    assert response.status_code == 400
    assert 'id="workspace"' in response.text and "err" in response.text
    assert not Authorization.objects.filter(order_id=busy.order_id, status="approved").exists()


def test_an_error_stays_with_its_item_even_if_it_closed_meanwhile(
    specialist_web: Client, busy: WorkItem
) -> None:
    gone = WorkItem.objects.get(order_id=busy.order_id, kind=ItemKind.NO_COVERAGE)
    response = specialist_web.post(act(gone, "note"), {"back": "order", "note-text": " "})
    assert response.status_code == 400
    assert f'action="{act(gone, "note")}"' in response.text
    assert f'action="{act(busy, "note")}"' not in response.text


def test_a_note_from_the_workspace(specialist_web: Client, busy: WorkItem) -> None:
    response = specialist_web.post(act(busy, "note"), {"back": "order", "note-text": "all set"})
    assert response.status_code == 302
    assert WorkItemNote.objects.filter(work_item=busy, text="all set").exists()
    assert "all set" in specialist_web.get(response["Location"]).text


def test_item_picks_which_open_item_the_forms_act_on(specialist_web: Client) -> None:
    first = missing_auth_item()
    order = order_of(first)
    second = WorkItem.objects.create(
        order=order,
        kind=ItemKind.VISIT_LIMIT,
        queue=Queue.ROUTINE,
        due_date=soon(20),
        last_seen_as_of=soon(0),
    )
    assert f'action="{act(first, "note")}"' in specialist_web.get(ws(order)).text
    picked = specialist_web.get(ws(order, item=second.pk)).text
    assert f'action="{act(second, "note")}"' in picked
    assert f'action="{act(first, "note")}"' not in picked
    # An id that is not an open item of this order falls back to the first.
    stray = missing_auth_item()
    assert f'action="{act(first, "note")}"' in specialist_web.get(ws(order, item=stray.pk)).text


def test_request_authorization_for_an_order_with_nothing_open(
    specialist_web: Client, manager_web: Client, specialist: User
) -> None:
    order = f.order(f.patient())
    page = specialist_web.get(ws(order))
    assert page.status_code == 200 and "No work item has ever been opened" in page.text
    url = reverse("worklists:order-request-auth", args=[order.pk])
    assert f'action="{url}"' in page.text
    assert f'action="{url}"' not in manager_web.get(ws(order)).text
    assert manager_web.post(url).status_code == 403
    response = specialist_web.post(url)
    assert response.status_code == 302
    item = WorkItem.objects.open().get(order=order)
    assert item.queue == Queue.STAT
    assert response["Location"] == ws(order, item=item.pk)
    after = specialist_web.get(response["Location"]).text
    assert "Asked for an authorization" in after
    assert f'action="{url}"' not in after  # an item is open now: its forms instead
    assert f'action="{act(item, "decide")}"' in after


def test_who_may_open_the_workspace(
    scheduler_web: Client, outsider_web: Client, manager_web: Client, busy: WorkItem
) -> None:
    order = order_of(busy)
    assert scheduler_web.get(ws(order)).status_code == 403
    assert outsider_web.get(ws(order)).status_code == 403
    page = manager_web.get(ws(order))
    assert page.status_code == 200
    assert f'action="{act(busy, "decide")}"' not in page.text  # managers read, never act
    assert manager_web.get(ws(order.pk + 10_000)).status_code == 404


def test_documents_download_from_the_workspace(
    specialist_web: Client, scheduler_web: Client, busy: WorkItem
) -> None:
    doc = Document.objects.get()
    url = reverse("worklists:order-document", args=[busy.order_id, doc.pk])
    response = specialist_web.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    other = missing_auth_item()
    wrong = reverse("worklists:order-document", args=[other.order_id, doc.pk])
    assert specialist_web.get(wrong).status_code == 404
    assert scheduler_web.get(url).status_code == 403


def test_a_document_attached_from_the_workspace(
    specialist_web: Client, busy: WorkItem, settings: object, tmp_path: object
) -> None:
    response = specialist_web.post(
        act(busy, "document"),
        {"back": "order", "doc-file": SimpleUploadedFile("b.pdf", PDF), "doc-kind": "other"},
    )
    assert response.status_code == 302 and response["Location"] == ws(busy.order_id, item=busy.pk)
    assert Document.objects.count() == 2


def test_the_workspace_records_what_it_shows(
    specialist_web: Client, specialist: User, busy: WorkItem
) -> None:
    order = order_of(busy)
    before = AccessEvent.objects.filter(user=specialist, action=AccessAction.VIEW).count()
    specialist_web.get(ws(order))
    events = AccessEvent.objects.filter(user=specialist, action=AccessAction.VIEW).order_by("id")
    shown: dict[str, set[int]] = {}
    for e in events[before:]:
        shown.setdefault(e.model, set()).update(e.object_ids)
        assert e.patient_ids == [order.patient_id]
    assert shown["patients.patient"] == {order.patient_id}
    assert shown["patients.order"] == {order.pk}
    assert shown["worklists.workitem"] == set(
        WorkItem.objects.filter(order=order).values_list("pk", flat=True)
    )
    assert shown["worklists.workitemnote"] == set(
        WorkItemNote.objects.filter(work_item__order=order).values_list("pk", flat=True)
    )
    assert shown["payers.document"] == {Document.objects.get().pk}
    assert shown["payers.authorization"] == set(
        Authorization.objects.filter(order=order).values_list("pk", flat=True)
    )


def test_the_query_count_does_not_grow_with_the_order(
    specialist_web: Client, specialist: User, django_assert_max_num_queries: object
) -> None:
    small = missing_auth_item(visits=1)
    big = missing_auth_item(visits=10)
    for n in range(5):
        closed = closed_item(order_of(big), kind=ItemKind.DENIED if n % 2 else ItemKind.NO_COVERAGE)
        item_actions.add_item_note(closed, by=specialist, text=f"note {n}")
        item_actions.add_item_note(big, by=specialist, text=f"mine {n}")
    with django_assert_max_num_queries(70) as ctx:  # type: ignore[operator]
        specialist_web.get(ws(order_of(small)))
    few = len(ctx.captured_queries)
    # + 2: notes are one more kind of record shown, the selected item's and the others';
    # + 1: the payer directory of the order's payer, read once whatever the order's size.
    with django_assert_max_num_queries(few + 3):  # type: ignore[operator]
        specialist_web.get(ws(order_of(big)))


def test_the_item_page_timeline_and_scheduler_page_link_to_the_workspace(
    specialist_web: Client, busy: WorkItem
) -> None:
    link = f'href="{ws(busy.order_id)}"'
    assert link in specialist_web.get(reverse("worklists:item", args=[busy.pk])).text
    timeline = reverse("worklists:order-timeline", args=[busy.order_id])
    assert link in specialist_web.get(timeline).text
    sched = reverse("worklists:scheduler-order", args=[busy.order_id])
    assert link in specialist_web.get(sched).text


def test_schedulers_order_page_has_no_workspace_link(scheduler_web: Client, busy: WorkItem) -> None:
    sched = reverse("worklists:scheduler-order", args=[busy.order_id])
    assert f'href="{ws(busy.order_id)}"' not in scheduler_web.get(sched).text
