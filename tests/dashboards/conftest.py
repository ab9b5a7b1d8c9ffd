"""A small practice whose every dashboard figure can be worked out by hand.

Range: requests submitted 2026-10-01 to 2026-10-20; "now" is 2026-10-20 12:00 local.

Alpha (physical therapy, department "Ortho PT"), standard requests, hours to decision:
  a1 approved 10 h · a2 approved 20 h · a3 partial (A6) 30 h · a4 denied 200 h (hostile
  reason) · a_old approved, submitted in August (outside the range).
Beta (imaging, department "Imaging"):
  b1 sent expedited, approved after 80 h, with an appeal overturned · b2 STAT order,
  pending since 100 h ago (past its 72 h clock) · b3 standard, pending since 100 h ago
  (within 168 h) · b4 cancelled · b5 draft (not a request).
Work: item1 open STAT (Alpha's order) opened 1 day ago, due yesterday, first gap in 3
days with booked visits in 3 and 20 days; item2 open routine opened 10 days ago, first
submitted by spec1 5 hours after it opened; item3 resolved 2 days ago, assigned to spec1.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User

from payers.models import Appeal, AuthStatus
from reports import figures, refresh
from tests import factories as f
from tests.views.conftest import (  # noqa: F401 - the page tests' signed-in clients
    manager_web,
    outsider_web,
    scheduler_web,
    specialist_web,
    web_as,
)
from worklists.models import EventKind, ItemKind, ItemStatus, Queue, WorkItem, WorkItemEvent

NOW = f.at("2026-10-20", 12)
TODAY = dt.date(2026, 10, 20)
RANGE = figures.Filters(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 20))
HOSTILE = '=HYPERLINK("http://evil.example/x","click")'
SENT = f.at("2026-10-05", 8)


def _request(
    order: Any,
    payer: Any,
    status: str,
    *,
    hours: float | None = None,
    submitted: dt.datetime = SENT,
    **kw: Any,
) -> Any:
    if status in (AuthStatus.APPROVED, AuthStatus.PARTIAL):
        kw.setdefault("start_date", f.d("2026-10-01"))
        kw.setdefault("end_date", f.d("2026-12-31"))
    decided = submitted + dt.timedelta(hours=hours) if hours is not None else None
    return f.auth(order, status, payer=payer, submitted_at=submitted, decided_at=decided, **kw)


@pytest.fixture
def practice(specialist: User) -> dict[str, Any]:
    alpha, pa = f.practice("ALPHA")
    alpha.name = "Alpha Health"
    alpha.save()
    beta, pb = f.practice("BETA")
    beta.name = "Beta Care"
    beta.save()
    a_order = f.order(pa, service_category="physical_therapy")
    f.visit(a_order, TODAY + dt.timedelta(days=3), department="Ortho PT")
    f.visit(a_order, TODAY + dt.timedelta(days=20), department="Ortho PT")
    b_order = f.order(pb, service_category="imaging", code="70551")
    f.visit(b_order, "2026-10-02", status="fulfilled", department="Imaging")
    stat_order = f.order(pb, service_category="imaging", code="70553", priority="stat")
    f.visit(stat_order, "2026-10-03", status="fulfilled", department="Imaging")

    _request(a_order, alpha, "approved", hours=10, determination_code="A1")
    _request(a_order, alpha, "approved", hours=20, determination_code="A1")
    _request(a_order, alpha, "partial", hours=30, determination_code="A6")
    _request(a_order, alpha, "denied", hours=200, determination_code="A3", denial_reason=HOSTILE)
    _request(a_order, alpha, "approved", hours=5, submitted=f.at("2026-08-01", 9))
    b1 = _request(b_order, beta, "approved", hours=80, expedited=True)
    Appeal.objects.create(
        authorization=b1,
        level="1",
        deadline=f.d("2026-11-30"),
        channel="portal",
        outcome="overturned",
    )
    _request(stat_order, beta, "submitted", submitted=NOW - dt.timedelta(hours=100))
    _request(b_order, beta, "submitted", submitted=NOW - dt.timedelta(hours=100))
    _request(b_order, beta, "cancelled", submitted=SENT)
    f.auth(b_order, "draft", payer=beta)

    def item(order: Any, kind: str, queue: str, opened: dt.datetime, **kw: Any) -> WorkItem:
        made = WorkItem.objects.create(
            order=order, kind=kind, queue=queue, last_seen_as_of=TODAY, **kw
        )
        WorkItem.objects.filter(pk=made.pk).update(created_at=opened)
        made.refresh_from_db()
        return made

    item1 = item(
        a_order,
        ItemKind.MISSING_AUTH,
        Queue.STAT,
        NOW - dt.timedelta(days=1),
        due_date=TODAY - dt.timedelta(days=1),
        first_service_date=TODAY + dt.timedelta(days=3),
    )
    item2 = item(
        b_order,
        ItemKind.PENDING_FOLLOW_UP,
        Queue.ROUTINE,
        f.at("2026-10-10", 12),
        due_date=TODAY + dt.timedelta(days=5),
        first_service_date=None,
    )
    item3 = item(
        stat_order,
        ItemKind.DENIED,
        Queue.ROUTINE,
        f.at("2026-10-06", 9),
        due_date=TODAY,
        status=ItemStatus.RESOLVED,
        assignee=specialist,
        resolved_at=f.at("2026-10-18", 15),
    )

    def event(work_item: WorkItem, kind: str, when: dt.datetime, actor: User | None) -> None:
        made = WorkItemEvent.objects.create(work_item=work_item, kind=kind, actor=actor)
        WorkItemEvent.objects.filter(pk=made.pk).update(at=when)

    event(item2, EventKind.OPENED, f.at("2026-10-10", 12), None)
    event(item2, EventKind.SUBMITTED, f.at("2026-10-10", 17), specialist)
    event(item2, EventKind.SUBMITTED, f.at("2026-10-13", 9), specialist)
    event(item2, EventKind.NOTE, f.at("2026-10-13", 10), specialist)
    refresh.refresh_request_facts(full=True, now=NOW)
    return {"alpha": alpha, "beta": beta, "item1": item1, "item2": item2, "item3": item3}


@pytest.fixture
def board(practice: dict[str, Any]) -> figures.Dashboard:
    return figures.build(RANGE, now=NOW)
