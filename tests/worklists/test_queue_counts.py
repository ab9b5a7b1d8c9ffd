"""The queue overview's counts: kept by a trigger on work items, exact whatever writes them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Count, Q

from authq.lib import clock
from tests import factories as f
from tests.views.items import make_item, make_items
from tests.views.test_queue_claiming import _at_once
from worklists import claiming, item_actions
from worklists.models import DismissalReason, ItemKind, ItemStatus, Queue, QueueCount, WorkItem
from worklists.scan import counts as queue_counts
from worklists.scan import runs

pytestmark = pytest.mark.django_db


def counted_directly(today: dt.date) -> dict[tuple[str, str], dict[str, object]]:
    """What the overview used to compute: every open item of the work queue, grouped."""
    rows = (
        WorkItem.objects.open()
        .in_work_queue(today)
        .values("queue", "kind")
        .annotate(
            n=Count("id"),
            overdue=Count("id", filter=Q(due_date__lt=today)),
            unclaimed=Count("id", filter=Q(assignee__isnull=True)),
        )
        .order_by()
    )
    return {(r["queue"], r["kind"]): r for r in rows}


def assert_counts_right(today: dt.date | None = None) -> None:
    today = today or clock.today()
    assert queue_counts.queue_counts(today) == counted_directly(today)


def test_counts_follow_every_kind_of_write(specialist: User, specialist2: User) -> None:
    today = clock.today()
    items = make_items(6, Queue.STAT) + make_items(5, Queue.ROUTINE, kind=ItemKind.VISIT_LIMIT)
    late = make_item(Queue.ROUTINE, due_in=-3)
    assert queue_counts.queue_counts(today)[("routine", "missing_auth")] == {
        "queue": "routine",
        "kind": "missing_auth",
        "n": 1,
        "overdue": 1,
        "unclaimed": 1,
    }
    assert_counts_right(today)

    claiming.claim(items[0], by=specialist)  # claimed: no longer unclaimed
    claiming.claim_next(specialist2)
    assert_counts_right(today)
    claiming.release(items[0], by=specialist)
    assert_counts_right(today)
    item_actions.dismiss_item(items[1], by=specialist, reason=DismissalReason.DUPLICATE)
    assert_counts_right(today)

    # Bulk and raw SQL writes are counted like the ORM's saves.
    WorkItem.objects.filter(pk__in=[i.pk for i in items[2:4]]).update(queue=Queue.ROUTINE)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE worklists_workitem SET due_date = due_date - 20 WHERE id = %s", [items[5].pk]
        )
        cursor.execute("DELETE FROM worklists_workitem WHERE id = %s", [items[6].pk])
    WorkItem.objects.filter(pk=late.pk).update(status=ItemStatus.RESOLVED, resolved_at=f.at(today))
    assert_counts_right(today)
    # "Overdue" is computed on the day asked: a later day sees more items overdue.
    assert_counts_right(today + dt.timedelta(days=6))


def test_an_update_that_changes_no_count_appends_nothing(specialist: User) -> None:
    item = make_item()
    before = QueueCount.objects.count()
    WorkItem.objects.filter(pk=item.pk).update(affected_appointments=7)
    assert QueueCount.objects.count() == before
    claiming.claim(item, by=specialist)  # status and assignee: one row out, one row in
    after_claim = QueueCount.objects.count()
    assert after_claim == before + 2
    WorkItem.objects.filter(pk=item.pk).update(last_seen_as_of=clock.today())
    assert QueueCount.objects.count() == after_claim


def test_compaction_keeps_the_sums_and_drops_the_zeros(specialist: User) -> None:
    today = clock.today()
    items = make_items(4, Queue.STAT)
    for item in items:
        claiming.claim(item, by=specialist)
        claiming.release(item, by=specialist)
    WorkItem.objects.filter(pk=items[0].pk).delete()
    before = queue_counts.queue_counts(today)
    rows_before = QueueCount.objects.count()

    kept = queue_counts.compact_queue_counts()

    assert queue_counts.queue_counts(today) == before == counted_directly(today)
    # One row per (queue, kind, due date, claimed) still holding items: 3 due dates here.
    assert kept == QueueCount.objects.count() == 3 < rows_before
    assert not QueueCount.objects.filter(n=0).exists()


@pytest.mark.django_db(transaction=True)  # TRUNCATE waits for no deferred FK checks
def test_truncating_the_items_empties_the_counts() -> None:
    make_items(3)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE worklists_workitem CASCADE")
    assert queue_counts.queue_counts(clock.today()) == {}
    assert not QueueCount.objects.exists()


def test_the_scan_leaves_the_counts_right_and_compacted() -> None:
    payer, patient = f.practice()
    today = clock.today()
    for i in range(3):
        order = f.order(patient, code="97110")
        f.visit(order, today + dt.timedelta(days=3 + i))
    runs.run_scan(as_of=today)
    assert sum(c["n"] for c in queue_counts.queue_counts(today).values()) == 3
    assert_counts_right(today)
    # run_scan compacted: one row per key.
    keys = QueueCount.objects.values_list("queue", "kind", "due_date", "claimed")
    assert len(keys) == len(set(keys))


@pytest.mark.django_db(transaction=True)
def test_counts_stay_right_when_many_claim_at_once(make_user) -> None:  # type: ignore[no-untyped-def]
    from accounts import roles

    people = [make_user(f"c{i}", roles.SPECIALIST) for i in range(8)]
    make_items(6, Queue.STAT)
    got = _at_once(people, lambda u: claiming.claim_next(u))
    assert len([g for g in got if g]) == 6
    assert_counts_right()
    counts = queue_counts.queue_counts(clock.today())
    assert sum(c["unclaimed"] for c in counts.values()) == 0
    assert sum(c["n"] for c in counts.values()) == 6


def test_the_beat_compacts_the_counts(specialist: User) -> None:
    from authq.celery import app
    from worklists.tasks import compact_queue_counts

    entry = app.conf.beat_schedule["compact-queue-counts"]
    assert entry["task"] == compact_queue_counts.name
    item = make_item()
    claiming.claim(item, by=specialist)
    assert QueueCount.objects.count() == 3  # created, then one out and one in
    assert compact_queue_counts.apply().get() == 1
    assert list(QueueCount.objects.values_list("claimed", "n")) == [(True, 1)]
