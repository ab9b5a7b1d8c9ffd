"""Fault tests (docs/reliability.md): real Celery workers on the real Redis and PostgreSQL,
each worker a process of its own, killed or cut off from the database mid-chunk.

A worker is caught mid-chunk deterministically: the test holds the run's row locked, so
the chunk waits in the database (its count needs that row) until the test lets it go,
kills the worker, or terminates its database session (what a PostgreSQL restart does).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from accounts import roles
from patients.models import Order
from tests.worklists.test_celery_wiring import ROOT, _test_database_url
from worklists.models import ParkedTask, ScanRun, ScanRunChunk, WorkItem, WorkItemEvent
from worklists.scan import runs
from worklists.tasks import enqueue_chunks

pytestmark = [pytest.mark.fault, pytest.mark.celery_wiring]

AS_OF = dt.date(2026, 3, 2)
# The bound of every wait: generous, for a machine busy with other work (each worker
# imports Django first); the tests pass in a few seconds, and never assert a duration.
WAIT_SECONDS = 180


def _seed(patients: int = 24) -> None:
    roles.ensure_roles()
    call_command(
        "seed_demo", "--patients", str(patients), "--seed", "7", "--as-of", str(AS_OF),
        stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip


def _items() -> list[tuple[object, ...]]:
    return sorted(
        WorkItem.objects.values_list(
            "order_id", "kind", "queue", "status", "first_service_date", "due_date"
        )
    )


def _expected_items() -> list[tuple[object, ...]]:
    """The items an in-process scan opens; then forgotten, for the workers to open again."""
    assert runs.run_scan(as_of=AS_OF) is not None
    expected = _items()
    assert len(expected) > 5
    WorkItemEvent.objects.all().delete()
    WorkItem.objects.all().delete()
    ScanRun.objects.all().delete()
    return expected


class Workers:
    """Celery worker processes on a queue of this test's own, stopped by their ids."""

    def __init__(self) -> None:
        self.queue = f"fault-{uuid.uuid4().hex[:8]}"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def start(self, *, pool: str = "solo", visibility: int = 600) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "AUTHQ_SCAN_CHUNK_SIZE": "6",
            "AUTHQ_BROKER_VISIBILITY_SECONDS": str(visibility),
            # Retries after 1, 2, 4, 8 s (2, 4, 8, 16 s as deployed): R12 sooner.
            "AUTHQ_TASK_RETRY_SECONDS": "1",
        }
        name = f"w{len(self.procs)}-{self.queue}"
        log = Path(tempfile.gettempdir()) / f"{name}.log"
        self.logs.append(log)
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "authq", "worker", "-Q", self.queue,
                "-n", f"{name}@%h", "--pool", pool, "--concurrency", "1",
                "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info",
            ],
            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.procs.append(proc)
        _wait_for(
            lambda: proc.poll() is not None or " ready." in log.read_text(errors="replace"),
            f"{name} is ready",
            self,
        )
        assert proc.poll() is None, self.output()
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for log in self.logs:
            log.unlink(missing_ok=True)

    def output(self) -> str:
        """What the workers printed (warnings and errors), for a failing test's message."""
        return "\n".join(log.read_text(errors="replace")[-3000:] for log in self.logs)


@pytest.fixture
def workers() -> Iterator[Workers]:
    pool = Workers()
    try:
        yield pool
    finally:
        pool.stop()


def _plan(chunk_size: int = 6) -> tuple[ScanRun, list[runs.ScanChunk]]:
    planned = runs.plan_chunked_scan(as_of=AS_OF, chunk_size=chunk_size)
    assert planned is not None
    run, chunks = planned
    assert len(chunks) >= 3
    return run, chunks


def _wait_for(condition: Callable[[], object], what: str, workers: Workers) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"not within {WAIT_SECONDS} s: {what}\n" + (
            workers.output()
        )
        time.sleep(0.1)


