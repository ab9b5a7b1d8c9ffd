"""Thin Celery wrapper: the run's id in, the import service called."""

from __future__ import annotations

from celery import shared_task

from intake import services
from worklists.tasks import RETRY_ON_DATABASE_ERRORS, ParkingTask


@shared_task(base=ParkingTask, name="intake.tasks.import_file", **RETRY_ON_DATABASE_ERRORS)
def import_file(run_id: int) -> str | None:
    """Apply an import run, from its last committed chunk (a redelivered task resumes)."""
    run = services.run_import(run_id)
    return run.status if run else None
