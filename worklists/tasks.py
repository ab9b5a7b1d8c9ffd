"""Thin Celery wrappers: ids in, services called."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import Task, group, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections

from worklists import claiming, notifying, parked_tasks
from worklists.models import ScanRun
from worklists.scan import counts, runs

# A database that went away (restarted, connection cut) is transient: the task runs again
# after 2, 4, 8, 16 s (AUTHQ_TASK_RETRY_SECONDS doubled), AUTHQ_TASK_MAX_ATTEMPTS attempts
# in all, so a restart of up to 30 s loses nothing. No jitter: Celery's is "full" (any
# wait from 0 up), which could spend all the attempts within a second of a restart.
RETRY_ON_DATABASE_ERRORS: dict[str, Any] = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": settings.AUTHQ_TASK_RETRY_SECONDS,
    # Below the broker's visibility timeout, as every countdown (see max_countdown).
    "retry_backoff_max": min(60, settings.AUTHQ_BROKER_VISIBILITY_SECONDS // 2),
    "retry_jitter": False,
    "max_retries": settings.AUTHQ_TASK_MAX_ATTEMPTS - 1,
}


class ParkingTask(Task):
    """A task that, once it has failed for good, is parked (worklists.ParkedTask) for an
    administrator to look at, rather than lost or retried for ever."""

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        # A connection the error broke (a terminated session) is replaced, as between tasks.
        for conn in connections.all(initialized_only=True):
            conn.close_if_unusable_or_obsolete()
        parked_tasks.park_task(
            name=self.name,
            task_id=task_id,
            args=list(args or ()),
            kwargs=dict(kwargs or {}),
            attempts=self.request.retries + 1,
            exc=exc,
            tb=getattr(einfo, "tb", None),
        )


def max_countdown() -> int:
    """The longest a retry may wait: a task held past the broker's visibility timeout
    would be delivered a second time."""
    return settings.AUTHQ_BROKER_VISIBILITY_SECONDS // 2


@shared_task(
    base=ParkingTask,
    name="worklists.tasks.scan_authorizations",
    bind=True,
    **RETRY_ON_DATABASE_ERRORS,
)
def scan_authorizations(self: Any, as_of: str | None = None) -> int | None:
    """The beat's scan, chunked: enqueues one `scan_chunk` per range of orders, so every
    worker listening shares it. Returns the ScanRun id, or None when another scan runs.
    The last chunk to finish marks the run finished."""
    planned = runs.plan_chunked_scan(as_of=dt.date.fromisoformat(as_of) if as_of else None)
    if planned is None:
        return None
    run, chunks = planned
    # The chunks go where this task came from (the default queue in production).
    enqueue_chunks(run, chunks, queue=(self.request.delivery_info or {}).get("routing_key"))
    return run.pk


def enqueue_chunks(
    run: ScanRun, chunks: list[runs.ScanChunk], *, queue: str | None, total: int | None = None
) -> None:
    """One scan_chunk task per chunk; `total` is the run's planned orders (default: the
    chunks' sum, when they are all of the run's)."""
    total = total if total is not None else sum(chunk.planned for chunk in chunks)
    # celery reads queue=None as "the default queue"; celery-types leaves None out.
    group(
        scan_chunk.s(
            run.pk, chunk.first_id, chunk.last_id, chunk.planned, run.as_of.isoformat(), total
        )
        for chunk in chunks
    ).apply_async(queue=queue or None)  # type: ignore[arg-type]


class ScanChunkTask(ParkingTask):
    """A chunk parked will never be counted, so its run can never finish: the run is
    abandoned at once, and the next scan (beat's or command's) need not wait for it to
    go stale (AUTHQ_SCAN_STALE_MINUTES)."""

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        super().on_failure(exc, task_id, args, kwargs, einfo)
        if args:
            runs.abandon_run(args[0])


@shared_task(base=ScanChunkTask, name="worklists.tasks.scan_chunk", **RETRY_ON_DATABASE_ERRORS)
def scan_chunk(
    run_id: int, first_id: int, last_id: int | None, planned: int, as_of: str, orders_planned: int
) -> bool:
    chunk = runs.ScanChunk(first_id, last_id, planned)
    return runs.scan_chunk(run_id, chunk, dt.date.fromisoformat(as_of), orders_planned)


@shared_task(base=ParkingTask, name="worklists.tasks.compact_queue_counts")
def compact_queue_counts() -> int | None:
    """Fold the queue overview's count rows (claims and actions append a few each)."""
    return counts.compact_queue_counts()


@shared_task(
    base=ParkingTask, name="worklists.tasks.send_patient_email", bind=True, max_retries=None
)
def send_patient_email(self: Any, notification_id: int) -> str | None:
    """One attempt at a queued patient email; on a transient failure, another after
    AUTHQ_EMAIL_RETRY_SECONDS x 2^(attempts - 1), at most max_countdown(). The row counts the attempts, so
    the service decides when to give up. Returns the notification's status."""
    delivery = notifying.deliver_patient_email(notification_id)
    if delivery is None:
        return None
    if delivery.retry:
        countdown = settings.AUTHQ_EMAIL_RETRY_SECONDS * 2 ** (delivery.attempts - 1)
        raise self.retry(countdown=min(countdown, max_countdown()))
    return delivery.status


@shared_task(base=ParkingTask, name="worklists.tasks.queue_waiting_emails")
def queue_waiting_emails() -> int:
    """Patient emails the task queue could not take when sent go to it now."""
    return notifying.queue_waiting_emails()


@shared_task(base=ParkingTask, name="worklists.tasks.release_lapsed_claims")
def release_lapsed_claims() -> int:
    """Claims whose lease ran out go back to their queues; returns how many."""
    return claiming.release_lapsed_claims()
