"""Parked tasks: what is kept of a task that failed for good (no PHI, no second row)."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from worklists import parked_tasks
from worklists.models import ParkedTask


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
    assert scan_chunk.retry_backoff and scan_chunk.retry_jitter
    for task in (scan_authorizations, scan_chunk, send_patient_email):
        assert isinstance(task, ParkingTask)
