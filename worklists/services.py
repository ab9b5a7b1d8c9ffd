"""Every write to work items: the scan's upserts and system resolutions."""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage, mailers
from django.db import DatabaseError, connection, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from authq.lib.exceptions import ActionRefused
from authq.lib.locks import advisory_unlock, try_advisory_lock
from authq.lib.sql import Literal
from patients import services as patient_services
from patients.models import Coverage, Order
from payers import services as payer_services
from payers.models import Appeal, Authorization, Document, Payer, PeerToPeerReview
from worklists import notices, scan, scan_process
from worklists.models import (
    ACTIVE_STATUSES,
    PHONE_FAILURES,
    DismissalReason,
    EventKind,
    ItemStatus,
    NotificationChannel,
    NotificationStatus,
    ParkedTask,
    PatientNotification,
    PhoneOutcome,
    QueueCount,
    Resolution,
    ScanRun,
    WorkItem,
    WorkItemEvent,
    WorkItemNote,
    WorkItemQuerySet,
    status_after,
)

log = logging.getLogger(__name__)

# pg_try_advisory_lock key held by a full scan: at most one runs at a time.
SCAN_LOCK_KEY = 0x61757468_7173_63  # "authqsc"

# pg_try_advisory_xact_lock key of compact_queue_counts: one compaction at a time.
COUNTS_LOCK_KEY = 0x61757468_7163_6E  # "authqcn"

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


_CHUNK_IDS_SQL = "SELECT id FROM patients_order WHERE id > %s ORDER BY id LIMIT %s"


def _order_id_chunks(chunk_size: int) -> Iterator[list[int]]:
    """Order ids in ascending chunks, by keyset so memory stays bounded."""
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(_CHUNK_IDS_SQL, [last, chunk_size])
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return
        yield ids
        last = ids[-1]


# Plain SQL with an id array, like scan.load_orders: the ORM's `order_id__in` costs more
# per chunk (500 placeholders built, converted and parsed) than the query itself.
# Active items, and the dismissed ones a finding may match (same query).
_ITEMS_SQL = """
SELECT id, order_id, kind, status, queue, first_service_date, affected_appointments, due_date
FROM worklists_workitem WHERE order_id = ANY(%s::bigint[]) AND status = ANY(%s)
"""


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


def _dismissal_key(
    order_id: int, kind: str, first: dt.date | None, due: dt.date
) -> tuple[int, str, dt.date | None, dt.date | None]:
    return (order_id, kind, first, due if first is None else None)


def _apply_findings(order_ids: Sequence[int], as_of: dt.date, rules: scan.RuleBook) -> ChunkResult:
    """Evaluate a chunk of orders and bring their active work items in line, atomically.

    The orders' rows are locked (no-key, so appointments and authorizations can still
    be inserted) for the transaction: a full scan and an order's re-evaluation never
    interleave on one order. The partial unique constraint backs this up.
    """
    result = ChunkResult()
    with transaction.atomic():
        facts = scan.load_orders(order_ids, as_of, _window_end(as_of), lock=True)
        if not facts:
            return result
        locked = [order.id for order in facts]
        findings = [f for order in facts for f in scan.evaluate_order(order, rules, as_of).findings]

        # (order, kind) -> (item id, its scan fields in ITEM_FIELDS' order)
        existing: dict[tuple[int, str], tuple[int, tuple[object, ...]]] = {}
        dismissed: set[tuple[int, str, dt.date | None, dt.date | None]] = set()
        with connection.cursor() as cursor:
            statuses = [s.value for s in (*ACTIVE_STATUSES, ItemStatus.DISMISSED)]
            cursor.execute(_ITEMS_SQL, [scan.id_array(locked), statuses])
            for item_id, order_id, kind, status, *fields in cursor.fetchall():
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
    return _apply_findings([order_id], as_of or scan.today(), scan.RuleBook.load())


def reevaluate_orders(order_ids: Sequence[int], *, as_of: dt.date | None = None) -> ChunkResult:
    """Re-run the scan for a few orders now (one chunk)."""
    return _apply_findings(list(order_ids), as_of or scan.today(), scan.RuleBook.load())


def reevaluate_when_committed(sender: object, *, order_ids: Sequence[int], **_: object) -> None:
    """patients.signals.orders_changed receiver: re-evaluate once the change has committed."""
    ids = list(order_ids)
    transaction.on_commit(lambda: reevaluate_orders(ids))


def _scan_in_processes(
    as_of: dt.date, chunk_size: int, processes: int
) -> Iterator[tuple[int, ChunkResult]]:
    """The chunks shared by `processes` forked processes, each with its own connection;
    each chunk is one transaction there, as in process. Yields (orders, result) per chunk."""
    context = multiprocessing.get_context("fork")  # Django is set up: no start-up to pay
    with ProcessPoolExecutor(
        max_workers=processes, mp_context=context, initializer=scan_process.start
    ) as pool:
        pending = {
            pool.submit(scan_process.scan_chunk, ids, as_of): len(ids)
            for ids in _order_id_chunks(chunk_size)
        }
        for future in as_completed(pending):
            yield pending[future], future.result()


