"""intake's raw SQL: the staging of a chunk's rows, the set-based upserts and the run's
bookkeeping, each composed with psycopg.sql from the models' table names and the enums'
values (docs/architecture.md, Raw SQL). Input always travels as a parameter."""

from __future__ import annotations

from django.db.models import Model
from psycopg import sql

from authq.lib.sql import table
from intake.models import SourcedAppointment, TouchedOrder
from patients.models import Appointment, AppointmentStatus, Coverage, Order, Patient


def compose(text: str, **parts: sql.Composable) -> str:
    """The statement's text with `parts` filled in ({name} in `text`), ready to run."""
    return sql.SQL(text).format(**parts).as_string(None)


PATIENT, ORDER, APPOINTMENT, COVERAGE = (table(m) for m in (Patient, Order, Appointment, Coverage))
BOOKED, CANCELLED = sql.Literal(AppointmentStatus.BOOKED), sql.Literal(AppointmentStatus.CANCELLED)

# --- What the database holds for a chunk's keys (one query each) ----------------------

KNOWN_PATIENTS = compose("SELECT mrn FROM {p} WHERE mrn = ANY(%s::text[])", p=PATIENT)
KNOWN_ORDERS = compose(
    "SELECT o.external_id, o.id, p.mrn FROM {o} o JOIN {p} p ON p.id = o.patient_id"
    " WHERE o.external_id = ANY(%s::text[])",
    o=ORDER,
    p=PATIENT,
)
KNOWN_APPOINTMENTS = compose(
    "SELECT a.external_id, a.order_id, p.mrn FROM {a} a JOIN {o} o ON o.id = a.order_id"
    " JOIN {p} p ON p.id = o.patient_id WHERE a.external_id = ANY(%s::text[])",
    a=APPOINTMENT,
    o=ORDER,
    p=PATIENT,
)
# A JSON batch's orders with their patient's MRN.
ORDER_OWNERS = compose(
    "SELECT o.external_id, p.mrn FROM {o} o JOIN {p} p ON p.id = o.patient_id"
    " WHERE o.external_id = ANY(%s::text[])",
    o=ORDER,
    p=PATIENT,
)

# --- The run's bookkeeping -------------------------------------------------------------

# The access audit's triggers read these settings (patients' migrations).
ACT_AS = "SELECT set_config('authq.user_id', %s, true), set_config('authq.request_id', %s, true)"

TOUCH = compose(
    "INSERT INTO {t} (run_id, order_id) SELECT %s, unnest(%s::bigint[]) ON CONFLICT DO NOTHING",
    t=table(TouchedOrder),
)
ORDERS_OF_PATIENTS = compose("SELECT id FROM {o} WHERE patient_id = ANY(%s::bigint[])", o=ORDER)

# Snapshot mode: a booked visit of the source, in the window, that this run did not list.
CANCEL_ABSENT = compose(
    """
UPDATE {a} a SET status = {cancelled}, updated_at = %(now)s
FROM {s} s
WHERE s.appointment_id = a.id AND s.profile_id = %(profile)s AND s.last_run_id <> %(run)s
  AND a.status = {booked} AND a.start >= %(first)s AND a.start < %(after)s
RETURNING a.id, a.order_id
""",
    a=APPOINTMENT,
    s=table(SourcedAppointment),
    cancelled=CANCELLED,
    booked=BOOKED,
)
MARK_SEEN = compose(
    """
INSERT INTO {s} (appointment_id, profile_id, last_run_id)
SELECT a.id, %s, %s FROM {a} a WHERE a.external_id = ANY(%s::text[])
ON CONFLICT (appointment_id) DO UPDATE
SET profile_id = EXCLUDED.profile_id, last_run_id = EXCLUDED.last_run_id
""",
    s=table(SourcedAppointment),
    a=APPOINTMENT,
)


# --- The chunk's staging tables (temporary, emptied at each commit) --------------------

