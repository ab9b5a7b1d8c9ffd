"""The OpenAPI schema: generated without warnings, served to signed-in users only."""

from __future__ import annotations

import re
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
    "import-profiles": "name",
}
# File imports: a multipart upload, the run to poll, its rejected rows as CSV.
IMPORT_PATHS = {"/api/v1/imports/", "/api/v1/imports/{id}/", "/api/v1/imports/{id}/rejected-rows/"}
# X12 interchanges: a multipart upload and the interchange to poll.
X12_PATHS = {"/api/v1/x12/", "/api/v1/x12/{id}/"}
# The HL7 feed's stored messages (read only).
HL7_PATHS = {"/api/v1/hl7-messages/", "/api/v1/hl7-messages/{id}/"}


def _schema(client: APIClient) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_a_signed_in_user_gets_an_openapi_3_document_with_every_path(api):
    schema = _schema(api)
    assert schema["openapi"].startswith("3.")
    expected = {"/api/v1/auth-check/", "/api/v1/work-items/", "/api/v1/work-items/{id}/"}
    expected |= IMPORT_PATHS | X12_PATHS | HL7_PATHS
    for collection, key in RECORDS.items():
        expected |= {f"/api/v1/{collection}/", f"/api/v1/{collection}/{{{key}}}/"}
    assert set(schema["paths"]) == expected


def test_the_schema_offers_post_and_patch_but_no_put_or_delete(api):
    paths = _schema(api)["paths"]
    for collection, key in RECORDS.items():
        assert set(paths[f"/api/v1/{collection}/"]) == {"get", "post"}
        assert set(paths[f"/api/v1/{collection}/{{{key}}}/"]) == {"get", "patch"}
        responses = paths[f"/api/v1/{collection}/"]["post"]["responses"]
        assert {code for code in responses if code.startswith("2")} == {"200", "201"}
    assert set(paths["/api/v1/work-items/"]) == {"get"}
    assert set(paths["/api/v1/hl7-messages/"]) == {"get"}
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


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_request_bodies_are_json_only_but_the_file_upload(api):
    schema = _schema(api)
    bodies = {
        (path, method): op["requestBody"]
        for path, method, op in _operations(schema)
        if "requestBody" in op
    }
    # Imports take a file (multipart) or a JSON batch of records; X12 a file.
    upload = bodies.pop(("/api/v1/imports/", "post"))
    assert set(upload["content"]) == {"multipart/form-data", "application/json"}
    upload = bodies.pop(("/api/v1/x12/", "post"))
    assert set(upload["content"]) == {"multipart/form-data"}
    assert len(bodies) == 2 * len(RECORDS)
    for body in bodies.values():
        assert set(body["content"]) == {"application/json"}


def test_a_form_or_multipart_body_is_refused_with_415_and_nothing_saved(api):
    for content_type in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        response = api.generic(
            "POST", "/api/v1/payers/", "code=ACME&name=Acme", content_type=content_type
        )
        assert response.status_code == 415
        assert "detail" in response.json()
    assert api.get("/api/v1/payers/").json()["count"] == 0


def test_every_operation_documents_its_error_answers(api):
    schema = _schema(api)
    components = schema["components"]["schemas"]
    assert components["Error"]["required"] == ["detail"]
    assert "non_field_errors" in components["ValidationError"]["properties"]
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        expected = {"401", "403", "429"}
        if operation.get("parameters") or "requestBody" in operation:
            expected.add("400")
        if "{" in path:
            expected.add("404")
        if method in ("post", "patch"):
            expected |= {"400", "409", "413", "415"}
        assert {c for c in responses if c >= "400"} == expected, (method, path)
        for code in expected:
            ref = responses[code]["content"]["application/json"]["schema"]["$ref"]
            name = "ValidationError" if code == "400" else "Error"
            assert ref == f"#/components/schemas/{name}"
        assert "Retry-After" in responses["429"]["headers"]


def test_a_patch_body_leaves_out_the_keys_it_cannot_change(api):
    components = _schema(api)["components"]["schemas"]
    assert "code" not in components["PatchedPayerRequest"]["properties"]
    assert "mrn" not in components["PatchedPatientRequest"]["properties"]
    assert "external_id" not in components["PatchedOrderRequest"]["properties"]
    assert "patient" not in components["PatchedCoverageRequest"]["properties"]
    assert "code" in components["PayerRequest"]["properties"]


def test_read_only_fields_are_read_only_and_absent_from_request_bodies(api):
    components = _schema(api)["components"]["schemas"]
    work_item = components["WorkItem"]["properties"]
    assert all(field.get("readOnly") for field in work_item.values())
    assert components["Authorization"]["properties"]["id"]["readOnly"]
    assert components["Authorization"]["properties"]["created_by"]["readOnly"]
    for name, component in components.items():
        if name.endswith("Request"):
            assert not any(f.get("readOnly") for f in component["properties"].values()), name
    assert "id" not in components["AuthorizationRequest"]["properties"]


def test_fields_that_can_be_null_are_nullable(api):
    components = _schema(api)["components"]["schemas"]
    work_item = components["WorkItem"]["properties"]
    assert work_item["assignee"]["nullable"] and work_item["resolved_at"]["nullable"]
    assert not work_item["due_date"].get("nullable")
    check = components["AuthCheck"]["properties"]
    for field in ("authorization", "visits_left", "auth_end_date", "displaces"):
        assert check[field]["nullable"], field
    assert components["Coverage"]["properties"]["end"]["nullable"]
    assert not components["Payer"]["properties"]["code"].get("nullable")


def test_page_parameters_state_their_bounds(api):
    parameters = _schema(api)["paths"]["/api/v1/payers/"]["get"]["parameters"]
    by_name = {p["name"]: p["schema"] for p in parameters}
    assert by_name["limit"]["minimum"] == 1
    assert by_name["offset"] == {"type": "integer", "minimum": 0, "maximum": 1_000_000}


def test_component_descriptions_speak_to_integrators_not_to_our_code(api):
    components = _schema(api)["components"]["schemas"]
    for name, component in components.items():
        assert "Subclasses give" not in component.get("description", ""), name
    assert "keyed by mrn" in components["Patient"]["description"]


@pytest.mark.parametrize(
    "key",
    ["ACME", "A B", "M54.50", "...", " A", "\tA\n", "A/B", "A\\B", "A\x01B", " .. ", "  ", ""],
)
def test_the_key_pattern_in_the_schema_agrees_with_the_server(api, key):
    components = _schema(api)["components"]["schemas"]
    pattern = components["PayerRequest"]["properties"]["code"]["pattern"]
    for component, field in (("PatientRequest", "mrn"), ("OrderRequest", "external_id")):
        assert components[component]["properties"][field]["pattern"] == pattern
    response = api.post("/api/v1/payers/", {"code": key, "name": "Payer"}, format="json")
    assert response.status_code in (200, 201, 400)
    assert (re.fullmatch(pattern, key) is not None) == (response.status_code != 400), (
        response.content
    )


def test_the_auth_check_order_may_not_be_blank_in_the_schema(api):
    parameters = _schema(api)["paths"]["/api/v1/auth-check/"]["get"]["parameters"]
    order = next(p for p in parameters if p["name"] == "order")
    assert order["schema"]["minLength"] == 1
