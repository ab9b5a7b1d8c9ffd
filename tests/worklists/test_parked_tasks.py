"""Parked tasks: what is kept of a task that failed for good (no PHI, no second row)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from celery.utils.time import get_exponential_backoff_interval
from django.core.management import call_command
from django.db import OperationalError

from accounts import roles
from worklists import parked_tasks
from worklists.models import ParkedTask
from worklists.scan import runs

AS_OF = dt.date(2026, 3, 2)


def _raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:  # noqa: BLE001 - the test keeps its traceback
        return caught


@pytest.mark.fault
@pytest.mark.django_db
def test_a_parked_task_keeps_ids_error_type_and_place_but_not_the_message():
    exc = _raised(OperationalError('duplicate key (member_id)=(W123456789) for "Jane Doe"'))
    for _ in range(2):  # reported twice (a redelivered failure): one row
        parked_tasks.park_task(
            name="worklists.tasks.scan_chunk", task_id="abc", args=[7, 100, None, 6],
            kwargs={}, attempts=5, exc=exc, tb=exc.__traceback__,
        )  # fmt: skip
    parked = ParkedTask.objects.get()
    assert (parked.task_name, parked.args, parked.attempts) == (
        "worklists.tasks.scan_chunk", [7, 100, None, 6], 5,
    )  # fmt: skip
    assert parked.error_type == "django.db.utils.OperationalError"
    assert parked.error_where.startswith("test_parked_tasks.py:")
    stored = " ".join(str(v) for v in ParkedTask.objects.values_list().get())
    assert "Jane" not in stored and "W123456789" not in stored


@pytest.mark.fault
def test_database_errors_are_retried_five_times_in_all_with_growing_waits():
    from worklists.tasks import ParkingTask, scan_authorizations, scan_chunk, send_patient_email

    assert scan_chunk.max_retries == 4
    assert OperationalError in scan_chunk.autoretry_for
    # The waits Celery's autoretry gives these settings: 2, 4, 8, 16 s, never less, so a
    # database restarted within 30 s costs no task (full jitter could make them all ~0).
    waits = [
        get_exponential_backoff_interval(
            factor=scan_chunk.retry_backoff, retries=retries,
            maximum=scan_chunk.retry_backoff_max, full_jitter=scan_chunk.retry_jitter,
        )
        for retries in range(scan_chunk.max_retries)
    ]  # fmt: skip
    assert waits == [2, 4, 8, 16]
    for task in (scan_authorizations, scan_chunk, send_patient_email):
        assert isinstance(task, ParkingTask)


@pytest.mark.fault
@pytest.mark.django_db(transaction=True)  # on_failure closes a connection inside a transaction
def test_a_parked_scan_chunk_abandons_its_run_so_the_next_scan_starts_at_once():
    """A chunk that failed for good is never counted: its run cannot finish, and would
    hold off every scan until it went stale (AUTHQ_SCAN_STALE_MINUTES)."""
    from worklists.tasks import scan_chunk

    roles.ensure_roles()
    call_command(
        "seed_demo", "--patients", "6", "--seed", "3", "--as-of", str(AS_OF),
        stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip
    planned = runs.plan_chunked_scan(as_of=AS_OF, chunk_size=4)
    assert planned is not None
    run, chunks = planned
    assert runs.plan_chunked_scan(as_of=AS_OF) is None  # the run holds the lock
    exc = _raised(OperationalError("the database went away"))
    args = [run.pk, chunks[0].first_id, chunks[0].last_id, chunks[0].planned, str(AS_OF), 9]
    scan_chunk.on_failure(exc, "chunk-1", args, {}, None)  # its last attempt failed
    run.refresh_from_db()
    assert run.abandoned_at is not None and run.finished_at is None
    assert ParkedTask.objects.get().task_id == "chunk-1"
    again = runs.run_scan(as_of=AS_OF)
    assert again is not None and again.finished_at is not None
