"""The refresh of the dashboard's fact tables (RequestFact, AtRiskVisit): a beat job."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from authq.lib.locks import try_advisory_lock
from reports.figures import EXPEDITED_CLOCK_HOURS, RISK_WINDOWS, STANDARD_CLOCK_HOURS
from reports.models import DashboardRefresh
from worklists import scan

REFRESH_LOCK = 0x61757468_7164  # pg advisory lock key: "authqd"
# A transaction that saved a row just before a run may commit after that run read the
# table; each run looks back this far past the previous run's start to catch it.
REFRESH_OVERLAP = dt.timedelta(minutes=10)

_UPSERT = """
INSERT INTO worklists_requestfact (
    authorization_id, payer_id, service_category, department, expedited, status,
    submitted_at, submitted_on, decided_at, hours, clock_hours, approved_after_appeal,
    denial_reason, denial_reason_code, refreshed_at
)
SELECT a.id, a.payer_id, o.service_category,
    COALESCE((
        SELECT p.department FROM patients_appointment p
        WHERE p.order_id = a.order_id AND p.department <> ''
        ORDER BY p.start, p.id LIMIT 1
    ), ''),
    x.expedited, a.status, a.submitted_at, (a.submitted_at AT TIME ZONE %(tz)s)::date,
    a.decided_at,
    CASE WHEN a.status IN ('approved', 'partial', 'denied') AND a.decided_at IS NOT NULL
         THEN EXTRACT(EPOCH FROM a.decided_at - a.submitted_at) / 3600.0 END,
    CASE WHEN x.expedited THEN %(expedited_hours)s ELSE %(standard_hours)s END,
    a.status IN ('approved', 'partial') AND EXISTS (
        SELECT 1 FROM payers_appeal ap
        WHERE ap.authorization_id = a.id AND ap.outcome IN ('overturned', 'partial')
    ),
    a.denial_reason, a.denial_reason_code, %(now)s
FROM payers_authorization a
JOIN patients_order o ON o.id = a.order_id
CROSS JOIN LATERAL (SELECT a.expedited OR o.priority IN ('urgent', 'stat') AS expedited) x
WHERE a.submitted_at IS NOT NULL {where}
ON CONFLICT (authorization_id) DO UPDATE SET
    payer_id = EXCLUDED.payer_id, service_category = EXCLUDED.service_category,
    department = EXCLUDED.department, expedited = EXCLUDED.expedited,
    status = EXCLUDED.status, submitted_at = EXCLUDED.submitted_at,
    submitted_on = EXCLUDED.submitted_on, decided_at = EXCLUDED.decided_at,
    hours = EXCLUDED.hours, clock_hours = EXCLUDED.clock_hours,
    approved_after_appeal = EXCLUDED.approved_after_appeal,
    denial_reason = EXCLUDED.denial_reason, denial_reason_code = EXCLUDED.denial_reason_code,
    refreshed_at = EXCLUDED.refreshed_at
"""

_CHANGED_SINCE = """
AND (
    a.updated_at >= %(since)s
    OR o.updated_at >= %(since)s
    OR a.order_id IN (SELECT order_id FROM patients_appointment WHERE updated_at >= %(since)s)
    OR a.id IN (SELECT authorization_id FROM payers_appeal WHERE updated_at >= %(since)s)
)
"""


# Visits with a gap (see appointments_at_risk): from the open items, through the
# appointments of their orders, with the patient's primary coverage on the day.
_AT_RISK_SNAPSHOT = """
INSERT INTO worklists_atriskvisit (appointment_id, start, department, service_category, payer_id)
SELECT ap.id, ap.start, ap.department, o.service_category,
       patients_primary_payer(o.patient_id, %(today)s)
FROM patients_appointment ap
JOIN patients_order o ON o.id = ap.order_id
WHERE ap.status = 'booked' AND ap.start >= %(start)s AND ap.start < %(end)s
  AND EXISTS (
    SELECT 1 FROM worklists_workitem wi
    WHERE wi.order_id = ap.order_id
      AND wi.status IN ('open', 'in_progress', 'waiting_on_payer')
      AND wi.first_service_date <= (ap.start AT TIME ZONE %(tz)s)::date
  )
"""


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
            where = ""
            if not full:
                assert previous is not None
                params["since"] = previous.started_at - REFRESH_OVERLAP
                where = _CHANGED_SINCE
            cursor.execute(_UPSERT.format(where=where), params)
            rows = cursor.rowcount
            cursor.execute(
                "DELETE FROM worklists_requestfact f USING payers_authorization a "
                "WHERE a.id = f.authorization_id AND a.submitted_at IS NULL"
            )
            today = scan.local_date(started)
            cursor.execute("DELETE FROM worklists_atriskvisit")
            cursor.execute(
                _AT_RISK_SNAPSHOT,
                {
                    "start": scan.day_start(today),
                    "end": scan.day_start(today + dt.timedelta(days=max(RISK_WINDOWS))),
                    "tz": settings.TIME_ZONE,
                    "today": today,
                },
            )
            cursor.execute(
                "SELECT DISTINCT department FROM worklists_requestfact "
                "WHERE department <> '' ORDER BY 1"
            )
            names = [r[0] for r in cursor.fetchall()]
        return DashboardRefresh.objects.create(
            started_at=started,
            finished_at=max(timezone.now(), started),
            full=full,
            rows=rows,
            departments=names,
        )
