"""A real Celery worker killed in the middle of an import (docs/reliability.md): the
import resumes after its last committed chunk and nothing is duplicated."""

from __future__ import annotations

import os
import signal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from intake import services
from intake.models import ImportRun, RejectedRow
from intake.tasks import import_file
from patients.models import Appointment, Order, Patient
from tests.intake.conftest import csv_bytes, row, wait_for
from tests.worklists.test_faults import _children, _waiting_backend

pytestmark = [pytest.mark.fault, pytest.mark.celery_wiring]


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_killed_mid_import_resumes_and_duplicates_nothing(
    import_workers, profile, manager
):
    # Rows 10..14 (the third chunk) belong to a patient already stored under another name:
    # the test holds that row locked, so the third chunk waits there to be killed.
    rows = [row(n) for n in range(30)]
    rows[3] = row(3, DOB="not a date")
    held = Patient.objects.create(
        mrn="M00004", first_name="Old", last_name="Name", birth_date="1970-04-15"
    )
    worker = import_workers.start(pool="prefork")
    wait_for(lambda: _children(worker.pid), "the worker starts its pool process", import_workers)
    upload = SimpleUploadedFile("big.csv", csv_bytes(rows))
    run = services.start_run(profile, upload=upload, name="big.csv", by=manager)
    with transaction.atomic():
        Patient.objects.select_for_update().get(pk=held.pk)
        # As services.enqueue sends it once committed (the run is committed already).
        import_file.apply_async((run.pk,), queue=import_workers.queue)
        wait_for(lambda: _waiting_backend() is not None, "the third chunk waits", import_workers)
        run.refresh_from_db()
        assert run.rows_done == 10 and run.status == "running"
        (child,) = _children(worker.pid)
        os.kill(child, signal.SIGKILL)

    def finished() -> bool:
        return ImportRun.objects.filter(pk=run.pk, status="done").exists()

    wait_for(finished, "the import finishes after the kill", import_workers)
    run.refresh_from_db()
    assert worker.poll() is None  # the same worker, with a new pool process
    assert (run.rows_total, run.rows_done, run.rows_rejected) == (30, 30, 1)
    assert Appointment.objects.count() == 29
    assert Order.objects.count() == len({r[7] for r in rows if r is not rows[3]})
    assert run.count("appointments", "created") == 29
    assert RejectedRow.objects.filter(run=run).count() == 1
    assert Patient.objects.get(mrn="M00004").first_name == "First4"
