"""Applying the scan: an order's active work items brought in line with its findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from authq.lib.clock import today
from authq.lib.sql import id_array
from patients.models import Order
from patients.signals import collect_orders_changed
from worklists import sql
from worklists.models import (
    ACTIVE_STATUSES,
    FEED_KINDS,
    EventKind,
    ItemStatus,
    Resolution,
    WorkItem,
    WorkItemEvent,
)
from worklists.scan.evaluate import evaluate_order
from worklists.scan.load import load_orders
from worklists.scan.rules import RuleBook

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


def _dismissal_key(
    order_id: int, kind: str, first: dt.date | None, due: dt.date
) -> tuple[int, str, dt.date | None, dt.date | None]:
    return (order_id, kind, first, due if first is None else None)


def apply_findings(order_ids: Sequence[int], as_of: dt.date, rules: RuleBook) -> ChunkResult:
    """Evaluate a chunk of orders and bring their active work items in line, atomically.

    The orders' rows are locked (no-key, so appointments and authorizations can still
    be inserted) for the transaction: a full scan and an order's re-evaluation never
    interleave on one order. The partial unique constraint backs this up.
    """
    result = ChunkResult()
    with transaction.atomic():
        facts = load_orders(order_ids, as_of, _window_end(as_of), lock=True)
        if not facts:
            return result
        locked = [order.id for order in facts]
        findings = [f for order in facts for f in evaluate_order(order, rules, as_of).findings]

        # (order, kind) -> (item id, its scan fields in ITEM_FIELDS' order)
        existing: dict[tuple[int, str], tuple[int, tuple[object, ...]]] = {}
        dismissed: set[tuple[int, str, dt.date | None, dt.date | None]] = set()
        with connection.cursor() as cursor:
            statuses = [s.value for s in (*ACTIVE_STATUSES, ItemStatus.DISMISSED)]
            cursor.execute(sql.ITEMS, [id_array(locked), statuses])
            for item_id, order_id, kind, status, *fields in cursor.fetchall():
                if kind in FEED_KINDS:
                    continue
                if status == ItemStatus.DISMISSED:
                    dismissed.add(_dismissal_key(order_id, kind, fields[1], fields[3]))
                else:
                    existing[order_id, kind] = (item_id, tuple(fields))
        # A person dismissed this very gap: same order, kind and first service date (or,
        # for gaps without an appointment, the same due date). It stays dismissed.
        findings = [
            f
            for f in findings
            if _dismissal_key(f.order_id, f.kind, f.first_service_date, f.due_date) not in dismissed
        ]
        changed = [
            f
            for f in findings
            if (f.order_id, f.kind) not in existing
            or existing[f.order_id, f.kind][1] != tuple(getattr(f, n) for n in ITEM_FIELDS)
        ]
        now = timezone.now()
        events: list[WorkItemEvent] = []
        if changed:
            with connection.cursor() as cursor:
                cursor.execute(
                    sql.UPSERT,
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
                        work_item_id=item_id, kind=kind_of_event, actor_id=None, data=data
                    )
                )

        found = {(f.order_id, f.kind) for f in findings}
        gone = [item_id for key, (item_id, _) in existing.items() if key not in found]
        if gone:
            result.resolved = WorkItem.objects.filter(id__in=gone).move(
                "resolve", resolution=Resolution.GAP_CLOSED, resolved_at=now, updated_at=now
            )
            events.extend(
                WorkItemEvent(
                    work_item_id=item_id,
                    kind=EventKind.RESOLVED,
                    actor_id=None,
                    data={"as_of": as_of.isoformat(), "resolution": Resolution.GAP_CLOSED},
                )
                for item_id in gone
            )
        if events:
            WorkItemEvent.objects.bulk_create(events)
    return result


def reevaluate_order(order: Order | int, *, as_of: dt.date | None = None) -> ChunkResult:
    """Re-run the scan for one order now, so its items change without waiting for beat.

    The events it writes (opened, updated, resolved) are the scan's, with no actor, even
    when a person's action set it off: that action is the person's one event
    (docs/domain.md), so productivity counts it once.
    """
    order_id = order if isinstance(order, int) else order.pk
    return apply_findings([order_id], as_of or today(), RuleBook.load())


def reevaluate_orders(order_ids: Sequence[int], *, as_of: dt.date | None = None) -> ChunkResult:
    """Re-run the scan for a few orders now (one chunk)."""
    return apply_findings(list(order_ids), as_of or today(), RuleBook.load())


def reevaluate_when_committed(sender: object, *, order_ids: Sequence[int], **_: object) -> None:
    """patients.signals.orders_changed receiver: re-evaluate once the change has committed.
    (A batch writer collects the orders at the sender instead: collect_orders_changed.)"""
    ids = list(order_ids)
    transaction.on_commit(lambda: reevaluate_orders(ids))


def reevaluate_in_chunks(order_ids: Sequence[int]) -> None:
    """The orders through the scan's evaluation, AUTHQ_SCAN_CHUNK_SIZE at a time."""
    ids = sorted(set(order_ids))
    size = settings.AUTHQ_SCAN_CHUNK_SIZE
    for start in range(0, len(ids), size):
        with transaction.atomic():
            reevaluate_orders(ids[start : start + size])


@contextmanager
def reevaluation_gathered() -> Iterator[set[int]]:
    """A batch of writes (a FHIR bundle) whose services announce changed orders: the
    orders are gathered instead of re-evaluated per write, then re-evaluated once, in the
    scan's chunks, when the batch commits (never, if it rolls back)."""
    with collect_orders_changed() as gathered:
        yield gathered
    if gathered:
        ids = sorted(gathered)
        transaction.on_commit(lambda: reevaluate_in_chunks(ids))
