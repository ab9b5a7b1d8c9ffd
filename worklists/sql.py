"""worklists' raw SQL: the statements measurements asked for (docs/performance.md), each
composed once with psycopg.sql from the models' table names and the enums' values.

Only the code's constants go into the text (identifiers, statuses); input always travels
as a parameter (`%s` or `%(name)s`). The ORM does everything else.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from psycopg import sql

from authq.lib.sql import table
from patients.models import Appointment, Coverage, Order, Patient
from payers.models import Authorization, Payer, RuleBookVersion
from worklists.models import (
    ACTIVE_STATUSES,
    ItemStatus,
    QueueCount,
    ScanRun,
    ScanRunChunk,
    WorkItem,
)


def literals(values: Iterable[str]) -> sql.Composed:
    """Constants of the code as a comma-separated list of SQL literals."""
    return sql.SQL(", ").join(sql.Literal(str(v)) for v in values)


def compose(text: str, **parts: sql.Composable) -> str:
    """The statement's text with `parts` filled in ({name} in `text`), ready to run."""
    return sql.SQL(text).format(**parts).as_string(None)


# --- The scan's reading (worklists.scan.load, .rules). ---------------------------------
# Plain SQL with array parameters: the rows go straight into the facts, without the ORM's
# per-value conversions (the scan reads a million rows). Ids are passed as id_array() text
# (or lists: both cast to bigint[]); statuses as parameters, as the plans were measured.

# Read before the rules: a change committed in between is read with the old version, and
# the next load sees the new one.
RULES_VERSION = compose("SELECT version FROM {t} WHERE id = 1", t=table(RuleBookVersion))

ORDERS = compose(
    """
SELECT id, patient_id, service_category, code, priority, visits_ordered, auth_requested_at
FROM {t} WHERE id = ANY(%(ids)s::bigint[]) ORDER BY id
""",
    t=table(Order),
)
# Booked in the window, or used (whatever the date); the local day computed by PostgreSQL.
# One row per order, its days in arrays (upcoming ids and days, used days, each in the
# order of start, id): a third of the Python work of one row per appointment.
APPOINTMENTS = compose(
    """
SELECT order_id,
       array_agg(id ORDER BY start, id) FILTER (WHERE status = %(booked)s),
       array_agg(day ORDER BY start, id) FILTER (WHERE status = %(booked)s),
       array_agg(day ORDER BY start, id) FILTER (WHERE status <> %(booked)s)
FROM (
    SELECT order_id, id, status, start, (start AT TIME ZONE %(tz)s)::date AS day
    FROM {t}
    WHERE order_id = ANY(%(ids)s::bigint[])
      AND ((status = %(booked)s AND start >= %(lo)s AND start < %(hi)s) OR status = ANY(%(used)s))
) a
GROUP BY order_id
""",
    t=table(Appointment),
)
# Authorization.objects.counted(): drafts and cancelled requests are ignored.
AUTHORIZATIONS = compose(
    """
SELECT order_id, id, status, auth_number, start_date, end_date, approved_visits,
       submitted_at, decided_at, expedited
FROM {t}
WHERE order_id = ANY(%(ids)s::bigint[]) AND NOT (status = ANY(%(ignored)s))
ORDER BY order_id, id
""",
    t=table(Authorization),
)
# Coverage.objects.primary(): rank 1.
COVERAGES = compose(
    """
SELECT patient_id, id, payer_id, plan, start, "end"
FROM {t}
WHERE patient_id = ANY(%(patients)s::bigint[]) AND rank = 1
ORDER BY patient_id, start DESC, id
""",
    t=table(Coverage),
)


# --- The scan's applying (worklists.scan.apply). ----------------------------------------
# An id array, like the reading: the ORM's `order_id__in` costs more per chunk (500
# placeholders built, converted and parsed) than the query itself.

# Active items, and the dismissed ones a finding may match (same query).
ITEMS = compose(
    """
SELECT id, order_id, kind, status, queue, first_service_date, affected_appointments, due_date
FROM {t} WHERE order_id = ANY(%s::bigint[]) AND status = ANY(%s)
""",
    t=table(WorkItem),
)

