"""The beat's chunked scan: the same items as run_scan, one scan at a time, real workers."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts import roles
from patients.models import Order
from tests.worklists.test_celery_wiring import ROOT, _test_database_url
from worklists.models import ScanRun, ScanRunChunk, WorkItem, WorkItemEvent
from worklists.scan import runs
from worklists.tasks import scan_authorizations

AS_OF = dt.date(2026, 3, 2)


def _seed(patients: int = 40) -> None:
    roles.ensure_roles()
    call_command(
        "seed_demo", "--patients", str(patients), "--seed", "11", "--as-of", str(AS_OF),
        stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip


def _items() -> set[tuple[object, ...]]:
    return set(
        WorkItem.objects.values_list(
            "order_id", "kind", "queue", "status", "first_service_date",
            "affected_appointments", "due_date", "resolution",
        )
    )  # fmt: skip


def _forget_items() -> None:
    WorkItemEvent.objects.all().delete()
    WorkItem.objects.all().delete()
    ScanRun.objects.all().delete()


def _run_chunked_in_process(chunk_size: int) -> ScanRun:
    planned = runs.plan_chunked_scan(as_of=AS_OF, chunk_size=chunk_size)
    assert planned is not None
    run, chunks = planned
    total = sum(c.planned for c in chunks)
    last = [runs.scan_chunk(run.pk, c, AS_OF, total) for c in reversed(chunks)]
    assert last.count(True) == 1 and last[-1] is True  # only the last one to run finishes
    run.refresh_from_db()
    return run


@pytest.mark.django_db
def test_the_chunked_scan_opens_the_same_items_as_run_scan():
    _seed()
    run = runs.run_scan(as_of=AS_OF)
    expected = _items()
    assert len(expected) > 5
    _forget_items()
    chunked = _run_chunked_in_process(chunk_size=7)
    assert _items() == expected
    assert chunked.finished_at is not None
    assert (chunked.orders_scanned, chunked.items_opened) == (
        Order.objects.count(),
        run.items_opened,
    )
    # A second chunked run finds nothing to change.
    again = _run_chunked_in_process(chunk_size=5)
    assert (again.items_opened, again.items_updated, again.items_resolved) == (0, 0, 0)
    assert _items() == expected


@pytest.mark.fault
@pytest.mark.django_db
def test_a_chunk_delivered_twice_changes_nothing_more():
    _seed(20)
    planned = runs.plan_chunked_scan(as_of=AS_OF, chunk_size=1000)
    assert planned is not None
    run, (chunk,) = planned
    assert runs.scan_chunk(run.pk, chunk, AS_OF, chunk.planned) is True
    items, events = _items(), WorkItemEvent.objects.count()
    assert runs.scan_chunk(run.pk, chunk, AS_OF, chunk.planned) is False
    assert (_items(), WorkItemEvent.objects.count()) == (items, events)


@pytest.mark.fault
@pytest.mark.django_db
def test_a_chunk_delivered_twice_is_counted_once_and_does_not_finish_the_run_early():
    _seed(20)
    planned = runs.plan_chunked_scan(as_of=AS_OF, chunk_size=4)
    assert planned is not None
    run, chunks = planned
    total = sum(c.planned for c in chunks)
    first, *rest = chunks
    assert runs.scan_chunk(run.pk, first, AS_OF, total) is False
    for _ in range(len(chunks)):  # as many copies as would reach the total without a check
        assert runs.scan_chunk(run.pk, first, AS_OF, total) is False
    run.refresh_from_db()
    assert (run.orders_scanned, run.finished_at) == (first.planned, None)
    assert [runs.scan_chunk(run.pk, c, AS_OF, total) for c in rest][-1] is True
    run.refresh_from_db()
    assert run.orders_scanned == Order.objects.count() == total
    assert ScanRunChunk.objects.filter(run=run).count() == len(chunks)


@pytest.mark.fault
@pytest.mark.django_db
def test_one_scan_at_a_time_across_the_chunked_and_in_process_scans():
    _seed(10)
    planned = runs.plan_chunked_scan(as_of=AS_OF)
    assert planned is not None
    run, chunks = planned
    # While its chunks are out, neither another chunked scan nor run_scan starts.
    assert runs.plan_chunked_scan(as_of=AS_OF) is None
    assert runs.run_scan(as_of=AS_OF) is None
    for chunk in chunks:
        runs.scan_chunk(run.pk, chunk, AS_OF, sum(c.planned for c in chunks))
    assert runs.run_scan(as_of=AS_OF) is not None
    assert runs.plan_chunked_scan(as_of=AS_OF) is not None


def _no_progress_for(run: ScanRun, minutes: float) -> None:
    """As if the run's last chunk had finished `minutes` ago."""
    at = timezone.now() - dt.timedelta(minutes=minutes)
    ScanRun.objects.filter(pk=run.pk).update(started_at=at, progressed_at=at)


