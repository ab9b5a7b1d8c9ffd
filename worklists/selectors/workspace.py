"""The order's workspace beyond the item page's sections: every item of the order, the
one whose actions the page offers, and the notes and notifications of all of them.
Returns data and writes nothing: worklists.views.workspace records what it shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from patients.models import Order
from worklists.models import ACTIVE_STATUSES, PatientNotification, WorkItem, WorkItemNote

MAX_NOTES = 200
MAX_NOTIFICATIONS = 100


@dataclass(slots=True)
class Workspace:
    open_items: list[WorkItem]  # in queue order
    closed: list[WorkItem]  # newest first
    selected: WorkItem | None  # the item whose actions the page offers
    notes: list[WorkItemNote]  # of every item, newest first
    notifications: list[PatientNotification]  # of every item, newest first


def workspace(order: Order, selected_pk: int | None, *, keep_closed: bool) -> Workspace:
    """The order's items, the one selected (`selected_pk` if open, else the first in queue
    order; `keep_closed`: a closed one too, for a form that came back with errors after
    its item closed), and the order's notes and notifications."""
    items = list(
        WorkItem.objects.filter(order_id=order.pk)
        .select_related("assignee")
        .order_by("-created_at", "-id")
    )
    open_items = sorted(
        (i for i in items if i.status in ACTIVE_STATUSES),
        key=lambda i: (i.queue != "stat", i.due_date, i.pk),
    )
    closed = [i for i in items if i.status not in ACTIVE_STATUSES]
    choices = items if keep_closed else open_items
    selected = next((i for i in choices if i.pk == selected_pk), None)
    if selected is None and open_items:
        selected = open_items[0]
    if selected is not None:
        selected.order = order
    notes = list(
        WorkItemNote.objects.filter(work_item__order_id=order.pk)
        .select_related("author", "work_item")
        .order_by("-created_at", "-id")[:MAX_NOTES]
    )
    notifications = list(
        PatientNotification.objects.filter(work_item__order_id=order.pk)
        .select_related("sent_by")
        .order_by("-sent_at", "-id")[:MAX_NOTIFICATIONS]
    )
    return Workspace(open_items, closed, selected, notes, notifications)
