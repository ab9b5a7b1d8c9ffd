"""A person's action is one event of theirs; what the re-evaluation after it changes is the
scan's (no actor): productivity counts the action once, the timeline names the scan."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from authq.lib import clock
from reports import figures
from tests import factories as f
from worklists import claiming, item_actions
from worklists.models import EventKind, ItemKind, ItemStatus, WorkItem, WorkItemEvent
from worklists.scan import apply

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.date:
    return clock.today() + dt.timedelta(days=n)


def two_gaps() -> tuple[WorkItem, WorkItem]:
    """An order whose one-visit authorization ends in 6 days: the second visit is over
    the cap (visit_limit), the third after its end (auth_expiring)."""
    _payer, patient = f.practice()
    order = f.order(patient)
    f.auth(order, start_date=days(-10), end_date=days(6), approved_visits=1)
    for n in (3, 5, 10):
        f.visit(order, days(n))
    apply.reevaluate_order(order)
    return (
        WorkItem.objects.get(order=order, kind=ItemKind.VISIT_LIMIT),
        WorkItem.objects.get(order=order, kind=ItemKind.AUTH_EXPIRING),
    )


def actions_of(user: User) -> int:
    today = clock.today()
    rows = figures.productivity(figures.Filters.default(today), today)
    return sum(r["actions"] for r in rows if r["person_id"] == user.pk)


def test_one_decision_resolving_two_items_is_one_action(
    specialist: User, manager_web: Client
) -> None:
    capped, expiring = two_gaps()
    claiming.claim(capped, by=specialist)
    before = actions_of(specialist)

    item_actions.decide_for_item(
        capped, None, by=specialist, channel="phone", payer=None, outcome="approved",
        start_date=days(-10), end_date=days(60), approved_visits=20,
    )  # fmt: skip

    for item in (capped, expiring):
        item.refresh_from_db()
        assert item.status == ItemStatus.RESOLVED
    assert actions_of(specialist) == before + 1
    resolved = WorkItemEvent.objects.filter(kind=EventKind.RESOLVED)
    assert sorted(resolved.values_list("work_item_id", flat=True)) == sorted(
        [capped.pk, expiring.pk]
    )
    assert not resolved.filter(actor__isnull=False).exists()

    page = manager_web.get(reverse("worklists:order-timeline", args=[capped.order_id]))
    assert page.status_code == 200
    rows = re.findall(r"<td>([^<]*)</td><td>([^<]*)</td>", page.text)
    said = [(html.unescape(who), what) for who, what in rows]
    assert said.count(("the scan", "Resolved by the scan")) == 2
    assert said.count((specialist.username, "Payer answer recorded")) == 1
    assert not any(who != "the scan" and "by the scan" in what for who, what in said)
