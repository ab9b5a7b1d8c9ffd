"""POST /fhir/: batch and transaction bundles through the REST API's rules (R9)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from rest_framework.test import APIClient

from accounts.tokens import issue_token
from authq.lib.clock import today
from patients.models import AccessAction, AccessEvent, Appointment, Coverage, Order, Patient
from tests import factories as f
from tests.fhirapi import bundles as b
from worklists.models import WorkItem

pytestmark = pytest.mark.django_db

FHIR_JSON = "application/fhir+json"


def post(client: APIClient, body: Any) -> Any:
    return client.post("/fhir/", json.dumps(body), content_type=FHIR_JSON)


def full_practice() -> list[tuple[str | None, dict[str, Any]]]:
    """Patient, coverage, order and visit, linked by urn:uuid full URLs."""
    return [
        ("urn:uuid:p1", b.patient()),
        ("urn:uuid:c1", b.coverage("urn:uuid:p1")),
        ("urn:uuid:s1", b.service_request("urn:uuid:p1")),
        ("urn:uuid:a1", b.appointment("urn:uuid:s1")),
    ]


@pytest.fixture
def acme() -> None:
    f.rule(f.payer("ACME"), service_category="physical_therapy")


def answers(response: Any) -> list[dict[str, Any]]:
    """The response Bundle, read back with the library's model: each entry's response."""
    assert response["Content-Type"].startswith(FHIR_JSON)
    parsed = Bundle.model_validate(response.json())
    return [e.response.model_dump(mode="json", exclude_none=True) for e in parsed.entry]


def issues(answer: dict[str, Any]) -> list[tuple[str, str]]:
    outcome = OperationOutcome.model_validate(answer["outcome"])
    return [(i.expression[0], i.diagnostics) for i in outcome.issue]


def test_a_batch_writes_every_record_through_the_api_rules(api: APIClient, acme: None) -> None:
    response = post(api, b.bundle("batch", *full_practice()))

    assert response.status_code == 200
    assert response.json()["type"] == "batch-response"
    got = answers(response)
    assert [a["status"] for a in got] == ["201 Created"] * 4
    coverage = Coverage.objects.get()
    assert [a["location"] for a in got] == [
        "Patient/MRN-F1",
        f"Coverage/{coverage.pk}",
        "ServiceRequest/ORD-F1",
        "Appointment/APT-F1",
    ]
    patient = Patient.objects.get(mrn="MRN-F1")
    assert (patient.first_name, patient.last_name, str(patient.birth_date)) == (
        "Pat",
        "Example",
        "1970-05-01",
    )
    assert (coverage.patient, coverage.payer.code, coverage.member_id, coverage.plan) == (
        patient,
        "ACME",
        "M-77",
        "SILVER",
    )
    order = Order.objects.get(external_id="ORD-F1")
    assert (order.patient, order.code, order.diagnosis_codes, order.visits_ordered) == (
        patient,
        "97110",
        ["M54.50"],
        12,
    )
    visit = Appointment.objects.get(external_id="APT-F1")
    assert (visit.order, visit.status, visit.department) == (order, "booked", "PT East")


@pytest.mark.fault
def test_r9_bad_and_dangling_entries_are_reported_by_path_and_good_ones_imported(
    api: APIClient, acme: None
) -> None:
    entries = [
        *full_practice(),
        # 4: a visit whose start is not a date-time (the library's model refuses it)
        (None, b.appointment("ServiceRequest/ORD-F1", "APT-BAD", start="next tuesday")),
        # 5: an order for a patient neither in the bundle nor in authq
        (None, b.service_request("Patient/MRN-NOWHERE", "ORD-DANGLING")),
        # 6: a coverage for a bundle entry that is not there
        (None, b.coverage("urn:uuid:missing")),
        # 7: an ICD-10-CM code that does not exist (the API's validation)
        (
            None,
            b.service_request(
                "urn:uuid:p1",
                "ORD-BADDX",
                reasonCode=[
                    {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "Q99.999"}]}
                ],
            ),
        ),
        # 8: a second good visit
        (None, b.appointment("ServiceRequest/ORD-F1", "APT-F2", start="2026-12-10T10:00:00-05:00")),
    ]

    response = post(api, b.bundle("batch", *entries))

    assert response.status_code == 200
    got = answers(response)
    assert len(got) == len(entries)
    assert [a["status"][:3] for a in got] == ["201"] * 4 + ["400", "404", "404", "400", "201"]
    assert issues(got[4]) == [
        ("Bundle.entry[4].resource.start", "Instant value string does not match spec regex.")
    ]
    assert issues(got[5]) == [
        (
            "Bundle.entry[5].resource.subject",
            "Patient/MRN-NOWHERE is neither in this bundle nor in authq.",
        )
    ]
    assert issues(got[6]) == [
        (
            "Bundle.entry[6].resource.beneficiary.reference",
            "urn:uuid:missing is no entry's fullUrl in this bundle.",
        )
    ]
    ((path, message),) = issues(got[7])
    assert path == "Bundle.entry[7].resource.reasonCode"
    assert "'Q99.999' is not a billable ICD-10-CM code" in message
    assert set(Appointment.objects.values_list("external_id", flat=True)) == {"APT-F1", "APT-F2"}
    assert set(Order.objects.values_list("external_id", flat=True)) == {"ORD-F1"}
    assert Coverage.objects.count() == 1


def test_an_entry_that_depends_on_a_refused_one_is_refused_with_it(
    api: APIClient, acme: None
) -> None:
    response = post(
        api,
        b.bundle(
            "batch",
            ("urn:uuid:p1", b.patient(birthDate="2999-01-01")),
            ("urn:uuid:s1", b.service_request("urn:uuid:p1")),
        ),
    )

    first, second = answers(response)
    ((path, message),) = issues(first)
    assert path == "Bundle.entry[0].resource.birthDate"
    assert second["status"] == "424 Failed Dependency"
    assert issues(second) == [
        ("Bundle.entry[1].resource.subject", "Refers to Bundle.entry[0], which was refused.")
    ]
    assert not Order.objects.exists()


@pytest.mark.fault
def test_a_transaction_with_one_bad_entry_is_rolled_back_whole(api: APIClient, acme: None) -> None:
    entries = [*full_practice(), (None, b.appointment("urn:uuid:s1", "APT-X", status="sleeping"))]

    response = post(api, b.bundle("transaction", *entries))

    assert response.status_code == 400
    outcome = OperationOutcome.model_validate(response.json())
    assert [i.expression[0] for i in outcome.issue] == ["Bundle.entry[4].resource.status"]
    assert not Patient.objects.exists()
    assert not Order.objects.exists()
    assert not Appointment.objects.exists()
    assert not WorkItem.objects.exists()


def test_a_good_transaction_is_applied_and_its_orders_evaluated_once(
    api: APIClient, acme: None, django_capture_on_commit_callbacks: Any
) -> None:
    soon = (today() + dt.timedelta(days=3)).isoformat()
    entries = [
        *full_practice(),
        ("urn:uuid:s2", b.service_request("urn:uuid:p1", "ORD-F2")),
        (None, b.appointment("urn:uuid:s2", "APT-F9", start=f"{soon}T10:00:00-05:00")),
    ]
    entries[3] = (None, b.appointment("urn:uuid:s1", start=f"{soon}T09:00:00-05:00"))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(api, b.bundle("transaction", *entries))

    assert response.status_code == 200
    assert response.json()["type"] == "transaction-response"
    assert [a["status"] for a in answers(response)] == ["201 Created"] * 6
    # One re-evaluation for the bundle's two orders, not one per record written.
    assert len(callbacks) == 1
    # The visits need an authorization the orders lack: the scan's items are there at once.
    items = WorkItem.objects.order_by("order__external_id")
    assert [(i.order.external_id, i.kind) for i in items] == [
        ("ORD-F1", "missing_auth"),
        ("ORD-F2", "missing_auth"),
    ]


def stored() -> dict[str, list[dict[str, Any]]]:
    """What a person would compare: every record's values and the work items."""
    return {
        "patients": list(
            Patient.objects.values("mrn", "first_name", "last_name", "birth_date", "phone")
        ),
        "coverages": list(Coverage.objects.values("member_id", "plan", "rank", "start", "end")),
        "orders": list(
            Order.objects.values("external_id", "code", "diagnosis_codes", "visits_ordered")
        ),
        "visits": list(Appointment.objects.values("external_id", "start", "status", "department")),
        "items": list(WorkItem.objects.values("id", "kind", "status", "queue", "due_date")),
    }


