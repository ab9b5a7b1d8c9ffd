"""Import profiles and files for the intake tests: real files written to disk."""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from intake import services
from intake.models import ImportProfile, ImportRun
from tests import factories as f

HEADER = [
    "MRN", "Last Name", "First Name", "DOB", "Ins Code", "Member ID", "Cov Start",
    "Order ID", "Category", "CPT", "Dx", "Appt ID", "Appt Date", "Appt Time", "Appt Status",
    "Dept",
]  # fmt: skip


def row(n: int, **over: Any) -> list[str]:
    """A good schedule row: patient n//3, order n//2, appointment n."""
    p, o = n // 3, n // 2
    values = {
        "MRN": f"M{p:05d}", "Last Name": f"Last{p}", "First Name": f"First{p}",
        "DOB": "04/15/1970", "Ins Code": "BCX", "Member ID": f"MEM{p}",
        "Cov Start": "01/01/2026", "Order ID": f"O{p:05d}-{o}", "Category": "physical_therapy",
        "CPT": "97110", "Dx": "M54.50", "Appt ID": f"A{n:06d}", "Appt Date": "12/10/2026",
        "Appt Time": "09:30", "Appt Status": "Scheduled", "Dept": "PT East",
    }  # fmt: skip
    values.update(over)
    return [values[h] for h in HEADER]


def csv_bytes(
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] = HEADER,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    """Uploaded files go to this test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def payer_bcx(db: None) -> Any:
    return f.payer("BCX", name="Blue Cross X")


@pytest.fixture
def profile(db: None, payer_bcx: Any) -> ImportProfile:
    return ImportProfile.objects.create(
        name="nextgen-test",
        kind="schedule",
        columns={
            "mrn": "MRN",
            "last_name": "Last Name",
            "first_name": "First Name",
            "birth_date": "DOB",
            "payer_code": "Ins Code",
            "member_id": "Member ID",
            "coverage_start": "Cov Start",
            "order_id": "Order ID",
            "service_category": "Category",
            "code": "CPT",
            "diagnosis_codes": "Dx",
            "appointment_id": "Appt ID",
            "date": "Appt Date",
            "time": "Appt Time",
            "status": "Appt Status",
            "department": "Dept",
        },  # fmt: skip
        statuses={
            "Scheduled": "booked",
            "Cancelled": "cancelled",
            "No Show": "noshow",
            "Checked Out": "fulfilled",
        },  # fmt: skip
        payers={},
    )


@pytest.fixture
def import_workers(settings: Any) -> Iterator[Any]:
    """Real Celery workers on a queue of the test's own, taking the imports: they read the
    uploaded files where the test stores them, 5 rows a chunk."""
    from tests.worklists.test_faults import Workers

    pool = Workers()
    settings.AUTHQ_IMPORT_QUEUE = pool.queue
    os.environ["AUTHQ_MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    os.environ["AUTHQ_IMPORT_CHUNK_ROWS"] = "5"
    try:
        yield pool
    finally:
        pool.stop()
        del os.environ["AUTHQ_MEDIA_ROOT"], os.environ["AUTHQ_IMPORT_CHUNK_ROWS"]


# The bound of every wait on a worker: starting one loads Django and the ICD-10-CM list,
# which takes minutes on a machine busy with other work; the tests pass in seconds.
WORKER_WAIT_SECONDS = 300


def wait_for(condition: Callable[[], object], what: str, workers: Any) -> None:
    deadline = time.monotonic() + WORKER_WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"not within {WORKER_WAIT_SECONDS} s: {what}\n" + (
            workers.output()
        )
        time.sleep(0.1)


ImportFile = Callable[..., ImportRun]


@pytest.fixture
def import_file(tmp_path: Path) -> ImportFile:
    """Start a run from bytes and apply it in process (the worker's code path)."""

    def run(profile: ImportProfile, data: bytes, name: str = "export.csv", by: Any = None):
        upload = SimpleUploadedFile(name, data)
        started = services.start_run(profile, upload=upload, name=name, by=by)
        return services.run_import(started.pk)

    return run
