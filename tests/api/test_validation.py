"""Bad input: a 400 whose JSON body names each field at fault, and nothing saved."""

from __future__ import annotations

import pytest

from authq.lib import writes as payer_services
from authq.lib.records import constraint_fields
from patients.models import Appointment, Order
from payers.api import AuthorizationSerializer
from payers.models import Authorization
from tests.api.conftest import (
    appointment_payload,
    authorization_payload,
    coverage_payload,
    order_payload,
    patient_payload,
    post,
    refused,
    rule_payload,
)

pytestmark = pytest.mark.django_db


# Payers and rules


def test_a_payer_without_code_or_name_and_an_unknown_kind_is_refused(api):
    errors = refused(api, "payers", {"code": "", "kind": "hmo"})
    assert set(errors) == {"code", "name", "kind"}


def test_a_rule_names_its_unknown_payer_and_bad_category(api):
    errors = refused(api, "payer-rules", rule_payload(payer="NOPE", service_category="massage"))
    assert set(errors) == {"payer", "service_category"}
    assert errors["payer"] == ["No payer with code 'NOPE'."]


def test_a_rule_ending_before_it_starts_is_refused_naming_effective_to(practice):
    errors = refused(
        practice,
        "payer-rules",
        rule_payload(effective_from="2026-06-01", effective_to="2026-05-31"),
    )
    assert set(errors) == {"effective_to"}


def test_a_rule_with_negative_days_a_blank_code_or_a_slashed_date_is_refused(practice):
    errors = refused(
        practice,
        "payer-rules",
        rule_payload(lead_time_days=-1, codes=["97110", ""], effective_from="01/01/2025"),
    )
    assert set(errors) == {"lead_time_days", "codes", "effective_from"}


# Patients and coverages


def test_a_patient_with_missing_names_a_bad_birth_date_and_email_is_refused(api):
    errors = refused(
        api,
        "patients",
        {"mrn": "MRN-1", "birth_date": "1970-13-01", "email": "not-an-email"},
    )
    assert set(errors) == {"first_name", "last_name", "birth_date", "email"}


def test_a_date_with_a_time_is_not_a_date(api):
    errors = refused(api, "patients", patient_payload(birth_date="1970-05-01T00:00:00Z"))
    assert set(errors) == {"birth_date"}


def test_a_coverage_names_its_unknown_patient_and_payer(api):
    errors = refused(api, "coverages", coverage_payload(patient="NOBODY", payer="NOPE"))
    assert set(errors) == {"patient", "payer"}


def test_a_coverage_ending_before_it_starts_is_refused_naming_end(practice):
    errors = refused(practice, "coverages", coverage_payload(start="2026-01-01", end="2025-12-31"))
    assert set(errors) == {"end"}


def test_a_coverage_with_rank_zero_or_impossible_benefits_is_refused(practice):
    errors = refused(
        practice,
        "coverages",
        coverage_payload(rank=0, coinsurance_percent=120, copay="-5", deductible_met="-1"),
    )
    assert set(errors) == {"rank", "coinsurance_percent", "copay", "deductible_met"}


# Orders


def test_an_order_names_each_code_that_is_not_icd10cm(practice):
    errors = refused(
        practice,
        "orders",
        order_payload(external_id="ORD-2", diagnosis_codes=["M54.50", "Z99.999", "M5450"]),
    )
    assert set(errors) == {"diagnosis_codes"}
    text = " ".join(errors["diagnosis_codes"])
    assert "'Z99.999'" in text and "'M5450'" in text and "'M54.50'" not in text


def test_real_icd10cm_codes_are_accepted_as_given(practice):
    codes = ["M17.11", "S72.001A", "F41.1"]
    created = post(practice, "orders", order_payload(external_id="ORD-2", diagnosis_codes=codes))
    assert created["diagnosis_codes"] == codes


def test_an_order_with_a_blank_code_unknown_patient_and_bad_choices_is_refused(api):
    errors = refused(
        api,
        "orders",
        order_payload(code="  ", patient="NOBODY", priority="asap", service_category="dental"),
    )
    assert set(errors) == {"code", "patient", "priority", "service_category"}


def test_a_cpt_or_hcpcs_code_is_an_opaque_string(practice):
    created = post(practice, "orders", order_payload(external_id="ORD-J", code="J1745"))
    assert created["code"] == "J1745"


# Date-times need an offset


def test_a_naive_date_time_is_refused_naming_the_field(practice):
    errors = refused(
        practice, "orders", order_payload(external_id="ORD-2", ordered_at="2026-10-04T09:00:00")
    )
    assert set(errors) == {"ordered_at"}
    assert "offset" in errors["ordered_at"][0]


def test_an_appointment_with_a_naive_start_or_a_date_only_start_is_refused(practice):
    assert set(
        refused(practice, "appointments", appointment_payload(start="2026-12-02T10:00"))
    ) == {"start"}
    assert set(refused(practice, "appointments", appointment_payload(start="2026-12-02"))) == {
        "start"
    }


def test_date_times_in_utc_or_with_any_offset_are_accepted(practice):
    post(practice, "appointments", appointment_payload(start="2026-12-02T15:00:00Z"))
    post(
        practice,
        "appointments",
        appointment_payload(external_id="APT-2", start="2026-12-02T16:00:00+01:00"),
    )
    assert Appointment.objects.count() == 2


def test_an_appointment_with_a_non_fhir_status_and_unknown_order_is_refused(practice):
    errors = refused(practice, "appointments", appointment_payload(status="scheduled", order="X"))
    assert set(errors) == {"status", "order"}