def test_the_same_bundle_twice_changes_nothing(api: APIClient, acme: None) -> None:
    body = b.bundle("batch", *full_practice())
    post(api, body)
    before = stored()

    response = post(api, body)

    assert [a["status"] for a in answers(response)] == ["200 OK"] * 4
    assert stored() == before


def test_an_order_never_moves_to_another_patient(api: APIClient, acme: None) -> None:
    owner = f.patient(mrn="MRN-OWNER")
    f.order(owner, external_id="ORD-F1")
    post(api, b.bundle("batch", (None, b.patient("MRN-OTHER"))))

    response = post(api, b.bundle("batch", (None, b.service_request("Patient/MRN-OTHER"))))

    (answer,) = answers(response)
    ((path, message),) = issues(answer)
    assert path == "Bundle.entry[0].resource.subject"
    assert "another patient" in message
    assert Order.objects.get(external_id="ORD-F1").patient == owner


def test_bad_json_and_other_bodies_are_refused_with_an_operation_outcome(api: APIClient) -> None:
    bad_json = api.post("/fhir/", "{not json", content_type=FHIR_JSON)
    not_bundle = post(api, b.patient())
    searchset = post(api, {"resourceType": "Bundle", "type": "searchset"})
    as_form = api.post("/fhir/", "a=1", content_type="application/x-www-form-urlencoded")

    for response, path in (
        (bad_json, "Bundle"),
        (not_bundle, "Bundle"),
        (searchset, "Bundle.type"),
    ):
        assert response.status_code == 400
        outcome = OperationOutcome.model_validate(response.json())
        assert outcome.issue[0].expression == [path]
    assert as_form.status_code == 415


