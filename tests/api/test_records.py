"""Creating, upserting by natural key, reading and PATCHing each resource."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from patients.models import Appointment, Coverage, Order, Patient
from payers.models import Authorization, Payer, PayerRule
from tests.api.conftest import (
    appointment_payload,
    authorization_payload,
    coverage_payload,
    order_payload,
    patient_payload,
    payer_payload,
    post,
    rule_payload,
)

pytestmark = pytest.mark.django_db


# Natural keys: a second POST updates and answers 200


def test_a_payer_is_created_then_updated_by_its_code(api):
    assert post(api, "payers", payer_payload()) == {
        "code": "ACME",
        "name": "Acme Health",
        "kind": "commercial",
        "phone": "",
        "fax": "",
        "portal_url": "",
        "appeal_address": "",
        "hours": "",
    }
    again = post(api, "payers", payer_payload(name="Acme Health Plans", kind="medicaid"), 200)
    assert again["name"] == "Acme Health Plans"
    payer = Payer.objects.get()
    assert (payer.name, payer.kind) == ("Acme Health Plans", "medicaid")


def test_a_patient_is_created_then_updated_by_mrn_without_a_duplicate(api):
    created = post(api, "patients", patient_payload(phone="555-0100"))
    assert created == {
        "mrn": "MRN-1",
        "first_name": "Pat",
        "last_name": "Example",
        "birth_date": "1970-05-01",
        "phone": "555-0100",
        "email": "",
    }
    updated = post(api, "patients", patient_payload(last_name="Married", phone="555-0199"), 200)
    assert (updated["last_name"], updated["phone"]) == ("Married", "555-0199")
    assert Patient.objects.count() == 1
    assert Patient.objects.get().last_name == "Married"


def test_an_order_is_created_then_updated_by_external_id(practice):
    detail = practice.get("/api/v1/orders/ORD-1/").json()
    assert detail == {
        "external_id": "ORD-1",
        "patient": "MRN-1",
        "service_category": "physical_therapy",
        "code": "97110",
        "diagnosis_codes": ["M54.50"],
        "priority": "routine",
        "visits_ordered": 12,
        "ordering_provider": "Dr. Demo",
        # Date-times come back in the practice's time zone, with its offset.
        "ordered_at": "2026-10-04T10:00:00-04:00",
    }
    again = post(practice, "orders", order_payload(priority="stat", visits_ordered=24), 200)
    assert (again["priority"], again["visits_ordered"]) == ("stat", 24)
    assert Order.objects.count() == 1
    assert Order.objects.get().priority == "stat"


def test_an_appointment_is_created_then_rescheduled_by_a_second_post(practice):
    created = post(practice, "appointments", appointment_payload())
    assert created == {
        "external_id": "APT-1",
        "order": "ORD-1",
        "start": "2026-12-02T10:00:00-05:00",
        "status": "booked",
        "department": "Main",
    }
    post(practice, "appointments", appointment_payload(start="2026-12-03T15:30:00Z"), 200)
    appointment = Appointment.objects.get()
    assert appointment.start == dt.datetime(2026, 12, 3, 15, 30, tzinfo=dt.UTC)


def test_a_post_that_omits_optional_fields_keeps_their_stored_values(api):
    post(api, "patients", patient_payload(phone="555-0100", email="pat@example.org"))
    post(api, "patients", patient_payload(first_name="Patricia"), 200)
    patient = Patient.objects.get()
    assert (patient.first_name, patient.phone, patient.email) == (
        "Patricia",
        "555-0100",
        "pat@example.org",
    )


# Resources without a natural key in api.md: the keys this API uses for upserts


def test_a_rule_with_the_same_scope_and_start_is_updated_not_duplicated(practice):
    first = post(practice, "payer-rules", rule_payload(codes=["97110", "97112"]))
    assert first["id"] == PayerRule.objects.get().pk
    assert first["lead_time_days"] == 7  # the spec's default
    # Same payer, plan, category, set of codes (in any order) and effective_from.
    again = post(
        practice, "payer-rules", rule_payload(codes=["97112", "97110"], lead_time_days=10), 200
    )
    assert again["id"] == first["id"]
    assert PayerRule.objects.get().lead_time_days == 10
    # Another scope or another start date is another rule.
    post(practice, "payer-rules", rule_payload(codes=["97110"]))
    post(
        practice, "payer-rules", rule_payload(codes=["97110", "97112"], effective_from="2026-01-01")
    )
    assert PayerRule.objects.count() == 3


def test_a_coverage_from_the_same_card_and_start_is_updated_not_duplicated(practice):
    first = post(practice, "coverages", coverage_payload())
    assert first == {
        "id": first["id"],
        "patient": "MRN-1",
        "payer": "ACME",
        "member_id": "M-1",
        "plan": "SILVER",
        "rank": 1,
        "start": "2025-06-01",
        "end": None,
        "copay": None,
        "coinsurance_percent": None,
        "deductible": None,
        "deductible_met": None,
        "plan_year_visit_limit": None,
        "benefits_verified_at": None,
        "benefits_verified_by": None,
    }
    again = post(practice, "coverages", coverage_payload(end="2026-12-31", rank=2), 200)
    assert again["id"] == first["id"]
    assert (again["end"], again["rank"]) == ("2026-12-31", 2)
    post(practice, "coverages", coverage_payload(member_id="N-1", start="2027-01-01"))
    assert Coverage.objects.count() == 2


def test_an_authorization_with_an_auth_number_the_order_has_is_updated(practice):
    submitted = authorization_payload(
        status="submitted", start_date=None, end_date=None, approved_visits=None, decided_at=None
    )
    first = post(practice, "authorizations", submitted)
    assert first["status"] == "submitted"
    assert first["created_by"] == "engine"
    decided = post(practice, "authorizations", authorization_payload(), 200)
    assert decided["id"] == first["id"]
    auth = Authorization.objects.get()
    assert (auth.status, auth.approved_visits, auth.end_date) == (
        "approved",
        12,
        dt.date(2026, 12, 31),
    )


def test_authorizations_without_an_auth_number_are_each_created(practice):
    draft = {"order": "ORD-1", "status": "draft"}
    one = post(practice, "authorizations", draft)
    two = post(practice, "authorizations", draft)
    assert one["id"] != two["id"]
    assert one["auth_number"] == ""
    assert Authorization.objects.count() == 2


def test_the_same_auth_number_on_another_order_is_another_authorization(practice):
    post(practice, "orders", order_payload(external_id="ORD-2"))
    post(practice, "authorizations", authorization_payload())
    post(practice, "authorizations", authorization_payload(order="ORD-2"))
    assert Authorization.objects.count() == 2


# PATCH by key


def test_patch_changes_a_patient_by_mrn(practice):
    response = practice.patch("/api/v1/patients/MRN-1/", {"phone": "555-0123"}, format="json")
    assert response.status_code == 200
    assert response.json()["phone"] == "555-0123"
    assert Patient.objects.get().phone == "555-0123"


def test_patch_changes_a_payer_by_code(practice):
    response = practice.patch("/api/v1/payers/ACME/", {"kind": "tricare"}, format="json")
    assert response.status_code == 200
    assert Payer.objects.get().kind == "tricare"


def test_patch_completes_an_appointment_by_external_id(practice):
    post(practice, "appointments", appointment_payload())
    response = practice.patch("/api/v1/appointments/APT-1/", {"status": "fulfilled"}, format="json")
    assert response.status_code == 200
    assert Appointment.objects.get().status == "fulfilled"


def test_patch_moves_an_order_to_stat_by_external_id(practice):
    response = practice.patch("/api/v1/orders/ORD-1/", {"priority": "stat"}, format="json")
    assert response.status_code == 200
    assert Order.objects.get().priority == "stat"


def test_patch_records_a_decision_on_an_authorization_by_id(practice):
    pending = post(
        practice,
        "authorizations",
        {
            "order": "ORD-1",
            "payer": "ACME",
            "status": "submitted",
            "submitted_at": "2026-11-20T09:00:00-05:00",
        },
    )
    response = practice.patch(
        f"/api/v1/authorizations/{pending['id']}/",
        {
            "status": "partial",
            "auth_number": "A-77",
            "start_date": "2026-11-25",
            "end_date": "2027-01-31",
            "approved_visits": 8,
            "decided_at": "2026-11-24T16:00:00-05:00",
            "determination_code": "A6",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    auth = Authorization.objects.get()
    assert (auth.status, auth.auth_number, auth.approved_visits, auth.determination_code) == (
        "partial",
        "A-77",
        8,
        "A6",
    )


def test_patch_gives_a_rule_a_new_end_date_by_id(practice):
    rule = post(practice, "payer-rules", rule_payload())
    response = practice.patch(
        f"/api/v1/payer-rules/{rule['id']}/", {"effective_to": "2026-12-31"}, format="json"
    )
    assert response.status_code == 200
    assert PayerRule.objects.get().effective_to == dt.date(2026, 12, 31)


def test_patch_records_verified_benefits_and_who_sent_them(practice):
    coverage = post(practice, "coverages", coverage_payload())
    response = practice.patch(
        f"/api/v1/coverages/{coverage['id']}/",
        {
            "copay": "25.00",
            "coinsurance_percent": 20,
            "deductible": "1500",
            "deductible_met": "300.50",
            "plan_year_visit_limit": 30,
            "benefits_verified_at": "2026-11-02T11:00:00-05:00",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["copay"], body["coinsurance_percent"], body["benefits_verified_by"]) == (
        "25.00",
        "20.00",
        "engine",
    )
    assert Coverage.objects.get().deductible_met == Decimal("300.50")


def test_patch_of_an_unknown_key_is_404(practice):
    response = practice.patch("/api/v1/patients/NOPE/", {"phone": "1"}, format="json")
    assert response.status_code == 404


def test_patch_cannot_change_a_natural_key(practice):
    response = practice.patch("/api/v1/patients/MRN-1/", {"mrn": "MRN-2"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"mrn"}
    assert Patient.objects.get().mrn == "MRN-1"


def test_patch_cannot_move_an_authorization_to_another_order(practice):
    post(practice, "orders", order_payload(external_id="ORD-2"))
    auth = post(practice, "authorizations", authorization_payload())
    response = practice.patch(
        f"/api/v1/authorizations/{auth['id']}/", {"order": "ORD-2"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"order"}


# Reading


def test_lists_are_paginated_and_found_by_key(practice):
    post(practice, "patients", patient_payload(mrn="MRN-2", last_name="Another"))
    listing = practice.get("/api/v1/patients/").json()
    assert listing["count"] == 2
    assert {p["mrn"] for p in listing["results"]} == {"MRN-1", "MRN-2"}
    assert practice.get("/api/v1/patients/MRN-2/").json()["last_name"] == "Another"
    assert practice.get("/api/v1/patients/MRN-3/").status_code == 404


def test_child_records_are_listed_by_their_parent_key(practice):
    post(practice, "orders", order_payload(external_id="ORD-2"))
    post(practice, "appointments", appointment_payload())
    post(practice, "appointments", appointment_payload(external_id="APT-2", order="ORD-2"))
    post(practice, "authorizations", authorization_payload(order="ORD-2"))
    post(practice, "coverages", coverage_payload())
    post(practice, "payer-rules", rule_payload())

    def keys(url: str, field: str) -> list[str]:
        return [r[field] for r in practice.get(url).json()["results"]]

    assert keys("/api/v1/appointments/?order=ORD-2", "external_id") == ["APT-2"]
    assert keys("/api/v1/authorizations/?order=ORD-2", "auth_number") == ["A-1"]
    assert keys("/api/v1/authorizations/?order=ORD-1", "auth_number") == []
    assert keys("/api/v1/orders/?patient=MRN-1", "external_id") == ["ORD-1", "ORD-2"]
    assert keys("/api/v1/coverages/?patient=MRN-1", "member_id") == ["M-1"]
    assert keys("/api/v1/payer-rules/?payer=ACME", "payer") == ["ACME"]


def test_an_unknown_parent_key_in_a_list_filter_is_a_400_naming_it(practice):
    response = practice.get("/api/v1/appointments/?order=NOPE")
    assert response.status_code == 400
    assert set(response.json()) == {"order"}


def test_natural_keys_with_dots_and_dashes_work_in_urls(practice):
    post(practice, "orders", order_payload(external_id="HL7.ORC-2.1"))
    assert practice.get("/api/v1/orders/HL7.ORC-2.1/").json()["external_id"] == "HL7.ORC-2.1"
    response = practice.patch("/api/v1/orders/HL7.ORC-2.1/", {"priority": "urgent"}, format="json")
    assert response.status_code == 200
    assert Order.objects.get(external_id="HL7.ORC-2.1").priority == "urgent"


def test_a_numeric_mrn_may_be_sent_as_a_json_number(api):
    post(api, "payers", payer_payload())
    post(api, "patients", patient_payload(mrn="100234"))
    created = post(api, "coverages", coverage_payload(patient=100234))
    assert created["patient"] == "100234"


def test_an_id_key_that_is_not_a_number_is_404(practice):
    assert practice.get("/api/v1/authorizations/A-1/").status_code == 404