def _waiting_backend(statement_part: str = "") -> int | None:
    """The pid of a database session (a worker's) waiting for a lock this test holds;
    only one whose statement contains `statement_part`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # a fresh view inside a transaction
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid() "
            "AND strpos(query, %s) > 0 LIMIT 1",
            [statement_part],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _finished(run: ScanRun) -> bool:
    return ScanRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_a_chunk_cut_off_from_the_database_is_retried_and_the_run_finishes(workers):
    """A database error in a chunk (its session terminated, as in a PostgreSQL restart):
    the chunk runs again after a short wait instead of being dropped."""
    _seed()
    expected = _expected_items()
    run, chunks = _plan()
    workers.start()
    with transaction.atomic():
        ScanRun.objects.select_for_update().get(pk=run.pk)
        enqueue_chunks(run, chunks, queue=workers.queue)
        _wait_for(
            lambda: _waiting_backend() is not None, "a chunk waits for the run's row", workers
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [_waiting_backend()])
    _wait_for(lambda: _finished(run), "the run finishes", workers)
    run.refresh_from_db()
    assert run.orders_scanned == Order.objects.count()
    assert ScanRunChunk.objects.filter(run=run).count() == len(chunks)
    assert _items() == expected


@pytest.mark.django_db(transaction=True)
def test_a_whole_worker_killed_mid_chunk_its_chunks_go_to_a_new_worker_and_count_once(workers):
    """R2: the worker killed (SIGKILL) mid-chunk, with the rest of the run queued; a new
    worker takes the killed one's chunk once the broker's visibility timeout runs out."""
    _seed()
    expected = _expected_items()
    run, chunks = _plan()
    first = workers.start(visibility=5)
    with transaction.atomic():
        ScanRun.objects.select_for_update().get(pk=run.pk)
        enqueue_chunks(run, chunks, queue=workers.queue)
        _wait_for(
            lambda: _waiting_backend() is not None, "a chunk waits for the run's row", workers
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=20)
    workers.start(visibility=5)
    _wait_for(lambda: _finished(run), "the run finishes with the new worker", workers)
    run.refresh_from_db()
    assert run.abandoned_at is None
    assert run.orders_scanned == Order.objects.count()
    assert ScanRunChunk.objects.filter(run=run).count() == len(chunks)
    assert _items() == expected  # every item once (and the unique constraint holds)


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(child) for child in children.read().split()]


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_killed_mid_chunk_is_replaced_and_the_chunk_runs_again(workers):
    """R1: the pool's child process killed mid-chunk; the worker starts another, and the
    chunk is delivered again at once (acks late, reject on worker lost)."""
    _seed()
    expected = _expected_items()
    run, chunks = _plan()
    worker = workers.start(pool="prefork")
    _wait_for(lambda: _children(worker.pid), "the worker starts its pool process", workers)
    with transaction.atomic():
        ScanRun.objects.select_for_update().get(pk=run.pk)
        enqueue_chunks(run, chunks, queue=workers.queue)
        _wait_for(
            lambda: _waiting_backend() is not None, "a chunk waits for the run's row", workers
        )
        (child,) = _children(worker.pid)
        os.kill(child, signal.SIGKILL)
    _wait_for(lambda: _finished(run), "the run finishes", workers)
    assert worker.poll() is None  # the same worker, with a new pool process
    run.refresh_from_db()
    assert run.orders_scanned == Order.objects.count()
    assert ScanRunChunk.objects.filter(run=run).count() == len(chunks)
    assert _items() == expected


@pytest.mark.django_db(transaction=True)
def test_a_chunk_delivered_twice_to_two_workers_is_counted_once(workers):
    _seed()
    expected = _expected_items()
    run, chunks = _plan()
    workers.start()
    workers.start()
    # The first chunk twice, as a broker redelivering it would, then the others.
    enqueue_chunks(run, chunks[:1], queue=workers.queue, total=sum(c.planned for c in chunks))
    enqueue_chunks(run, chunks, queue=workers.queue)
    _wait_for(lambda: _finished(run), "the run finishes", workers)
    run.refresh_from_db()
    assert run.orders_scanned == Order.objects.count()
    assert ScanRunChunk.objects.filter(run=run).count() == len(chunks)
    assert _items() == expected


@pytest.mark.django_db(transaction=True)
def test_a_chunk_that_fails_every_time_is_parked_after_five_attempts(workers):
    """R12: every attempt loses its database session; after 5 attempts (with growing waits
    between them) the task is parked for an administrator, not retried in a loop."""
    _seed()
    run, chunks = _plan()
    workers.start()
    terminated: set[int] = set()
    with transaction.atomic():
        ScanRun.objects.select_for_update().get(pk=run.pk)
        enqueue_chunks(run, chunks[:1], queue=workers.queue, total=run_total(chunks))

        def cut_off_the_next_attempt() -> bool:
            # A chunk's attempt waits to add its counts to the run's row (once parked,
            # the task waits to mark the run abandoned: that is no attempt, and is let be).
            pid = _waiting_backend("orders_scanned = orders_scanned +")
            if pid is not None and pid not in terminated:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                terminated.add(pid)
            return ParkedTask.objects.exists()

        _wait_for(cut_off_the_next_attempt, "the chunk is parked", workers)
    parked = ParkedTask.objects.get()
    assert (parked.task_name, parked.attempts, len(terminated)) == (
        "worklists.tasks.scan_chunk", 5, 5,
    )  # fmt: skip
    assert parked.args[:2] == [run.pk, chunks[0].first_id]
    assert parked.error_type == "django.db.utils.OperationalError"
    # The run can never finish: it is abandoned at once, and the next scan need not wait.
    _wait_for(
        lambda: ScanRun.objects.filter(pk=run.pk, abandoned_at__isnull=False).exists(),
        "the parked chunk's run is abandoned",
        workers,
    )
    # No sixth attempt: the next scan, queued behind it, runs; the parked chunk stays undone.
    again, again_chunks = _plan()
    enqueue_chunks(again, again_chunks, queue=workers.queue)
    _wait_for(lambda: _finished(again), "the next scan finishes", workers)
    assert not ScanRunChunk.objects.filter(run=run).exists()
    assert ParkedTask.objects.count() == 1 and len(terminated) == 5


def run_total(chunks: list[runs.ScanChunk]) -> int:
    return sum(chunk.planned for chunk in chunks)
