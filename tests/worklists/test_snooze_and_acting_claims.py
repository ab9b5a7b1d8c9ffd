"""Waiting on the payer: follow-up dates snooze items, reviews park denied items; acting
claims; only the owner or a manager releases or reassigns a claimed item."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from authq.lib import clock
from authq.lib.exceptions import ActionRefused
from payers.models import Appeal
from tests import factories as f
from tests.views.item_fixtures import missing_auth_item, order_of, soon
from tests.views.items import make_item
from worklists import claiming, item_actions
from worklists.models import (
    DismissalReason,
    ItemKind,
    ItemStatus,
    Queue,
    WorkItem,
    WorkItemEvent,
)
from worklists.scan import counts

pytestmark = pytest.mark.django_db


def work_queue(today: dt.date, queue: str | None = None) -> list[int]:
    items = WorkItem.objects.open().in_work_queue(today)
    if queue:
        items = items.in_queue(queue)
    return list(items.in_queue_order().values_list("id", flat=True))


def counted(today: dt.date) -> int:
    return sum(c["n"] for c in counts.queue_counts(today).values())


# --- Snoozing by follow-up date. -----------------------------------------------------


def test_a_follow_up_date_ahead_snoozes_the_item_until_that_day_then_it_comes_back_first(
    specialist: User,
) -> None:
    today = clock.today()
    a = make_item(due_in=5)
    b = make_item(due_in=10)
    c = make_item(due_in=6)
    assert work_queue(today) == [a.pk, c.pk, b.pk]
    # (Items made by hand: a direct write, as the scan would not keep them.)
    WorkItem.objects.filter(pk=b.pk).update(follow_up_on=today + dt.timedelta(days=3))

    # Today and the day before the follow-up date: out of the queue, counts and claim next.
    for day in (today, today + dt.timedelta(days=2)):
        assert work_queue(day) == [a.pk, c.pk]
        assert counted(day) == 2
        assert b.pk not in [i.pk for i in claiming.claim_candidates(today=day)]
    assert counts.count_snoozed(today) == 1

    # On its follow-up date it is back, first in its queue (the date is its due date now).
    back = today + dt.timedelta(days=3)
    assert work_queue(back) == [b.pk, a.pk, c.pk]
    assert counted(back) == 3
    assert counts.count_snoozed(back) == 0
    assert counts.count_open(back, queue=Queue.ROUTINE) == 3


def test_the_first_claim_next_on_the_follow_up_day_gets_the_item_back(specialist2: User) -> None:
    today = clock.today()
    waiting = make_item(due_in=9)
    make_item(due_in=4)
    WorkItem.objects.filter(pk=waiting.pk).update(follow_up_on=today + dt.timedelta(days=2))
    assert claiming.claim_candidates(today=today).first().pk != waiting.pk
    day = today + dt.timedelta(days=2)
    assert claiming.claim_candidates(today=day).first().pk == waiting.pk


def test_the_counts_stay_exact_through_snoozing_and_waking(specialist: User) -> None:
    from tests.worklists.test_queue_counts import assert_counts_right

    today = clock.today()
    items = [make_item(Queue.STAT, due_in=i) for i in range(4)]
    scanned = missing_auth_item()
    item_actions.set_item_follow_up(scanned, by=specialist, follow_up_on=soon(5))
    WorkItem.objects.filter(pk=items[0].pk).update(follow_up_on=today + dt.timedelta(days=5))
    WorkItem.objects.filter(pk=items[1].pk).update(follow_up_on=today)
    assert_counts_right(today)
    assert counts.count_snoozed(today) == 2
    assert_counts_right(today + dt.timedelta(days=5))
    claiming.claim(items[0], by=specialist)
    assert_counts_right(today)
    item_actions.set_item_follow_up(scanned, by=specialist, follow_up_on=None)
    WorkItem.objects.filter(pk=items[0].pk).update(follow_up_on=None)
    assert_counts_right(today)
    assert counts.count_snoozed(today) == 0
    counts.compact_queue_counts()
    assert_counts_right(today)


# --- Waiting on the payer and parked reviews. ------------------------------------------


def denied_item(specialist: User) -> tuple[WorkItem, object]:
    item = missing_auth_item()
    auth = f.auth(order_of(item), status="submitted")
    item_actions.decide_for_item(
        item,
        auth,
        by=specialist,
        outcome="denied",
        denial_reason_code="medical_necessity",
        denial_reason="Nope",
    )
    return WorkItem.objects.open().get(order_id=item.order_id, kind=ItemKind.DENIED), auth


def test_an_appeal_parks_the_denied_item_until_two_days_before_its_deadline(
    specialist: User,
) -> None:
    item, auth = denied_item(specialist)
    today = clock.today()
    assert item.pk in work_queue(today)
    item_actions.record_item_appeal(
        item, auth, by=specialist, level="1", deadline=soon(20), channel="fax"
    )
    item.refresh_from_db()
    assert item.follow_up_on == soon(18)
    event = WorkItemEvent.objects.get(work_item=item, kind="appeal")
    assert event.data["parked_until"] == soon(18).isoformat()
    assert item.pk not in work_queue(today)
    assert item.pk not in work_queue(soon(17))
    assert item.pk in work_queue(soon(18))  # the deadline is 2 days off: back
    assert item.pk in work_queue(soon(25))  # and after it passed

    # The appeal's outcome brings it back at once.
    appeal = Appeal.objects.get(authorization=auth)
    item_actions.set_item_review_outcome(item, appeal, by=specialist, outcome="upheld")
    item.refresh_from_db()
    assert item.follow_up_on is None
    assert item.pk in work_queue(today)


def test_a_peer_review_due_within_two_days_does_not_park(specialist: User) -> None:
    item, auth = denied_item(specialist)
    item_actions.record_item_peer_review(item, auth, by=specialist, request_by=soon(2))
    item.refresh_from_db()
    assert item.follow_up_on is None
    assert item.pk in work_queue(clock.today())
    assert "parked_until" not in WorkItemEvent.objects.get(work_item=item, kind="peer_review").data


def test_an_earlier_follow_up_date_stands_when_a_review_parks(specialist: User) -> None:
    item, auth = denied_item(specialist)
    item_actions.set_item_follow_up(item, by=specialist, follow_up_on=soon(3))
    item_actions.record_item_peer_review(item, auth, by=specialist, request_by=soon(30))
    item.refresh_from_db()
    assert item.follow_up_on == soon(3)


# --- Acting claims. ------------------------------------------------------------------


def _note(item: WorkItem, by: User) -> None:
    item_actions.add_item_note(item, by=by, text="Called the payer")


def _follow_up(item: WorkItem, by: User) -> None:
    item_actions.set_item_follow_up(item, by=by, follow_up_on=soon(4))


def _document(item: WorkItem, by: User) -> None:
    item_actions.attach_item_document(
        item, by=by, content=b"%PDF-1.4 notes", kind="clinical_note", original_name="n.pdf"
    )


def _benefits(item: WorkItem, by: User) -> None:
    coverage = order_of(item).patient.coverages.first()
    item_actions.verify_item_benefits(
        item,
        coverage,
        by=by,
        copay=None,
        coinsurance_percent=None,
        deductible=None,
        deductible_met=None,
        plan_year_visit_limit=None,
    )


@pytest.mark.parametrize("action", [_note, _follow_up, _document, _benefits])
def test_the_first_action_on_an_unclaimed_item_claims_it_for_the_actor(
    action, specialist: User
) -> None:  # noqa: ANN001
    item = missing_auth_item()
    assert item.assignee_id is None
    action(item, specialist)
    item.refresh_from_db()
    assert item.assignee_id == specialist.pk
    assert item.status == ItemStatus.IN_PROGRESS
    claimed = WorkItemEvent.objects.get(work_item=item, kind="claimed")
    assert claimed.actor_id == specialist.pk and claimed.data["acting"] is True
    # A second action claims nothing more.
    _note(item, specialist)
    assert WorkItemEvent.objects.filter(work_item=item, kind="claimed").count() == 1


def test_a_submission_claims_the_item_and_leaves_it_waiting(specialist: User) -> None:
    item = make_item(due_in=3)
    item_actions.submit_for_item(item, by=specialist, channel="fax")
    item.refresh_from_db()
    assert item.assignee_id == specialist.pk
    assert WorkItemEvent.objects.filter(work_item=item, kind="claimed").exists()


def test_dismissing_an_unclaimed_item_records_who_took_it(specialist: User) -> None:
    item = make_item(due_in=3)
    item_actions.dismiss_item(item, by=specialist, reason=DismissalReason.DUPLICATE)
    item.refresh_from_db()
    assert (item.status, item.assignee_id) == (ItemStatus.DISMISSED, specialist.pk)
    kinds = list(WorkItemEvent.objects.filter(work_item=item).values_list("kind", flat=True))
    assert kinds == ["claimed", "dismissed"]


def test_a_refused_action_claims_nothing(specialist: User) -> None:
    item = missing_auth_item()
    approved = f.auth(order_of(item), start_date=soon(0), end_date=soon(30))
    with pytest.raises(ActionRefused):
        item_actions.record_item_peer_review(item, approved, by=specialist, request_by=soon(5))
    item.refresh_from_db()
    assert item.assignee_id is None
    assert not WorkItemEvent.objects.filter(work_item=item, kind="claimed").exists()


def test_an_action_on_a_colleagues_item_leaves_it_theirs(
    specialist: User, specialist2: User
) -> None:
    item = missing_auth_item()
    claiming.claim(item, by=specialist2)
    _note(item, specialist)
    item.refresh_from_db()
    assert item.assignee_id == specialist2.pk
    assert WorkItemEvent.objects.filter(work_item=item, kind="claimed").count() == 1


# --- Release and reassign: the owner or a manager. ------------------------------------


def test_a_specialist_cannot_release_or_reassign_a_colleagues_item(
    specialist: User, specialist2: User, make_user
) -> None:  # noqa: ANN001
    third = make_user("spec3", "specialist")
    item = make_item()
    claiming.claim(item, by=specialist2)
    with pytest.raises(claiming.NotYourItem):
        claiming.release(item, by=specialist)
    with pytest.raises(claiming.NotYourItem):
        claiming.assign(item, to=specialist, by=specialist)
    with pytest.raises(claiming.NotYourItem):
        claiming.assign(item, to=third, by=specialist)
    item.refresh_from_db()
    assert item.assignee_id == specialist2.pk
    # The owner may hand it on; an unclaimed item may be handed by anyone who assigns.
    claiming.assign(item, to=third, by=specialist2)
    claiming.release(item, by=third)
    claiming.assign(item, to=specialist2, by=specialist)
    item.refresh_from_db()
    assert item.assignee_id == specialist2.pk


def test_a_manager_releases_and_reassigns_anyones_item(
    manager: User, specialist: User, specialist2: User
) -> None:
    item = make_item()
    claiming.claim(item, by=specialist)
    claiming.assign(item, to=specialist2, by=manager)
    item.refresh_from_db()
    assert item.assignee_id == specialist2.pk
    claiming.release(item, by=manager)
    item.refresh_from_db()
    assert item.assignee_id is None


@pytest.mark.parametrize("days", [-1, item_actions.MAX_FOLLOW_UP_DAYS + 1])
def test_a_follow_up_date_in_the_past_or_over_a_year_ahead_is_refused(
    specialist: User, days: int
) -> None:
    item = missing_auth_item()
    with pytest.raises(ActionRefused, match="follow-up date must be between today"):
        item_actions.set_item_follow_up(item, by=specialist, follow_up_on=soon(days))
    item.refresh_from_db()
    assert item.follow_up_on is None and item.assignee_id is None
    item_actions.set_item_follow_up(item, by=specialist, follow_up_on=soon(0))
    item.refresh_from_db()
    assert item.follow_up_on == soon(0)
