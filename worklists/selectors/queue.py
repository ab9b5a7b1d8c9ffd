"""The queue page's reads: a page's records, the choices of its filters and the overview
of every open item by queue and kind. Returns data and writes nothing.

A page's records are one statement (worklists.sql.queue_rows); the view turns them into
rows with their markup (worklists.views.queue_rows) and records what it shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connection

from authq.lib import clock
from patients.models import Appointment
from payers.models import Payer
from worklists import claiming, paging
from worklists import sql as statements
from worklists.models import ItemKind, Queue
from worklists.scan import counts


def page_records(query: paging.PageQuery, today: dt.date) -> list[tuple[Any, ...]]:
    """The records of the items `query` selects, in its order, one per item (the columns of
    worklists.sql.queue_rows): the page's ids and their rows in one statement."""
    ids_sql, ids_params = query.ids.query.sql_with_params()
    params = [today, clock.day_start(today), today, settings.AUTHQ_TIME_ZONE, *ids_params]
    with connection.cursor() as cursor:
        cursor.execute(statements.queue_rows(ids_sql), params)
        return cursor.fetchall()


def departments() -> list[tuple[str, str]]:
    """The department filter's choices: every department an appointment names."""
    names = (
        Appointment.objects.exclude(department="")
        .order_by("department")
        .values_list("department", flat=True)
        .distinct()
    )
    return [(name, name) for name in names]


def workers() -> list[tuple[str, str]]:
    """The assignee filter's choices: the people who work items."""
    return [(str(u.pk), u.get_full_name() or u.username) for u in claiming.workers()]


def payers() -> list[tuple[str, str]]:
    """The payer filter's choices, by name."""
    return [
        (str(pk), name) for pk, name in Payer.objects.order_by("name").values_list("id", "name")
    ]


def overview(today: dt.date) -> list[dict[str, Any]]:
    """Counts of every open item by queue and kind, whatever the filters: one small query."""
    by_kind = counts.queue_counts(today)
    summary = []
    for queue_value, queue_label in Queue.choices:
        kinds: list[dict[str, Any]] = [
            {"value": kind, "label": label, **by_kind[(queue_value, kind)]}
            for kind, label in ItemKind.choices
            if (queue_value, kind) in by_kind
        ]
        summary.append(
            {
                "value": queue_value,
                "label": queue_label,
                "n": sum(k["n"] for k in kinds),
                "overdue": sum(k["overdue"] for k in kinds),
                "unclaimed": sum(k["unclaimed"] for k in kinds),
                "kinds": kinds,
            }
        )
    return summary
