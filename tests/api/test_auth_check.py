"""auth-check/: the scheduler asks whether a visit of an order on a date would be covered."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rest_framework.test import APIClient

from authq.lib import clock
from tests import factories as f

pytestmark = pytest.mark.django_db


def _soon(days: int) -> dt.date:
    return clock.today() + dt.timedelta(days=days)


def ask(client: APIClient, query: str, status: int = 200) -> dict[str, Any]:
    response = client.get(f"/api/v1/auth-check/{query}")
    assert response.status_code == status, response.content
    return response.json()


@pytest.fixture
def scheduler_api(api_as, scheduler) -> APIClient:
    return api_as(scheduler)


def test_missing_order_and_date_are_both_named(scheduler_api):
    assert set(ask(scheduler_api, "", 400)) == {"order", "date"}


@pytest.mark.parametrize("bad_date", ["2026-13-01", "12/01/2026", "2026-12-01T10:00:00Z", ""])
def test_a_date_that_is_not_yyyy_mm_dd_is_a_400_naming_date(scheduler_api, bad_date):
    order = f.order(external_id="ORD-1")
    errors = ask(scheduler_api, f"?order={order.external_id}&date={bad_date}", 400)
    assert set(errors) == {"date"}


@pytest.mark.parametrize("days", [-3 * 365 - 1, 3 * 365 + 1, None])
def test_a_date_too_far_from_today_is_a_400_naming_date(scheduler_api, days):
    order = f.order(external_id="ORD-1")
    day = "9999-12-31" if days is None else _soon(days).isoformat()
    errors = ask(scheduler_api, f"?order={order.external_id}&date={day}", 400)
    # Past the calendar window the window's own message names the range.
    expected = "from 1900-01-01 to 2100-12-31" if days is None else "within 1095 days of today"
    assert list(errors) == ["date"] and expected in errors["date"][0]


def test_the_edges_of_the_date_range_are_answered(scheduler_api):
    f.order(f.patient(), external_id="PT-1")
    for days in (-3 * 365, 3 * 365):
        assert ask(scheduler_api, f"?order=PT-1&date={_soon(days)}")["status"] == "no_coverage"


def test_an_unknown_order_is_a_400_naming_order(scheduler_api):
    errors = ask(scheduler_api, "?order=ORD-NONE&date=2026-12-01", 400)
    assert errors == {"order": ["No order with external_id 'ORD-NONE'."]}


def test_a_visit_inside_an_approval_is_covered_with_its_number_visits_left_and_end(
    scheduler_api,
):
    _, pat = f.practice()
    order = f.order(pat, external_id="PT-1")
    f.auth(order, auth_number="A-1", start_date=_soon(-10), end_date=_soon(40), approved_visits=4)
    f.visit(order, _soon(-5), status="fulfilled")
    f.visit(order, _soon(2))
    answer = ask(scheduler_api, f"?order=PT-1&date={_soon(5)}")
    # 4 approved, 1 used, 1 booked before the date: 2 left, this visit included.
    assert answer == {
        "status": "covered",
        "authorization": "A-1",
        "visits_left": 2,
        "auth_end_date": _soon(40).isoformat(),
        "displaces": None,
    }


def test_a_visit_before_booked_ones_that_fill_the_approval_displaces_the_last(scheduler_api):
    _, pat = f.practice()
    order = f.order(pat, external_id="PT-1")
    f.auth(order, auth_number="A-9", start_date=_soon(-10), end_date=_soon(40), approved_visits=3)
    f.visit(order, _soon(-5), status="fulfilled")
    f.visit(order, _soon(10))
    f.visit(order, _soon(20))  # 3 of 3 taken
    answer = ask(scheduler_api, f"?order=PT-1&date={_soon(5)}")
    # It would take the visit of day 10; day 10 takes day 20's, and day 20 has none.
    assert answer == {
        "status": "covered",
        "authorization": "A-9",
        "visits_left": 1,
        "auth_end_date": _soon(40).isoformat(),
        "displaces": _soon(20).isoformat(),
    }
    # After the booked ones, the asked visit itself is over the cap and displaces nothing.
    later = ask(scheduler_api, f"?order=PT-1&date={_soon(25)}")
    assert (later["status"], later["visits_left"], later["displaces"]) == ("visit_limit", 0, None)


def test_the_schema_documents_displaces_as_a_nullable_date(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    field = schema["components"]["schemas"]["AuthCheck"]["properties"]["displaces"]
    assert (field["format"], field["nullable"]) == ("date", True)
    assert "lose its coverage" in field["description"]


def test_an_approval_without_a_visit_count_leaves_visits_left_null(scheduler_api):
    _, pat = f.practice()
    order = f.order(pat, external_id="PT-1")
    f.auth(order, auth_number="A-2", start_date=_soon(-1), end_date=_soon(30))
    answer = ask(scheduler_api, f"?order=PT-1&date={_soon(3)}")
    assert answer == {
        "status": "covered",
        "authorization": "A-2",
        "visits_left": None,
        "auth_end_date": _soon(30).isoformat(),
        "displaces": None,
    }


def test_a_request_at_the_payer_is_pending(scheduler_api):
    _, pat = f.practice()
    order = f.order(pat, external_id="PT-1")
    f.auth(order, status="submitted", submitted_at=f.at(_soon(-1)))
    answer = ask(scheduler_api, f"?order=PT-1&date={_soon(7)}")
    assert answer == {
        "status": "pending",
        "authorization": None,
        "visits_left": None,
        "auth_end_date": None,
        "displaces": None,
    }


def test_a_payer_that_needs_no_auth_answers_not_required(scheduler_api):
    _, pat = f.practice(auth_required=False)
    f.order(pat, external_id="PT-1")
    assert ask(scheduler_api, f"?order=PT-1&date={_soon(7)}")["status"] == "not_required"


def test_no_authorization_at_all_is_missing_auth(scheduler_api):
    _, pat = f.practice()
    f.order(pat, external_id="PT-1")
    answer = ask(scheduler_api, f"?order=PT-1&date={_soon(7)}")
    assert answer == {
        "status": "missing_auth",
        "authorization": None,
        "visits_left": None,
        "auth_end_date": None,
        "displaces": None,
    }


def test_a_visit_after_the_approval_ends_is_auth_expiring(scheduler_api):
    _, pat = f.practice()
    order = f.order(pat, external_id="PT-1")
    f.auth(order, auth_number="A-3", start_date=_soon(-30), end_date=_soon(3))
    answer = ask(scheduler_api, f"?order=PT-1&date={_soon(10)}")
    assert (answer["status"], answer["authorization"], answer["auth_end_date"]) == (
        "auth_expiring",
        "A-3",
        _soon(3).isoformat(),
    )


def test_a_patient_without_coverage_is_no_coverage(scheduler_api):
    f.order(f.patient(), external_id="PT-1")
    assert ask(scheduler_api, f"?order=PT-1&date={_soon(7)}")["status"] == "no_coverage"


@pytest.mark.parametrize("persona", ["specialist", "manager", "integration"])
def test_everyone_who_may_view_orders_may_ask(api_as, request, persona):
    f.order(f.patient(), external_id="PT-1")
    client = api_as(request.getfixturevalue(persona))
    assert ask(client, f"?order=PT-1&date={_soon(7)}")["status"] == "no_coverage"
