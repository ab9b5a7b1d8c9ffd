"""Work items for page tests, made directly (the scan has its own tests)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests import factories as f
from worklists import scan
from worklists.models import ItemKind, Queue, WorkItem


def make_item(
    queue: str = Queue.ROUTINE,
    *,
    due_in: int = 5,
    kind: str = ItemKind.MISSING_AUTH,
    payer: Any = None,
    department: str = "",
    **kw: Any,
) -> WorkItem:
    """An open item due due_in days from today, on a fresh order of a covered patient."""
    today = scan.today()
    patient = f.patient()
    f.coverage(patient, payer or f.payer(), start=today - dt.timedelta(days=400))
    order = f.order(patient, priority="stat" if queue == Queue.STAT else "routine")
    first = today + dt.timedelta(days=max(due_in, 0) + 3)
    f.visit(order, first, department=department)
    return WorkItem.objects.create(
        order=order,
        kind=kind,
        queue=queue,
        due_date=today + dt.timedelta(days=due_in),
        first_service_date=first,
        affected_appointments=kw.pop("affected", 1),
        last_seen_as_of=today,
        **kw,
    )


def make_items(n: int, queue: str = Queue.ROUTINE, **kw: Any) -> list[WorkItem]:
    return [make_item(queue, due_in=i % 9, **kw) for i in range(n)]
