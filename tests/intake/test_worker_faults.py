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
from tests.intake.conftest import csv_bytes, row
from tests.worklists.test_faults import Workers, _children, _wait_for, _waiting_backend

pytestmark = [pytest.mark.fault, pytest.mark.celery_wiring]


@pytest.fixture
def workers(settings) -> Workers:
    pool = Workers()
    settings.AUTHQ_IMPORT_QUEUE = pool.queue
    # The worker reads the uploaded file where this test stored it, 5 rows a chunk.
    os.environ["AUTHQ_MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    os.environ["AUTHQ_IMPORT_CHUNK_ROWS"] = "5"
    try:
        yield pool
    finally:
        pool.stop()
        del os.environ["AUTHQ_MEDIA_ROOT"], os.environ["AUTHQ_IMPORT_CHUNK_ROWS"]


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_killed_mid_import_resumes_and_duplicates_nothing(
    workers, profile, manager
):
    # Rows 10..14 (the third chunk) belong to a patient already stored under another name:
    # the test holds that row locked, so the third chunk waits there to be killed.
    rows = [row(n) for n in range(30)]
    rows[3] = row(3, DOB="not a date")
    held = Patient.objects.create(
        mrn="M00004", first_name="Old", last_name="Name", birth_date="1970-04-15"
    )
    worker = workers.start(pool="prefork")
    _wait_for(lambda: _children(worker.pid), "the worker starts its pool process", workers)
    upload = SimpleUploadedFile("big.csv", csv_bytes(rows))
    run = services.start_run(profile, upload=upload, name="big.csv", by=manager)
    with transaction.atomic():
        Patient.objects.select_for_update().get(pk=held.pk)
        # As services.enqueue sends it once committed (the run is committed already).
        import_file.apply_async((run.pk,), queue=workers.queue)
        _wait_for(lambda: _waiting_backend() is not None, "the third chunk waits", workers)
        run.refresh_from_db()
        assert run.rows_done == 10 and run.status == "running"
        (child,) = _children(worker.pid)
        os.kill(child, signal.SIGKILL)

    def finished() -> bool:
        return ImportRun.objects.filter(pk=run.pk, status="done").exists()

    _wait_for(finished, "the import finishes after the kill", workers)
    run.refresh_from_db()
    assert worker.poll() is None  # the same worker, with a new pool process
    assert (run.rows_total, run.rows_done, run.rows_rejected) == (30, 30, 1)
    assert Appointment.objects.count() == 29
    assert Order.objects.count() == len({r[7] for r in rows if r is not rows[3]})
    assert run.count("appointments", "created") == 29
    assert RejectedRow.objects.filter(run=run).count() == 1
    assert Patient.objects.get(mrn="M00004").first_name == "First4"
