"""Thin Celery wrapper: the interchange's id in, the service called."""

from __future__ import annotations

from celery import shared_task

from worklists.tasks import RETRY_ON_DATABASE_ERRORS, ParkingTask
from x12feed import services


@shared_task(base=ParkingTask, name="x12feed.tasks.apply_interchange", **RETRY_ON_DATABASE_ERRORS)
def apply_interchange(interchange_id: int) -> str | None:
    record = services.apply_interchange(interchange_id)
    return record.status if record else None