def test_unsupported_resources_and_methods_are_refused_per_entry(
    api: APIClient, acme: None
) -> None:
    body = b.bundle("batch", ("urn:uuid:p1", b.patient()))
    body["entry"].append({"resource": {"resourceType": "Observation", "status": "final"}})
    body["entry"].append(
        {
            "resource": b.patient("MRN-DEL"),
            "request": {"method": "DELETE", "url": "Patient/MRN-DEL"},
        }
    )

    got = answers(post(api, body))

    assert got[0]["status"] == "201 Created"
    assert issues(got[1])[0][0] == "Bundle.entry[1].resource.resourceType"
    assert issues(got[2])[0][0] == "Bundle.entry[2].request.method"
    assert list(Patient.objects.values_list("mrn", flat=True)) == ["MRN-F1"]


def test_dates_outside_the_window_are_refused_by_the_api_bounds(api: APIClient, acme: None) -> None:
    response = post(
        api,
        b.bundle(
            "batch",
            ("urn:uuid:p1", b.patient()),
            (None, b.coverage("urn:uuid:p1", period={"start": "1850-01-01"})),
            (None, b.service_request("urn:uuid:p1", quantityQuantity={"value": 5000})),
        ),
    )

    got = answers(response)
    assert issues(got[1]) == [
        ("Bundle.entry[1].resource.period.start", "Give a date from 1900-01-01 to 2100-12-31.")
    ]
    ((path, _message),) = issues(got[2])
    assert path == "Bundle.entry[2].resource.quantityQuantity.value"


def test_writes_need_the_api_permissions(
    api_as: Any, scheduler: User, manager: User, specialist: User, acme: None
) -> None:
    body = b.bundle("batch", ("urn:uuid:p1", b.patient()))
    anonymous = APIClient()

    assert post(anonymous, body).status_code == 401
    for user in (scheduler, manager):
        response = post(api_as(user), body)
        assert response.status_code == 403
        assert OperationOutcome.model_validate(response.json()).issue[0].code == "forbidden"
    assert not Patient.objects.exists()
    assert post(api_as(specialist), body).status_code == 200
    assert Patient.objects.filter(mrn="MRN-F1").exists()


