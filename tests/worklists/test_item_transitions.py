"""Walk worklists.models.ITEM_TRANSITIONS: every action from every status gives the
status the table says (or is refused, or moves nothing, where the table has no entry),
through the services that change status."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from authq.lib import clock
from authq.lib.exceptions import ActionRefused
from tests import factories as f
from tests.views.item_fixtures import missing_auth_item
from worklists import claiming, item_actions
from worklists.models import (
    ITEM_TRANSITIONS,
    ItemKind,
    ItemStatus,
    Resolution,
    WorkItem,
    status_after,
)
from worklists.scan import apply

pytestmark = pytest.mark.django_db


def item_in(status: str, assignee: User | None = None) -> WorkItem:
    item = missing_auth_item()
    WorkItem.objects.filter(pk=item.pk).update(
        status=status,
        assignee=assignee,
        resolved_at=None
        if status in {"open", "in_progress", "waiting_on_payer"}
        else f.at("2026-11-01"),
    )
    return WorkItem.objects.get(pk=item.pk)


@pytest.mark.parametrize("action", sorted(ITEM_TRANSITIONS))
@pytest.mark.parametrize("status", ItemStatus.values)
def test_move_follows_the_table(action: str, status: str) -> None:
    item = item_in(status)
    # A closed item carries when and why it closed (the table's closing actions).
    closing = {
        "resolve": {"resolution": Resolution.GAP_CLOSED, "resolved_at": f.at("2026-11-30")},
        "dismiss": {"resolution": Resolution.DISMISSED, "resolved_at": f.at("2026-11-30")},
    }
    moved = WorkItem.objects.filter(pk=item.pk).move(action, **closing.get(action, {}))
    item.refresh_from_db()
    expected = status_after(action, status) or status
    assert item.status == expected
    assert moved == (1 if expected != status else 0)


@pytest.mark.parametrize("status", ItemStatus.values)
def test_claim_and_release_follow_the_table(status: str, specialist: User) -> None:
    item = item_in(status)
    after_claim = status_after("claim", status)
    if after_claim is None:
        with pytest.raises(claiming.ClaimError):
            claiming.claim(item, by=specialist)
        return
    item = claiming.claim(item, by=specialist)
    assert WorkItem.objects.get(pk=item.pk).status == after_claim
    claiming.release(item, by=specialist)
    assert WorkItem.objects.get(pk=item.pk).status == status_after("release", after_claim)


@pytest.mark.parametrize("status", ItemStatus.values)
def test_dismiss_follows_the_table(status: str, specialist: User) -> None:
    item = item_in(status, assignee=specialist)
    after = status_after("dismiss", status)
    if after is None:
        with pytest.raises(ActionRefused):
            item_actions.dismiss_item(item, by=specialist, reason="duplicate")
        assert WorkItem.objects.get(pk=item.pk).status == status
        return
    item_actions.dismiss_item(item, by=specialist, reason="duplicate")
    assert WorkItem.objects.get(pk=item.pk).status == after


def test_submit_and_a_decision_move_the_item_by_the_table(specialist: User) -> None:
    # A denial last week: the denied item stays while the order is worked again.
    _payer, patient = f.practice()
    order = f.order(patient)
    f.visit(order, clock.today() + dt.timedelta(days=10))
    f.auth(order, "denied", decided_at=f.at(clock.today() - dt.timedelta(days=7)))
    apply.reevaluate_order(order)
    item = WorkItem.objects.get(order=order, kind=ItemKind.DENIED)
    claiming.claim(item, by=specialist)

    request = item_actions.submit_for_item(item, by=specialist, channel="fax")
    item.refresh_from_db()
    assert item.status == status_after("submit", ItemStatus.IN_PROGRESS)

    item_actions.decide_for_item(
        item, request, by=specialist, outcome="denied", denial_reason_code="medical_necessity"
    )
    item.refresh_from_db()
    assert item.status == status_after("decide", ItemStatus.WAITING_ON_PAYER)


def test_the_scan_resolves_by_the_table() -> None:
    item = missing_auth_item()
    WorkItem.objects.filter(pk=item.pk).update(status=ItemStatus.WAITING_ON_PAYER)
    f.auth(item.order, start_date=clock.today(), end_date=clock.today() + dt.timedelta(days=90))
    apply.reevaluate_order(item.order_id)
    item.refresh_from_db()
    assert item.status == status_after("resolve", ItemStatus.WAITING_ON_PAYER)
