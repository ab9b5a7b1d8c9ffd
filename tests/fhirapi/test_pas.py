"""GET /fhir/Claim/<id> (a Da Vinci PAS request Bundle), GET /fhir/metadata, and the
payer's answer as a PAS ClaimResponse."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.claim import Claim
from fhir.resources.R4B.coverage import Coverage as FhirCoverage
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.servicerequest import ServiceRequest
from rest_framework.test import APIClient

from authq.lib.clock import today
from patients.models import AccessAction, AccessEvent
from payers.models import Authorization
from tests import factories as f
from tests.fhirapi import bundles as b
from worklists.models import EventKind, WorkItem, WorkItemEvent
from worklists.scan.apply import reevaluate_order

pytestmark = pytest.mark.django_db

FHIR_JSON = "application/fhir+json"


@pytest.fixture
def request_sent() -> Authorization:
    """A submitted request for 12 visits of physical therapy, with two diagnoses."""
    acme = f.payer("ACME", name="Acme Health")
    patient = f.patient(mrn="MRN-PAS", first_name="Ada", last_name="Lovelace")
    f.coverage(patient, acme, member_id="M-123", plan="GOLD", start=f.d("2025-01-01"))
    order = f.order(
        patient,
        external_id="ORD-PAS",
        code="97110",
        diagnosis_codes=["M54.50", "M25.561"],
        ordering_provider="Dr. Grace Hopper",
        visits_ordered=12,
    )
    return f.auth(
        order,
        "submitted",
        payer=acme,
        requested_visits=12,
        requested_start_date=f.d("2026-12-01"),
        requested_end_date=f.d("2027-02-28"),
        expedited=True,
    )


def by_type(bundle: Bundle) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for entry in bundle.entry:
        found.setdefault(entry.resource.get_resource_type(), []).append(entry.resource)
    return found


def test_the_claim_is_a_pas_request_bundle_the_library_reads_back(
    api_as: Any, specialist: User, request_sent: Authorization
) -> None:
    response = api_as(specialist).get(f"/fhir/Claim/{request_sent.pk}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)
    bundle = Bundle.model_validate(response.json())
    assert bundle.type == "collection"
    assert bundle.entry[0].resource.get_resource_type() == "Claim"
    found = by_type(bundle)
    (claim,) = found["Claim"]
    assert isinstance(claim, Claim)
    assert (claim.use, claim.id, claim.status) == (
        "preauthorization",
        str(request_sent.pk),
        "active",
    )
    assert claim.priority.coding[0].code == "stat"
    assert claim.patient.reference == "Patient/MRN-PAS"
    assert claim.insurer.reference == "Organization/ACME"
    assert claim.referral.reference == "ServiceRequest/ORD-PAS"
    assert [d.diagnosisCodeableConcept.coding[0].code for d in claim.diagnosis] == [
        "M54.50",
        "M25.561",
    ]
    (item,) = claim.item
    assert (item.productOrService.coding[0].code, item.quantity.value) == ("97110", 12)
    assert (str(item.servicedPeriod.start), str(item.servicedPeriod.end)) == (
        "2026-12-01",
        "2027-02-28",
    )
    (patient,) = found["Patient"]
    assert isinstance(patient, FhirPatient)
    assert (patient.identifier[0].value, patient.name[0].family) == ("MRN-PAS", "Lovelace")
    (coverage,) = found["Coverage"]
    assert isinstance(coverage, FhirCoverage)
    assert (coverage.subscriberId, coverage.class_fhir[0].value) == ("M-123", "GOLD")
    assert claim.insurance[0].coverage.reference == f"Coverage/{coverage.id}"
    assert claim.insurance[0].focal is True
    (service,) = found["ServiceRequest"]
    assert isinstance(service, ServiceRequest)
    assert service.identifier[0].value == "ORD-PAS"
    (practitioner,) = found["Practitioner"]
    assert isinstance(practitioner, Practitioner)
    assert practitioner.name[0].text == "Dr. Grace Hopper"
    assert service.requester.reference == f"Practitioner/{practitioner.id}"
    # Every reference of the Claim names an entry of the bundle.
    urls = {e.fullUrl.rsplit("/", 2)[-2] + "/" + e.fullUrl.rsplit("/", 1)[-1] for e in bundle.entry}
    for ref in (claim.patient, claim.insurer, claim.provider, claim.referral):
        assert ref.reference in urls


def test_reading_a_claim_is_in_the_access_audit(
    api_as: Any, specialist: User, request_sent: Authorization
) -> None:
    api_as(specialist).get(f"/fhir/Claim/{request_sent.pk}")

    seen = {
        e.model: e.object_ids
        for e in AccessEvent.objects.filter(user=specialist, action=AccessAction.VIEW)
    }
    assert seen["payers.authorization"] == [request_sent.pk]
    assert seen["patients.patient"] == [request_sent.order.patient_id]
    assert seen["patients.order"] == [request_sent.order_id]


def test_claims_need_the_specialists_permissions(
    api_as: Any, scheduler: User, manager: User, request_sent: Authorization
) -> None:
    url = f"/fhir/Claim/{request_sent.pk}"

    assert APIClient().get(url).status_code == 401
    refused = api_as(scheduler).get(url)
    assert refused.status_code == 403
    assert OperationOutcome.model_validate(refused.json()).issue[0].code == "forbidden"
    assert api_as(manager).get(url).status_code == 200
    missing = api_as(manager).get("/fhir/Claim/999999")
    assert missing.status_code == 404
    assert OperationOutcome.model_validate(missing.json()).issue[0].code == "not-found"


def test_metadata_names_what_is_supported(api_as: Any, scheduler: User) -> None:
    response = api_as(scheduler).get("/fhir/metadata")

    assert response.status_code == 200
    statement = CapabilityStatement.model_validate(response.json())
    assert statement.fhirVersion == "4.0.1"
    (rest,) = statement.rest
    assert {i.code for i in rest.interaction} == {"batch", "transaction"}
    kinds = {r.type: {i.code for i in r.interaction} for r in rest.resource}
    assert kinds == {
        "Patient": {"create", "update"},
        "Coverage": {"create", "update"},
        "ServiceRequest": {"create", "update"},
        "Appointment": {"create", "update"},
        "ClaimResponse": {"create", "update"},
        "Claim": {"read"},
    }
    assert APIClient().get("/fhir/metadata").status_code == 401


def post(client: APIClient, body: Any) -> Any:
    return client.post("/fhir/", json.dumps(body), content_type=FHIR_JSON)


def test_a_claim_response_records_the_payers_approval(
    api: APIClient, request_sent: Authorization
) -> None:
    body = b.bundle("batch", (None, b.claim_response(request_sent.pk, "Patient/MRN-PAS")))

    response = post(api, body)

    (answer,) = Bundle.model_validate(response.json()).entry
    assert (answer.response.status, answer.response.location) == (
        "200 OK",
        f"Claim/{request_sent.pk}",
    )
    auth = Authorization.objects.get(pk=request_sent.pk)
    assert (auth.status, auth.determination_code, auth.auth_number) == ("approved", "A1", "PA-991")
    assert (str(auth.start_date), str(auth.end_date), auth.approved_visits) == (
        "2026-12-01",
        "2027-02-28",
        10,
    )
    decided_at = auth.decided_at

    # The same answer again changes nothing.
    again = Bundle.model_validate(post(api, body).json()).entry[0]
    assert again.response.status == "200 OK"
    assert Authorization.objects.get(pk=request_sent.pk).decided_at == decided_at


def test_a_claim_response_records_a_denial_with_its_reason(
    api: APIClient, request_sent: Authorization
) -> None:
    denial = b.claim_response(
        request_sent.pk, "Patient/MRN-PAS", "A3", reason="medical_necessity", preAuthRef=None
    )
    del denial["preAuthRef"], denial["preAuthPeriod"]

    response = post(api, b.bundle("batch", (None, denial)))

    assert Bundle.model_validate(response.json()).entry[0].response.status == "200 OK"
    auth = Authorization.objects.get(pk=request_sent.pk)
    assert (auth.status, auth.determination_code, auth.denial_reason_code) == (
        "denied",
        "A3",
        "medical_necessity",
    )


def test_a_claim_response_for_another_patient_or_an_unknown_claim_is_refused(
    api: APIClient, request_sent: Authorization
) -> None:
    f.patient(mrn="MRN-ELSE")
    body = b.bundle(
        "batch",
        (None, b.claim_response(request_sent.pk, "Patient/MRN-ELSE")),
        (None, b.claim_response(999999, "Patient/MRN-PAS")),
        (None, b.claim_response(request_sent.pk, "Patient/MRN-PAS", "ZZ")),
    )

    entries = Bundle.model_validate(post(api, body).json()).entry

    paths = [e.response.outcome.issue[0].expression[0] for e in entries]
    assert paths == [
        "Bundle.entry[0].resource.patient",
        "Bundle.entry[1].resource.request",
        "Bundle.entry[2].resource.item[0].adjudication[0].extension[0]",
    ]
    assert entries[1].response.status == "404 Not Found"
    assert Authorization.objects.get(pk=request_sent.pk).status == "submitted"


def test_an_approval_without_its_span_is_refused_as_on_the_item_page(
    api: APIClient, request_sent: Authorization
) -> None:
    answer = b.claim_response(request_sent.pk, "Patient/MRN-PAS")
    del answer["preAuthPeriod"]

    (entry,) = Bundle.model_validate(post(api, b.bundle("batch", (None, answer))).json()).entry

    assert entry.response.status == "400 Bad Request"
    paths = {i.expression[0] for i in entry.response.outcome.issue}
    assert paths & {
        "Bundle.entry[0].resource.preAuthPeriod.start",
        "Bundle.entry[0].resource.preAuthPeriod.end",
    }
    assert Authorization.objects.get(pk=request_sent.pk).status == "submitted"


def test_an_approval_closes_the_orders_item_and_is_in_its_timeline(
    api: APIClient,
    integration: User,
    request_sent: Authorization,
    django_capture_on_commit_callbacks: Any,
) -> None:
    order = request_sent.order
    f.rule(request_sent.payer, service_category="physical_therapy")
    f.visit(order, today() + dt.timedelta(days=3))
    reevaluate_order(order)
    item = WorkItem.objects.open().get(order=order)

    with django_capture_on_commit_callbacks(execute=True):
        post(api, b.bundle("batch", (None, b.claim_response(request_sent.pk, "Patient/MRN-PAS"))))

    item.refresh_from_db()
    assert item.status == "resolved"
    event = WorkItemEvent.objects.get(work_item=item, kind=EventKind.DECIDED)
    assert (event.actor, event.data["outcome"], event.data["authorization"]) == (
        integration,
        "approved",
        request_sent.pk,
    )