def run_scan(
    *, as_of: dt.date | None = None, trigger: str = "command", processes: int | None = None
) -> ScanRun | None:
    """The full scan over every order, chunk by chunk; None when another scan holds the lock.

    processes: more than 1 shares the chunks among that many forked processes (the
    Python work of deciding is most of a scan; default AUTHQ_SCAN_PROCESSES). The data
    must be committed: the processes have connections of their own.
    """
    as_of = as_of or scan.today()
    processes = processes or settings.AUTHQ_SCAN_PROCESSES
    chunk_size = settings.AUTHQ_SCAN_CHUNK_SIZE
    acquired = try_advisory_lock(SCAN_LOCK_KEY)
    if not acquired:
        log.info("scan skipped: another scan is running")
        return None
    try:
        if _chunked_run_in_flight():
            log.info("scan skipped: a chunked scan is running")
            return None
        run = ScanRun.objects.create(as_of=as_of, trigger=trigger)
        total = ChunkResult()
        if processes > 1:
            for orders, result in _scan_in_processes(as_of, chunk_size, processes):
                total.add(result)
                run.orders_scanned += orders
        else:
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
        compact_queue_counts()
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
        advisory_unlock(SCAN_LOCK_KEY)


# --- The queue overview's counts (worklists.models.QueueCount). -------------------------


