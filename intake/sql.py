"""intake's raw SQL: the staging of a chunk's rows, the set-based upserts and the run's
bookkeeping, each composed with psycopg.sql from the models' table names and the enums'
values (docs/architecture.md, Raw SQL). Input always travels as a parameter."""

from __future__ import annotations

from django.db.models import Model
from psycopg import sql

from patients.models import Appointment, AppointmentStatus, Coverage, Order, Patient


def table(model: type[Model]) -> sql.Identifier:
    return sql.Identifier(model._meta.db_table)


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
