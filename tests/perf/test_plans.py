"""The scan's reads use their indexes (EXPLAIN), and the rules' cache never goes stale.

Test tables are tiny, so the planner would rightly read them whole: each plan is taken
with sequential scans disabled, which shows whether an index serves the query at all.
Figures live in `make bench` (docs/performance.md), never in assertions here.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.db import connection, transaction
from psycopg import sql as pg_sql

from authq.lib import clock
from authq.lib.sql import id_array
from payers.models import PayerRule
from tests import factories as f
from tests.factories import d
from worklists import claiming
from worklists import sql as statements
from worklists.models import WorkItem, queue_key_of
from worklists.scan import apply
from worklists.scan.rules import RuleBook

AS_OF = d("2026-12-01")


def _plan(sql: str, params: dict[str, object]) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
    return plan


def _chunk_params() -> dict[str, object]:
    return {
        "ids": [1, 2, 3],
        "patients": [1, 2],
        "tz": settings.AUTHQ_TIME_ZONE,
        "booked": "booked",
        "lo": clock.day_start(AS_OF),
        "hi": clock.day_start(AS_OF + dt.timedelta(days=31)),
        "used": ["arrived", "checked-in", "fulfilled"],
        "ignored": ["draft", "cancelled"],
    }


# Appointments and authorizations are reached by their order: the planner picks the
# foreign key's own index or the composite one that starts with order_id (at the bench's
# scale it picks the smaller foreign-key index and sorts the few rows per chunk).
ORDER_INDEXES = {
    "patients_appointment": ("patients_appointment_order_id", "patients_appt_order_start"),
    "payers_authorization": ("payers_authorization_order_id", "payers_auth_order_status"),
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sql", "table"),
    [
        (statements.APPOINTMENTS, "patients_appointment"),
        (statements.AUTHORIZATIONS, "payers_authorization"),
    ],
)
def test_the_scans_appointment_and_authorization_loads_use_an_order_index(sql, table):
    # Rows over many orders, analyzed: on an empty table the planner may as well walk the
    # primary key with a filter, which says nothing about the order index.
    from patients.models import Appointment, Order
    from payers.models import Authorization

    payer, pat = f.practice()
    orders = Order.objects.bulk_create(
        Order(patient=pat, external_id=f"PLAN-{i}", service_category="physical_therapy",
              code="97110", priority="routine")
        for i in range(300)
    )  # fmt: skip
    Appointment.objects.bulk_create(
        Appointment(order=o, external_id=f"PLAN-{o.pk}-{k}", start=f.at("2026-12-10"),
                    status="booked")
        for o in orders for k in range(8)
    )  # fmt: skip
    Authorization.objects.bulk_create(
        Authorization(order=o, payer=payer, status="submitted", auth_number=f"A{o.pk}",
                      submitted_at=f.at("2026-11-20"))
        for o in orders
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE patients_appointment, payers_authorization")
    plan = _plan(sql, _chunk_params())
    assert f"Seq Scan on {table}" not in plan, plan
    # A plain or a bitmap index scan, whichever the server's version picks.
    ways = ("Index Scan using {}", "Index Only Scan using {}", "Bitmap Index Scan on {}")
    assert any(w.format(n) in plan for n in ORDER_INDEXES[table] for w in ways), plan


@pytest.mark.django_db
def test_the_scans_order_and_coverage_loads_read_by_index():
    for sql, table in (
        (statements.ORDERS, "patients_order"),
        (statements.COVERAGES, "patients_coverage"),
    ):
        plan = _plan(sql, _chunk_params())
        assert f"Seq Scan on {table}" not in plan and "Index" in plan, plan


@pytest.mark.django_db
def test_a_chunks_work_items_are_read_by_the_order_index():
    statuses = ["open", "in_progress", "waiting_on_payer", "dismissed"]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + statements.ITEMS, [id_array([1, 2, 3]), statuses])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on worklists_workitem" not in plan, plan


@pytest.mark.django_db
def test_the_rule_book_is_reused_until_any_rule_changes_even_by_a_raw_update():
    payer, pat = f.practice()
    order = f.order(pat)
    f.visit(order, "2026-12-10")
    first = RuleBook.load()
    assert RuleBook.load() is first
    # A bulk update bypasses save() and updated_at: the version trigger still sees it.
    PayerRule.objects.filter(payer=payer).update(auth_required=False)
    second = RuleBook.load()
    assert second is not first
    assert all(not r.auth_required for r in second.by_payer[payer.pk])
    apply.reevaluate_order(order.pk, as_of=AS_OF)
    assert not WorkItem.objects.open().exists()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE payers_payerrule SET plan = 'X' WHERE payer_id = %s", [payer.pk])
    third = RuleBook.load()
    assert third is not second and all(r.plan == "X" for r in third.by_payer[payer.pk])
    PayerRule.objects.filter(payer=payer).delete()
    assert RuleBook.load().by_payer.get(payer.pk, []) == []


@pytest.mark.django_db
def test_a_rolled_back_rule_change_never_leaves_its_book_cached():
    payer = f.payer()
    f.rule(payer, plan="kept")
    assert [r.plan for r in RuleBook.load().by_payer[payer.pk]] == ["kept"]
    try:
        with transaction.atomic():
            f.rule(payer, plan="rolled back")
            inside = RuleBook.load()  # this transaction sees its own rule
            assert len(inside.by_payer[payer.pk]) == 2
            raise RuntimeError
    except RuntimeError:
        pass
    after = RuleBook.load()
    assert [r.plan for r in after.by_payer[payer.pk]] == ["kept"]
    # A new change after the rollback gets a version never used before.
    f.rule(payer, plan="new")
    assert sorted(r.plan for r in RuleBook.load().by_payer[payer.pk]) == ["kept", "new"]


@pytest.mark.django_db
def test_reevaluating_an_order_costs_the_same_queries_for_2_or_20_visits(
    django_assert_max_num_queries,
):
    _, pat = f.practice()
    order = f.order(pat)
    f.visit(order, "2026-12-10")
    f.auth(order, start_date="2026-11-01", end_date="2026-12-31", approved_visits=1)
    apply.reevaluate_order(order.pk, as_of=AS_OF)
    with django_assert_max_num_queries(12) as few:
        apply.reevaluate_order(order.pk, as_of=AS_OF)
    for day in range(2, 20):
        f.visit(order, f"2026-12-{day:02d}")
    apply.reevaluate_order(order.pk, as_of=AS_OF)
    with django_assert_max_num_queries(len(few.captured_queries)):
        apply.reevaluate_order(order.pk, as_of=AS_OF)


# The queues: in_queue_order() is served by the expression index worklists_item_queue_rank.
QUEUE_RANK = "worklists_item_queue_rank"


def _ordered_plan(qs) -> str:  # noqa: ANN001
    """The plan with sequential scans, bitmap scans and sorts off: on tiny test tables a
    plan then walks an index in queue order only if one can serve that order at all."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        plan = _plan(sql, params)
        cursor.execute("SET LOCAL enable_sort = on")
        cursor.execute("SET LOCAL enable_bitmapscan = on")
    return plan