def test_an_api_token_signs_in_and_the_writes_are_audited_with_the_person(
    integration: User, acme: None
) -> None:
    key = issue_token(integration)[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = post(client, b.bundle("batch", ("urn:uuid:p1", b.patient())))

    assert response.status_code == 200
    patient = Patient.objects.get()
    event = AccessEvent.objects.get(action=AccessAction.CREATE, model="patients.patient")
    assert (event.user, event.object_ids) == (integration, [patient.pk])


def test_a_bundle_of_more_than_a_thousand_entries_is_refused_whole(api: APIClient) -> None:
    body = b.bundle("batch", *[(None, b.patient(f"MRN-{n}")) for n in range(1001)])

    response = post(api, body)

    assert response.status_code == 400
    outcome = OperationOutcome.model_validate(response.json())
    assert outcome.issue[0].expression == ["Bundle.entry"]
    assert "At most 1000 entries" in outcome.issue[0].diagnostics
    assert not Patient.objects.exists()


def test_a_put_must_name_the_record_it_carries(api: APIClient) -> None:
    body = b.bundle("batch", (None, b.patient("MRN-A")), (None, b.patient("MRN-B")))
    body["entry"][0]["request"] = {"method": "PUT", "url": "Patient/MRN-A"}
    body["entry"][1]["request"] = {"method": "PUT", "url": "Patient/MRN-Z"}

    first, second = answers(post(api, body))

    assert first["status"] == "201 Created"
    assert issues(second) == [
        ("Bundle.entry[1].request.url", "Names Patient/MRN-Z, but the resource is Patient/MRN-B.")
    ]
    assert list(Patient.objects.values_list("mrn", flat=True)) == ["MRN-A"]


def test_a_visit_naming_another_patient_than_its_orders_is_refused(
    api: APIClient, acme: None
) -> None:
    post(api, b.bundle("batch", *full_practice(), (None, b.patient("MRN-OTHER"))))
    visit = b.appointment("ServiceRequest/ORD-F1", "APT-F5")
    visit["participant"].append({"actor": {"reference": "Patient/MRN-OTHER"}, "status": "accepted"})

    (answer,) = answers(post(api, b.bundle("batch", (None, visit))))

    assert issues(answer) == [
        ("Bundle.entry[0].resource.participant[1].actor", "patient: belongs to another patient.")
    ]
    assert not Appointment.objects.filter(external_id="APT-F5").exists()


@pytest.mark.django_db(transaction=True)
def test_a_committed_batch_keeps_its_good_entries_and_fills_the_queue(
    api: APIClient, acme: None
) -> None:
    """Real commits (no test transaction around the request): each good entry is kept,
    and the re-evaluation runs once the bundle's last entry is committed."""
    soon = (today() + dt.timedelta(days=3)).isoformat()
    entries = [
        *full_practice()[:3],
        (None, b.appointment("urn:uuid:s1", start=f"{soon}T09:00:00-05:00")),
        (None, b.appointment("urn:uuid:s1", "APT-BAD", status="sleeping")),
    ]

    got = answers(post(api, b.bundle("batch", *entries)))

    assert [a["status"][:3] for a in got] == ["201"] * 4 + ["400"]
    assert list(Appointment.objects.values_list("external_id", flat=True)) == ["APT-F1"]
    item = WorkItem.objects.get()
    assert (item.order.external_id, item.kind) == ("ORD-F1", "missing_auth")


def test_a_required_field_left_out_is_named_by_its_path(api: APIClient) -> None:
    order = b.service_request("Patient/MRN-F1")
    del order["category"]
    visit = b.appointment("urn:uuid:s1", "APT-F7")
    # A practitioner named by a bundle-local id: a participant, not the visit's patient.
    visit["participant"].append({"actor": {"reference": "urn:uuid:dr-1"}, "status": "accepted"})

    got = answers(
        post(
            api,
            b.bundle(
                "batch",
                (None, b.patient()),
                ("urn:uuid:s1", order),
                (None, b.service_request("Patient/MRN-F1", "ORD-F3")),
                (None, {**visit, "basedOn": [{"reference": "ServiceRequest/ORD-F3"}]}),
            ),
        )
    )

    assert issues(got[1]) == [("Bundle.entry[1].resource.category", "This field is required.")]
    assert got[2]["status"] == got[3]["status"] == "201 Created"
