"""Every write to work items: the scan's upserts and system resolutions."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from patients.models import Order
from worklists import scan
from worklists.models import (
    ACTIVE_STATUSES,
    EventKind,
    ItemStatus,
    Resolution,
    ScanRun,
    WorkItem,
    WorkItemEvent,
)

log = logging.getLogger(__name__)

# pg_try_advisory_lock key held by a full scan: at most one runs at a time.
SCAN_LOCK_KEY = 0x61757468_7173_63  # "authqsc"

ITEM_FIELDS = ("queue", "first_service_date", "affected_appointments", "due_date")


@dataclass(slots=True)
class ChunkResult:
    opened: int = 0
    updated: int = 0
    resolved: int = 0

    def add(self, other: ChunkResult) -> None:
        self.opened += other.opened
        self.updated += other.updated
        self.resolved += other.resolved


def _window_end(as_of: dt.date) -> dt.date:
    return as_of + dt.timedelta(days=settings.AUTHQ_HORIZON_DAYS)


def _order_id_chunks(chunk_size: int) -> Iterator[list[int]]:
    """Order ids in ascending chunks, by keyset so memory stays bounded."""
    last = 0
    while True:
        ids = list(
            Order.objects.filter(id__gt=last)
            .order_by("id")
            .values_list("id", flat=True)[:chunk_size]
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


_UPSERT_SQL = """
INSERT INTO worklists_workitem
    (order_id, kind, queue, status, first_service_date, affected_appointments, due_date,
     resolution, created_at, updated_at, last_seen_as_of)
SELECT f.order_id, f.kind, f.queue, 'open', f.first_service_date, f.affected_appointments,
       f.due_date, '', %(now)s, %(now)s, %(as_of)s
FROM unnest(%(order_ids)s::bigint[], %(kinds)s::text[], %(queues)s::text[],
            %(firsts)s::date[], %(affected)s::int[], %(dues)s::date[])
     AS f(order_id, kind, queue, first_service_date, affected_appointments, due_date)
ON CONFLICT (order_id, kind) WHERE status IN ('open', 'in_progress', 'waiting_on_payer')
DO UPDATE SET queue = EXCLUDED.queue,
              first_service_date = EXCLUDED.first_service_date,
              affected_appointments = EXCLUDED.affected_appointments,
              due_date = EXCLUDED.due_date,
              last_seen_as_of = EXCLUDED.last_seen_as_of,
              updated_at = EXCLUDED.updated_at
RETURNING id, order_id, kind, (xmax = 0) AS inserted
"""


def _apply_findings(
    order_ids: Sequence[int], as_of: dt.date, rules: scan.RuleBook, actor_id: int | None = None
) -> ChunkResult:
    """Evaluate a chunk of orders and bring their active work items in line, atomically.

    The orders' rows are locked (no-key, so appointments and authorizations can still
    be inserted) for the transaction: a full scan and an order's re-evaluation never
    interleave on one order. The partial unique constraint backs this up.
    """
    result = ChunkResult()
    with transaction.atomic():
        locked = list(
            Order.objects.filter(id__in=order_ids)
            .order_by("id")
            .select_for_update(no_key=True)
            .values_list("id", flat=True)
        )
        if not locked:
            return result
        facts = scan.load_orders(locked, as_of, _window_end(as_of))
        findings = [f for order in facts for f in scan.evaluate_order(order, rules, as_of).findings]

        existing = {
            (item.order_id, item.kind): item
            for item in WorkItem.objects.open().filter(order_id__in=locked)
        }
        changed = [
            f
            for f in findings
            if (f.order_id, f.kind) not in existing
            or any(getattr(existing[f.order_id, f.kind], n) != getattr(f, n) for n in ITEM_FIELDS)
        ]
        now = timezone.now()
        events: list[WorkItemEvent] = []
        if changed:
            with connection.cursor() as cursor:
                cursor.execute(
                    _UPSERT_SQL,
                    {
                        "now": now,
                        "as_of": as_of,
                        "order_ids": [f.order_id for f in changed],
                        "kinds": [f.kind for f in changed],
                        "queues": [f.queue for f in changed],
                        "firsts": [f.first_service_date for f in changed],
                        "affected": [f.affected_appointments for f in changed],
                        "dues": [f.due_date for f in changed],
                    },
                )
                rows = cursor.fetchall()
            by_key = {(f.order_id, f.kind): f for f in changed}
            for item_id, order_id, kind, inserted in rows:
                finding = by_key[order_id, kind]
                data = {
                    "as_of": as_of.isoformat(),
                    "queue": finding.queue,
                    "due_date": finding.due_date.isoformat(),
                    "first_service_date": (
                        finding.first_service_date.isoformat()
                        if finding.first_service_date
                        else None
                    ),
                    "affected_appointments": finding.affected_appointments,
                }
                kind_of_event = EventKind.OPENED if inserted else EventKind.UPDATED
                if inserted:
                    result.opened += 1
                else:
                    result.updated += 1
                events.append(
                    WorkItemEvent(
                        work_item_id=item_id, kind=kind_of_event, actor_id=actor_id, data=data
                    )
                )

        found = {(f.order_id, f.kind) for f in findings}
        gone = [item.id for key, item in existing.items() if key not in found]
        if gone:
            result.resolved = WorkItem.objects.filter(
                id__in=gone, status__in=ACTIVE_STATUSES
            ).update(
                status=ItemStatus.RESOLVED,
                resolution=Resolution.GAP_CLOSED,
                resolved_at=now,
                updated_at=now,
            )
            events.extend(
                WorkItemEvent(
                    work_item_id=item_id,
                    kind=EventKind.RESOLVED,
                    actor_id=actor_id,
                    data={"as_of": as_of.isoformat(), "resolution": Resolution.GAP_CLOSED},
                )
                for item_id in gone
            )
        if events:
            WorkItemEvent.objects.bulk_create(events)
    return result


def reevaluate_order(
    order: Order | int, *, as_of: dt.date | None = None, by: object = None
) -> ChunkResult:
    """Re-run the scan for one order now, so its items change without waiting for beat."""
    order_id = order if isinstance(order, int) else order.pk
    actor_id = getattr(by, "pk", None)
    return _apply_findings([order_id], as_of or scan.today(), scan.RuleBook.load(), actor_id)


def run_scan(*, as_of: dt.date | None = None, trigger: str = "command") -> ScanRun | None:
    """The full scan over every order, chunk by chunk; None when another scan holds the lock."""
    as_of = as_of or scan.today()
    chunk_size = settings.AUTHQ_SCAN_CHUNK_SIZE
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SCAN_LOCK_KEY])
        (acquired,) = cursor.fetchone()
    if not acquired:
        log.info("scan skipped: another scan is running")
        return None
    try:
        run = ScanRun.objects.create(as_of=as_of, trigger=trigger)
        total = ChunkResult()
        rules = scan.RuleBook.load()
        for ids in _order_id_chunks(chunk_size):
            total.add(_apply_findings(ids, as_of, rules))
            run.orders_scanned += len(ids)
        run.items_opened, run.items_updated, run.items_resolved = (
            total.opened,
            total.updated,
            total.resolved,
        )
        run.finished_at = timezone.now()
        run.save()
        log.info(
            "scan as_of=%s orders=%d opened=%d updated=%d resolved=%d",
            as_of,
            run.orders_scanned,
            run.items_opened,
            run.items_updated,
            run.items_resolved,
        )
        return run
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SCAN_LOCK_KEY])
