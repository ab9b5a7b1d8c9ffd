"""patients' raw SQL (the access audit's), composed with psycopg.sql: tables and columns
from the models, input always as parameters.

- SET_ACTOR names the acting person to the database, for the audit triggers;
- insert_access_events writes a page's reads in one statement: the ORM's insert adapts
  each array element on its own and costs a page with 50 rows about a millisecond more
  (docs/performance.md).
"""

from __future__ import annotations

from functools import cache

from django.apps import apps
from psycopg import sql

from authq.lib.sql import columns, table
from patients.models import AccessEvent

# Session settings read by authq_audit_rows() (patients migration 0004): person, request,
# address. Parameters: the three values, or three empty strings to clear them.
SET_ACTOR = (
    "SELECT set_config('authq.user_id', %s, false), "
    "set_config('authq.request_id', %s, false), "
    "set_config('authq.remote_addr', %s, false)"
)

# The models whose tables carry the audit triggers (patients migration 0004, worklists 0012
# and 0013). Named by label: patients imports neither payers nor worklists.
AUDITED_MODELS = (
    "patients.Patient",
    "patients.Coverage",
    "patients.Order",
    "patients.Appointment",
    "payers.Authorization",
    "payers.Document",
    "worklists.WorkItemNote",
    "worklists.PatientNotification",
)


@cache
def audited_tables() -> tuple[str, ...]:
    """The tables of AUDITED_MODELS (read once the app registry is ready)."""
    return tuple(apps.get_model(label)._meta.db_table for label in AUDITED_MODELS)


# An access event's columns as insert_access_events takes them, in this order; the two
# id lists as array text (authq.lib.sql.id_array).
ACCESS_EVENT_FIELDS = (
    "user",
    "remote_addr",
    "request_id",
    "action",
    "model",
    "object_ids",
    "patient_ids",
)
_EVENT_VALUES = sql.SQL("(%s, %s, %s, %s, %s, %s::bigint[], %s::bigint[])")


@cache
def insert_access_events(rows: int) -> str:
    """INSERT of `rows` access events (7 parameters each, ACCESS_EVENT_FIELDS), RETURNING
    each one's id and time in the order given."""
    statement = sql.SQL("INSERT INTO {t} ({columns}) VALUES {values} RETURNING {returned}")
    return statement.format(
        t=table(AccessEvent),
        columns=columns(AccessEvent, *ACCESS_EVENT_FIELDS),
        values=sql.SQL(", ").join([_EVENT_VALUES] * rows),
        returned=columns(AccessEvent, "id", "at"),
    ).as_string(None)