def queue_counts(today: dt.date) -> dict[tuple[str, str], dict[str, int]]:
    """Active items in the work queue (not snoozed past `today`) by (queue, kind): how
    many, how many overdue on `today`, how many unclaimed. Sums the rows the work-item
    trigger keeps: exact, whatever wrote the items."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT queue, kind, sum(n), coalesce(sum(n) FILTER (WHERE due_date < %s), 0),
                   coalesce(sum(n) FILTER (WHERE NOT claimed), 0)
            FROM worklists_queuecount
            WHERE follow_up_on IS NULL OR follow_up_on <= %s
            GROUP BY queue, kind HAVING sum(n) <> 0
            """,
            [today, today],
        )
        return {
            (queue, kind): {
                "queue": queue,
                "kind": kind,
                "n": n,
                "overdue": overdue,
                "unclaimed": unclaimed,
            }
            for queue, kind, n, overdue, unclaimed in cursor.fetchall()
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
        cursor.execute(
            """
            WITH gone AS (
                DELETE FROM worklists_queuecount
                RETURNING queue, kind, due_date, claimed, follow_up_on, n
            )
            INSERT INTO worklists_queuecount (queue, kind, due_date, claimed, follow_up_on, n)
            SELECT queue, kind, due_date, claimed, follow_up_on, sum(n) FROM gone
            GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0
            """
        )
        return cursor.rowcount


# --- The chunked scan: the beat's, spread over Celery workers. ----------------------
# The coordinator cuts the orders into id ranges and enqueues one `scan_chunk` task per
# range; any number of workers run them in parallel. One scan at a time still holds:
# the coordinator takes the same advisory lock as run_scan, refuses to start while a
# chunked run is alive, and creates the run's row before releasing the lock. The last
# chunk to finish marks the run finished (see docs/performance.md). A run is alive while
# its chunks make progress: one none of whose chunks has finished for
# AUTHQ_SCAN_STALE_MINUTES lost them, and the next scan marks it abandoned
# (docs/reliability.md). Each chunk is counted once (ScanRunChunk), however often the
# broker delivers it.

CHUNKED_TRIGGER = "beat"

_RANGES_SQL = """
SELECT min(id), max(id), count(*)
FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / %s AS chunk FROM patients_order) o
GROUP BY chunk ORDER BY chunk
"""


@dataclass(frozen=True, slots=True)
class ScanChunk:
    """Orders with ids in [first_id, last_id] (last_id None: and every later one)."""

    first_id: int
    last_id: int | None
    planned: int


def _live_chunked_runs() -> QuerySet[ScanRun]:
    return ScanRun.objects.filter(
        trigger=CHUNKED_TRIGGER, finished_at__isnull=True, abandoned_at__isnull=True
    )


def abandon_stale_runs() -> int:
    """Mark abandoned the chunked runs none of whose chunks finished for
    AUTHQ_SCAN_STALE_MINUTES; their late chunks count for nothing. Returns how many."""
    now = timezone.now()
    stale_before = now - dt.timedelta(minutes=settings.AUTHQ_SCAN_STALE_MINUTES)
    stale = _live_chunked_runs().filter(
        Q(progressed_at__lt=stale_before)
        | Q(progressed_at__isnull=True, started_at__lt=stale_before)
    )
    ids = list(stale.values_list("id", flat=True))
    # Conditional: a run that finished meanwhile stays finished.
    abandoned = _live_chunked_runs().filter(id__in=ids).update(abandoned_at=now)
    for run_id in ids:
        log.warning("scan run %s abandoned: no chunk finished for %s minutes", run_id,
                    settings.AUTHQ_SCAN_STALE_MINUTES)  # fmt: skip
    return abandoned


def _chunked_run_in_flight() -> bool:
    abandon_stale_runs()
    return _live_chunked_runs().exists()


def plan_chunked_scan(
    *, as_of: dt.date | None = None, chunk_size: int | None = None
) -> tuple[ScanRun, list[ScanChunk]] | None:
    """Start a chunked scan: its ScanRun and the chunks to enqueue; None while another runs."""
    as_of = as_of or scan.today()
    chunk_size = chunk_size or settings.AUTHQ_SCAN_CHUNK_SIZE
    with transaction.atomic(), connection.cursor() as cursor:
        # Transaction-level: released at commit, once the run's row is visible to all.
        acquired = try_advisory_lock(SCAN_LOCK_KEY, transaction=True)
        if not acquired or _chunked_run_in_flight():
            log.info("scan skipped: another scan is running")
            return None
        cursor.execute(_RANGES_SQL, [chunk_size])
        ranges = cursor.fetchall()
        chunks = [ScanChunk(lo, hi, n) for lo, hi, n in ranges]
        if chunks:  # orders added while the scan runs belong to the last chunk
            chunks[-1] = ScanChunk(chunks[-1].first_id, None, chunks[-1].planned)
        run = ScanRun.objects.create(as_of=as_of, trigger=CHUNKED_TRIGGER)
        if not chunks:
            run.finished_at = timezone.now()
            run.save(update_fields=["finished_at"])
    return run, chunks


_COUNT_CHUNK_SQL = """
INSERT INTO worklists_scanrunchunk (run_id, first_id, orders, done_at)
VALUES (%s, %s, %s, %s) ON CONFLICT (run_id, first_id) DO NOTHING RETURNING id
"""

_ADD_TO_RUN_SQL = """
UPDATE worklists_scanrun
SET orders_scanned = orders_scanned + %s, items_opened = items_opened + %s,
    items_updated = items_updated + %s, items_resolved = items_resolved + %s,
    progressed_at = %s
WHERE id = %s AND finished_at IS NULL AND abandoned_at IS NULL
RETURNING orders_scanned
"""


def scan_chunk(run_id: int, chunk: ScanChunk, as_of: dt.date, orders_planned: int) -> bool:
    """Scan one chunk of a chunked run; True when it was the run's last chunk.

    `orders_planned` is the run's total: the chunk that brings orders_scanned to it
    finishes the run.

    A chunk delivered twice (a worker died before acknowledging it, or the broker's
    visibility timeout ran out) is counted once: the first delivery to commit records it
    in ScanRunChunk, and a later one does nothing. A chunk of a run already finished or
    abandoned does nothing either (the next scan covers its orders).
    """
    live = _live_chunked_runs().filter(pk=run_id).exists()
    if not live:
        log.info("scan chunk from order %s skipped: run %s is over", chunk.first_id, run_id)
        return False
    ids = Order.objects.filter(id__gte=chunk.first_id).order_by("id")
    if chunk.last_id is not None:
        ids = ids.filter(id__lte=chunk.last_id)
    rules = scan.RuleBook.load()
    chunk_size = settings.AUTHQ_SCAN_CHUNK_SIZE
    with transaction.atomic():
        now = timezone.now()
        with connection.cursor() as cursor:
            # A second delivery waits here until the first commits, then finds its row.
            cursor.execute(_COUNT_CHUNK_SQL, [run_id, chunk.first_id, chunk.planned, now])
            if cursor.fetchone() is None:
                log.info("scan chunk from order %s of run %s: already counted",
                         chunk.first_id, run_id)  # fmt: skip
                return False
        total = ChunkResult()
        order_ids = list(ids.values_list("id", flat=True))
        for start in range(0, len(order_ids), chunk_size):
            total.add(_apply_findings(order_ids[start : start + chunk_size], as_of, rules))
        with connection.cursor() as cursor:
            cursor.execute(
                _ADD_TO_RUN_SQL,
                [chunk.planned, total.opened, total.updated, total.resolved, now, run_id],
            )
            row = cursor.fetchone()
        if row is None or row[0] < orders_planned:
            return False
        # The UPDATE above holds the row; no FOR UPDATE, which would wait on the key-share
        # locks that other chunks' ScanRunChunk rows take.
        ScanRun.objects.filter(pk=run_id).update(finished_at=now)
        run = ScanRun.objects.get(pk=run_id)
    compact_queue_counts()
    log.info(
        "scan as_of=%s orders=%d opened=%d updated=%d resolved=%d (chunked)",
        as_of,
        run.orders_scanned,
        run.items_opened,
        run.items_updated,
        run.items_resolved,
    )
    return True


# --- Parked tasks: failed for good, kept for an administrator. -----------------------


def park_task(
    *,
    name: str,
    task_id: str,
    args: list[Any],
    kwargs: dict[str, Any],
    attempts: int,
    exc: BaseException,
    tb: TracebackType | None,
) -> ParkedTask | None:
    """Record a task that failed for good (a second report of the same task is ignored).
    The error's message may quote data, so only its type, SQLSTATE and place are kept.
    None when the database itself cannot take the record: then the log has it."""
    cause = exc.__cause__ or exc
    frames = traceback.extract_tb(tb) if tb is not None else []
    where = (
        f"{Path(frames[-1].filename).name}:{frames[-1].lineno} {frames[-1].name}" if frames else ""
    )
    error_type = f"{type(exc).__module__}.{type(exc).__qualname__}"
    log.error("task %s %s parked after %d attempts: %s at %s", name, task_id, attempts,
              error_type, where)  # fmt: skip
    try:
        parked, _ = ParkedTask.objects.get_or_create(
            task_id=task_id,
            defaults={
                "task_name": name[:200],
                "args": args,
                "kwargs": kwargs,
                "attempts": attempts,
                "error_type": error_type[:200],
                "error_code": (getattr(cause, "sqlstate", None) or "")[:5],
                "error_where": where[:300],
            },
        )
    except DatabaseError:
        log.exception("task %s %s could not be parked", name, task_id)
        return None
    return parked


# --- Claiming: who works an item. ---------------------------------------------------
# These change who works an item, not the records the scan reads, so they do not
# re-evaluate the order.


class ClaimError(Exception):
    """A claim, release or assignment that cannot happen; the message is safe to show."""


class NotYourItem(ClaimError):
    """Releasing or reassigning a colleague's item, by someone who is neither its owner
    nor a manager (views answer 403 with the message)."""


def can_work_items(user: object) -> bool:
    """Works items: may claim them. Specialists (and admins), not managers or schedulers."""
    return bool(
        getattr(user, "is_active", False)
        and user.has_perm("worklists.change_workitem")  # type: ignore[attr-defined]
        and user.has_perm("payers.change_authorization")  # type: ignore[attr-defined]
    )


def can_assign_items(user: object) -> bool:
    """May hand items to a colleague: specialists for cross-coverage, and managers."""
    return bool(
        getattr(user, "is_active", False) and user.has_perm("worklists.change_workitem")  # type: ignore[attr-defined]
    )


def can_reassign_items(user: object) -> bool:
    """May release or reassign an item a colleague has claimed: managers (and admins)."""
    return bool(
        getattr(user, "is_active", False) and user.has_perm("worklists.reassign_workitem")  # type: ignore[attr-defined]
    )


def workers() -> QuerySet[User]:
    """Active people who may be given items: those with both permissions of can_work_items."""
    from django.contrib.auth.models import Permission

    def holders(app_label: str, codename: str) -> Q:
        perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        return Q(is_superuser=True) | Q(groups__permissions__in=perm) | Q(user_permissions__in=perm)

    ids = (
        User.objects.filter(is_active=True)
        .filter(holders("worklists", "change_workitem"))
        .filter(holders("payers", "change_authorization"))
        .values("id")
    )
    return User.objects.filter(id__in=ids).order_by("username")


def _event(item: WorkItem, kind: str, by: object, **data: object) -> None:
    WorkItemEvent.objects.create(
        work_item=item, kind=kind, actor_id=getattr(by, "pk", None), data=data
    )


def _take(item: WorkItem, user: object) -> None:
    """Make an active item the user's (callers check it is active)."""
    item.assignee_id = user.pk  # type: ignore[attr-defined]
    item.claim_active_at = timezone.now()
    item.status = status_after("claim", item.status) or item.status
    item.save(update_fields=["assignee", "claim_active_at", "status", "updated_at"])


def claim_candidates(queue: str | None = None, *, today: dt.date | None = None) -> WorkItemQuerySet:
    """Unclaimed open items of the work queue (not snoozed) in queue order, locked as
    read, skipping rows being claimed."""
    # A literal status: the one plan a prepared statement keeps can use the queue index.
    candidates = WorkItem.objects.filter(
        status=Literal(ItemStatus.OPEN.value), assignee=None
    ).in_work_queue(today or scan.today())
    if queue:
        candidates = candidates.in_queue(queue)
    return candidates.in_queue_order().select_for_update(skip_locked=True, of=("self",))


def claim_next(user: object, *, queue: str | None = None) -> WorkItem | None:
    """The top unclaimed open item in queue order, now the user's; None when none is left.

    Rows another transaction is claiming are skipped, not waited for, so people who
    click at the same moment get different items.
    """
    with transaction.atomic():
        item = claim_candidates(queue).first()
        if item is None:
            return None
        _take(item, user)
        _event(item, EventKind.CLAIMED, user, queue=item.queue, next=True)
    return item


def _locked(item: WorkItem | int) -> WorkItem:
    pk = item if isinstance(item, int) else item.pk
    return WorkItem.objects.select_for_update(of=("self",)).get(pk=pk)


def claim(item: WorkItem | int, *, by: object) -> WorkItem:
    """Take a chosen item. Claiming one's own item again changes nothing."""
    with transaction.atomic():
        item = _locked(item)
        if not item.is_active:
            raise ClaimError("This item is closed.")
        if item.assignee_id == by.pk:  # type: ignore[attr-defined]
            return item
        if item.assignee_id is not None:
            raise ClaimError("Someone else has already claimed this item.")
        _take(item, by)
        _event(item, EventKind.CLAIMED, by, queue=item.queue)
    return item


def release(item: WorkItem | int, *, by: object) -> WorkItem:
    """Give an item back to the queue: unassigned, and open again if it was in progress.

    The assignee may release it; so may a manager (can_reassign_items), nobody else.
    """
    with transaction.atomic():
        item = _locked(item)
        if item.assignee_id is None:
            return item
        if item.assignee_id != by.pk and not can_reassign_items(by):  # type: ignore[attr-defined]
            raise NotYourItem("Only the person working this item or a manager can release it.")
        previous = item.assignee_id
        item.assignee = None
        item.status = status_after("release", item.status) or item.status
        item.save(update_fields=["assignee", "status", "updated_at"])
        _event(item, EventKind.RELEASED, by, previous_assignee=previous)
    return item


def release_lapsed_claims(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Give back to their queues the items whose assignee has not claimed or acted for
    AUTHQ_CLAIM_LEASE_MINUTES, each with a `released` event marked `lease`. Safe to run
    twice at once: locked rows are skipped, and each is checked again once locked."""
    now = now or timezone.now()
    lapsed = Q(
        assignee__isnull=False,
        status__in=ACTIVE_STATUSES,
        claim_active_at__lt=now - dt.timedelta(minutes=settings.AUTHQ_CLAIM_LEASE_MINUTES),
    )
    released = 0
    while True:
        with transaction.atomic():
            items = list(
                WorkItem.objects.filter(lapsed)
                .order_by("claim_active_at")
                .select_for_update(skip_locked=True)[:batch]
            )
            for item in items:
                previous = item.assignee_id
                item.assignee = None
                item.status = status_after("release", item.status) or item.status
                item.save(update_fields=["assignee", "status", "updated_at"])
                _event(item, EventKind.RELEASED, None, previous_assignee=previous, lease=True)
        released += len(items)
        if len(items) < batch:
            break
    if released:
        log.info("released %d lapsed claims", released)
    return released


def assign(item: WorkItem | int, *, to: User, by: object) -> WorkItem:
    """Hand an item to a colleague (cross-coverage); only people who work items qualify.

    An unclaimed item or one's own may be handed on by anyone who may assign; an item a
    colleague has claimed only by a manager (can_reassign_items).
    """
    if not can_work_items(to):
        raise ClaimError("Items can only be assigned to authorization specialists.")
    with transaction.atomic():
        item = _locked(item)
        if not item.is_active:
            raise ClaimError("This item is closed.")
        if item.assignee_id == to.pk:
            return item
        if (
            item.assignee_id is not None
            and item.assignee_id != by.pk  # type: ignore[attr-defined]
            and not can_reassign_items(by)
        ):
            raise NotYourItem(
                "This item is claimed by a colleague: only they or a manager can reassign it."
            )
        previous = item.assignee_id
        _take(item, to)
        _event(item, EventKind.ASSIGNED, by, previous_assignee=previous, assignee=to.pk)
    return item


# The scheduler's request for an authorization.


def can_request_authorization(user: object) -> bool:
    """Schedulers and specialists: whoever may see orders and their authorizations."""
    return bool(
        getattr(user, "is_active", False)
        and user.has_perm("patients.view_order")  # type: ignore[attr-defined]
        and user.has_perm("payers.view_authorization")  # type: ignore[attr-defined]
    )


def request_authorization(order: Order | int, *, by: object) -> WorkItem:
    """Ask the specialists for an authorization of `order`: its item goes to the STAT queue.

    The request is kept on the order (`auth_requested_at`), so every later scan keeps the
    order's items in STAT, and opens a missing-authorization item when it finds no other
    gap, until an authorization is submitted or decided after the request (docs/scan.md).
    Returns the order's STAT item, with an `auth_requested` event by `by`.
    """
    from worklists.models import Queue

    order_id = order if isinstance(order, int) else order.pk
    with transaction.atomic():
        locked = Order.objects.select_for_update(no_key=True).get(pk=order_id)
        locked.auth_requested_at = timezone.now()
        locked.save(update_fields=["auth_requested_at", "updated_at"])
        reevaluate_order(locked)
        item = (
            WorkItem.objects.open()
            .filter(order_id=order_id, queue=Queue.STAT)
            .in_queue_order()
            .first()
        )
        if item is None:
            # Only a dismissed request of the same day can leave no active item.
            item = WorkItem.objects.filter(order_id=order_id).order_by("-updated_at", "-id").first()
            assert item is not None
        _event(item, EventKind.AUTH_REQUESTED, by, order=order_id)
    log.info(
        "authorization requested order=%s by=%s item=%s", order_id, getattr(by, "pk", None), item.pk
    )
    return item


# --- Working an item: the actions of the work-item page. ------------------------------
# Each records its change through the owning app's service, appends an event to the
# item (ids and codes only), and re-evaluates the order in the same transaction, so the
# item leaves or changes queue at once.


class ClaimLapsed(ActionRefused):
    """An action by someone whose claim on the item ran out (R11): they claim it again,
    seeing what happened meanwhile, before their work is saved."""


def _claim_lapsed(item: WorkItem, by: object) -> bool:
    """Whether `by` last held the item through a claim or assignment that the lease then
    released, and has not claimed it since."""
    pk = by.pk  # type: ignore[attr-defined]
    last = (
        WorkItemEvent.objects.filter(work_item=item)
        .filter(
            Q(kind=EventKind.CLAIMED, actor_id=pk)
            | Q(kind=EventKind.ASSIGNED, data__assignee=pk)
            | Q(kind=EventKind.RELEASED, data__lease=True, data__previous_assignee=pk)
        )
        .order_by("-id")
        .values_list("kind", flat=True)
        .first()
    )
    return last == EventKind.RELEASED


def _claim_if_unclaimed(item: WorkItem, by: object) -> None:
    """Acting claims: the first action on an unclaimed active item makes it the actor's
    (a specialist's; a manager's action claims nothing), with a `claimed` event marked
    `acting`. Called inside the action's transaction, so a refused action claims nothing.
    An item a colleague holds stays theirs. The assignee's action renews their lease; an
    action by someone whose claim lapsed is refused (ClaimLapsed)."""
    if not can_work_items(by):
        return
    locked = _locked(item)
    if locked.assignee_id == by.pk:  # type: ignore[attr-defined]
        WorkItem.objects.filter(pk=locked.pk).update(claim_active_at=timezone.now())
        return
    if _claim_lapsed(locked, by):
        raise ClaimLapsed(
            "Your claim on this item ran out while you were away and it went back to the "
            "queue: claim it again, check what changed, then save."
        )
    if locked.assignee_id is not None or not locked.is_active:
        return
    _take(locked, by)
    _event(locked, EventKind.CLAIMED, by, queue=locked.queue, acting=True)
    item.assignee_id, item.status = locked.assignee_id, locked.status


def _worked(item: WorkItem, kind: str, by: object, data: dict[str, object]) -> None:
    WorkItemEvent.objects.create(
        work_item_id=item.pk, kind=kind, actor_id=getattr(by, "pk", None), data=data
    )
    reevaluate_order(item.order_id)


def _set_status(item: WorkItem, action: str) -> None:
    """Apply `action` to an item that is still active (the re-evaluation may have
    resolved it), by ITEM_TRANSITIONS."""
    WorkItem.objects.filter(pk=item.pk).move(action, updated_at=timezone.now())


def verify_item_benefits(
    item: WorkItem, coverage: Coverage, *, by: User, **benefits: Any
) -> Coverage:
    with transaction.atomic():
        _claim_if_unclaimed(item, by)
        coverage = patient_services.verify_benefits(coverage, by=by, **benefits)
        _worked(item, EventKind.BENEFITS_VERIFIED, by, {"coverage": coverage.pk})
    return coverage


def submit_for_item(item: WorkItem, *, by: User, **request: Any) -> Authorization:
    """A request sent to the payer; the item now waits on the payer (if still open)."""
    with transaction.atomic():
        _claim_if_unclaimed(item, by)
        auth = payer_services.record_submission(item.order, by=by, **request)
        _set_status(item, "submit")
        _worked(
            item,
            EventKind.SUBMITTED,
            by,
            {
                "authorization": auth.pk,
                "channel": auth.submission_channel,
                "expedited": auth.expedited,
            },
        )
    return auth


def decide_for_item(
    item: WorkItem,
    authorization: Authorization | None,
    *,
    by: User,
    channel: str = "",
    payer: Payer | None = None,
    **decision: Any,
) -> Authorization:
    """The payer's answer on a submitted request, or (authorization None) a request
    answered at once. `payer` is the payer that answered; an approval needs one (on the
    request or given here)."""
    with transaction.atomic():
        _claim_if_unclaimed(item, by)
        if authorization is None:
            auth = payer_services.record_answer_at_once(
                item.order, by=by, channel=channel or "phone", payer=payer, **decision
            )
        else:
            auth = payer_services.record_decision(authorization, payer=payer, **decision)
        if decision["outcome"] != "pended":
            _set_status(item, "decide")
        _worked(
            item,
            EventKind.DECIDED,
            by,
            {
                "authorization": auth.pk,
                "outcome": decision["outcome"],
                "status": auth.status,
                "determination": auth.determination_code,
                "approved_visits": auth.approved_visits,
                "denial_reason": auth.denial_reason_code,
            },
        )
    return auth


# A pending appeal or peer-to-peer review parks its denied item out of the work queue
# until this many days before the review's deadline.
PARK_LEAD_DAYS = 2


def _park(item: WorkItem, deadline: dt.date) -> dt.date | None:
    """Snooze the item (its follow-up date) until PARK_LEAD_DAYS before `deadline`; the
    date, or None when that day has come already or an earlier follow-up date stands."""
    back_on = deadline - dt.timedelta(days=PARK_LEAD_DAYS)
    today = scan.today()
    if back_on <= today:
        return None
    locked = _locked(item)
    current = locked.follow_up_on
    if not locked.is_active or (current is not None and today < current <= back_on):
        return None
    locked.follow_up_on = back_on
    locked.save(update_fields=["follow_up_on", "updated_at"])
    return back_on


def _unpark(item: WorkItem) -> bool:
    """A review's outcome brings its item back now: a follow-up date ahead is cleared."""
    return bool(
        WorkItem.objects.filter(pk=item.pk, follow_up_on__gt=scan.today()).update(
            follow_up_on=None, updated_at=timezone.now()
        )
    )


def record_item_peer_review(
    item: WorkItem, authorization: Authorization, *, by: User, **review: Any
) -> PeerToPeerReview:
    with transaction.atomic():
        _claim_if_unclaimed(item, by)
        p2p = payer_services.record_peer_review(authorization, by=by, **review)
        parked = _park(item, p2p.request_by) if p2p.outcome == "pending" else None
        _worked(
            item,
            EventKind.PEER_REVIEW,
            by,
            {
                "authorization": authorization.pk,
                "peer_review": p2p.pk,
                "outcome": p2p.outcome,
                **({"parked_until": parked.isoformat()} if parked else {}),
            },
        )
    return p2p


def record_item_appeal(
    item: WorkItem, authorization: Authorization, *, by: User, **appeal: Any
) -> Appeal:
    with transaction.atomic():
        _claim_if_unclaimed(item, by)
        record = payer_services.record_appeal(authorization, by=by, **appeal)
        parked = _park(item, record.deadline) if record.outcome == "pending" else None
        _worked(
            item,
            EventKind.APPEAL,
            by,
            {
                "authorization": authorization.pk,
                "appeal": record.pk,
                "level": record.level,
                "outcome": record.outcome,
                **({"parked_until": parked.isoformat()} if parked else {}),
            },
        )
    return record


def set_item_review_outcome(
    item: WorkItem, review: PeerToPeerReview | Appeal, *, by: User, outcome: str
) -> PeerToPeerReview | Appeal:
    """The result of a peer-to-peer review or an appeal of the item's order, recorded once."""
    if review.authorization.order_id != item.order_id:
        raise ActionRefused("That review is not on this item's order.")
    kind, key = (
        (EventKind.PEER_REVIEW_OUTCOME, "peer_review")
        if isinstance(review, PeerToPeerReview)
        else (EventKind.APPEAL_OUTCOME, "appeal")
    )
    with transaction.atomic():
        _claim_if_unclaimed(item, by)
        review = payer_services.set_review_outcome(review, outcome=outcome)
        unparked = _unpark(item)
        _worked(
            item,
            kind,
            by,
            {
                "authorization": review.authorization_id,
                key: review.pk,
                "outcome": review.outcome,
                **({"unparked": True} if unparked else {}),
            },
        )
    return review


def attach_item_document(item: WorkItem, *, by: User, **document: Any) -> Document:
    with transaction.atomic():
        _claim_if_unclaimed(item, by)
        doc = payer_services.attach_document(item.order, by=by, **document)
        _worked(
            item,
            EventKind.DOCUMENT,
            by,
            {"document": doc.pk, "kind": doc.kind, "type": doc.content_type, "size": doc.size},
        )
    return doc


def add_item_note(item: WorkItem, *, by: User, text: str) -> WorkItemNote:
    """A note; its text stays in the note (it may name the patient), the event holds its id."""
    with transaction.atomic():
        _claim_if_unclaimed(item, by)
        note = WorkItemNote.objects.create(work_item=item, text=text.strip(), author=by)
        _worked(item, EventKind.NOTE, by, {"note": note.pk})
    return note


# The latest follow-up date a person may set, in days from today.
MAX_FOLLOW_UP_DAYS = 365


def set_item_follow_up(item: WorkItem, *, by: User, follow_up_on: dt.date | None) -> WorkItem:
    """Set (or clear, None) the item's follow-up date: from today to a year ahead. A date
    ahead snoozes the item out of the work queue until that day (WorkItem.in_work_queue)."""
    today = scan.today()
    if follow_up_on is not None and not (
        today <= follow_up_on <= today + dt.timedelta(days=MAX_FOLLOW_UP_DAYS)
    ):
        raise ActionRefused(
            f"The follow-up date must be between today and {MAX_FOLLOW_UP_DAYS} days from today."
        )
    with transaction.atomic():
        _claim_if_unclaimed(item, by)
        item = WorkItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        if not item.is_active:
            raise ActionRefused("This item is closed; a follow-up date would never come up.")
        item.follow_up_on = follow_up_on
        item.save(update_fields=["follow_up_on", "updated_at"])
        _worked(
            item,
            EventKind.FOLLOW_UP,
            by,
            {"follow_up_on": follow_up_on.isoformat() if follow_up_on else None},
        )
    return item


def preview_notice(item: WorkItem, *, template: str, extra: str = "") -> notices.Notice:
    """The exact message notify_patient would keep and send now; refused if it does not
    match the order's state (see notices.allowed_templates)."""
    if template not in notices.order_state(item.order_id, scan.today()):
        raise ActionRefused(notices.why_not(template))
    order = Order.objects.select_related("patient").get(pk=item.order_id)
    return notices.compose(order, template=template, extra=extra)


def notify_patient(
    item: WorkItem,
    *,
    by: User,
    template: str,
    channel: str = NotificationChannel.EMAIL,
    extra: str = "",
    phone_outcome: str = "",
    digest: str | None = None,
) -> PatientNotification:
    """Tell the patient about the item by email, printed letter or phone call.

    The message must match the order's state now (notices.allowed_templates); with
    `digest` (from the preview) it must also be word for word the text previewed. The
    text as composed is kept. An email is queued and sent by a task after the commit
    (send_patient_email); a letter is kept for printing (notices.letter_pdf); a call is
    logged with its outcome, and one that reached nobody is recorded as failed.
    """
    with transaction.atomic():
        # The item's lock orders this after a decision being recorded on it.
        item = WorkItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        _claim_if_unclaimed(item, by)
        order = Order.objects.select_related("patient").get(pk=item.order_id)
        patient = order.patient
        if template not in notices.order_state(order.pk, scan.today()):
            raise ActionRefused(notices.why_not(template))
        if channel == NotificationChannel.EMAIL and not patient.email:
            raise ActionRefused(
                "The patient has no email address on file: send a letter or call instead."
            )
        if channel == NotificationChannel.PHONE and phone_outcome not in PhoneOutcome.values:
            raise ActionRefused("Say how the call went.")
        if channel != NotificationChannel.PHONE and phone_outcome:
            raise ActionRefused("A call outcome goes with a phone call only.")
        notice = notices.compose(order, template=template, extra=extra)
        if digest is not None and digest != notice.digest:
            raise ActionRefused(
                "The message is no longer the one previewed (the item or its "
                "authorizations changed): preview it again."
            )
        now = timezone.now()
        row: dict[str, Any] = {"status": NotificationStatus.SENT, "sent_at": now, "attempts": 1}
        if channel == NotificationChannel.EMAIL:
            row = {"status": NotificationStatus.QUEUED, "to_address": patient.email}
        elif channel == NotificationChannel.PHONE and phone_outcome in PHONE_FAILURES:
            row = {
                "status": NotificationStatus.FAILED,
                "failure_reason": f"Call not completed: {PhoneOutcome(phone_outcome).label}.",
                "attempts": 1,
            }
        notification = PatientNotification.objects.create(
            work_item=item,
            template=template,
            channel=channel,
            phone_outcome=phone_outcome,
            subject=notice.subject,
            body=notice.body,
            financial_responsibility=notice.financial_responsibility,
            created_at=now,
            sent_by=by,
            **row,
        )
        if channel == NotificationChannel.EMAIL:
            transaction.on_commit(partial(_queue_patient_email, notification.pk))
        _worked(
            item,
            EventKind.NOTIFIED,
            by,
            {
                "notification": notification.pk,
                "template": template,
                "channel": channel,
                "status": notification.status,
                "financial": notice.financial_responsibility,
            },
        )
    return notification


def _queue_patient_email(notification_id: int) -> bool:
    """Hand the email to the task queue and note when it took it. If the broker cannot be
    reached the email stays queued, not handed over: queue_waiting_emails tries again."""
    from worklists.tasks import send_patient_email

    try:
        send_patient_email.delay(notification_id)
    except Exception as exc:  # noqa: BLE001 - any broker failure: handed over later
        log.warning(
            "patient email %s waits for the task queue: %s", notification_id, type(exc).__name__
        )
        return False
    PatientNotification.objects.filter(pk=notification_id).update(handed_over_at=timezone.now())
    return True


def queue_waiting_emails(*, batch: int = 500) -> int:
    """Hand to the task queue the queued emails it never took (the broker was down when
    they were sent); returns how many it took. One handed over twice is sent once: the
    delivery locks the row and sends only a queued email."""
    waiting = PatientNotification.objects.filter(
        channel=NotificationChannel.EMAIL,
        status=NotificationStatus.QUEUED,
        handed_over_at__isnull=True,
    ).order_by("pk")
    taken = 0
    for notification_id in waiting.values_list("pk", flat=True)[:batch]:
        if not _queue_patient_email(notification_id):
            break  # the broker is still away; the next run tries again
        taken += 1
    return taken


def resend_patient_email(notification: PatientNotification, *, by: User) -> PatientNotification:
    """Queue a failed email again, the same text to the same address, with fresh attempts."""
    with transaction.atomic():
        notification = PatientNotification.objects.select_for_update().get(pk=notification.pk)
        if notification.channel != NotificationChannel.EMAIL:
            raise ActionRefused("Only an email can be sent again.")
        if notification.status != NotificationStatus.FAILED:
            raise ActionRefused(f"This email is {notification.get_status_display().lower()}.")
        notification.status = NotificationStatus.QUEUED
        notification.attempts = 0
        notification.handed_over_at = None
        notification.save(update_fields=["status", "attempts", "handed_over_at"])
        transaction.on_commit(partial(_queue_patient_email, notification.pk))
        WorkItemEvent.objects.create(
            work_item_id=notification.work_item_id,
            kind=EventKind.NOTIFICATION_RESENT,
            actor=by,
            data={"notification": notification.pk},
        )
    return notification


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one attempt at a patient email did. retry: queued for another attempt."""

    status: str
    retry: bool = False
    attempts: int = 0


def deliver_patient_email(notification_id: int) -> Delivery | None:
    """One attempt at sending a queued patient email (the task's body).

    The row stays locked while the mail server is talked to, so two deliveries of the
    same task cannot both send. A transient failure leaves it queued (retry=True) until
    AUTHQ_EMAIL_MAX_ATTEMPTS; then, or on a permanent failure, it is failed with the
    reason. None when there is nothing to send (already sent, failed or not an email).
    """
    with transaction.atomic():
        notification = (
            PatientNotification.objects.select_for_update()
            .filter(
                pk=notification_id,
                channel=NotificationChannel.EMAIL,
                status=NotificationStatus.QUEUED,
            )
            .first()
        )
        if notification is None:
            return None
        notification.attempts += 1
        message = EmailMessage(
            notification.subject, notification.body, None, [notification.to_address]
        )
        backend = mailers.default
        try:
            backend.send_messages([message])
        except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
            reason, transient = notices.describe_mail_error(exc, backend)
            last = notification.attempts >= settings.AUTHQ_EMAIL_MAX_ATTEMPTS
            notification.failure_reason = reason
            retry = transient and not last
            if not retry:
                notification.status = NotificationStatus.FAILED
            log.warning(
                "patient email %s attempt %s failed (%s): %s",
                notification.pk,
                notification.attempts,
                "will retry" if retry else "gave up",
                reason,
            )
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = timezone.now()
            notification.failure_reason = ""
            retry = False
        notification.save(update_fields=["status", "sent_at", "attempts", "failure_reason"])
        if notification.status != NotificationStatus.QUEUED:
            WorkItemEvent.objects.create(
                work_item_id=notification.work_item_id,
                kind=(
                    EventKind.NOTIFICATION_SENT
                    if notification.status == NotificationStatus.SENT
                    else EventKind.NOTIFICATION_FAILED
                ),
                data={"notification": notification.pk, "attempts": notification.attempts},
            )
    return Delivery(notification.status, retry, notification.attempts)


def dismiss_item(item: WorkItem, *, by: User, reason: str, note: str = "") -> WorkItem:
    """Close an item a person decided needs no work. Rescans leave the same gap dismissed
    (see _apply_findings); a gap with a new first service date opens a new item."""
    if reason == DismissalReason.OTHER and not note.strip():
        raise ActionRefused("Say why in the note when the reason is 'Other'.")
    with transaction.atomic():
        _claim_if_unclaimed(item, by)
        item = WorkItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        dismissed = status_after("dismiss", item.status)
        if dismissed is None:
            raise ActionRefused(f"This item is already {item.get_status_display().lower()}.")
        item.status = dismissed
        item.resolution = Resolution.DISMISSED
        item.resolved_at = timezone.now()
        item.dismissal_reason = reason
        item.dismissal_note = note.strip()
        item.save(
            update_fields=[
                "status",
                "resolution",
                "resolved_at",
                "dismissal_reason",
                "dismissal_note",
                "updated_at",
            ]
        )
        _worked(item, EventKind.DISMISSED, by, {"reason": reason})
    return item