@pytest.mark.fault
@pytest.mark.django_db
def test_a_run_whose_chunks_were_lost_is_abandoned_by_the_next_scan_after_the_stale_window(
    settings,
):
    settings.AUTHQ_SCAN_STALE_MINUTES = 3
    _seed(10)
    planned = runs.plan_chunked_scan(as_of=AS_OF, chunk_size=4)
    assert planned is not None
    lost, chunks = planned
    total = sum(c.planned for c in chunks)
    runs.scan_chunk(lost.pk, chunks[0], AS_OF, total)  # one chunk ran; the rest are lost
    _no_progress_for(lost, 2.9)
    # Inside the window the run is alive: every scan, beat's and command's, waits.
    assert runs.plan_chunked_scan(as_of=AS_OF) is None
    assert runs.run_scan(as_of=AS_OF) is None
    _no_progress_for(lost, 3.1)
    assert runs.run_scan(as_of=AS_OF, trigger="command") is not None
    lost.refresh_from_db()
    assert lost.abandoned_at is not None and lost.finished_at is None
    # A lost chunk that turns up late counts for nothing and finishes nothing.
    assert [runs.scan_chunk(lost.pk, c, AS_OF, total) for c in chunks[1:]] == [False] * (
        len(chunks) - 1
    )
    lost.refresh_from_db()
    assert (lost.orders_scanned, lost.finished_at) == (chunks[0].planned, None)
    assert runs.plan_chunked_scan(as_of=AS_OF) is not None


@pytest.mark.fault
@pytest.mark.django_db
def test_a_long_run_whose_chunks_keep_finishing_is_not_abandoned(settings):
    settings.AUTHQ_SCAN_STALE_MINUTES = 3
    _seed(10)
    planned = runs.plan_chunked_scan(as_of=AS_OF, chunk_size=4)
    assert planned is not None
    run, chunks = planned
    ScanRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=60),
        progressed_at=timezone.now() - dt.timedelta(minutes=1),
    )
    assert runs.plan_chunked_scan(as_of=AS_OF) is None
    run.refresh_from_db()
    assert run.abandoned_at is None


@pytest.mark.django_db
def test_an_empty_practice_gives_a_finished_chunked_run_and_no_chunks():
    planned = runs.plan_chunked_scan(as_of=AS_OF)
    assert planned is not None
    run, chunks = planned
    assert chunks == [] and run.finished_at is not None


def _worker(queue: str, name: str, chunk_size: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "AUTHQ_SCAN_CHUNK_SIZE": str(chunk_size),
    }
    return subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "authq", "worker", "-Q", queue,
            "-n", f"{name}@%h", "--pool", "solo", "--without-heartbeat", "--without-gossip",
            "--without-mingle", "-l", "warning",
        ],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


@pytest.mark.celery_wiring
@pytest.mark.django_db(transaction=True)
def test_two_real_workers_share_the_chunks_and_open_the_same_items_as_run_scan():
    _seed(30)
    runs.run_scan(as_of=AS_OF)
    expected = _items()
    _forget_items()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    workers = [_worker(queue, f"w{i}-{queue}", chunk_size=4) for i in range(2)]
    try:
        scan_authorizations.apply_async(kwargs={"as_of": str(AS_OF)}, queue=queue)
        deadline = time.monotonic() + 90
        while (
            time.monotonic() < deadline
            and not ScanRun.objects.filter(finished_at__isnull=False).exists()
        ):
            for worker in workers:
                assert worker.poll() is None, worker.stdout.read().decode() if worker.stdout else ""
            time.sleep(0.2)
        run = ScanRun.objects.get()
        assert run.finished_at is not None, "the chunked scan did not finish in 90 s"
        assert (run.trigger, run.orders_scanned) == ("beat", Order.objects.count())
        assert _items() == expected
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)
