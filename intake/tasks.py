"""Thin Celery wrapper: the run's id in, the import service called."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from intake import services
from intake.models import ImportRun
from worklists.tasks import RETRY_ON_DATABASE_ERRORS, ParkingTask, max_countdown

# While another worker holds the run (a redelivered message, or the session of a killed
# worker not yet ended), look again this often, for up to an hour.
BUSY_RETRY_SECONDS = 5
BUSY_RETRIES = 720


@shared_task(
    base=ParkingTask, name="intake.tasks.import_file", bind=True, **RETRY_ON_DATABASE_ERRORS
)
def import_file(self: Any, run_id: int) -> str | None:
    """Apply an import run from its last committed chunk (a redelivered task resumes)."""
    run = services.run_import(run_id)
    if run is not None:
        return run.status
    if ImportRun.objects.filter(pk=run_id, status__in=["queued", "running"]).exists():
        raise self.retry(
            countdown=min(BUSY_RETRY_SECONDS, max_countdown()), max_retries=BUSY_RETRIES
        )
    return None
