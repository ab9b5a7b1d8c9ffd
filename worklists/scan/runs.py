"""Running the full scan over every order, one scan at a time.

Two ways, one lock (SCAN_LOCK_KEY) and the same chunks (`apply.apply_findings`, one
transaction each): `run_scan` runs every chunk in this process (the command, tests);
the chunked scan (`plan_chunked_scan`, then one `scan_chunk` Celery task per id range)
spreads them over the Celery workers (the beat's).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from authq.lib.clock import today
from authq.lib.locks import advisory_unlock, try_advisory_lock
from patients.models import Order
from worklists import sql
from worklists.models import ScanRun
from worklists.scan.apply import ChunkResult, apply_findings
from worklists.scan.counts import compact_queue_counts
from worklists.scan.rules import RuleBook

log = logging.getLogger(__name__)

# pg_try_advisory_lock key held by a full scan: at most one runs at a time.
SCAN_LOCK_KEY = 0x61757468_7173_63  # "authqsc"


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


def run_scan(*, as_of: dt.date | None = None, trigger: str = "command") -> ScanRun | None:
    """The full scan over every order, chunk by chunk in this process; None when another
    scan holds the lock. The beat's scan is the chunked one (plan_chunked_scan)."""
    as_of = as_of or today()
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
        rules = RuleBook.load()
        for ids in _order_id_chunks(chunk_size):
            total.add(apply_findings(ids, as_of, rules))
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


def abandon_run(run_id: int) -> bool:
    """Mark a chunked run abandoned (one of its chunks failed for good); False when it
    was over already or the database cannot take it (then the stale rule above will)."""
    try:
        abandoned = _live_chunked_runs().filter(pk=run_id).update(abandoned_at=timezone.now())
    except DatabaseError:
        log.exception("scan run %s could not be marked abandoned", run_id)
        return False
    if abandoned:
        log.warning("scan run %s abandoned: one of its chunks failed for good", run_id)
    return bool(abandoned)


def _chunked_run_in_flight() -> bool:
    abandon_stale_runs()
    return _live_chunked_runs().exists()


def plan_chunked_scan(
    *, as_of: dt.date | None = None, chunk_size: int | None = None
) -> tuple[ScanRun, list[ScanChunk]] | None:
    """Start a chunked scan: its ScanRun and the chunks to enqueue; None while another runs."""
    as_of = as_of or today()
    chunk_size = chunk_size or settings.AUTHQ_SCAN_CHUNK_SIZE
    with transaction.atomic(), connection.cursor() as cursor:
        # Transaction-level: released at commit, once the run's row is visible to all.
        acquired = try_advisory_lock(SCAN_LOCK_KEY, transaction=True)
        if not acquired or _chunked_run_in_flight():
            log.info("scan skipped: another scan is running")
            return None
        cursor.execute(sql.RANGES, [chunk_size])
        ranges = cursor.fetchall()
        chunks = [ScanChunk(lo, hi, n) for lo, hi, n in ranges]
        if chunks:  # orders added while the scan runs belong to the last chunk
            chunks[-1] = ScanChunk(chunks[-1].first_id, None, chunks[-1].planned)
        run = ScanRun.objects.create(as_of=as_of, trigger=CHUNKED_TRIGGER)
        if not chunks:
            run.finished_at = timezone.now()
            run.save(update_fields=["finished_at"])
    return run, chunks


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
    rules = RuleBook.load()
    chunk_size = settings.AUTHQ_SCAN_CHUNK_SIZE
    with transaction.atomic():
        now = timezone.now()
        with connection.cursor() as cursor:
            # A second delivery waits here until the first commits, then finds its row.
            cursor.execute(sql.COUNT_CHUNK, [run_id, chunk.first_id, chunk.planned, now])
            if cursor.fetchone() is None:
                log.info("scan chunk from order %s of run %s: already counted",
                         chunk.first_id, run_id)  # fmt: skip
                return False
        total = ChunkResult()
        order_ids = list(ids.values_list("id", flat=True))
        for start in range(0, len(order_ids), chunk_size):
            total.add(apply_findings(order_ids[start : start + chunk_size], as_of, rules))
        with connection.cursor() as cursor:
            cursor.execute(
                sql.ADD_TO_RUN,
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
