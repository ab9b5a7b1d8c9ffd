"""Payloads an integration engine would send, and a tiny practice loaded through the API."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient


def payer_payload(**kw: Any) -> dict[str, Any]:
    return {"code": "ACME", "name": "Acme Health", "kind": "commercial", **kw}


def rule_payload(**kw: Any) -> dict[str, Any]:
    return {"payer": "ACME", "auth_required": True, "effective_from": "2025-01-01", **kw}


def patient_payload(**kw: Any) -> dict[str, Any]:
    return {
        "mrn": "MRN-1",
        "first_name": "Pat",
        "last_name": "Example",
        "birth_date": "1970-05-01",
        **kw,
    }


def coverage_payload(**kw: Any) -> dict[str, Any]:
    return {
        "patient": "MRN-1",
        "payer": "ACME",
        "member_id": "M-1",
        "plan": "SILVER",
        "rank": 1,
        "start": "2025-06-01",
        "end": None,
        **kw,
    }


def order_payload(**kw: Any) -> dict[str, Any]:
    return {
        "external_id": "ORD-1",
        "patient": "MRN-1",
        "service_category": "physical_therapy",
        "code": "97110",
        "diagnosis_codes": ["M54.50"],
        "priority": "routine",
        "visits_ordered": 12,
        "ordering_provider": "Dr. Demo",
        "ordered_at": "2026-10-04T09:00:00-05:00",
        **kw,
    }


def appointment_payload(**kw: Any) -> dict[str, Any]:
    return {
        "external_id": "APT-1",
        "order": "ORD-1",
        "start": "2026-12-02T10:00:00-05:00",
        "status": "booked",
        "department": "Main",
        **kw,
    }


def authorization_payload(**kw: Any) -> dict[str, Any]:
    return {
        "order": "ORD-1",
        "payer": "ACME",
        "auth_number": "A-1",
        "status": "approved",
        "start_date": "2026-11-01",
        "end_date": "2026-12-31",
        "approved_visits": 12,
        "submitted_at": "2026-10-20T09:00:00-05:00",
        "decided_at": "2026-10-25T12:00:00-05:00",
        "denial_reason": "",
        **kw,
    }


def _counts() -> dict[str, int]:
    from patients.models import Appointment, Coverage, Order, Patient
    from payers.models import Authorization, Payer, PayerRule

    models = [Payer, PayerRule, Patient, Coverage, Order, Appointment, Authorization]
    return {model.__name__: model.objects.count() for model in models}


def refused(client: APIClient, collection: str, payload: dict[str, Any]) -> dict[str, Any]:
    """POST `payload`, expect a JSON 400, check that no row was written, return the body."""
    before = _counts()
    response = client.post(f"/api/v1/{collection}/", payload, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert _counts() == before
    return response.json()


def post(client: APIClient, collection: str, payload: dict[str, Any], status: int = 201) -> Any:
    response = client.post(f"/api/v1/{collection}/", payload, format="json")
    assert response.status_code == status, response.content
    return response.json()


@pytest.fixture
def practice(api: APIClient) -> APIClient:
    """Payer ACME, patient MRN-1 and order ORD-1, posted through the API; returns the client."""
    post(api, "payers", payer_payload())
    post(api, "patients", patient_payload())
    post(api, "orders", order_payload())
    return api
