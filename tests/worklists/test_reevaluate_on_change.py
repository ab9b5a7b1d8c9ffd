"""Records pushed through the API refresh their order's work items at once."""

from __future__ import annotations

import datetime as dt

import pytest

from authq.lib import clock
from tests import factories as f
from worklists.models import WorkItem

pytestmark = pytest.mark.django_db


def _day(days: int) -> str:
    return (clock.today() + dt.timedelta(days=days)).isoformat()


def test_an_appointment_and_then_its_approval_pushed_through_the_api_open_and_close_the_item(
    api, django_capture_on_commit_callbacks
):
    _, pat = f.practice()
    order = f.order(pat)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/appointments/",
            {
                "external_id": "A-1",
                "order": order.external_id,
                "start": f"{_day(10)}T10:00:00-05:00",
                "status": "booked",
                "department": "PT",
            },
            format="json",
        )
    assert response.status_code == 201
    item = WorkItem.objects.open().get()
    assert (item.order, item.kind) == (order, "missing_auth")

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/authorizations/",
            {
                "order": order.external_id,
                "auth_number": "AUTH-1",
                "status": "approved",
                "start_date": _day(0),
                "end_date": _day(60),
                "approved_visits": 12,
                "decided_at": f"{_day(0)}T09:00:00-05:00",
            },
            format="json",
        )
    assert response.status_code == 201
    item.refresh_from_db()
    assert (item.status, item.resolution) == ("resolved", "gap_closed")
    assert not WorkItem.objects.open().exists()


def test_a_coverage_change_refreshes_every_order_of_the_patient(
    api, django_capture_on_commit_callbacks
):
    payer, pat = f.practice(auth_required=False)
    first, second = f.order(pat), f.order(pat)
    f.visit(first, clock.today() + dt.timedelta(days=5))
    f.visit(second, clock.today() + dt.timedelta(days=6))
    coverage = pat.coverages.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(f"/api/v1/coverages/{coverage.pk}/", {"end": _day(1)}, format="json")
    assert response.status_code == 200
    assert sorted(WorkItem.objects.open().values_list("order_id", "kind")) == [
        (first.pk, "no_coverage"),
        (second.pk, "no_coverage"),
    ]
