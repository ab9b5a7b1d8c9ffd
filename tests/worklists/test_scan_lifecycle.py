"""What rescans do to items: updates in place, resolution, assignments, concurrency, cost."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.factories import d
from worklists.models import ItemStatus, ScanRun, WorkItem, WorkItemEvent
from worklists.scan.apply import reevaluate_order
from worklists.scan.rules import RuleBook
from worklists.scan.runs import run_scan

AS_OF = d("2026-12-01")


@pytest.mark.django_db
def test_a_rescan_updates_the_item_in_place_and_records_what_changed():
    _, pat = f.practice()
    order = f.order(pat)
    f.visit(order, "2026-12-10")
    run_scan(as_of=AS_OF)
    item = WorkItem.objects.get()
    f.visit(order, "2026-12-08")
    run_scan(as_of=AS_OF)
    item.refresh_from_db()
    assert WorkItem.objects.count() == 1
    assert (item.first_service_date, item.affected_appointments) == (d("2026-12-08"), 2)
    assert [e.kind for e in item.events.all()] == ["opened", "updated"]
    assert item.events.last().data["first_service_date"] == "2026-12-08"


@pytest.mark.django_db
def test_an_unchanged_rescan_writes_nothing():
    _, pat = f.practice()
    order = f.order(pat)
    f.visit(order, "2026-12-10")
    run_scan(as_of=AS_OF)
    run = run_scan(as_of=AS_OF)
    assert (run.items_opened, run.items_updated, run.items_resolved) == (0, 0, 0)
    assert WorkItemEvent.objects.count() == 1


@pytest.mark.django_db
def test_a_closed_gap_is_resolved_by_the_system_and_a_returning_gap_opens_a_new_item():
    _, pat = f.practice()
    order = f.order(pat)
    f.visit(order, "2026-12-10")
    run_scan(as_of=AS_OF)
    first = WorkItem.objects.get()
    approval = f.auth(order, start_date="2026-12-01", end_date="2026-12-31")
    run = run_scan(as_of=AS_OF)
    first.refresh_from_db()
    assert run.items_resolved == 1
    assert (first.status, first.resolution) == (ItemStatus.RESOLVED, "gap_closed")
    assert first.resolved_at is not None
    assert first.events.last().kind == "resolved"

    approval.status = "cancelled"
    approval.save()
    run_scan(as_of=AS_OF)
    assert WorkItem.objects.count() == 2
    reopened = WorkItem.objects.open().get()
    assert reopened.pk != first.pk and reopened.kind == "missing_auth"


@pytest.mark.django_db
def test_a_rescan_keeps_who_the_item_is_assigned_to_and_its_status(specialist):
    _, pat = f.practice()
    order = f.order(pat)
    f.visit(order, "2026-12-10")
    run_scan(as_of=AS_OF)
    WorkItem.objects.update(assignee=specialist, status=ItemStatus.IN_PROGRESS)
    f.visit(order, "2026-12-04")
    run_scan(as_of=AS_OF)
    item = WorkItem.objects.get()
    assert (item.assignee, item.status, item.first_service_date) == (
        specialist,
        ItemStatus.IN_PROGRESS,
        d("2026-12-04"),
    )


@pytest.mark.django_db
def test_reevaluating_one_order_changes_only_its_items():
    _, pat = f.practice()
    mine = f.order(pat)
    f.visit(mine, "2026-12-10")
    other = f.order(pat)
    f.visit(other, "2026-12-10")
    run_scan(as_of=AS_OF)
    f.auth(mine, start_date="2026-12-01", end_date="2026-12-31")
    f.auth(other, start_date="2026-12-01", end_date="2026-12-31")
    result = reevaluate_order(mine, as_of=AS_OF)
    assert result.resolved == 1
    assert list(WorkItem.objects.open().values_list("order", flat=True)) == [other.pk]
    event = WorkItemEvent.objects.get(kind="resolved")
    assert event.actor is None  # the scan's, whoever set the re-evaluation off


@pytest.mark.django_db
def test_the_database_refuses_a_second_active_item_for_the_same_order_and_kind():
    _, pat = f.practice()
    order = f.order(pat)
    WorkItem.objects.create(
        order=order, kind="missing_auth", queue="stat", due_date=AS_OF, last_seen_as_of=AS_OF
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkItem.objects.create(
            order=order, kind="missing_auth", queue="stat", due_date=AS_OF, last_seen_as_of=AS_OF
        )
    # A resolved one does not count.
    WorkItem.objects.update(status=ItemStatus.RESOLVED, resolved_at=f.at(AS_OF))
    WorkItem.objects.create(
        order=order, kind="missing_auth", queue="stat", due_date=AS_OF, last_seen_as_of=AS_OF
    )
    assert WorkItem.objects.open().count() == 1


def _run_concurrently(*targets) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets))

    def wrap(target):
        def run():
            try:
                barrier.wait(timeout=10)
                target()
            except BaseException as exc:  # reported to the test
                errors.append(exc)
            finally:
                connections.close_all()

        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return errors


@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_leave_no_duplicates_and_one_runs_at_a_time():
    _, pat = f.practice()
    for n in range(40):
        order = f.order(pat)
        f.visit(order, d("2026-12-03").replace(day=3 + n % 20))
    results: list[ScanRun | None] = []
    errors = _run_concurrently(
        lambda: results.append(run_scan(as_of=AS_OF)), lambda: results.append(run_scan(as_of=AS_OF))
    )
    assert errors == []
    assert WorkItem.objects.open().count() == 40
    # Either the second found the lock taken, or it ran after the first and changed nothing.
    ran = [r for r in results if r is not None]
    assert sum(r.items_opened for r in ran) == 40
    run_scan(as_of=AS_OF)
    assert WorkItem.objects.count() == 40


@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_the_scan_and_reevaluations_of_the_same_order_at_once_leave_one_item():
    _, pat = f.practice()
    order = f.order(pat)
    f.visit(order, "2026-12-10")
    errors = _run_concurrently(
        lambda: run_scan(as_of=AS_OF),
        lambda: reevaluate_order(order.pk, as_of=AS_OF),
        lambda: reevaluate_order(order.pk, as_of=AS_OF),
    )
    assert errors == []
    assert WorkItem.objects.filter(order=order).count() == 1
    assert WorkItemEvent.objects.filter(kind="opened").count() == 1


def _scan_queries() -> int:
    with CaptureQueriesContext(connection) as ctx:
        run_scan(as_of=AS_OF)
    return len(ctx.captured_queries)


def _add_orders(n: int, pat) -> None:
    for i in range(n):
        order = f.order(pat, visits_ordered=6)
        f.visit(order, "2026-11-20", status="fulfilled")
        f.visit(order, d("2026-12-02").replace(day=2 + i % 25))
        f.auth(order, start_date="2026-11-01", end_date="2026-12-10", approved_visits=3)


@pytest.mark.django_db
def test_the_scans_query_count_is_flat_as_orders_grow(settings):
    settings.AUTHQ_SCAN_CHUNK_SIZE = 500
    _, pat = f.practice()
    _add_orders(5, pat)
    RuleBook.load()  # both scans find the rules' cache warm (one query fewer)
    small = _scan_queries()
    WorkItem.objects.all().delete()
    _add_orders(120, pat)
    large = _scan_queries()
    assert WorkItem.objects.open().count() > 100
    assert large == small


@pytest.mark.django_db
def test_the_scan_costs_a_fixed_number_of_queries_per_chunk(settings):
    _, pat = f.practice()
    _add_orders(30, pat)
    settings.AUTHQ_SCAN_CHUNK_SIZE = 10
    three_chunks = _scan_queries()
    WorkItem.objects.all().delete()
    settings.AUTHQ_SCAN_CHUNK_SIZE = 15
    two_chunks = _scan_queries()
    per_chunk = three_chunks - two_chunks
    assert 0 < per_chunk <= 12  # ids, lock, 4 reads, items, upsert, events; savepoints
    assert three_chunks == two_chunks + per_chunk
