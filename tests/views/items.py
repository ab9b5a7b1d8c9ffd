"""Work items for page tests, made directly (the scan has its own tests)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from authq.lib import clock
from tests import factories as f
from worklists.models import ItemKind, Queue, WorkItem


def make_item(
    queue: str = Queue.ROUTINE,
    *,
    due_in: int = 5,
    kind: str = ItemKind.MISSING_AUTH,
    payer: Any = None,
    department: str = "",
    found_in: int | None = None,
    **kw: Any,
) -> WorkItem:
    """An open item due due_in days from today, on a fresh order of a covered patient.

    It was found (created) found_in days from today: by default today, or the day before
    its due date when that has passed, so an item due in the past is late rather than
    due at once (worklists.models.due_standing).
    """
    today = clock.today()
    patient = f.patient()
    f.coverage(patient, payer or f.payer(), start=today - dt.timedelta(days=400))
    order = f.order(patient, priority="stat" if queue == Queue.STAT else "routine")
    first = today + dt.timedelta(days=max(due_in, 0) + 3)
    f.visit(order, first, department=department)
    item = WorkItem.objects.create(
        order=order,
        kind=kind,
        queue=queue,
        due_date=today + dt.timedelta(days=due_in),
        first_service_date=first,
        affected_appointments=kw.pop("affected", 1),
        last_seen_as_of=today,
        **kw,
    )
    if found_in is None and due_in < 0:
        found_in = due_in - 1
    if found_in:
        # created_at is set on insert (auto_now_add): move it afterwards.
        item.created_at += dt.timedelta(days=found_in)
        WorkItem.objects.filter(pk=item.pk).update(created_at=item.created_at)
    return item


def make_items(n: int, queue: str = Queue.ROUTINE, **kw: Any) -> list[WorkItem]:
    return [make_item(queue, due_in=i % 9, **kw) for i in range(n)]
