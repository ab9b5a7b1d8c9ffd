"""The reports' beat job, on worklists' task base (retries, parking)."""

from __future__ import annotations

from celery import shared_task

from reports.refresh import refresh_request_facts
from worklists.tasks import ParkingTask


@shared_task(base=ParkingTask, name="reports.tasks.refresh_dashboard")
def refresh_dashboard() -> int | None:
    """The beat's refresh of the dashboard's facts; the DashboardRefresh id, or None when
    another refresh was running."""
    run = refresh_request_facts()
    return run.pk if run else None
