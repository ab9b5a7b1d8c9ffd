"""The payer directory and coded denial reasons through the REST API."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from payers.models import Authorization, Payer, ReviewVendor
from tests.api.conftest import authorization_payload, payer_payload, post

pytestmark = pytest.mark.django_db

DIRECTORY = {
    "phone": "(800) 555-0100",
    "fax": "+1 800.555.0101",
    "portal_url": "https://providers.acme.example/auth",
    "appeal_address": "Acme Health\nAttn: Appeals\nPO Box 4100",
    "hours": "Mon-Fri 8 am - 6 pm ET",
}


def vendor_payload(**kw: Any) -> dict[str, Any]:
    return {
        "payer": "ACME",
        "service_category": "imaging",
        "vendor": "eviCore healthcare",
        "phone": "(800) 555-0160 x12",
        "fax": "",
        "portal_url": "https://evicore.example/acme",
        **kw,
    }


def refused(client: APIClient, path: str, payload: dict[str, Any], method: str = "post") -> Any:
    before = (
        list(Payer.objects.values()),
        list(ReviewVendor.objects.values()),
        list(Authorization.objects.values()),
    )
    response = getattr(client, method)(f"/api/v1/{path}", payload, format="json")
    assert response.status_code == 400, response.content
    after = (
        list(Payer.objects.values()),
        list(ReviewVendor.objects.values()),
        list(Authorization.objects.values()),
    )
    assert after == before
    return response.json()


def test_a_payer_carries_its_directory(api):
    created = post(api, "payers", payer_payload(**DIRECTORY))
    assert {k: created[k] for k in DIRECTORY} == DIRECTORY
    changed = api.patch("/api/v1/payers/ACME/", {"hours": "24/7"}, format="json")
    assert changed.status_code == 200
    assert Payer.objects.get().hours == "24/7"
    assert Payer.objects.get().phone == "(800) 555-0100"


def test_a_bad_portal_url_or_phone_is_refused_naming_the_field(api):
    errors = refused(
        api,
        "payers/",
        payer_payload(portal_url="javascript:alert(1)", phone="call Bob", fax="1" * 40),
    )
    assert set(errors) == {"portal_url", "phone", "fax"}


def test_a_review_vendor_is_keyed_by_payer_and_service(api):
    post(api, "payers", payer_payload())
    first = post(api, "review-vendors", vendor_payload())
    again = post(api, "review-vendors", vendor_payload(vendor="Carelon"), 200)
    assert again["id"] == first["id"]
    post(api, "review-vendors", vendor_payload(service_category="physical_therapy"))
    post(api, "payers", payer_payload(code="OTHER", name="Other"))
    post(api, "review-vendors", vendor_payload(payer="OTHER"))
    listed = api.get("/api/v1/review-vendors/", {"payer": "ACME"}).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert sorted((r["service_category"], r["vendor"]) for r in rows) == [
        ("imaging", "Carelon"),
        ("physical_therapy", "eviCore healthcare"),
    ]


def test_a_review_vendor_cannot_take_a_service_the_payer_already_delegates(api):
    post(api, "payers", payer_payload())
    post(api, "review-vendors", vendor_payload())
    therapy = post(api, "review-vendors", vendor_payload(service_category="physical_therapy"))
    errors = refused(
        api, f"review-vendors/{therapy['id']}/", {"service_category": "imaging"}, "patch"
    )
    assert list(errors) == ["service_category"]


def test_a_review_vendor_with_bad_fields_is_refused_naming_each(api):
    post(api, "payers", payer_payload())
    errors = refused(
        api,
        "review-vendors/",
        vendor_payload(
            payer="NOPE", service_category="massage", vendor="", portal_url="ftp://files.example/x"
        ),
    )
    assert set(errors) == {"payer", "service_category", "vendor", "portal_url"}


def test_a_scheduler_cannot_read_review_vendors(api_as, scheduler):
    assert api_as(scheduler).get("/api/v1/review-vendors/").status_code == 403


def test_a_manager_reads_review_vendors_but_cannot_write_them(api, api_as, manager):
    post(api, "payers", payer_payload())
    client = api_as(manager)
    assert client.get("/api/v1/review-vendors/").status_code == 200
    response = client.post("/api/v1/review-vendors/", vendor_payload(), format="json")
    assert response.status_code == 403
    assert not ReviewVendor.objects.exists()


# Denial reason codes


def denial(**kw: Any) -> dict[str, Any]:
    return authorization_payload(
        status="denied", start_date=None, end_date=None, approved_visits=None, **kw
    )


def test_a_denial_is_accepted_with_a_code_and_the_free_text_still_works(practice):
    coded = post(
        practice,
        "authorizations",
        denial(auth_number="D-1", denial_reason_code="missing_information"),
    )
    assert coded["denial_reason_code"] == "missing_information"
    text_only = post(practice, "authorizations", denial(auth_number="D-2", denial_reason="No"))
    assert (text_only["denial_reason"], text_only["denial_reason_code"]) == ("No", "")
    patched = practice.patch(
        f"/api/v1/authorizations/{text_only['id']}/",
        {"denial_reason_code": "not_covered"},
        format="json",
    )
    assert patched.status_code == 200
    assert Authorization.objects.get(auth_number="D-2").denial_reason_code == "not_covered"


def test_an_unknown_denial_code_is_refused_naming_it(practice):
    errors = refused(practice, "authorizations/", denial(denial_reason_code="because"))
    assert list(errors) == ["denial_reason_code"]


def test_a_denial_code_on_an_approval_is_refused(practice):
    errors = refused(
        practice, "authorizations/", authorization_payload(denial_reason_code="not_covered")
    )
    assert list(errors) == ["denial_reason_code"]


def test_the_schema_documents_the_directory_and_the_denial_codes(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    payer = components["Payer"]["properties"]
    assert {"phone", "fax", "portal_url", "appeal_address", "hours"} <= set(payer)
    assert {"type": "string", "format": "uri", "maxLength": 300} in payer["portal_url"]["oneOf"]
    code = components["Authorization"]["properties"]["denial_reason_code"]
    enum_ref = next(part["$ref"] for part in code["oneOf"] if "$ref" in part)
    values = components[enum_ref.rsplit("/", 1)[-1]]["enum"]
    assert {"medical_necessity", "peer_to_peer_required", "other"} <= set(values)
    assert "ReviewVendor" in components
    assert "/api/v1/review-vendors/" in schema["paths"]