STAGE, STAGE_COVERAGE = sql.Identifier("intake_stage"), sql.Identifier("intake_stage_coverage")
STAGE_COLUMNS = (
    "row", "mrn", "first_name", "last_name", "birth_date", "phone", "email",
    "order_id", "service_category", "code", "dx", "priority", "visits_ordered",
    "ordering_provider", "appointment_id", "start", "status", "department",
)  # fmt: skip
STAGE_COVERAGE_COLUMNS = ("row", "mrn", "payer_id", "member_id", "plan", "start", "end", "rank")
CREATE_STAGE = [
    compose(
        """
CREATE TEMP TABLE IF NOT EXISTS {t} (
    row int, mrn text, first_name text, last_name text, birth_date date, phone text,
    email text, order_id text, service_category text, code text, dx text, priority text,
    visits_ordered int, ordering_provider text, appointment_id text, start timestamptz,
    status text, department text
) ON COMMIT DELETE ROWS""",
        t=STAGE,
    ),
    compose(
        """
CREATE TEMP TABLE IF NOT EXISTS {t} (
    row int, mrn text, payer_id bigint, member_id text, plan text, start date, "end" date,
    rank smallint
) ON COMMIT DELETE ROWS""",
        t=STAGE_COVERAGE,
    ),
]
# Empty already after a commit; not inside an enclosing transaction (a test's).
TRUNCATE_STAGE = compose("TRUNCATE {s}, {c}", s=STAGE, c=STAGE_COVERAGE)


