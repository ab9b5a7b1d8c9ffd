"""The scheduler's page: find, check a date, ask for an authorization (issue 3, section 4)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from authq.lib import clock
from patients.models import AccessEvent, Order
from tests import factories as f
from tests.views.conftest import HTMX
from worklists import auth_requests
from worklists.models import EventKind, ItemKind, Queue, WorkItem, WorkItemEvent
from worklists.scan import runs

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.date:
    return clock.today() + dt.timedelta(days=n)


@pytest.fixture
def covered_order() -> Order:
    _payer, patient = f.practice(lead_time_days=7)
    patient.coverages.update(member_id="ABC123456789")
    order = f.order(patient, diagnosis_codes=["M54.50"], visits_ordered=12)
    f.auth(
        order,
        auth_number="AUTH-77",
        start_date=days(-10),
        end_date=days(40),
        approved_visits=6,
    )
    f.visit(order, days(3))
    return order


def order_url(order: Order, **query: Any) -> str:
    url = reverse("worklists:scheduler-order", args=[order.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def test_find_by_mrn_prefix_and_by_last_name(scheduler_web: Client) -> None:
    p = f.patient(mrn="Q-900123", last_name="Quimby", first_name="Ada")
    o = f.order(p, external_id="ORD-Q1")
    for q in ("Q-9001", "quim", "Quimby, A"):
        page = scheduler_web.get(reverse("worklists:scheduler"), {"q": q})
        assert page.status_code == 200
        assert "Q-900123" in page.text and order_url(o) in page.text


def test_an_order_id_goes_straight_to_the_order(scheduler_web: Client) -> None:
    o = f.order(external_id="ORD-STRAIGHT")
    page = scheduler_web.get(reverse("worklists:scheduler"), {"q": "ord-straight"})
    assert page.status_code == 302 and page["Location"] == order_url(o)


def test_search_as_you_type_renders_only_the_results(scheduler_web: Client) -> None:
    f.patient(mrn="HTMX-1")
    page = scheduler_web.get(reverse("worklists:scheduler"), {"q": "HTMX"}, **HTMX)
    assert page.text.lstrip().startswith('<div id="results"') and "HTMX-1" in page.text


def test_search_queries_stay_flat_as_results_grow(
    scheduler_web: Client, django_assert_max_num_queries: Any
) -> None:
    for n in range(3):
        f.order(f.patient(mrn=f"FLAT-{n}"))
    with django_assert_max_num_queries(20) as few:
        scheduler_web.get(reverse("worklists:scheduler"), {"q": "FLAT"})
    for n in range(3, 20):
        f.order(f.patient(mrn=f"FLAT-{n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        scheduler_web.get(reverse("worklists:scheduler"), {"q": "FLAT"})


def test_a_covered_date_says_covered_visits_left_and_end(
    scheduler_web: Client, covered_order: Order
) -> None:
    page = scheduler_web.get(order_url(covered_order, day=days(5).isoformat()), **HTMX)
    assert page.status_code == 200
    end = days(40)
    # Six approved, the booked visit on day 3 takes one: five left, this one included.
    assert f"Covered, 5 visits left, ends {end:%a %-d %b %Y}" in page.text
    assert "AUTH-77" in page.text and "answer-ok" in page.text


def test_a_date_before_visits_that_fill_the_approval_says_which_visit_it_displaces(
    scheduler_web: Client, covered_order: Order
) -> None:
    for n in (10, 12, 14, 16, 18):  # with day 3: all 6 approved visits are booked
        f.visit(covered_order, days(n))
    page = scheduler_web.get(order_url(covered_order, day=days(5).isoformat()), **HTMX)
    assert "visits left" not in page.text
    assert f"Covered, but it displaces the visit of {days(18):%a %-d %b %Y}" in page.text
    assert "answer-wait" in page.text and 'data-status="covered"' in page.text
    after = scheduler_web.get(order_url(covered_order, day=days(20).isoformat()), **HTMX)
    assert "Not covered" in after.text and 'data-status="visit_limit"' in after.text


def _auth_cells(text: str) -> dict[str, str]:
    """Authorization number -> its Visits approved cell, as the table shows them."""
    rows = re.findall(
        r'<td class="mono">([^<]+)</td>.*?<td class="num">(.*?)</td></tr>', text, re.S
    )
    return {number: re.sub(r"<[^>]+>", "", cell).strip() for number, cell in rows}


def test_visits_approved_shows_a_count_only_for_approvals(
    scheduler_web: Client, covered_order: Order
) -> None:
    f.auth(covered_order, auth_number="OPEN-1", start_date=days(-10), end_date=days(40))
    f.auth(covered_order, "submitted", auth_number="SENT-1", submitted_at=f.at(days(-2)))
    f.auth(covered_order, "denied", auth_number="NO-1", decided_at=f.at(days(-5)))
    page = scheduler_web.get(order_url(covered_order))
    assert page.text.count("no limit") == 1
    assert _auth_cells(page.text) == {
        "AUTH-77": "6",
        "OPEN-1": "no limit",
        "SENT-1": "pending",
        "NO-1": "denied",
    }


def test_a_date_after_the_end_says_not_covered_in_red(
    scheduler_web: Client, covered_order: Order
) -> None:
    page = scheduler_web.get(order_url(covered_order, day=days(50).isoformat()))
    assert "Not covered" in page.text and "answer-stop" in page.text
    assert 'data-status="auth_expiring"' in page.text


def test_a_bad_date_is_refused_with_a_message(scheduler_web: Client, covered_order: Order) -> None:
    page = scheduler_web.get(order_url(covered_order, day="31-02-2026"), **HTMX)
    assert page.status_code == 200 and "Enter a valid date" in page.text


def test_a_date_too_far_away_is_refused_with_a_message(
    scheduler_web: Client, covered_order: Order
) -> None:
    page = scheduler_web.get(order_url(covered_order, day=days(3 * 365 + 1).isoformat()), **HTMX)
    assert page.status_code == 200 and "within 1095 days of today" in page.text
    assert "data-status" not in page.text


def test_scheduler_sees_no_diagnosis_and_a_masked_member_id(
    scheduler_web: Client, covered_order: Order
) -> None:
    page = scheduler_web.get(order_url(covered_order, day=days(5).isoformat()))
    assert "M54.50" not in page.text
    assert "ABC123456789" not in page.text and "6789" in page.text


def test_ask_for_an_authorization_puts_a_stat_item_in_the_queue(
    scheduler_web: Client, scheduler: User, specialist_web: Client
) -> None:
    _payer, patient = f.practice()
    order = f.order(patient)  # nothing booked yet: the scan finds no gap
    response = scheduler_web.post(reverse("worklists:scheduler-request-auth", args=[order.pk]))
    assert response.status_code == 302
    (item,) = WorkItem.objects.open().filter(order=order)
    assert (item.kind, item.queue) == (ItemKind.MISSING_AUTH, Queue.STAT)
    event = WorkItemEvent.objects.get(work_item=item, kind=EventKind.AUTH_REQUESTED)
    assert event.actor == scheduler
    queue = specialist_web.get(reverse("worklists:queue"), {"queue": "stat"})
    assert order.external_id in queue.text


def test_an_asked_for_item_stays_stat_through_scans_until_a_request_is_sent() -> None:
    _payer, patient = f.practice()
    order = f.order(patient)
    f.visit(order, days(20))  # a routine missing-auth gap, due in 13 days
    runs.run_scan()
    assert WorkItem.objects.open().get(order=order).queue == Queue.ROUTINE

    item = auth_requests.request_authorization(order, by=None)
    assert item.queue == Queue.STAT and item.kind == ItemKind.MISSING_AUTH
    runs.run_scan()
    runs.run_scan()
    assert WorkItem.objects.open().get(order=order).queue == Queue.STAT

    f.auth(order, "submitted", submitted_at=f.at(clock.today()) + dt.timedelta(hours=23))
    runs.run_scan()
    assert not WorkItem.objects.open().filter(order=order, queue=Queue.STAT).exists()


def test_asking_raises_an_existing_routine_item_without_a_second_one() -> None:
    _payer, patient = f.practice()
    order = f.order(patient)
    f.visit(order, days(25))
    runs.run_scan()
    before = WorkItem.objects.open().get(order=order)
    item = auth_requests.request_authorization(order, by=None)
    assert item.pk == before.pk and item.queue == Queue.STAT
    assert WorkItem.objects.open().filter(order=order).count() == 1


def test_htmx_ask_swaps_the_panel_with_a_message(scheduler_web: Client) -> None:
    _payer, patient = f.practice()
    order = f.order(patient)
    page = scheduler_web.post(reverse("worklists:scheduler-request-auth", args=[order.pk]), **HTMX)
    assert page.status_code == 200
    assert page.text.lstrip().startswith('<div class="panel" id="request"')
    assert "STAT queue" in page.text


def test_viewing_an_order_is_audited_with_its_records(
    scheduler_web: Client, scheduler: User, covered_order: Order
) -> None:
    scheduler_web.get(order_url(covered_order, day=days(5).isoformat()))
    seen = {
        e.model
        for e in AccessEvent.objects.filter(user=scheduler, action="view")
        if covered_order.patient_id in e.patient_ids
    }
    assert seen >= {
        "patients.patient",
        "patients.order",
        "payers.authorization",
        "patients.appointment",
        "patients.coverage",
    }


@pytest.mark.parametrize("who", ["outsider_web"])
def test_people_without_the_permissions_are_refused(
    who: str, request: pytest.FixtureRequest, covered_order: Order
) -> None:
    client: Client = request.getfixturevalue(who)
    assert client.get(reverse("worklists:scheduler")).status_code == 403
    assert client.get(order_url(covered_order)).status_code == 403
    url = reverse("worklists:scheduler-request-auth", args=[covered_order.pk])
    assert client.post(url).status_code == 403
    assert not WorkItem.objects.filter(order=covered_order).exists()


def test_a_missing_order_is_404(scheduler_web: Client) -> None:
    assert scheduler_web.get(reverse("worklists:scheduler-order", args=[999999])).status_code == 404