@pytest.mark.django_db
@pytest.mark.parametrize("page", [1, 1000])
def test_a_queue_page_walks_the_queue_rank_index_to_its_ids(page):
    ids = WorkItem.objects.open().in_work_queue(AS_OF).in_queue_order().values_list("id", flat=True)
    plan = _ordered_plan(ids[(page - 1) * 50 : page * 50])
    assert f"Index Scan using {QUEUE_RANK}" in plan, plan
    assert "Sort" not in plan, plan


@pytest.mark.django_db
@pytest.mark.parametrize("direction", ["after", "before"])
def test_keyset_pages_are_a_range_of_the_queue_rank_index(direction):
    key = queue_key_of("routine", dt.date(2026, 12, 1), None, 12345)
    items = WorkItem.objects.open().in_work_queue(AS_OF)
    if direction == "after":
        page = items.after_in_queue(key).in_queue_order()
    else:
        page = items.before_in_queue(key)
    plan = _ordered_plan(page.values_list("id", flat=True)[:51])
    assert f"Index Scan{' Backward' if direction == 'before' else ''} using {QUEUE_RANK}" in plan
    # The place is the start of the range (an index condition), not a filter on a walk.
    assert "Index Cond: (ROW(CASE WHEN" in plan and "Sort" not in plan, plan


@pytest.mark.django_db
@pytest.mark.parametrize("queue", [None, "stat"])
def test_claim_next_probes_the_queue_rank_index(queue):
    top = claiming.claim_candidates(queue, today=AS_OF)[:1]
    plan = _ordered_plan(top)
    assert f"Index Scan using {QUEUE_RANK}" in plan, plan
    assert "Sort" not in plan and "LockRows" in plan, plan


