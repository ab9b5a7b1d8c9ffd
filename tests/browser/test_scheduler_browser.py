"""The scheduler's day in a real browser: find an order, check a date, ask for an authorization.

Then a specialist opens the STAT queue and finds the request at the top of it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from authq.lib import clock
from patients.models import Order
from tests import factories as f
from tests.browser.conftest import shot
from tests.views.items import make_item, make_items
from worklists import auth_requests
from worklists.models import ItemKind, Queue, WorkItem
from worklists.scan import apply, visit_check

pytestmark = pytest.mark.django_db(transaction=True)


def _day(days: int) -> dt.date:
    return clock.today() + dt.timedelta(days=days)


def _practice() -> tuple[Order, Order]:
    """A patient with a covered order (6 visits approved, 2 used) and one without auth."""
    payer = f.payer(name="Blue Ridge Health")
    f.rule(payer)
    patient = f.patient(mrn="MRN-BROWSER1", last_name="Quillfeather", first_name="Ada")
    f.coverage(patient, payer, member_id="BRH0001234567", start=_day(-400))
    covered = f.order(patient, external_id="ORD-COVERED", visits_ordered=6)
    f.auth(
        covered,
        auth_number="AUTH-555",
        start_date=_day(-20),
        end_date=_day(60),
        approved_visits=6,
    )
    f.visit(covered, _day(-10), status="fulfilled")
    f.visit(covered, _day(-3), status="fulfilled")
    f.visit(covered, _day(7))
    gap = f.order(patient, external_id="ORD-NOAUTH", service_category="occupational_therapy")
    f.visit(gap, _day(30))
    for order in (covered, gap):
        apply.reevaluate_order(order)
    return covered, gap


def test_a_scheduler_checks_a_date_and_asks_for_an_authorization(
    signed_in_page: Callable[[User], Page], scheduler: User, specialist: User
) -> None:
    covered, gap = _practice()
    # Other work in the queues: routine items, and STAT items due later than the request.
    make_items(5, Queue.ROUTINE)
    later_stat = [make_item(Queue.STAT, due_in=40 + i) for i in range(2)]

    page = signed_in_page(scheduler)
    assert page.url.endswith("/scheduler/")
    # Find: the results come as one types, no Enter needed.
    page.fill("#id_q", "Quillf")
    results = page.locator("#results")
    expect(results).to_contain_text("Quillfeather, Ada")
    expect(results).to_contain_text("MRN-BROWSER1")
    shot(page, "scheduler-search")
    # What was typed (a patient's name) stays out of the address bar and browser storage (S8).
    assert "Quillf" not in page.url
    stored = page.evaluate(
        "JSON.stringify([Object.assign({}, localStorage), Object.assign({}, sessionStorage)])"
    )
    assert "Quillf" not in stored
    page.locator("#results a", has_text="ORD-COVERED").click()
    page.wait_for_url(f"**/scheduler/orders/{covered.pk}/")
    # The member id is masked; no diagnosis anywhere.
    body = page.locator("main")
    expect(body).to_contain_text("•" * 9 + "4567")
    expect(body).not_to_contain_text("BRH0001234567")
    expect(body).not_to_contain_text("M54")

    # Check a date: the answer replaces itself in place.
    day = _day(14)
    page.fill("#id_day", day.isoformat())
    page.click(".check-form button[type=submit]")
    answer = page.locator("#check .answer")
    expect(answer).to_have_attribute("data-status", "covered")
    expect(answer).to_contain_text("Covered")
    # 6 approved, 2 used, 1 booked before that day, and this visit: 3 left counting it.
    check = visit_check.check_visit(covered, day)
    assert check.visits_left is not None
    expect(answer).to_contain_text(f"{check.visits_left} visits left")
    expect(answer).to_contain_text(f"ends {_day(60):%a %-d %b %Y}")
    expect(answer).to_contain_text("AUTH-555")
    shot(page, "scheduler-order-covered")

    # A day after the authorization ends is not covered.
    page.fill("#id_day", _day(70).isoformat())
    page.click(".check-form button[type=submit]")
    expect(answer).to_contain_text("Not covered")

    # The other order has no authorization: ask for one.
    page.goto(page.url.split("/scheduler/")[0] + f"/scheduler/orders/{gap.pk}/")
    page.fill("#id_day", _day(30).isoformat())
    page.click(".check-form button[type=submit]")
    expect(page.locator("#check .answer")).to_contain_text("Not covered")
    page.locator("#request button[type=submit]").click()
    expect(page.locator("#request .msg")).to_contain_text("is in the STAT queue")
    expect(page.locator("#request")).to_contain_text("STAT")
    shot(page, "scheduler-order-requested")

    requested = WorkItem.objects.open().get(order=gap)
    assert requested.queue == Queue.STAT and requested.kind == ItemKind.MISSING_AUTH
    assert requested.due_date < min(i.due_date for i in later_stat)

    # A specialist's STAT queue: the request comes before the STAT items due later.
    spec = signed_in_page(specialist)
    spec.goto(spec.url.split("/queue/")[0] + "/queue/?queue=stat")
    rows = spec.locator("#items tr.row")
    expect(rows.first).to_have_attribute("data-item", str(requested.pk))
    ids = [int(x) for x in rows.evaluate_all("rs => rs.map(r => r.dataset.item)")]
    assert ids.index(requested.pk) < min(ids.index(i.pk) for i in later_stat)


def test_a_date_before_booked_visits_that_fill_the_approval_names_the_displaced_visit(
    signed_in_page: Callable[[User], Page], scheduler: User, specialist: User
) -> None:
    _, patient = f.practice()
    order = f.order(patient, external_id="ORD-FULL")
    # A denial, then an approval of 3 visits that supersedes it.
    f.auth(order, "denied", auth_number="AUTH-NO", decided_at=f.at(_day(-30)))
    f.auth(
        order,
        auth_number="AUTH-3",
        start_date=_day(-5),
        end_date=_day(40),
        approved_visits=3,
        decided_at=f.at(_day(-6)),
    )
    for n in (10, 20, 30):
        f.visit(order, _day(n))

    page = signed_in_page(scheduler)
    page.goto(page.url.split("/scheduler/")[0] + f"/scheduler/orders/{order.pk}/")
    denied_row = page.locator("tr.row", has_text="AUTH-NO")
    expect(denied_row.locator("td.num")).to_have_text("denied")
    page.fill("#id_day", _day(5).isoformat())
    page.click(".check-form button[type=submit]")
    answer = page.locator("#check .answer")
    expect(answer).to_have_attribute("data-status", "covered")
    expect(answer).to_have_class(re.compile(r"\banswer-wait\b"))
    expect(answer).to_contain_text(
        f"Covered, but it displaces the visit of {_day(30):%a %-d %b %Y}"
    )
    shot(page, "scheduler-order-displaces")
    page.fill("#id_day", _day(35).isoformat())
    page.click(".check-form button[type=submit]")
    expect(answer).to_have_attribute("data-status", "visit_limit")
    expect(answer).to_contain_text("Not covered")

    # Booked, the specialist's item page shows the day-30 visit over the cap.
    f.visit(order, _day(5))
    item = auth_requests.request_authorization(order, by=None)
    spec = signed_in_page(specialist)
    spec.goto(spec.url.split("/queue/")[0] + f"/items/{item.pk}/")
    day30 = spec.locator("#visits tr", has_text=_day(30).isoformat())
    expect(day30).to_have_attribute("data-outcome", "visit_limit")
    expect(spec.locator("#visits tr", has_text=_day(5).isoformat())).to_contain_text(
        "covered by AUTH-3"
    )
