"""authq.lib.sql.Literal: constants of the code written into the SQL, read back unchanged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import CharField, DateField, IntegerField

from authq.lib.sql import Literal
from tests import factories as f
from worklists.models import WorkItem


@pytest.mark.django_db
def test_a_literal_is_in_the_sql_text_and_reads_back_as_itself() -> None:
    order = f.order()
    WorkItem.objects.create(
        order=order,
        kind="missing_auth",
        queue="stat",
        due_date=dt.date(2026, 12, 1),
        last_seen_as_of=dt.date(2026, 11, 23),
    )
    text = "50% o'clock; DROP TABLE x --"
    qs = WorkItem.objects.annotate(
        t=Literal(text, output_field=CharField()),
        n=Literal(7, output_field=IntegerField()),
        d=Literal(dt.date(9999, 12, 31), output_field=DateField()),
    ).values_list("t", "n", "d")
    sql, params = qs.query.sql_with_params()
    assert params == ()
    assert "'50%% o''clock; DROP TABLE x --'" in sql  # quoted, the % doubled
    assert list(qs) == [(text, 7, dt.date(9999, 12, 31))]
    assert WorkItem.objects.filter(queue=Literal("stat")).get().order == order
