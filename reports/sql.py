"""The reports' plain SQL, composed with psycopg.sql: tables by their models' db_table,
statuses from their enums, values always parameters (%(name)s).

Two statements earn their place (docs/performance.md, docs/dashboards.md): the request
figures for every grouping in one pass (GROUPING SETS, percentiles), and the refresh's
upsert of the facts and snapshot of the visits at risk (INSERT ... SELECT, in the database).
Everything else the reports read or write goes through the ORM.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum

from psycopg import sql

from authq.lib.sql import table
from patients.models import EXPEDITED_PRIORITIES, Appointment, AppointmentStatus, Order
from payers.models import (
    APPROVED_STATUSES,
    DECIDED_STATUSES,
    Appeal,
    Authorization,
    AuthStatus,
    ReviewOutcome,
)
from reports.models import AtRiskVisit, RequestFact
from worklists.models import ACTIVE_STATUSES, WorkItem


def literal(choice: Enum) -> sql.Literal:
    return sql.Literal(choice.value)


def literals(choices: Iterable[Enum]) -> sql.Composed:
    """`'a', 'b'`: constants of the code, for IN (...)."""
    return sql.SQL(", ").join(literal(c) for c in choices)


def text(statement: sql.Composable) -> str:
    """The statement as text for Django's cursor (its %(name)s placeholders kept)."""
    return statement.as_string(None)


# The aggregates behind every request figure, for any grouping:
# - requests: submitted requests, cancelled ones left out;
# - decided: approved, partial or denied now;
# - approved: approved in full (A1); partial: partly approved or modified (A2, A6);
#   denied: not certified (A3);
# - after_appeal: decided, approved now, with an appeal overturned in full or in part;
# - within_clock: decided no later than the clock; extended: decided after the clock
#   (CMS-0057-F's "extended timeframe" as seen from the practice's side);
# - pending: still at the payer; pended_past_clock: pending now, submitted longer ago
#   than the clock;
# - mean, median, p90: turnaround hours of the decided requests (hours is NULL for the
#   others, and aggregates skip NULLs).
FIGURES = sql.SQL(
    """
    count(*) FILTER (WHERE status <> {cancelled}) AS requests,
    count(*) FILTER (WHERE status IN ({decided})) AS decided,
    count(*) FILTER (WHERE status = {approved}) AS approved,
    count(*) FILTER (WHERE status = {partial}) AS partial,
    count(*) FILTER (WHERE status = {denied}) AS denied,
    count(*) FILTER (WHERE approved_after_appeal) AS after_appeal,
    count(*) FILTER (WHERE hours <= clock_hours) AS within_clock,
    count(*) FILTER (WHERE hours > clock_hours) AS extended,
    count(*) FILTER (WHERE status = {submitted}) AS pending,
    count(*) FILTER (
        WHERE status = {submitted} AND submitted_at < %(now)s - clock_hours * interval '1 hour'
    ) AS pended_past_clock,
    avg(hours) AS mean,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS median,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY hours) AS p90
"""
).format(
    cancelled=literal(AuthStatus.CANCELLED),
    decided=literals(DECIDED_STATUSES),
    approved=literal(AuthStatus.APPROVED),
    partial=literal(AuthStatus.PARTIAL),
    denied=literal(AuthStatus.DENIED),
    submitted=literal(AuthStatus.SUBMITTED),
)


def request_groups(
    equal: Sequence[tuple[str, str]], sets: Iterable[Sequence[str]], columns: Sequence[str]
) -> str:
    """Every figure of FIGURES per grouping set, over the facts submitted between
    %(start)s and %(end)s whose column equals its parameter for each (column, parameter)
    of `equal`; `columns` are those grouped on, selected with GROUPING() of them."""
    where = sql.SQL(" AND ").join(
        [
            sql.SQL("submitted_on BETWEEN %(start)s AND %(end)s"),
            *(sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(p)) for c, p in equal),
        ]
    )
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    grouping_sets = sql.SQL(", ").join(
        sql.SQL("({})").format(sql.SQL(", ").join(map(sql.Identifier, s))) for s in sets
    )
    return text(
        sql.SQL(
            """
        SELECT {names},
               GROUPING({names}) AS grouping_id,
               {figures}
        FROM (
            SELECT payer_id, expedited, service_category, status, submitted_at, hours,
                   clock_hours, approved_after_appeal,
                   date_trunc('week', submitted_on)::date AS week
            FROM {facts} WHERE {where}
        ) AS requests
        GROUP BY GROUPING SETS ({sets})
    """
        ).format(
            names=names,
            figures=FIGURES,
            facts=table(RequestFact),
            where=where,
            sets=grouping_sets,
        )
    )


