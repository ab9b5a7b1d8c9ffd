"""Thin Celery wrappers: ids in, services called."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from worklists import services


@shared_task(name="worklists.tasks.scan_authorizations")
def scan_authorizations(as_of: str | None = None) -> int | None:
    """The beat's scan; returns the ScanRun id, or None when another scan was running."""
    run = services.run_scan(as_of=dt.date.fromisoformat(as_of) if as_of else None, trigger="beat")
    return run.pk if run else None


@shared_task(name="worklists.tasks.reevaluate_order")
def reevaluate_order(order_id: int) -> None:
    services.reevaluate_order(order_id)
