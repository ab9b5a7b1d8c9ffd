"""The queue overview's counts (worklists.models.QueueCount): a trigger on the work items
keeps one row per change; these read the sums and fold the rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, Sum

from authq.lib.locks import try_advisory_lock
from worklists import sql
from worklists.models import QueueCount

# pg_try_advisory_xact_lock key of compact_queue_counts: one compaction at a time.
COUNTS_LOCK_KEY = 0x61757468_7163_6E  # "authqcn"


def queue_counts(today: dt.date) -> dict[tuple[str, str], dict[str, Any]]:
    """Active items in the work queue (not snoozed past `today`) by (queue, kind): how
    many, how many overdue on `today`, how many unclaimed. Sums the rows the work-item
    trigger keeps: exact, whatever wrote the items."""
    rows = (
        QueueCount.objects.filter(Q(follow_up_on__isnull=True) | Q(follow_up_on__lte=today))
        .values("queue", "kind")
        .annotate(
            total=Sum("n"),
            overdue=Sum("n", filter=Q(due_date__lt=today), default=0),
            unclaimed=Sum("n", filter=Q(claimed=False), default=0),
        )
        .exclude(total=0)
        .order_by()
    )
    return {
        (row["queue"], row["kind"]): {
            "queue": row["queue"],
            "kind": row["kind"],
            "n": row["total"],
            "overdue": row["overdue"],
            "unclaimed": row["unclaimed"],
        }
        for row in rows
    }


def count_open(
    today: dt.date,
    *,
    queue: str | None = None,
    kind: str | None = None,
    overdue: bool = False,
    due_within: int | None = None,
    unclaimed: bool = False,
) -> int:
    """How many active items in the work queue match these filters (the queue page's),
    from the count rows."""
    rows = QueueCount.objects.filter(Q(follow_up_on__isnull=True) | Q(follow_up_on__lte=today))
    if queue:
        rows = rows.filter(queue=queue)
    if kind:
        rows = rows.filter(kind=kind)
    if overdue:
        rows = rows.filter(due_date__lt=today)
    if due_within is not None:
        rows = rows.filter(due_date__lte=today + dt.timedelta(days=due_within))
    if unclaimed:
        rows = rows.filter(claimed=False)
    return rows.aggregate(n=Sum("n", default=0))["n"]


def count_snoozed(today: dt.date) -> int:
    """Active items snoozed to a follow-up date after `today`, from the count rows."""
    rows = QueueCount.objects.filter(follow_up_on__gt=today)
    return rows.aggregate(n=Sum("n", default=0))["n"]


def compact_queue_counts() -> int | None:
    """Fold the count rows into one per key, dropping keys at zero; the rows left, or None
    when another compaction is running. Readers see the same sums before and after."""
    with transaction.atomic(), connection.cursor() as cursor:
        if not try_advisory_lock(COUNTS_LOCK_KEY, transaction=True):
            return None
        cursor.execute(sql.COMPACT_COUNTS)
        return cursor.rowcount
