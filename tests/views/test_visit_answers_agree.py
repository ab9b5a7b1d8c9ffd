"""One order's dates through the scheduler's page, the item page and the auth check API.

For each date the three must tell the same story: the scheduler's answer and the API's
status before booking, and the item page's row for that date once it is booked; and the
booked visit the answer says it displaces is the one the item page then shows uncovered.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from authq.lib import clock
from patients.models import Order
from tests import factories as f
from tests.views.conftest import HTMX
from worklists.models import ItemKind, Queue, WorkItem
from worklists.scan import evaluate

pytestmark = pytest.mark.django_db

ITEM_ROW = re.compile(r'<tr class="v-[^"]*" data-outcome="([^"]+)">(.*?)</tr>', re.S)
ANSWER = re.compile(
    r'<div class="answer answer-(\w+)" data-status="([^"]+)">\s*<strong>(.*?)</strong>'
)


def days(n: int) -> dt.date:
    return clock.today() + dt.timedelta(days=n)


def _order() -> tuple[Order, WorkItem]:
    """4 visits approved from day 5 to day 40; visits booked on days 10, 20 and 30."""
    _, patient = f.practice()
    order = f.order(patient, external_id="PT-AGREE")
    f.auth(order, auth_number="A-1", start_date=days(5), end_date=days(40), approved_visits=4)
    for n in (10, 20, 30):
        f.visit(order, days(n))
    item = WorkItem.objects.create(
        order=order,
        kind=ItemKind.MISSING_AUTH,
        queue=Queue.ROUTINE,
        due_date=days(0),
        last_seen_as_of=days(0),
    )
    return order, item


def item_outcomes(client: Client, item: WorkItem) -> dict[str, str]:
    """The item page's booked visits: local date -> the walk's outcome shown."""
    page = client.get(reverse("worklists:item", args=[item.pk]))
    assert page.status_code == 200
    rows = {}
    for outcome, cells in ITEM_ROW.findall(page.text):
        (day,) = re.findall(r"\d{4}-\d{2}-\d{2}", cells)
        rows[day] = outcome
    return rows


def scheduler_answer(client: Client, order: Order, day: dt.date) -> tuple[str, str, str]:
    """(tone, status, headline) of the scheduler's answer for a visit on day."""
    url = reverse("worklists:scheduler-order", args=[order.pk]) + f"?day={day.isoformat()}"
    page = client.get(url, **HTMX)
    assert page.status_code == 200
    (answer,) = ANSWER.findall(page.text)
    return answer


def agree(
    scheduler: Client, specialist: Client, api: APIClient, item: WorkItem, day: dt.date
) -> dict[str, object]:
    """Ask all three about day; book it to read the item page; return the API's answer."""
    order = item.order
    answer = api.get(f"/api/v1/auth-check/?order={order.external_id}&date={day}").json()
    tone, status, headline = scheduler_answer(scheduler, order, day)
    assert status == answer["status"]
    covered = answer["status"] in (evaluate.COVERED, evaluate.NOT_REQUIRED)
    if answer["displaces"] is not None:
        displaced = dt.date.fromisoformat(answer["displaces"])
        assert tone == "wait"
        assert headline == f"Covered, but it displaces the visit of {displaced:%a %-d %b %Y}"
    elif covered:
        assert tone == "ok" and headline.startswith("Covered")
        if answer["visits_left"] is not None:
            assert f"{answer['visits_left']} visit" in headline
    elif answer["status"] == evaluate.PENDING:
        assert (tone, headline) == ("wait", "Pending at the payer")
    else:
        assert headline == f"Not covered on {day:%a %-d %b}"

    before = item_outcomes(specialist, item)
    booked = f.visit(order, day, hour=9)
    after = item_outcomes(specialist, item)
    assert after[day.isoformat()] == answer["status"]
    lost = sorted(
        d for d, o in before.items() if o == evaluate.COVERED and after[d] != evaluate.COVERED
    )
    assert (lost[0] if lost else None) == answer["displaces"]
    booked.delete()
    return answer


def test_every_date_of_an_order_gets_the_same_answer_on_all_three(
    scheduler_web: Client, specialist_web: Client, api_as, scheduler
) -> None:
    order, item = _order()
    api = api_as(scheduler)

    def ask(n: int) -> tuple[object, ...]:
        answer = agree(scheduler_web, specialist_web, api, item, days(n))
        return answer["status"], answer["visits_left"], answer["displaces"]

    assert ask(2) == ("missing_auth", None, None)  # before the span
    assert ask(15) == ("covered", 1, None)  # inside, the last visit left
    f.visit(order, days(15))  # now 4 of 4 booked
    assert ask(12) == ("covered", 1, days(30).isoformat())  # at the cap: day 30 loses it
    assert ask(35) == ("visit_limit", 0, None)  # after every booked one: over the cap
    assert ask(40) == ("visit_limit", 0, None)  # the last day of the span
    assert ask(41) == ("auth_expiring", None, None)  # after the end
    f.auth(order, status="submitted", submitted_at=f.at(days(-1)))
    assert ask(41) == ("pending", None, None)  # a request is at the payer
    assert ask(35) == ("pending", None, None)
    # Still covered before the booked ones, and day 30 would then only be pending.
    assert ask(12) == ("covered", 1, days(30).isoformat())