def _names(names: tuple[str, ...]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


# After each COPY: without statistics the planner takes a temporary table for a few
# hundred rows and joins it by scanning the whole of patients, orders or coverages.
ANALYZE_STAGE = compose("ANALYZE {s}, {c}", s=STAGE, c=STAGE_COVERAGE)
COPY_STAGE = compose("COPY {t} ({c}) FROM STDIN", t=STAGE, c=_names(STAGE_COLUMNS))
COPY_STAGE_COVERAGE = compose(
    "COPY {t} ({c}) FROM STDIN", t=STAGE_COVERAGE, c=_names(STAGE_COVERAGE_COLUMNS)
)

# --- The staged rows as each record type's source (the last row of a key wins) ---------

PATIENT_SOURCE = sql.SQL("SELECT DISTINCT ON (mrn) * FROM {s} ORDER BY mrn, row DESC").format(
    s=STAGE
)
ORDER_SOURCE = sql.SQL(
    "SELECT DISTINCT ON (s.order_id) s.order_id AS external_id, p.id AS patient_id,"
    " s.service_category, s.code, string_to_array(s.dx, ';')::varchar[] AS diagnosis_codes,"
    " s.priority, s.visits_ordered, s.ordering_provider"
    " FROM {s} s JOIN {p} p ON p.mrn = s.mrn ORDER BY s.order_id, s.row DESC"
).format(s=STAGE, p=PATIENT)
APPOINTMENT_SOURCE = sql.SQL(
    "SELECT DISTINCT ON (s.appointment_id) s.appointment_id AS external_id,"
    " o.id AS order_id, s.start, s.status, s.department"
    " FROM {s} s JOIN {o} o ON o.external_id = s.order_id ORDER BY s.appointment_id, s.row DESC"
).format(s=STAGE, o=ORDER)


def upsert(
    model: type[Model],
    *,
    key: str,
    source: sql.Composable,
    fields: dict[str, str],
    given: tuple[str, ...],
    defaults: dict[str, sql.Composable],
    guard: str,
    returning: str,
) -> tuple[str, str]:
    """The two statements of a set-based upsert from `source` by the unique `key`.

    INSERT: new keys with every field (the source's value where the file gives it, else
    the default), RETURNING (id, `returning`, inserted); a key stored meanwhile is
    updated by its ON CONFLICT. UPDATE: known keys (parameter `existing`), only the
    `given` fields, only where one differs, and (`guard`) only where that column is
    equal, RETURNING (id, `returning`). Parameters: now, existing.
    """
    t, k = table(model), sql.Identifier(key)
    columns = list(fields)
    values = [
        sql.SQL("src.{}").format(sql.Identifier(fields[c]))
        if c in given or c not in defaults
        else defaults[c]
        for c in columns
    ]
    ident = sql.Identifier
    guarded: sql.Composable = sql.SQL("")
    on_conflict: sql.Composable = sql.SQL("DO NOTHING")
    if given:
        sets = sql.SQL(", ").join(sql.SQL("{c} = EXCLUDED.{c}").format(c=ident(c)) for c in given)
        if guard:
            guarded = sql.SQL(" WHERE {t}.{g} = EXCLUDED.{g}").format(t=t, g=ident(guard))
        on_conflict = sql.SQL("DO UPDATE SET {sets}, updated_at = EXCLUDED.updated_at{w}").format(
            sets=sets, w=guarded
        )
    insert = compose(
        """
INSERT INTO {t} ({k}, {columns}, created_at, updated_at)
SELECT src.{k}, {values}, %(now)s, %(now)s FROM ({source}) src
WHERE NOT EXISTS (SELECT FROM {t} known WHERE known.{k} = src.{k})
ON CONFLICT ({k}) {on_conflict}
RETURNING id, {returning}, (xmax = 0)
""",
        t=t,
        k=k,
        columns=_names(tuple(columns)),
        values=sql.SQL(", ").join(values),
        source=source,
        on_conflict=on_conflict,
        returning=ident(returning),
    )
    update = compose(
        """
UPDATE {t} t SET {sets}, updated_at = %(now)s
FROM ({source}) src
WHERE t.{k} = src.{k} AND t.{k} = ANY(%(existing)s::text[])
  AND ({mine}) IS DISTINCT FROM ({theirs}){guard}
RETURNING t.id, t.{returning}
""",
        t=t,
        k=k,
        sets=sql.SQL(", ").join(
            sql.SQL("{c} = src.{v}").format(c=ident(c), v=ident(fields[c])) for c in given
        ),
        source=source,
        mine=sql.SQL(", ").join(sql.SQL("t.{}").format(ident(c)) for c in given),
        theirs=sql.SQL(", ").join(sql.SQL("src.{}").format(ident(fields[c])) for c in given),
        guard=sql.SQL(" AND t.{g} = src.{g}").format(g=ident(guard)) if guard else sql.SQL(""),
        returning=ident(returning),
    )
    return insert, update


def stored_state(model: type[Model], key: str) -> str:
    """The stored records with these keys (parameter 1): (id, written by this run already,
    i.e. updated since it started, parameter 2: every write sets updated_at to its time)."""
    return compose(
        "SELECT id, updated_at >= %s FROM {t} WHERE {k} = ANY(%s::text[])",
        t=table(model),
        k=sql.Identifier(key),
    )


# --- Coverages, by their key (patient, payer, member id, start) -------------------------

_STAGED_COVERAGE_KEYS = sql.SQL(
    "SELECT DISTINCT p.id, s.payer_id, s.member_id, s.start FROM {s} s JOIN {p} p ON p.mrn = s.mrn"
).format(s=STAGE_COVERAGE, p=PATIENT)


def upsert_coverages(compared: tuple[str, ...]) -> str:
    """Insert the staged coverages, or update the `compared` columns of the stored ones
    where one differs. RETURNING (id, patient id, inserted). Parameter: now."""
    ident = sql.Identifier
    return compose(
        """
INSERT INTO {c} (patient_id, payer_id, member_id, plan, rank, start, "end", created_at,
    updated_at)
SELECT DISTINCT ON (p.id, s.payer_id, s.member_id, s.start)
    p.id, s.payer_id, s.member_id, coalesce(s.plan, ''), s.rank, s.start, s."end",
    %(now)s, %(now)s
FROM {s} s JOIN {p} p ON p.mrn = s.mrn
ORDER BY p.id, s.payer_id, s.member_id, s.start, s.row DESC
ON CONFLICT ON CONSTRAINT patients_coverage_key_unique DO UPDATE
SET {sets}, updated_at = EXCLUDED.updated_at
WHERE ({mine}) IS DISTINCT FROM ({theirs})
RETURNING id, patient_id, (xmax = 0)
""",
        c=COVERAGE,
        s=STAGE_COVERAGE,
        p=PATIENT,
        sets=sql.SQL(", ").join(sql.SQL("{x} = EXCLUDED.{x}").format(x=ident(x)) for x in compared),
        mine=sql.SQL(", ").join(
            sql.SQL("{c}.{x}").format(c=COVERAGE, x=ident(x)) for x in compared
        ),
        theirs=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(ident(x)) for x in compared),
    )


# The staged coverages stored already: (id, written by this run already; parameter: the
# run's start).
STORED_COVERAGES = compose(
    """
SELECT c.id, c.updated_at >= %s FROM {c} c
JOIN ({keys}) AS k (patient_id, payer_id, member_id, start)
  ON c.patient_id = k.patient_id AND c.payer_id = k.payer_id AND c.member_id = k.member_id
 AND c.start = k.start
""",
    c=COVERAGE,
    keys=_STAGED_COVERAGE_KEYS,
)
