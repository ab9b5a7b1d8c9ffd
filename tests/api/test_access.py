"""Who reaches the API, and how: token or session sign-in, and the roles' permissions."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.http import HttpRequest
from rest_framework.test import APIClient

from accounts import roles
from patients.models import Patient
from tests.api.conftest import patient_payload

pytestmark = pytest.mark.django_db

RECORD_COLLECTIONS = [
    "payers",
    "payer-rules",
    "review-vendors",
    "patients",
    "coverages",
    "orders",
    "appointments",
    "authorizations",
]


def test_a_token_from_issue_token_signs_an_integration_engine_in(integration):
    out = StringIO()
    call_command("issue_token", integration.username, stdout=out, stderr=StringIO())
    key = out.getvalue().strip()  # the key alone on stdout
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/patients/").status_code == 200
    created = client.post("/api/v1/payers/", {"code": "ACME", "name": "Acme"}, format="json")
    assert created.status_code == 201


def test_a_wrong_token_is_refused_with_401(integration):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert client.get("/api/v1/patients/").status_code == 401


def test_a_browser_session_reads_and_writes_with_its_csrf_token(specialist):
    client = APIClient(enforce_csrf_checks=True)
    # The lockout backend (django-axes) needs the request that signs in.
    assert client.login(
        request=HttpRequest(), username=specialist.username, password="correct-horse-battery"
    )
    assert client.get("/api/v1/payers/").status_code == 200

    without_csrf = client.post("/api/v1/payers/", {"code": "ACME", "name": "Acme"}, format="json")
    assert without_csrf.status_code == 403

    client.get("/queue/")  # a page: sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    with_csrf = client.post(
        "/api/v1/payers/", {"code": "ACME", "name": "Acme"}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert with_csrf.status_code == 201


@pytest.mark.parametrize("collection", [*RECORD_COLLECTIONS, "work-items"])
def test_anonymous_requests_are_refused_with_401(collection):
    response = APIClient().get(f"/api/v1/{collection}/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_anonymous_auth_check_and_writes_are_refused():
    client = APIClient()
    assert client.get("/api/v1/auth-check/?order=X&date=2026-12-01").status_code == 401
    assert client.post("/api/v1/patients/", patient_payload(), format="json").status_code == 401
    assert not Patient.objects.exists()


@pytest.mark.parametrize("collection", [*RECORD_COLLECTIONS, "work-items"])
def test_a_signed_in_user_without_a_role_gets_403(api_as, outsider, collection):
    assert api_as(outsider).get(f"/api/v1/{collection}/").status_code == 403


def test_a_user_without_a_role_cannot_ask_the_auth_check(api_as, outsider):
    response = api_as(outsider).get("/api/v1/auth-check/?order=X&date=2026-12-01")
    assert response.status_code == 403


@pytest.mark.parametrize("collection", ["patients", "orders", "appointments", "authorizations"])
def test_a_scheduler_reads_what_booking_needs(api_as, scheduler, collection):
    assert api_as(scheduler).get(f"/api/v1/{collection}/").status_code == 200


@pytest.mark.parametrize("collection", ["payers", "payer-rules", "coverages", "work-items"])
def test_a_scheduler_does_not_read_the_rest(api_as, scheduler, collection):
    assert api_as(scheduler).get(f"/api/v1/{collection}/").status_code == 403


def test_a_scheduler_cannot_post_or_patch_records(api_as, scheduler, api):
    client = api_as(scheduler)
    assert client.post("/api/v1/patients/", patient_payload(), format="json").status_code == 403
    assert not Patient.objects.exists()

    api.post("/api/v1/patients/", patient_payload(), format="json")
    response = client.patch("/api/v1/patients/MRN-1/", {"phone": "555-0199"}, format="json")
    assert response.status_code == 403
    assert Patient.objects.get().phone == ""


def test_a_manager_reads_everything_and_writes_nothing(api_as, manager):
    client = api_as(manager)
    for collection in [*RECORD_COLLECTIONS, "work-items"]:
        assert client.get(f"/api/v1/{collection}/").status_code == 200, collection
    assert client.post("/api/v1/patients/", patient_payload(), format="json").status_code == 403


def test_the_integration_role_writes_records_and_reads_work_items(api):
    assert api.post("/api/v1/patients/", patient_payload(), format="json").status_code == 201
    assert api.get("/api/v1/work-items/").status_code == 200


def test_put_and_delete_are_not_offered(api, api_as, make_user):
    api.post("/api/v1/patients/", patient_payload(), format="json")
    assert api.put("/api/v1/patients/MRN-1/", patient_payload(), format="json").status_code == 405
    # An administrator holds the delete permission, and still finds no DELETE.
    admin = api_as(make_user("admin1", roles.ADMIN))
    assert admin.delete("/api/v1/patients/MRN-1/").status_code == 405
    assert Patient.objects.filter(mrn="MRN-1").exists()


def test_the_api_root_lists_the_collections_to_signed_in_users_only(api):
    listing = api.get("/api/v1/").json()
    assert set(listing) == {
        *RECORD_COLLECTIONS,
        "work-items",
        "import-profiles",
        "imports",
        "hl7-messages",
        "x12",
    }
    assert listing["patients"] == "http://testserver/api/v1/patients/"
    assert APIClient().get("/api/v1/").status_code == 401
