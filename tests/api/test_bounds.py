"""Numbers, dates, keys and bodies at their bounds: a 400 (or 413) naming what is wrong,
never a 500, never a wrapped or truncated value, and nothing saved."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from authq.errors import server_error
from authq.lib.bounds import MAX_DAYS, MAX_HOURS, MAX_PAGE_SIZE, MAX_VISITS
from patients.models import Appointment, Coverage, Order
from payers.models import Authorization, Payer, PayerRule
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


# Numbers


@pytest.mark.parametrize("visits", [4294967298, 4294967295, 2**63, MAX_VISITS + 1])
def test_approved_visits_past_the_bound_are_refused_not_wrapped(practice, visits):
    errors = refused(practice, "authorizations", authorization_payload(approved_visits=visits))
    assert set(errors) == {"approved_visits"}
    assert str(MAX_VISITS) in errors["approved_visits"][0]


def test_approved_visits_at_the_bound_are_stored_as_given(practice):
    post(practice, "authorizations", authorization_payload(approved_visits=MAX_VISITS))
    assert Authorization.objects.get().approved_visits == MAX_VISITS


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("lead_time_days", MAX_DAYS),
        ("renewal_window_days", MAX_DAYS),
        ("standard_turnaround_days", MAX_DAYS),
        ("appeal_window_days", MAX_DAYS),
        ("expedited_turnaround_hours", MAX_HOURS),
        ("visit_threshold", MAX_VISITS),
    ],
)
def test_every_count_of_a_rule_has_a_maximum(practice, field, limit):
    errors = refused(practice, "payer-rules", rule_payload(**{field: 740_000}))
    assert set(errors) == {field}
    assert str(limit) in errors[field][0]
    post(practice, "payer-rules", rule_payload(**{field: limit}))


def test_a_rule_patch_past_the_bound_is_refused_and_keeps_the_stored_rule(practice):
    rule = post(practice, "payer-rules", rule_payload())
    response = practice.patch(
        f"/api/v1/payer-rules/{rule['id']}/", {"lead_time_days": 740_000}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"lead_time_days"}
    assert PayerRule.objects.get().lead_time_days == 7


def test_the_database_refuses_a_rule_count_past_the_bound_however_it_is_written(practice):
    rule = post(practice, "payer-rules", rule_payload())
    with (
        pytest.raises(IntegrityError, match="payers_payerrule_lead_time_days_bounded"),
        transaction.atomic(),
    ):
        PayerRule.objects.filter(pk=rule["id"]).update(lead_time_days=740_000)


def test_order_visits_coverage_rank_and_visit_limit_have_maximums(practice):
    errors = refused(
        practice, "orders", order_payload(external_id="ORD-2", visits_ordered=4294967295)
    )
    assert set(errors) == {"visits_ordered"}
    errors = refused(
        practice, "coverages", coverage_payload(rank=10, plan_year_visit_limit=MAX_VISITS + 1)
    )
    assert set(errors) == {"rank", "plan_year_visit_limit"}


# Dates


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01"])
def test_dates_outside_the_window_are_refused_everywhere_they_enter(practice, day):
    errors = refused(practice, "authorizations", authorization_payload(end_date=day))
    assert set(errors) == {"end_date"}
    assert "1900-01-01" in errors["end_date"][0] and "2100-12-31" in errors["end_date"][0]
    errors = refused(practice, "appointments", appointment_payload(start=f"{day}T10:00:00+00:00"))
    assert set(errors) == {"start"}
    errors = refused(practice, "payer-rules", rule_payload(effective_from=day))
    assert set(errors) == {"effective_from"}
    errors = refused(practice, "coverages", coverage_payload(start=day))
    assert set(errors) == {"start"}


def test_the_window_follows_the_settings(practice, settings):
    settings.AUTHQ_MAX_YEAR = 2030
    errors = refused(practice, "authorizations", authorization_payload(end_date="2031-01-01"))
    assert errors["end_date"] == ["Give a date from 1900-01-01 to 2030-12-31."]


def test_a_birth_date_in_the_future_or_before_the_window_is_refused(api):
    tomorrow = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    errors = refused(api, "patients", patient_payload(birth_date=tomorrow))
    assert errors == {"birth_date": ["Cannot be in the future."]}
    errors = refused(api, "patients", patient_payload(birth_date="0001-01-01"))
    assert set(errors) == {"birth_date"}


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_the_auth_check_refuses_a_date_outside_the_window(practice, day):
    response = practice.get("/api/v1/auth-check/", {"order": "ORD-1", "date": day})
    assert response.status_code == 400
    assert set(response.json()) == {"date"}


# Cross-field rules and keys


def test_a_deductible_met_above_the_deductible_is_refused_naming_deductible_met(practice):
    errors = refused(
        practice, "coverages", coverage_payload(deductible="100", deductible_met="250")
    )
    assert set(errors) == {"deductible_met"}


def test_a_patch_lowering_the_deductible_under_what_was_met_is_refused(practice):
    coverage = post(practice, "coverages", coverage_payload(deductible="500", deductible_met="300"))
    response = practice.patch(
        f"/api/v1/coverages/{coverage['id']}/", {"deductible": "200"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"deductible_met"}
    assert Coverage.objects.get().deductible == 500


def test_a_non_billable_icd10cm_header_is_refused(practice):
    errors = refused(
        practice, "orders", order_payload(external_id="ORD-2", diagnosis_codes=["M54"])
    )
    assert set(errors) == {"diagnosis_codes"}
    assert "'M54' is not a billable ICD-10-CM code" in errors["diagnosis_codes"][0]


@pytest.mark.parametrize("mrn", ["A/1", "..", "M\t1", "M\\1"])
def test_an_mrn_that_a_url_cannot_reach_is_refused(api, mrn):
    errors = refused(api, "patients", patient_payload(mrn=mrn))
    assert set(errors) == {"mrn"}


def test_order_and_appointment_keys_with_a_slash_are_refused(practice):
    errors = refused(practice, "orders", order_payload(external_id="ORD/2"))
    assert set(errors) == {"external_id"}
    errors = refused(practice, "appointments", appointment_payload(external_id="APT/1"))
    assert set(errors) == {"external_id"}


def test_a_rule_code_with_spaces_is_refused_as_not_one_code(practice):
    errors = refused(practice, "payer-rules", rule_payload(codes=["95910 95911"]))
    assert set(errors) == {"codes"}


def _second_patient(client: APIClient) -> None:
    post(client, "patients", patient_payload(mrn="MRN-2", first_name="Other"))


def test_a_repost_cannot_move_an_order_to_another_patient(practice):
    _second_patient(practice)
    response = practice.post("/api/v1/orders/", order_payload(patient="MRN-2"), format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"patient"}
    assert Order.objects.get().patient.mrn == "MRN-1"


def test_a_patch_cannot_move_an_order_to_another_patient(practice):
    _second_patient(practice)
    response = practice.patch("/api/v1/orders/ORD-1/", {"patient": "MRN-2"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"patient"}
    assert Order.objects.get().patient.mrn == "MRN-1"


def test_an_appointment_moves_between_orders_of_its_patient_but_not_to_another(practice):
    _second_patient(practice)
    post(practice, "orders", order_payload(external_id="ORD-2"))
    post(practice, "orders", order_payload(external_id="ORD-3", patient="MRN-2"))
    post(practice, "appointments", appointment_payload())
    post(practice, "appointments", appointment_payload(order="ORD-2"), status=200)
    response = practice.post(
        "/api/v1/appointments/", appointment_payload(order="ORD-3"), format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"order"}
    response = practice.patch("/api/v1/appointments/APT-1/", {"order": "ORD-3"}, format="json")
    assert response.status_code == 400
    assert Appointment.objects.get().order.external_id == "ORD-2"


# Approvals and their payer


def test_an_approval_without_a_payer_takes_the_primary_coverage_payer(practice):
    post(practice, "coverages", coverage_payload())
    payload = authorization_payload()
    del payload["payer"]
    post(practice, "authorizations", payload)
    assert Authorization.objects.get().payer.code == "ACME"


# Pages of lists


def _payers(n: int) -> None:
    Payer.objects.bulk_create(Payer(code=f"P{i:04}", name=f"Payer {i}") for i in range(n))


@pytest.mark.parametrize("limit", [str(2**63), "186689", str(MAX_PAGE_SIZE + 1)])
def test_a_page_size_past_the_cap_gives_a_capped_page(api, limit):
    _payers(MAX_PAGE_SIZE + 5)
    response = api.get("/api/v1/payers/", {"limit": limit})
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == MAX_PAGE_SIZE
    assert body["count"] == MAX_PAGE_SIZE + 5


@pytest.mark.parametrize(
    ("param", "value"),
    [("offset", str(2**63)), ("limit", "-1"), ("offset", "x"), ("offset", ""), ("limit", "")],
)
def test_a_bad_offset_or_limit_is_a_400_naming_it(api, param, value):
    response = api.get("/api/v1/payers/", {param: value})
    assert response.status_code == 400
    assert set(response.json()) == {param}


# NUL characters


def test_a_nul_in_a_key_is_a_400_naming_the_key(api):
    response = api.get("/api/v1/patients/MRN%00-1/")
    assert response.status_code == 400
    assert response.json() == {"mrn": ["Cannot contain a NUL character."]}


def test_a_nul_in_a_filter_is_a_400_naming_the_filter(api):
    response = api.get("/api/v1/coverages/", {"patient": "MRN\x00"})
    assert response.status_code == 400
    assert set(response.json()) == {"patient"}


def test_a_nul_in_a_path_is_a_400(api):
    response = api.get("/api/v1/no%00where/")
    assert response.status_code == 400
    assert set(response.json()) == {"path"}


def test_a_nul_in_a_reference_of_a_body_is_a_400_naming_it(practice):
    errors = refused(practice, "coverages", coverage_payload(payer="AC\x00ME"))
    assert set(errors) == {"payer"}


# Bodies


def test_deeply_nested_json_is_a_400_in_json(practice):
    body = "[" * 100_000 + "]" * 100_000
    response = practice.post("/api/v1/patients/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_an_oversized_body_is_a_413_in_json(practice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"mrn": "' + "x" * 2000 + '"}'
    response = practice.post("/api/v1/patients/", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}


def test_an_unknown_api_url_answers_json(api):
    response = api.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db(transaction=True)
def test_a_database_outage_is_a_503_in_json(api):
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there: a real refused connection
    try:
        api.raise_request_exception = False
        response = api.get("/api/v1/payers/")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert response.status_code == 503
    assert response.json()["detail"].startswith("The database is unavailable")


def test_a_server_error_answers_json_to_a_json_client_and_html_to_a_browser(rf):
    api_error = server_error(rf.get("/api/v1/payers/"))
    assert api_error.status_code == 500
    assert json.loads(api_error.content) == {"detail": "Server error."}
    page_error = server_error(rf.get("/queue/", HTTP_ACCEPT="text/html"))
    assert page_error.status_code == 500
    assert page_error["Content-Type"].startswith("text/html")


def test_a_json_client_of_a_page_url_gets_json_errors(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_an_oversized_page_post_is_a_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/accounts/login/", {"username": "x" * 2000, "password": "y"})
    assert response.status_code == 413