# The conflict target is the partial unique constraint on (order, kind) of active items.
UPSERT = compose(
    """
INSERT INTO {t}
    (order_id, kind, queue, status, first_service_date, affected_appointments, due_date,
     resolution, created_at, updated_at, last_seen_as_of)
SELECT f.order_id, f.kind, f.queue, {open}, f.first_service_date, f.affected_appointments,
       f.due_date, {no_resolution}, %(now)s, %(now)s, %(as_of)s
FROM unnest(%(order_ids)s::bigint[], %(kinds)s::text[], %(queues)s::text[],
            %(firsts)s::date[], %(affected)s::int[], %(dues)s::date[])
     AS f(order_id, kind, queue, first_service_date, affected_appointments, due_date)
ON CONFLICT (order_id, kind) WHERE status IN ({active})
DO UPDATE SET queue = EXCLUDED.queue,
              first_service_date = EXCLUDED.first_service_date,
              affected_appointments = EXCLUDED.affected_appointments,
              due_date = EXCLUDED.due_date,
              last_seen_as_of = EXCLUDED.last_seen_as_of,
              updated_at = EXCLUDED.updated_at
RETURNING id, order_id, kind, (xmax = 0) AS inserted
""",
    t=table(WorkItem),
    open=sql.Literal(ItemStatus.OPEN.value),
    no_resolution=sql.Literal(""),  # no resolution yet
    active=literals(ACTIVE_STATUSES),
)


# --- The scan's running (worklists.scan.runs). ------------------------------------------

# The chunked scan's id ranges: chunk_size orders each, in id order.
RANGES = compose(
    """
SELECT min(id), max(id), count(*)
FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / %s AS chunk FROM {t}) o
GROUP BY chunk ORDER BY chunk
""",
    t=table(Order),
)

# A chunk counted once: a second delivery finds the row and does nothing.
COUNT_CHUNK = compose(
    """
INSERT INTO {t} (run_id, first_id, orders, done_at)
VALUES (%s, %s, %s, %s) ON CONFLICT (run_id, first_id) DO NOTHING RETURNING id
""",
    t=table(ScanRunChunk),
)

# A chunk's figures added to its run, while the run is live.
ADD_TO_RUN = compose(
    """
UPDATE {t}
SET orders_scanned = orders_scanned + %s, items_opened = items_opened + %s,
    items_updated = items_updated + %s, items_resolved = items_resolved + %s,
    progressed_at = %s
WHERE id = %s AND finished_at IS NULL AND abandoned_at IS NULL
RETURNING orders_scanned
""",
    t=table(ScanRun),
)


# --- The queue overview's counts (worklists.scan.counts). ------------------------------

# Every count row folded into one per key, in one statement: readers see the same sums.
COMPACT_COUNTS = compose(
    """
WITH gone AS (
    DELETE FROM {t}
    RETURNING queue, kind, due_date, claimed, follow_up_on, n
)
INSERT INTO {t} (queue, kind, due_date, claimed, follow_up_on, n)
SELECT queue, kind, due_date, claimed, follow_up_on, sum(n) FROM gone
GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0
""",
    t=table(QueueCount),
)


# --- The queue page's rows (worklists.views.queue). ------------------------------------
# A page's ids (the ORM's query, nearest first) and their rows in one statement, a SELECT
# (the audit middleware tells writes by their first word). The payer is the patient's
# primary payer on the day, by patients' SQL function (docs/domain.md); the department
# that of the order's next visit from today on; the age in days since the item was made,
# in the practice's time zone. Parameters, in the order of the text: today, the start of
# today, today, the time zone, then the page query's.
_ROWS_TABLES = {
    "item": table(WorkItem),
    "order": table(Order),
    "patient": table(Patient),
    "payer": table(Payer),
    "appointment": table(Appointment),
    "user": table(User),
}
_QUEUE_ROWS_HEAD = sql.SQL(
    compose(
        """
SELECT w.id, w.queue, w.kind, w.status, w.due_date, w.first_service_date,
       w.affected_appointments, w.assignee_id, u.username,
       o.patient_id, p.mrn, p.last_name, p.first_name, o.external_id, o.code,
       o.service_category,
       (SELECT py.name FROM {payer} py
        WHERE py.id = patients_primary_payer(o.patient_id, %s::date)),
       (SELECT a.department FROM {appointment} a
        WHERE a.order_id = w.order_id AND a.start >= %s AND a.department <> ''
        ORDER BY a.start LIMIT 1),
       %s::date - (w.created_at AT TIME ZONE %s)::date, w.follow_up_on
FROM (SELECT id, row_number() OVER () AS n FROM (""",
        **_ROWS_TABLES,
    )
)
_QUEUE_ROWS_TAIL = sql.SQL(
    compose(
        """) ids) page
JOIN {item} w ON w.id = page.id
JOIN {order} o ON o.id = w.order_id
JOIN {patient} p ON p.id = o.patient_id
LEFT JOIN {user} u ON u.id = w.assignee_id
ORDER BY page.n
""",
        **_ROWS_TABLES,
    )
)


def queue_rows(page: str) -> str:
    """The queue rows' statement for the page whose ids `page` (the ORM's SQL) selects."""
    return sql.Composed([_QUEUE_ROWS_HEAD, sql.SQL(page), _QUEUE_ROWS_TAIL]).as_string(None)