# Authorizations: the database's rules become 400s


def test_an_approved_authorization_needs_its_span(practice):
    errors = refused(
        practice, "authorizations", authorization_payload(start_date=None, end_date=None)
    )
    assert set(errors) == {"start_date", "end_date"}


def test_a_submitted_authorization_needs_submitted_at(practice):
    errors = refused(
        practice,
        "authorizations",
        {"order": "ORD-1", "status": "submitted", "auth_number": "A-9"},
    )
    assert set(errors) == {"submitted_at"}


@pytest.mark.parametrize("status", ["approved", "partial", "denied"])
def test_a_decided_authorization_needs_decided_at(practice, status):
    errors = refused(
        practice, "authorizations", authorization_payload(status=status, decided_at=None)
    )
    assert set(errors) == {"decided_at"}


def test_an_authorization_ending_before_it_starts_is_refused_naming_end_date(practice):
    errors = refused(
        practice,
        "authorizations",
        authorization_payload(
            start_date="2026-12-31",
            end_date="2026-11-01",
            requested_start_date="2026-11-02",
            requested_end_date="2026-11-01",
        ),
    )
    assert set(errors) == {"end_date", "requested_end_date"}


def test_an_authorization_with_unknown_choices_and_a_naive_time_is_refused(practice):
    errors = refused(
        practice,
        "authorizations",
        authorization_payload(
            status="pending",
            determination_code="Z9",
            submission_channel="pigeon",
            submitted_at="2026-10-20 09:00",
        ),
    )
    assert set(errors) == {"status", "determination_code", "submission_channel", "submitted_at"}


def test_an_authorization_for_an_unknown_order_or_payer_is_refused(practice):
    errors = refused(practice, "authorizations", authorization_payload(order="X", payer="NOPE"))
    assert set(errors) == {"order", "payer"}


# PATCH is checked against the stored record, and is all or nothing


def test_a_patch_is_checked_against_the_stored_values(practice):
    auth = post(practice, "authorizations", authorization_payload())
    response = practice.patch(
        f"/api/v1/authorizations/{auth['id']}/", {"end_date": "2026-10-01"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"end_date"}
    assert str(Authorization.objects.get().end_date) == "2026-12-31"


def test_a_patch_with_one_bad_field_saves_none_of_them(practice):
    response = practice.patch(
        "/api/v1/orders/ORD-1/",
        {"priority": "stat", "diagnosis_codes": ["BAD"]},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"diagnosis_codes"}
    assert Order.objects.get().priority == "routine"


def test_a_patch_approving_without_a_span_is_refused(practice):
    pending = post(
        practice,
        "authorizations",
        {
            "order": "ORD-1",
            "payer": "ACME",
            "status": "submitted",
            "submitted_at": "2026-11-20T09:00:00Z",
        },
    )
    response = practice.patch(
        f"/api/v1/authorizations/{pending['id']}/",
        {"status": "approved", "decided_at": "2026-11-22T09:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"start_date", "end_date"}
    assert Authorization.objects.get().status == "submitted"


def test_a_cancelled_authorization_cannot_be_revived(practice):
    auth = post(practice, "authorizations", {"order": "ORD-1", "status": "cancelled"})
    response = practice.patch(
        f"/api/v1/authorizations/{auth['id']}/",
        {"status": "submitted", "submitted_at": "2026-11-20T09:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"status"}
    assert "cancelled" in response.json()["status"][0]


def test_a_second_post_must_also_be_an_allowed_move(practice):
    post(practice, "authorizations", authorization_payload())
    errors = refused(
        practice,
        "authorizations",
        authorization_payload(status="submitted", start_date=None, end_date=None),
    )
    assert set(errors) == {"status"}
    assert Authorization.objects.get().status == "approved"


def test_a_patch_cannot_give_two_authorizations_of_an_order_the_same_number(practice):
    post(practice, "authorizations", authorization_payload(auth_number="A-1"))
    other = post(practice, "authorizations", authorization_payload(auth_number="A-2"))
    response = practice.patch(
        f"/api/v1/authorizations/{other['id']}/", {"auth_number": "A-1"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"auth_number"}


def test_a_body_that_is_not_json_is_a_400(practice):
    response = practice.post("/api/v1/patients/", data="{not json", content_type="application/json")
    assert response.status_code == 400


# The safety net: a database constraint the serializer missed is still a 400


def test_a_database_constraint_violation_is_a_400_naming_its_fields(practice, monkeypatch):
    # Switch off every check before the database: the serializer's and the service's.
    monkeypatch.setattr(AuthorizationSerializer, "check", lambda self, attrs: {})
    monkeypatch.setattr(AuthorizationSerializer, "model_errors", lambda self, attrs: {})
    monkeypatch.setattr(payer_services, "checked", lambda record: record)
    errors = refused(
        practice, "authorizations", authorization_payload(start_date=None, end_date=None)
    )
    assert set(errors) == {"status", "start_date", "end_date"}
    assert "payers_authorization_approved_has_span" in errors["status"][0]


def test_constraint_fields_reads_the_fields_of_check_and_unique_constraints():
    by_name = {c.name: c for c in Authorization._meta.constraints}
    assert constraint_fields(by_name["payers_authorization_span_ordered"]) == {
        "start_date",
        "end_date",
    }
    assert constraint_fields(by_name["payers_authorization_submitted_has_time"]) == {
        "status",
        "submitted_at",
    }
