"""The refresh of the dashboard's fact tables (RequestFact, AtRiskVisit): a beat job."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from authq.lib import clock
from authq.lib.locks import try_advisory_lock
from reports import sql
from reports.figures import EXPEDITED_CLOCK_HOURS, RISK_WINDOWS, STANDARD_CLOCK_HOURS
from reports.models import AtRiskVisit, DashboardRefresh, RequestFact

REFRESH_LOCK = 0x61757468_7164  # pg advisory lock key: "authqd"
# A transaction that saved a row just before a run may commit after that run read the
# table; each run looks back this far past the previous run's start to catch it.
REFRESH_OVERLAP = dt.timedelta(minutes=10)


def refresh_request_facts(
    *, full: bool = False, now: dt.datetime | None = None
) -> DashboardRefresh | None:
    """Bring RequestFact up to date and retake the AtRiskVisit snapshot; None when
    another refresh holds the lock.

    Incremental: only requests whose authorization, order, appointments or appeals
    changed since the previous run started (minus REFRESH_OVERLAP) are rewritten, with an
    upsert, so running twice or at once changes nothing. full=True rewrites every row.
    Facts whose authorization lost its submission time are deleted.
    """
    started = now or timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            if not try_advisory_lock(REFRESH_LOCK, transaction=True):
                return None
            previous = DashboardRefresh.objects.filter(finished_at__isnull=False).first()
            full = full or previous is None
            params: dict[str, Any] = {
                "tz": settings.TIME_ZONE,
                "expedited_hours": EXPEDITED_CLOCK_HOURS,
                "standard_hours": STANDARD_CLOCK_HOURS,
                "now": started,
            }
            if not full:
                assert previous is not None
                params["since"] = previous.started_at - REFRESH_OVERLAP
            cursor.execute(sql.upsert_request_facts(changed_only=not full), params)
            rows = cursor.rowcount
            RequestFact.objects.filter(authorization__submitted_at__isnull=True).delete()
            today = clock.local_date(started)
            AtRiskVisit.objects.all().delete()
            cursor.execute(
                sql.snapshot_visits_at_risk(),
                {
                    "start": clock.day_start(today),
                    "end": clock.day_start(today + dt.timedelta(days=max(RISK_WINDOWS))),
                    "tz": settings.TIME_ZONE,
                    "today": today,
                },
            )
        names = list(
            RequestFact.objects.exclude(department="")
            .order_by("department")
            .values_list("department", flat=True)
            .distinct()
        )
        return DashboardRefresh.objects.create(
            started_at=started,
            finished_at=max(timezone.now(), started),
            full=full,
            rows=rows,
            departments=names,
        )