@pytest.mark.django_db
def test_the_auth_check_reads_its_authorization_once_and_audits_in_one_insert(
    api_as, scheduler, django_assert_max_num_queries
):
    from django.test.utils import CaptureQueriesContext

    from patients.models import AccessEvent
    from payers.models import Authorization

    _, pat = f.practice()
    order = f.order(pat)
    f.visit(order, "2026-12-20")
    auth = f.auth(order, start_date="2026-11-01", end_date="2026-12-31", approved_visits=5)
    client = api_as(scheduler)
    query = {"order": order.external_id, "date": "2026-12-20"}
    client.get("/api/v1/auth-check/", query)  # the rule book's cache is warm
    with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/auth-check/", query)
    assert response.status_code == 200
    assert response.json()["authorization"] == (auth.auth_number or None)
    sqls = [q["sql"] for q in ctx.captured_queries]
    # load_orders' read (worklists.sql.AUTHORIZATIONS), and no re-read through the ORM
    assert sum('FROM "payers_authorization"' in s for s in sqls) == 1, sqls
    inserts = [s for s in sqls if s.startswith('INSERT INTO "patients_accessevent"')]
    assert len(inserts) == 1, inserts
    recorded = AccessEvent.objects.filter(user=scheduler).order_by("-id")[:2]
    assert {e.model: e.object_ids for e in recorded} == {
        "patients.order": [order.pk],
        "payers.authorization": [Authorization.objects.get(order=order).pk],
    }


@pytest.mark.django_db
def test_a_statement_run_often_is_prepared_once_per_connection():
    from worklists.scan.counts import queue_counts

    for _ in range(7):
        queue_counts(clock.today())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%FROM "worklists_queuecount"%GROUP BY%'],
        )
        assert cursor.fetchone()[0] == 1


# Prepared statements: after five runs PostgreSQL keeps one plan for all values (a generic
# plan) if it is about as good as a plan made for the values at hand. A generic plan sees
# parameters, not values: the queue index's CASE WHEN queue = 'stat' and its condition on
# the statuses must be literals in the SQL, or that plan cannot use the index and every
# page is planned anew (authq.lib.sql.Literal).


def _pg_type(value: object) -> str:
    """The type a parameter of the ORM's SQL is sent as."""
    if isinstance(value, dt.date):
        return "date"
    return "bigint" if isinstance(value, int) else "text"


def _generic_plan(sql: str, params: list[object], types: list[str]) -> str:
    """EXPLAIN of `sql` prepared and planned for any values (plan_cache_mode)."""
    numbers = iter(range(1, len(types) + 1))
    numbered = re.sub(r"%s", lambda _: f"${next(numbers)}", sql)
    typed = f"({', '.join(types)})" if types else ""
    # EXECUTE's arguments as literals: a utility statement's parameters have no types.
    literals = [
        f"{pg_sql.Literal(v).as_string(None)}::{t}" for v, t in zip(params, types, strict=True)
    ]
    values = f"({', '.join(literals)})" if types else ""
    with connection.cursor() as cursor:
        cursor.execute(f"PREPARE authq_generic {typed} AS {numbered}")
        try:  # a prepared statement outlives the test's transaction: always deallocated
            with transaction.atomic():
                for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                    cursor.execute(f"SET LOCAL {setting} = off")
                cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
                cursor.execute(f"EXPLAIN EXECUTE authq_generic {values}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
                for setting in (
                    "enable_seqscan",
                    "enable_bitmapscan",
                    "enable_sort",
                    "plan_cache_mode",
                ):
                    cursor.execute(f"RESET {setting}")
        finally:
            cursor.execute("DEALLOCATE authq_generic")
    return plan


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "page=2&after=1.2026-12-01.9999-12-31.12345"])
def test_the_queue_pages_statement_uses_the_queue_index_in_its_generic_plan(query):
    from django.http import QueryDict

    from worklists.paging import page_query

    items = WorkItem.objects.open().in_work_queue(clock.today())
    page = page_query(items, QueryDict(query), count=1000, size=50)
    ids_sql, ids_params = page.ids.query.sql_with_params()
    today = clock.today()
    params = [today, clock.day_start(today), today, settings.AUTHQ_TIME_ZONE, *ids_params]
    types = ["date", "timestamptz", "date", "text", *map(_pg_type, ids_params)]
    plan = _generic_plan(statements.queue_rows(ids_sql), params, types)
    assert f"Index Scan using {QUEUE_RANK}" in plan, plan
    if "after=" in query:
        assert "Index Cond: (ROW(CASE WHEN" in plan, plan


@pytest.mark.django_db
@pytest.mark.parametrize("queue", [None, "stat"])
def test_claim_nexts_statement_uses_the_queue_index_in_its_generic_plan(queue):
    sql, params = claiming.claim_candidates(queue)[:1].query.sql_with_params()
    plan = _generic_plan(sql, list(params), [_pg_type(p) for p in params])
    assert f"Index Scan using {QUEUE_RANK}" in plan, plan
