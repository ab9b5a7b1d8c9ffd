"""The read side of the pages (worklists/selectors/) never writes; the views write the
audit rows of what they show, and nothing else.

Each selector runs in a savepoint set READ ONLY: PostgreSQL refuses any INSERT, UPDATE or
DELETE there, so a selector that wrote (an audit row, a service call) would fail here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import InternalError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from authq.lib import clock
from patients.audit import record_view
from patients.models import AccessEvent, Order, Patient
from tests import factories as f
from tests.views.item_fixtures import missing_auth_item, order_of, soon
from worklists import item_actions
from worklists.models import ItemKind, WorkItem
from worklists.scan import apply
from worklists.selectors import item as item_sel
from worklists.selectors import pending as pending_sel
from worklists.selectors import queue as queue_sel
from worklists.selectors import scheduler as scheduler_sel
from worklists.selectors import search as search_sel
from worklists.selectors import trail as trail_sel
from worklists.selectors import workspace as workspace_sel

pytestmark = pytest.mark.django_db

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


class _Undo(Exception):
    pass


@contextmanager
def read_only() -> Iterator[CaptureQueriesContext]:
    """A savepoint PostgreSQL keeps read-only, rolled back after; its statements captured."""
    with CaptureQueriesContext(connection) as captured:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION READ ONLY")
                yield captured
                raise _Undo
        except _Undo:
            pass


def writes(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if WRITE.match(q["sql"])]


@pytest.fixture
def busy(specialist: User) -> WorkItem:
    """An order with visits, a denied request under appeal, a note, another order waiting
    on the payer, and a snoozed item: something on every page."""
    order = order_of(missing_auth_item())
    auth = f.auth(order, status="denied", decided_at=f.at(soon(-5)), denial_reason="No")
    apply.reevaluate_order(order)
    denied = WorkItem.objects.open().get(order_id=order.pk, kind=ItemKind.DENIED)
    item_actions.record_item_appeal(
        denied, auth, by=specialist, level="1", deadline=soon(20), channel="fax"
    )
    item_actions.add_item_note(denied, by=specialist, text="called the payer")
    f.auth(order_of(missing_auth_item()), status="submitted", submitted_at=f.at(soon(-1)))
    later = soon(3)
    WorkItem.objects.filter(pk=missing_auth_item().pk).update(follow_up_on=later)
    return WorkItem.objects.select_related("order__patient").get(pk=denied.pk)


def test_the_guard_refuses_a_write() -> None:
    """The check below means something: an audit row cannot be written inside it."""
    patient = f.patient()

    class Request:
        user = User.objects.create_user("reader")
        META: dict[str, str] = {}
        headers: dict[str, str] = {}

    with pytest.raises(InternalError, match="read-only transaction"), read_only():
        record_view(Request(), [patient.pk], Patient, patient_ids=[patient.pk])  # type: ignore[arg-type]


def _selectors(item: WorkItem) -> dict[str, Callable[[], Any]]:
    order = item.order
    patient = order.patient
    today = clock.today()
    return {
        "item page": lambda: item_sel.item_page(order, item, with_documents=True),
        "item page, no item": lambda: item_sel.item_page(order, None, with_documents=True),
        "workspace": lambda: workspace_sel.workspace(order, item.pk, keep_closed=True),
        "timeline": lambda: trail_sel.timeline([order.pk], note_ids=[]),
        "audit page": lambda: trail_sel.audit_page(
            {"user": "", "mrn": patient.mrn, "action": "", "start": None, "end": None}, "1"
        ),
        "search": lambda: search_sel.search(patient.last_name),
        "pending": lambda: pending_sel.pending_lists(today),
        "scheduler find": lambda: scheduler_sel.find(patient.mrn),
        "scheduler order": lambda: scheduler_sel.scheduling_facts(order, soon(5)),
        "queue overview": lambda: queue_sel.overview(today),
        "queue choices": lambda: (queue_sel.departments(), queue_sel.workers(), queue_sel.payers()),
    }


def test_every_selector_reads_and_never_writes(busy: WorkItem, specialist: User) -> None:
    # An audit row to show on the audit page.
    AccessEvent.objects.create(
        user=specialist,
        action="view",
        model="patients.patient",
        object_ids=[1],
        patient_ids=[busy.order.patient_id],
    )
    for name, run in _selectors(busy).items():
        with read_only() as captured:
            found = run()
        assert found, name
        assert writes(captured) == [], name


def test_the_item_page_returns_what_the_page_shows(busy: WorkItem) -> None:
    with read_only():
        page = item_sel.item_page(busy.order, busy, with_documents=False)
    assert [r.auth.status for r in page.current_auths + page.old_auths] == ["denied"]
    assert [a.level for a in page.appeals] == ["1"]
    assert [n.text for n in page.notes] == ["called the payer"]
    assert page.counts["gap"] == 3 and page.first_gap == soon(3)
    assert page.documents == []


def _view_writes(client: Client, url: str) -> tuple[list[str], int]:
    """The page's writes (not the session's: the middleware marks every request on it)
    and how many audit rows they added."""
    before = AccessEvent.objects.count()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    sql = [s for s in writes(captured) if '"django_session"' not in s]
    return sql, AccessEvent.objects.count() - before


@pytest.mark.parametrize(
    "page",
    ["item", "order", "order-timeline", "pending", "queue", "audit", "scheduler-order"],
)
def test_each_page_writes_its_audit_rows_and_nothing_else(
    busy: WorkItem,
    web_as: Callable[[User], Client],
    specialist: User,
    manager: User,
    scheduler: User,
    page: str,
) -> None:
    order: Order = busy.order
    url, who = {
        "item": (reverse("worklists:item", args=[busy.pk]), specialist),
        "order": (reverse("worklists:order", args=[order.pk]), specialist),
        "order-timeline": (reverse("worklists:order-timeline", args=[order.pk]), manager),
        "pending": (reverse("worklists:pending"), specialist),
        "queue": (reverse("worklists:queue"), specialist),
        "audit": (reverse("worklists:audit") + f"?mrn={order.patient.mrn}", manager),
        "scheduler-order": (reverse("worklists:scheduler-order", args=[order.pk]), scheduler),
    }[page]
    client = web_as(who)
    client.get(url)  # an audit row to list on the audit page; sessions settled
    sql, rows = _view_writes(client, url)
    assert sql, "the page records what it shows"
    assert all(s.lstrip().startswith('INSERT INTO "patients_accessevent"') for s in sql), sql
    assert rows >= len(sql)
