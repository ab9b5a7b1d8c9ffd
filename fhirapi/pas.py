"""What GET answers: an authorization request as a Da Vinci PAS request Bundle, and the
server's CapabilityStatement; both built with the FHIR library's R4 models."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.claim import Claim
from fhir.resources.R4B.coverage import Coverage as FhirCoverage
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.servicerequest import ServiceRequest

from authq.lib.clock import local_date
from fhirapi.reading import CATEGORY_SYSTEM, CPT, ICD10CM, PAS, SUPPORTED, V2_0203
from patients.models import Coverage, Order, Patient
from payers.models import Authorization, Payer

PAS_CLAIM = PAS + "profile-claim"
PAS_BUNDLE = PAS + "profile-pas-request-bundle"
PRACTICE_ID = "practice"


@dataclass
class Shown:
    """The records a PAS bundle shows, for the access audit."""

    authorization: Authorization
    order: Order
    patient: Patient
    coverages: list[Coverage]


def _ident(type_code: str, value: str, system: str) -> dict[str, Any]:
    return {
        "type": {"coding": [{"system": V2_0203, "code": type_code}]},
        "system": system,
        "value": value,
    }


def _span(start: dt.date | None, end: dt.date | None) -> dict[str, str] | None:
    period = {k: v.isoformat() for k, v in (("start", start), ("end", end)) if v}
    return period or None


def request_records(auth_id: int) -> Shown | None:
    auth = (
        Authorization.objects.select_related("order__patient", "payer").filter(pk=auth_id).first()
    )
    if auth is None:
        return None
    order = auth.order
    day = auth.requested_start_date or local_date(timezone.now())
    coverages = list(
        Coverage.objects.filter(patient_id=order.patient_id, start__lte=day)
        .filter(Q(end__isnull=True) | Q(end__gte=day))
        .select_related("payer")
        .order_by("rank", "id")
    )
    return Shown(auth, order, order.patient, coverages)


def pas_request_bundle(shown: Shown, base: str) -> Bundle:
    """The authorization request as PAS sends it to a payer: a collection Bundle whose
    first entry is the Claim (use = preauthorization), then what the Claim names."""
    auth, order, patient = shown.authorization, shown.order, shown.patient
    payer: Payer | None = auth.payer or next((c.payer for c in shown.coverages), None)
    resources: list[Any] = []

    fhir_patient = FhirPatient.model_validate(
        {
            "resourceType": "Patient",
            "id": patient.mrn,
            "identifier": [_ident("MR", patient.mrn, "urn:authq:mrn")],
            "name": [
                {"use": "official", "family": patient.last_name, "given": [patient.first_name]}
            ],
            "birthDate": patient.birth_date.isoformat(),
            "telecom": [
                {"system": s, "value": v}
                for s, v in (("phone", patient.phone), ("email", patient.email))
                if v
            ]
            or None,
        }
    )
    resources.append(fhir_patient)

    organizations = {
        PRACTICE_ID: Organization.model_validate(
            {
                "resourceType": "Organization",
                "id": PRACTICE_ID,
                "name": settings.AUTHQ_PRACTICE_NAME,
            }
        )
    }
    for each in [payer, *(c.payer for c in shown.coverages)]:
        if each is not None and each.code not in organizations:
            organizations[each.code] = Organization.model_validate(
                {
                    "resourceType": "Organization",
                    "id": each.code,
                    "identifier": [{"system": "urn:authq:payer", "value": each.code}],
                    "name": each.name,
                }
            )

    coverages = []
    for c in shown.coverages:
        coverages.append(
            FhirCoverage.model_validate(
                {
                    "resourceType": "Coverage",
                    "id": str(c.pk),
                    "status": "active",
                    "beneficiary": {"reference": f"Patient/{patient.mrn}"},
                    "subscriberId": c.member_id,
                    "payor": [{"reference": f"Organization/{c.payer.code}"}],
                    "order": c.rank,
                    "period": _span(c.start, c.end),
                    "class": [
                        {
                            "type": {
                                "coding": [
                                    {
                                        "system": "http://terminology.hl7.org/CodeSystem/coverage-class",
                                        "code": "plan",
                                    }
                                ]
                            },
                            "value": c.plan,
                        }
                    ]
                    if c.plan
                    else None,
                }
            )
        )

    practitioner = None
    if order.ordering_provider:
        practitioner = Practitioner.model_validate(
            {
                "resourceType": "Practitioner",
                "id": f"order-{order.pk}-provider",
                "name": [{"text": order.ordering_provider}],
            }
        )
    diagnoses = [
        {
            "sequence": n,
            "diagnosisCodeableConcept": {"coding": [{"system": ICD10CM, "code": code}]},
        }
        for n, code in enumerate(order.diagnosis_codes, start=1)
    ]
    visits = auth.requested_visits or order.visits_ordered
    service_request = ServiceRequest.model_validate(
        {
            "resourceType": "ServiceRequest",
            "id": order.external_id,
            "identifier": [_ident("PLAC", order.external_id, "urn:authq:order")],
            "status": "active",
            "intent": "order",
            "category": [
                {
                    "coding": [
                        {
                            "system": CATEGORY_SYSTEM,
                            "code": order.service_category,
                            "display": order.get_service_category_display(),
                        }
                    ]
                }
            ],
            "priority": order.priority,
            "code": {"coding": [{"system": CPT, "code": order.code}]},
            "quantityQuantity": {"value": visits} if visits else None,
            "subject": {"reference": f"Patient/{patient.mrn}"},
            "authoredOn": order.ordered_at.isoformat() if order.ordered_at else None,
            "requester": {"reference": f"Practitioner/{practitioner.id}"}
            if practitioner is not None
            else None,
            "reasonCode": [d["diagnosisCodeableConcept"] for d in diagnoses] or None,
        }
    )

    focal = next(
        (c for c in shown.coverages if payer is not None and c.payer_id == payer.pk),
        shown.coverages[0] if shown.coverages else None,
    )
    identifiers = [{"system": "urn:authq:authorization", "value": str(auth.pk)}]
    if auth.payer_reference:
        identifiers.append({"system": "urn:authq:payer-reference", "value": auth.payer_reference})
    claim = Claim.model_validate(
        {
            "resourceType": "Claim",
            "id": str(auth.pk),
            "meta": {"profile": [PAS_CLAIM]},
            "identifier": identifiers,
            "status": "active",
            "type": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/claim-type",
                        "code": "professional",
                    }
                ]
            },
            "use": "preauthorization",
            "patient": {"reference": f"Patient/{patient.mrn}"},
            "created": (auth.submitted_at or auth.created_at).isoformat(),
            "insurer": {"reference": f"Organization/{payer.code}"} if payer else None,
            "provider": {"reference": f"Organization/{PRACTICE_ID}"},
            "priority": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/processpriority",
                        "code": "stat" if auth.expedited else "normal",
                    }
                ]
            },
            "referral": {"reference": f"ServiceRequest/{order.external_id}"},
            "careTeam": [
                {"sequence": 1, "provider": {"reference": f"Practitioner/{practitioner.id}"}}
            ]
            if practitioner is not None
            else None,
            "diagnosis": diagnoses or None,
            "insurance": [
                {
                    "sequence": n,
                    "focal": c is focal,
                    "coverage": {"reference": f"Coverage/{c.pk}"},
                }
                for n, c in enumerate(shown.coverages, start=1)
            ]
            or [
                {
                    "sequence": 1,
                    "focal": True,
                    "coverage": {"display": "No coverage on file for the requested date"},
                }
            ],
            "item": [
                {
                    "sequence": 1,
                    "careTeamSequence": [1] if practitioner is not None else None,
                    "diagnosisSequence": [d["sequence"] for d in diagnoses] or None,
                    "productOrService": {"coding": [{"system": CPT, "code": order.code}]},
                    "quantity": {"value": visits} if visits else None,
                    "servicedPeriod": _span(auth.requested_start_date, auth.requested_end_date),
                }
            ],
        }
    )
    resources = [claim, *resources, *coverages, service_request]
    if practitioner is not None:
        resources.append(practitioner)
    resources.extend(organizations.values())
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "meta": {"profile": [PAS_BUNDLE]},
            "identifier": {"system": "urn:authq:authorization", "value": str(auth.pk)},
            "type": "collection",
            "timestamp": timezone.now().isoformat(),
            "entry": [
                {
                    "fullUrl": f"{base}{r.get_resource_type()}/{r.id}",
                    "resource": r.model_dump(mode="json", by_alias=True, exclude_none=True),
                }
                for r in resources
            ],
        }
    )


def capability_statement(base: str) -> CapabilityStatement:
    """What /fhir/ supports: batch and transaction bundles of the resources it writes,
    and the read of a Claim as a PAS request Bundle."""
    writes = [
        {
            "type": kind,
            "interaction": [{"code": "create"}, {"code": "update"}],
            "documentation": "Written only inside a batch or transaction Bundle POSTed to "
            "the base, upserted by natural key.",
        }
        for kind in SUPPORTED
    ]
    return CapabilityStatement.model_validate(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": timezone.now().isoformat(),
            "kind": "instance",
            "software": {"name": "authq"},
            "implementation": {"description": "authq's FHIR interface", "url": base},
            "fhirVersion": "4.0.1",
            "format": ["application/fhir+json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": "Sign in as for the REST API (Authorization: Token "
                    "<key>); each resource needs the same permissions as its API resource.",
                    "security": {
                        "service": [{"text": "API token: Authorization: Token <key>"}],
                    },
                    "interaction": [{"code": "batch"}, {"code": "transaction"}],
                    "resource": [
                        *writes,
                        {
                            "type": "Claim",
                            "supportedProfile": [PAS_CLAIM],
                            "interaction": [{"code": "read"}],
                            "documentation": "GET Claim/<authorization id> answers the "
                            "authorization request as a Da Vinci PAS request Bundle.",
                        },
                    ],
                }
            ],
        }
    )
