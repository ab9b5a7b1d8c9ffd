"""work-items/: read-only, in queue order, filtered by query parameters, at a flat query cost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories as f
from worklists.models import WorkItem

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 12, 1)


def item(order: Any, kind: str = "missing_auth", **kw: Any) -> WorkItem:
    kw.setdefault("queue", "routine")
    kw.setdefault("due_date", AS_OF)
    kw.setdefault("last_seen_as_of", AS_OF)
    if kw.get("status") in ("resolved", "dismissed"):
        kw.setdefault("resolved_at", timezone.now())
    return WorkItem.objects.create(order=order, kind=kind, **kw)


def listed(client: APIClient, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/work-items/{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_work_item_shows_its_order_patient_and_assignee_by_key(api, specialist):
    order = f.order(f.patient(mrn="MRN-7"), external_id="ORD-7")
    work = item(
        order,
        "visit_limit",
        queue="stat",
        status="in_progress",
        first_service_date=dt.date(2026, 12, 3),
        affected_appointments=2,
        due_date=dt.date(2026, 11, 28),
        assignee=specialist,
    )
    (body,) = listed(api)
    assert body == {
        "id": work.pk,
        "kind": "visit_limit",
        "queue": "stat",
        "status": "in_progress",
        "order": "ORD-7",
        "patient": "MRN-7",
        "first_service_date": "2026-12-03",
        "affected_appointments": 2,
        "due_date": "2026-11-28",
        "assignee": "spec1",
        "created_at": body["created_at"],
        "resolved_at": None,
    }
    assert api.get(f"/api/v1/work-items/{work.pk}/").json() == body


def test_an_unassigned_item_has_a_null_assignee(api):
    item(f.order())
    assert listed(api)[0]["assignee"] is None


def test_items_are_listed_stat_first_then_by_due_date_then_first_service_date(api):
    order = f.order()
    day = dt.date
    late_routine = item(order, "missing_auth", due_date=day(2026, 12, 10))
    no_service_date = item(order, "denied", due_date=day(2026, 11, 25))
    early_routine = item(
        order, "visit_limit", due_date=day(2026, 11, 25), first_service_date=day(2026, 12, 2)
    )
    stat_late = item(order, "auth_expiring", queue="stat", due_date=day(2026, 12, 20))
    stat_early = item(order, "no_coverage", queue="stat", due_date=day(2026, 11, 20))
    same_as_early = item(
        order,
        "unknown_rule",
        due_date=day(2026, 11, 25),
        first_service_date=day(2026, 12, 2),
    )
    assert [i["id"] for i in listed(api)] == [
        stat_early.pk,
        stat_late.pk,
        early_routine.pk,
        same_as_early.pk,  # same dates: the lower id first
        no_service_date.pk,  # empty first_service_date last among equal due dates
        late_routine.pk,
    ]


def test_status_open_means_every_state_someone_still_acts_on(api):
    order = f.order()
    open_ = item(order, "missing_auth", status="open")
    working = item(order, "visit_limit", status="in_progress")
    waiting = item(order, "denied", status="waiting_on_payer")
    resolved = item(order, "no_coverage", status="resolved")
    dismissed = item(order, "unknown_rule", status="dismissed")

    def ids(query: str) -> set[int]:
        return {i["id"] for i in listed(api, query)}

    assert ids("?status=open") == {open_.pk, working.pk, waiting.pk}
    assert ids("?status=in_progress") == {working.pk}
    assert ids("?status=waiting_on_payer") == {waiting.pk}
    assert ids("?status=resolved") == {resolved.pk}
    assert ids("?status=dismissed") == {dismissed.pk}
    assert ids("") == {open_.pk, working.pk, waiting.pk, resolved.pk, dismissed.pk}


def test_items_are_filtered_by_queue_kind_assignee_patient_and_order(api, specialist, specialist2):
    pat_a, pat_b = f.patient(mrn="MRN-A"), f.patient(mrn="MRN-B")
    ord_a, ord_b = f.order(pat_a, external_id="ORD-A"), f.order(pat_b, external_id="ORD-B")
    mine = item(ord_a, "missing_auth", queue="stat", assignee=specialist)
    theirs = item(ord_a, "denied", assignee=specialist2)
    other_patient = item(ord_b, "missing_auth")

    def ids(query: str) -> set[int]:
        return {i["id"] for i in listed(api, query)}

    assert ids("?queue=stat") == {mine.pk}
    assert ids("?queue=routine") == {theirs.pk, other_patient.pk}
    assert ids("?kind=missing_auth") == {mine.pk, other_patient.pk}
    assert ids("?assignee=spec1") == {mine.pk}
    assert ids("?patient=MRN-A") == {mine.pk, theirs.pk}
    assert ids("?order=ORD-B") == {other_patient.pk}
    assert ids("?patient=MRN-A&kind=missing_auth&status=open") == {mine.pk}


@pytest.mark.parametrize(
    "query",
    [
        "status=active",
        "status=",
        "queue=urgent",
        "kind=overdue",
        "assignee=nobody",
        "patient=MRN-NONE",
        "order=ORD-NONE",
    ],
)
def test_an_invalid_filter_value_is_a_400_naming_the_parameter(api, query):
    item(f.order())
    response = api.get(f"/api/v1/work-items/?{query}")
    assert response.status_code == 400
    assert set(response.json()) == {query.split("=")[0]}


def test_every_bad_filter_is_named_at_once(api):
    response = api.get("/api/v1/work-items/?status=x&queue=y&kind=z")
    assert response.status_code == 400
    assert set(response.json()) == {"status", "queue", "kind"}


def test_work_items_cannot_be_written_through_the_api(api_as, specialist):
    work = item(f.order())
    client = api_as(specialist)  # may change work items, but not through this endpoint
    response = client.patch(f"/api/v1/work-items/{work.pk}/", {"status": "dismissed"})
    assert response.status_code == 405
    assert WorkItem.objects.get().status == "open"


def _queries(client: APIClient, url: str) -> int:
    client.get(url)  # warm the permission caches first
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _add_items(count: int, assignee: Any) -> None:
    for _ in range(count):
        item(f.order(f.patient()), assignee=assignee)


def test_the_work_item_list_costs_the_same_queries_for_3_or_30_items(
    api, specialist, django_assert_max_num_queries
):
    _add_items(3, specialist)
    few = _queries(api, "/api/v1/work-items/")
    filtered_few = _queries(api, "/api/v1/work-items/?status=open&assignee=spec1")
    _add_items(27, specialist)
    assert _queries(api, "/api/v1/work-items/") == few
    assert _queries(api, "/api/v1/work-items/?status=open&assignee=spec1") == filtered_few
    # count, page, one per key filter, and the audit of the ids returned (S25)
    with django_assert_max_num_queries(5):
        assert len(listed(api, "?assignee=spec1")) == 30


def _add_records(count: int) -> None:
    for _ in range(count):
        payer = f.payer()
        pat = f.patient()
        f.rule(payer)
        f.coverage(pat, payer)
        order = f.order(pat)
        f.visit(order, "2026-12-02")
        f.auth(order, start_date="2026-11-01", end_date="2026-12-31", payer=payer)


@pytest.mark.parametrize(
    "collection",
    ["payers", "payer-rules", "patients", "coverages", "orders", "appointments", "authorizations"],
)
def test_record_lists_cost_the_same_queries_for_2_or_20_records(api, collection):
    url = f"/api/v1/{collection}/"
    _add_records(2)
    few = _queries(api, url)
    _add_records(18)
    assert _queries(api, url) == few
    # count and page, and for patient data the audit of the ids returned (S25)
    assert few <= (2 if collection in ("payers", "payer-rules") else 3)
