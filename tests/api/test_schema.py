"""The OpenAPI schema: generated without warnings, served to signed-in users only."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

RECORDS = {
    "payers": "code",
    "payer-rules": "id",
    "review-vendors": "id",
    "patients": "mrn",
    "coverages": "id",
    "orders": "external_id",
    "appointments": "external_id",
    "authorizations": "id",
}


def _schema(client: APIClient) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_a_signed_in_user_gets_an_openapi_3_document_with_every_path(api):
    schema = _schema(api)
    assert schema["openapi"].startswith("3.")
    expected = {"/api/v1/auth-check/", "/api/v1/work-items/", "/api/v1/work-items/{id}/"}
    for collection, key in RECORDS.items():
        expected |= {f"/api/v1/{collection}/", f"/api/v1/{collection}/{{{key}}}/"}
    assert set(schema["paths"]) == expected


def test_the_schema_offers_post_and_patch_but_no_put_or_delete(api):
    paths = _schema(api)["paths"]
    for collection, key in RECORDS.items():
        assert set(paths[f"/api/v1/{collection}/"]) == {"get", "post"}
        assert set(paths[f"/api/v1/{collection}/{{{key}}}/"]) == {"get", "patch"}
        assert set(paths[f"/api/v1/{collection}/"]["post"]["responses"]) == {"200", "201"}
    assert set(paths["/api/v1/work-items/"]) == {"get"}
    assert set(paths["/api/v1/auth-check/"]) == {"get"}


def test_the_schema_documents_filters_and_auth_check_parameters(api):
    paths = _schema(api)["paths"]
    work_item_params = {p["name"] for p in paths["/api/v1/work-items/"]["get"]["parameters"]}
    assert {"status", "queue", "kind", "assignee", "patient", "order"} <= work_item_params
    check = {p["name"]: p for p in paths["/api/v1/auth-check/"]["get"]["parameters"]}
    assert check["order"]["required"] and check["date"]["required"]
    assert check["date"]["schema"]["format"] == "date"


def test_date_times_are_documented_as_date_time(api):
    components = _schema(api)["components"]["schemas"]
    assert components["Appointment"]["properties"]["start"]["format"] == "date-time"


def test_the_schema_generates_valid_and_without_warnings(tmp_path: Path):
    # --fail-on-warn turns any drf-spectacular warning about our views into an error.
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/auth-check/" in target.read_text()


def test_anonymous_requests_for_the_schema_are_refused():
    assert APIClient().get("/api/schema/").status_code in (401, 403)


def test_the_browsable_schema_page_is_served_without_a_cdn(api):
    response = api.get("/api/schema/ui/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "drf_spectacular_sidecar" in page
    assert "cdn." not in page and "unpkg" not in page
