"""FHIR resources an interface engine would send (R4 JSON), built by hand as a client
writes them."""

from __future__ import annotations

from typing import Any

V2 = "http://terminology.hl7.org/CodeSystem/v2-0203"
PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"


def ident(kind: str, value: str) -> list[dict[str, Any]]:
    return [{"type": {"coding": [{"system": V2, "code": kind}]}, "value": value}]


def patient(mrn: str = "MRN-F1", **kw: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": ident("MR", mrn),
        "name": [{"use": "official", "family": "Example", "given": ["Pat"]}],
        "birthDate": "1970-05-01",
        "telecom": [{"system": "phone", "value": "555-0100"}],
        **kw,
    }


def coverage(patient_ref: str, payer: str = "ACME", **kw: Any) -> dict[str, Any]:
    return {
        "resourceType": "Coverage",
        "status": "active",
        "beneficiary": {"reference": patient_ref},
        "payor": [{"reference": f"Organization/{payer}"}],
        "subscriberId": "M-77",
        "order": 1,
        "period": {"start": "2025-06-01"},
        "class": [{"type": {"coding": [{"code": "plan"}]}, "value": "SILVER"}],
        **kw,
    }


def service_request(patient_ref: str, order_id: str = "ORD-F1", **kw: Any) -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest",
        "identifier": ident("PLAC", order_id),
        "status": "active",
        "intent": "order",
        "subject": {"reference": patient_ref},
        "category": [{"coding": [{"code": "physical_therapy"}]}],
        "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "97110"}]},
        "reasonCode": [
            {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M54.50"}]}
        ],
        "priority": "routine",
        "quantityQuantity": {"value": 12},
        "requester": {"display": "Dr. Demo"},
        "authoredOn": "2026-10-04T09:00:00-05:00",
        **kw,
    }


def appointment(order_ref: str, appt_id: str = "APT-F1", **kw: Any) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "identifier": ident("FILL", appt_id),
        "status": "booked",
        "basedOn": [{"reference": order_ref}],
        "start": "2026-12-03T10:00:00-05:00",
        "end": "2026-12-03T11:00:00-05:00",
        "participant": [
            {"actor": {"reference": "Location/pt-east", "display": "PT East"}, "status": "accepted"}
        ],
        **kw,
    }


def claim_response(auth_id: int, patient_ref: str, code: str = "A1", **kw: Any) -> dict[str, Any]:
    action: dict[str, Any] = {
        "url": PAS + "extension-reviewAction",
        "extension": [
            {
                "url": PAS + "extension-reviewActionCode",
                "valueCodeableConcept": {
                    "coding": [{"system": "https://codesystem.x12.org/005010/306", "code": code}]
                },
            }
        ],
    }
    if "reason" in kw:
        action["extension"].append(
            {"url": "reasonCode", "valueCodeableConcept": {"coding": [{"code": kw.pop("reason")}]}}
        )
    visits = kw.pop("visits", 10)
    return {
        "resourceType": "ClaimResponse",
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
        "patient": {"reference": patient_ref},
        "created": "2026-11-25T12:00:00-05:00",
        "insurer": {"reference": "Organization/ACME"},
        "request": {"reference": f"Claim/{auth_id}"},
        "outcome": "complete",
        "preAuthRef": "PA-991",
        "preAuthPeriod": {"start": "2026-12-01", "end": "2027-02-28"},
        "item": [
            {
                "itemSequence": 1,
                "extension": [
                    {
                        "url": PAS + "extension-itemAuthorizedDetail",
                        "extension": [{"url": "quantity", "valueQuantity": {"value": visits}}],
                    }
                ],
                "adjudication": [
                    {"category": {"coding": [{"code": "submitted"}]}, "extension": [action]}
                ],
            }
        ],
        **kw,
    }


def bundle(kind: str, *entries: tuple[str | None, dict[str, Any]]) -> dict[str, Any]:
    """A batch or transaction; each entry (fullUrl or None, resource), POSTed."""
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {
                **({"fullUrl": url} if url else {}),
                "resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"]},
            }
            for url, resource in entries
        ],
    }
