"""S25, S26: every change and every read of patient data by a person leaves an audit row."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import RequestFactory
from rest_framework.test import APIClient

from patients.audit import record_view
from patients.models import AccessEvent, Appointment, Order, Patient
from payers.models import Authorization
from tests import factories as f

pytestmark = pytest.mark.django_db


def events(**kw: Any) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(**kw).order_by("id"))


def test_orm_create_update_delete_each_leave_one_event_with_ids_and_patient() -> None:
    _payer, patient = f.practice()
    order = f.order(patient)
    appt = f.visit(order, "2026-12-01")
    appt.status = "cancelled"
    appt.save()
    appt_id = appt.pk
    appt.delete()

    rows = events(model="patients.appointment")
    assert [r.action for r in rows] == ["create", "update", "delete"]
    assert all(r.object_ids == [appt_id] and r.patient_ids == [patient.pk] for r in rows)
    assert all(r.user_id is None and r.request_id == "" for r in rows)  # no person acting
    assert events(model="patients.order", action="create")[0].patient_ids == [patient.pk]


def test_bulk_and_raw_sql_changes_are_recorded_per_statement() -> None:
    _payer, patient = f.practice()
    orders = Order.objects.bulk_create(
        [
            Order(
                external_id=f"BULK-{n}", patient=patient, service_category="imaging", code="70551"
            )
            for n in range(3)
        ]
    )
    Order.objects.filter(patient=patient).update(priority="urgent")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM patients_order WHERE external_id = 'BULK-0'")

    ids = sorted(o.pk for o in orders)
    (created,) = events(model="patients.order", action="create")
    (updated,) = events(model="patients.order", action="update")
    (deleted,) = events(model="patients.order", action="delete")
    assert created.object_ids == ids and updated.object_ids == ids
    assert deleted.object_ids == [ids[0]]
    assert created.patient_ids == updated.patient_ids == deleted.patient_ids == [patient.pk]


def test_statements_touching_no_rows_leave_no_event() -> None:
    before = AccessEvent.objects.count()
    Patient.objects.filter(mrn="nobody").update(phone="1")
    Authorization.objects.filter(pk=-1).delete()
    assert AccessEvent.objects.count() == before


def test_database_refuses_update_and_delete_of_audit_rows() -> None:
    f.patient()
    row = AccessEvent.objects.latest("id")
    for sql in (
        "UPDATE patients_accessevent SET user_id = 1 WHERE id = %s",
        "DELETE FROM patients_accessevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [row.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessEvent.objects.filter(pk=row.pk).delete()
    assert AccessEvent.objects.filter(pk=row.pk).exists()


def test_changes_through_the_api_name_the_person_request_and_address(
    integration: User,
) -> None:
    payer = f.payer("ACME")
    client = APIClient(REMOTE_ADDR="10.1.2.3")
    client.force_authenticate(integration)
    response = client.post(
        "/api/v1/patients/",
        {"mrn": "A-1", "first_name": "Ann", "last_name": "Able", "birth_date": "1980-02-03"},
        format="json",
    )
    assert response.status_code == 201, response.content
    del payer
    (row,) = events(model="patients.patient", action="create")
    assert row.user_id == integration.pk
    assert str(row.remote_addr) == "10.1.2.3"
    assert row.request_id == response["X-Request-ID"]
    assert len(row.request_id) == 32


def test_actor_is_cleared_after_the_request(integration: User) -> None:
    client = APIClient()
    client.force_authenticate(integration)
    client.post(
        "/api/v1/patients/",
        {"mrn": "A-2", "first_name": "B", "last_name": "C", "birth_date": "1980-02-03"},
        format="json",
    )
    f.patient(mrn="LATER")  # the scan or a command, on the same connection afterwards
    (row,) = events(
        model="patients.patient",
        action="create",
        object_ids__contains=[Patient.objects.get(mrn="LATER").pk],
    )
    assert row.user_id is None and row.request_id == ""


def test_record_view_stores_ids_of_records_and_their_patients(scheduler: User) -> None:
    _payer, patient = f.practice()
    order = f.order(patient)
    a1, a2 = f.visit(order, "2026-12-01"), f.visit(order, "2026-12-02")
    request = RequestFactory().get("/x", REMOTE_ADDR="192.0.2.9")
    request.user = scheduler

    returned = record_view(request, [a2.pk, a1.pk], Appointment)

    assert returned is not None
    row = AccessEvent.objects.get(pk=returned.pk)  # as stored, not as built in memory
    assert returned.at == row.at and row.user_id == scheduler.pk
    assert row.action == "view" and row.model == "patients.appointment"
    assert row.object_ids == sorted([a1.pk, a2.pk])
    assert row.patient_ids == [patient.pk]
    assert str(row.remote_addr) == "192.0.2.9" and len(row.request_id) == 32
    assert record_view(request, [], Appointment) is None


def test_audit_rows_hold_no_phi_text() -> None:
    patient = f.patient(first_name="Zelda", last_name="Sentinelname", phone="555-0199")
    f.coverage(patient, f.payer(), member_id="MEMBERSECRET")
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(e)::text FROM patients_accessevent e")
        dump = " ".join(r[0] for r in cursor.fetchall())
    for phi in ("Zelda", "Sentinelname", "555-0199", "MEMBERSECRET", patient.mrn):
        assert phi not in dump