# The facts of the submitted requests (those changed since %(since)s when `changed_only`),
# inserted or brought up to date. A request's department is its order's earliest
# appointment that names one; it is expedited when sent so or its order is urgent or STAT.
def upsert_request_facts(*, changed_only: bool) -> str:
    changed = sql.SQL(
        """
AND (
    a.updated_at >= %(since)s
    OR o.updated_at >= %(since)s
    OR a.order_id IN (SELECT order_id FROM {appointment} WHERE updated_at >= %(since)s)
    OR a.id IN (SELECT authorization_id FROM {appeal} WHERE updated_at >= %(since)s)
)
"""
    ).format(appointment=table(Appointment), appeal=table(Appeal))
    return text(
        sql.SQL(
            """
INSERT INTO {facts} (
    authorization_id, payer_id, service_category, department, expedited, status,
    submitted_at, submitted_on, decided_at, hours, clock_hours, approved_after_appeal,
    denial_reason, denial_reason_code, refreshed_at
)
SELECT a.id, a.payer_id, o.service_category,
    COALESCE((
        SELECT p.department FROM {appointment} p
        WHERE p.order_id = a.order_id AND p.department <> ''
        ORDER BY p.start, p.id LIMIT 1
    ), ''),
    x.expedited, a.status, a.submitted_at, (a.submitted_at AT TIME ZONE %(tz)s)::date,
    a.decided_at,
    CASE WHEN a.status IN ({decided}) AND a.decided_at IS NOT NULL
         THEN EXTRACT(EPOCH FROM a.decided_at - a.submitted_at) / 3600.0 END,
    CASE WHEN x.expedited THEN %(expedited_hours)s ELSE %(standard_hours)s END,
    a.status IN ({approved}) AND EXISTS (
        SELECT 1 FROM {appeal} ap
        WHERE ap.authorization_id = a.id AND ap.outcome IN ({overturned})
    ),
    a.denial_reason, a.denial_reason_code, %(now)s
FROM {authorization} a
JOIN {order} o ON o.id = a.order_id
CROSS JOIN LATERAL (SELECT a.expedited OR o.priority IN ({expedited}) AS expedited) x
WHERE a.submitted_at IS NOT NULL {changed}
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
        ).format(
            facts=table(RequestFact),
            appointment=table(Appointment),
            appeal=table(Appeal),
            authorization=table(Authorization),
            order=table(Order),
            decided=literals(DECIDED_STATUSES),
            approved=literals(APPROVED_STATUSES),
            overturned=literals((ReviewOutcome.OVERTURNED, ReviewOutcome.PARTIAL)),
            expedited=literals(EXPEDITED_PRIORITIES),
            changed=changed if changed_only else sql.SQL(""),
        )
    )


# Visits with a gap (see figures.appointments_at_risk): booked between %(start)s and
# %(end)s, from the open items through the appointments of their orders, with the
# patient's primary coverage on %(today)s.
def snapshot_visits_at_risk() -> str:
    return text(
        sql.SQL(
            """
INSERT INTO {visits} (appointment_id, start, department, service_category, payer_id)
SELECT ap.id, ap.start, ap.department, o.service_category,
       patients_primary_payer(o.patient_id, %(today)s)
FROM {appointment} ap
JOIN {order} o ON o.id = ap.order_id
WHERE ap.status = {booked} AND ap.start >= %(start)s AND ap.start < %(end)s
  AND EXISTS (
    SELECT 1 FROM {items} wi
    WHERE wi.order_id = ap.order_id
      AND wi.status IN ({active})
      AND wi.first_service_date <= (ap.start AT TIME ZONE %(tz)s)::date
  )
"""
        ).format(
            visits=table(AtRiskVisit),
            appointment=table(Appointment),
            order=table(Order),
            items=table(WorkItem),
            booked=literal(AppointmentStatus.BOOKED),
            active=literals(ACTIVE_STATUSES),
        )
    )
