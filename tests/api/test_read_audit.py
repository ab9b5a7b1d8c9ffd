"""S25 for the API: list and retrieve of patient data record the ids they return.

One AccessEvent per response, with the ids of the records in it (a list: its page) and
their patients; payers and payer rules are not patient data and record nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from patients.models import AccessAction, AccessEvent, Appointment, Coverage, Order, Patient
from payers.models import Authorization
from tests import factories as f
from worklists.models import ItemKind, Queue, WorkItem

pytestmark = pytest.mark.django_db


def _record(n: int) -> dict[str, list[Any]]:
    made: dict[str, list[Any]] = {"patient": [], "order": [], "item": []}
    for _ in range(n):
        payer, patient = f.practice()
        order = f.order(patient)
        f.visit(order, "2026-12-20")
        f.auth(order, start_date="2026-11-01", end_date="2026-12-31", approved_visits=5)
        made["patient"].append(patient)
        made["order"].append(order)
        made["item"].append(
            WorkItem.objects.create(
                order=order,
                kind=ItemKind.MISSING_AUTH,
                queue=Queue.ROUTINE,
                due_date=f.d("2026-12-13"),
                last_seen_as_of=f.d("2026-12-01"),
            )
        )
    return made


def views(user: User) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(user=user, action=AccessAction.VIEW).order_by("id"))


# (collection, model, the field holding the key in the JSON and in detail URLs)
COLLECTIONS: list[tuple[str, type, str]] = [
    ("patients", Patient, "mrn"),
    ("coverages", Coverage, "id"),
    ("orders", Order, "external_id"),
    ("appointments", Appointment, "external_id"),
    ("authorizations", Authorization, "id"),
    ("work-items", WorkItem, "id"),
]


def _patient_of(record: Any) -> int:
    if isinstance(record, Patient):
        return record.pk
    if hasattr(record, "patient_id"):
        return record.patient_id
    return record.order.patient_id


@pytest.mark.parametrize(("collection", "model", "key"), COLLECTIONS)
def test_a_list_records_the_ids_on_its_page(
    collection: str, model: type, key: str, api: APIClient, integration: User
) -> None:
    _record(3)
    response = api.get(f"/api/v1/{collection}/?limit=2")
    assert response.status_code == 200
    (event,) = views(integration)
    keys = [row[key] for row in response.json()["results"]]
    shown = list(model.objects.filter(**{f"{key}__in": keys}))
    assert len(shown) == 2 < model.objects.count()
    assert event.model == model._meta.label_lower
    assert event.object_ids == sorted(r.pk for r in shown)
    assert event.patient_ids == sorted({_patient_of(r) for r in shown})
    assert event.request_id == response["X-Request-ID"]


@pytest.mark.parametrize(("collection", "model", "key"), COLLECTIONS)
def test_a_retrieve_records_the_one_record(
    collection: str,
    model: type,
    key: str,
    api_as: Callable[[User], APIClient],
    manager: User,
) -> None:
    _record(2)
    record = model.objects.order_by("pk").last()
    response = api_as(manager).get(f"/api/v1/{collection}/{getattr(record, key)}/")
    assert response.status_code == 200
    (event,) = views(manager)
    assert event.object_ids == [record.pk]
    assert event.patient_ids == [_patient_of(record)]


def test_an_empty_list_and_a_refused_request_record_nothing(
    api: APIClient, integration: User, api_as: Callable[[User], APIClient], scheduler: User
) -> None:
    assert api.get("/api/v1/patients/?mrn=NOPE").status_code in (200, 400)
    assert api.get("/api/v1/work-items/").json()["results"] == []
    _record(1)
    assert api_as(scheduler).get("/api/v1/work-items/").status_code == 403
    assert api_as(scheduler).get("/api/v1/coverages/").status_code == 403
    assert views(integration) == [] and views(scheduler) == []


def test_payers_and_rules_are_not_patient_data(api: APIClient, integration: User) -> None:
    _record(2)
    assert api.get("/api/v1/payers/").status_code == 200
    assert api.get("/api/v1/payer-rules/").status_code == 200
    assert views(integration) == []


def test_the_auth_check_records_the_order_and_the_authorization_it_names(
    api_as: Callable[[User], APIClient], scheduler: User
) -> None:
    made = _record(1)
    order = made["order"][0]
    response = api_as(scheduler).get(
        "/api/v1/auth-check/", {"order": order.external_id, "date": "2026-12-20"}
    )
    assert response.status_code == 200
    got = {e.model: e.object_ids for e in views(scheduler)}
    assert got == {
        "patients.order": [order.pk],
        "payers.authorization": [Authorization.objects.get(order=order).pk],
    }


def test_a_list_costs_one_insert_however_long_its_page(
    api: APIClient, django_assert_max_num_queries: Any
) -> None:
    _record(2)
    with django_assert_max_num_queries(10) as ctx:
        api.get("/api/v1/appointments/")
    few = len(ctx.captured_queries)
    _record(10)
    with django_assert_max_num_queries(few):
        api.get("/api/v1/appointments/")
