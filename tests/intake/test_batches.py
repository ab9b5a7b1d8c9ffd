"""JSON batches through POST /api/v1/imports/ (interop.md section 5): records of one
resource as its POST takes them, the same import record and report as a file."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import roles
from intake.models import ImportRun
from patients.models import AccessEvent, Appointment, Patient
from tests import factories as f
from worklists.models import WorkItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(make_user):
    return make_user("admin1", roles.ADMIN)


def _start(days: int, hour: int = 10) -> str:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), timezone.get_current_timezone()).isoformat()


def _post(client: Any, body: Any, wait: bool = True) -> Any:
    url = "/api/v1/imports/" + ("?wait=1" if wait else "")
    return client.post(url, body, format="json")


def test_a_batch_of_appointments_is_applied_and_answered_with_its_report(api_as, admin_user):
    payer, patient = f.practice()
    order = f.order(patient)
    records = [
        {"external_id": f"V{n}", "order": order.external_id, "start": _start(5 + n)}
        for n in range(3)
    ]
    answer = _post(api_as(admin_user), {"resource": "appointments", "records": records})
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["status"] == "done" and body["resource"] == "appointments"
    assert body["profile"] is None
    assert body["by_type"] == {"appointments": {"created": 3, "updated": 0, "unchanged": 0}}
    assert body["rejected"] == 0 and body["errors"] == []
    assert set(Appointment.objects.values_list("external_id", "status")) == {
        ("V0", "booked"), ("V1", "booked"), ("V2", "booked"),
    }  # fmt: skip
    # The same batch again changes nothing; its order's work item came from one evaluation.
    again = _post(api_as(admin_user), {"resource": "appointments", "records": records}).json()
    assert again["by_type"] == {"appointments": {"created": 0, "updated": 0, "unchanged": 3}}
    assert WorkItem.objects.filter(order=order).count() == 1


def test_bad_records_are_reported_by_index_and_field_and_the_good_ones_applied(api_as, admin_user):
    _payer, patient = f.practice()
    order = f.order(patient)
    other_order = f.order(f.patient())
    f.visit(other_order, timezone.localdate() + dt.timedelta(days=3), external_id="TAKEN")
    records: list[Any] = [
        {"external_id": "OK1", "order": order.external_id, "start": _start(4)},
        {"external_id": "BAD1", "order": "NO-SUCH-ORDER", "start": _start(4)},
        {"external_id": "BAD2", "order": order.external_id, "start": "tomorrow-ish"},
        {"external_id": "BAD3", "order": order.external_id, "start": _start(4), "status": "x"},
        {"external_id": "BAD4", "order": order.external_id},
        "not an object",
        {"external_id": "TAKEN", "order": order.external_id, "start": _start(4)},
        {"external_id": "OK2", "order": order.external_id, "start": _start(6), "department": "PT"},
    ]
    body = _post(api_as(admin_user), {"resource": "appointments", "records": records}).json()
    errors = {e["row"]: (e["column"], e["message"]) for e in body["errors"]}
    assert sorted(errors) == [1, 2, 3, 4, 5, 6]
    assert errors[1] == ("order", "No order with external_id 'NO-SUCH-ORDER'.")
    assert errors[2][0] == "start" and "Datetime has wrong format" in errors[2][1]
    assert errors[3][0] == "status" and "not a valid choice" in errors[3][1]
    assert errors[4] == ("start", "This field is required.")
    assert errors[5] == ("", "Give the record as a JSON object.")
    assert errors[6][0] == "external_id" and "another patient" in errors[6][1]
    assert body["rejected"] == 6
    assert set(Appointment.objects.values_list("external_id", flat=True)) == {
        "OK1", "OK2", "TAKEN",
    }  # fmt: skip
    assert Appointment.objects.get(external_id="TAKEN").order == other_order
    assert Appointment.objects.get(external_id="OK2").department == "PT"
    csv_text = api_as(admin_user).get(f"/api/v1/imports/{body['id']}/rejected-rows/")
    assert b"NO-SUCH-ORDER" in csv_text.content and b"record,error" in csv_text.content


def test_a_field_left_out_of_a_record_stays_as_stored(api_as, admin_user):
    _payer, patient = f.practice()
    order = f.order(patient)
    visit = f.visit(order, timezone.localdate() + dt.timedelta(days=3), department="East")
    records = [
        {"external_id": visit.external_id, "order": order.external_id, "start": _start(8)},
        {"external_id": "NEW", "order": order.external_id, "start": _start(9), "status": "noshow",
         "department": "West"},
    ]  # fmt: skip
    body = _post(api_as(admin_user), {"resource": "appointments", "records": records}).json()
    assert body["by_type"]["appointments"] == {"created": 1, "updated": 1, "unchanged": 0}
    visit.refresh_from_db()
    assert visit.department == "East" and visit.start == dt.datetime.fromisoformat(_start(8))
    assert Appointment.objects.get(external_id="NEW").status == "noshow"


def test_other_resources_go_through_their_serializer_record_by_record(api_as, admin_user):
    patients = [
        {"mrn": "J1", "first_name": "Ann", "last_name": "Lee", "birth_date": "1980-02-03"},
        {"mrn": "J2", "first_name": "Bo", "last_name": "Kim", "birth_date": "2999-01-01"},
        {"mrn": "J3", "first_name": "Cy", "last_name": "Ng"},
    ]
    body = _post(api_as(admin_user), {"resource": "patients", "records": patients}).json()
    assert body["by_type"] == {"patients": {"created": 1, "updated": 0, "unchanged": 0}}
    errors = {e["row"]: e["column"] for e in body["errors"]}
    assert errors == {1: "birth_date", 2: "birth_date"}
    assert list(Patient.objects.values_list("mrn", flat=True)) == ["J1"]
    # The access audit names the person who sent the batch.
    assert AccessEvent.objects.filter(model="patients.patient", user=admin_user).exists()
    again = _post(api_as(admin_user), {"resource": "patients", "records": patients[:1]}).json()
    assert again["by_type"] == {"patients": {"created": 0, "updated": 0, "unchanged": 1}}


def test_orders_changed_by_a_batch_are_evaluated_once_at_its_end(api_as, admin_user):
    payer, patient = f.practice()
    order = f.order(patient)
    f.visit(order, timezone.localdate() + dt.timedelta(days=4))
    assert not WorkItem.objects.exists()
    records = [
        {"patient": patient.mrn, "payer": payer.code, "member_id": "NEW1", "rank": 2,
         "start": "2026-01-01"},
    ]  # fmt: skip
    # The coverage changes the scan's input of every order of the patient.
    body = _post(api_as(admin_user), {"resource": "coverages", "records": records}).json()
    assert body["by_type"]["coverages"]["created"] == 1, body
    from worklists.scan.apply import reevaluate_orders

    reevaluate_orders([order.pk])  # what the scan would find now
    assert WorkItem.objects.filter(order=order).exists()


def test_without_wait_the_batch_answers_202_and_the_url_to_poll(api_as, admin_user, settings):
    _payer, patient = f.practice()
    order = f.order(patient)
    records = [{"external_id": "Q1", "order": order.external_id, "start": _start(2)}]
    answer = _post(api_as(admin_user), {"resource": "appointments", "records": records}, False)
    assert answer.status_code == 202
    assert answer["Location"] == answer.json()["url"]
    assert api_as(admin_user).get(answer["Location"]).json()["status"] in {
        "queued", "running", "done",
    }  # fmt: skip


def test_a_batch_is_refused_whole_when_its_shape_is_wrong(api_as, admin_user):
    client = api_as(admin_user)
    assert _post(client, {"resource": "work-items", "records": []}).status_code == 400
    too_many = {"resource": "patients", "records": [{}] * 10_001}
    answer = _post(client, too_many)
    assert answer.status_code == 400 and "records" in answer.json()
    assert client.post("/api/v1/imports/?wait=maybe", {"resource": "patients", "records": []},
                       format="json").status_code == 400  # fmt: skip
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize("role", [roles.MANAGER, roles.SPECIALIST, roles.SCHEDULER, None])
def test_a_batch_needs_the_batch_and_the_resource_permissions(api_as, make_user, role):
    # Managers import files, specialists write one record at a time: neither sends batches.
    client = api_as(make_user("someone", role))
    answer = _post(client, {"resource": "patients", "records": [{"mrn": "X"}]})
    assert answer.status_code == 403
    assert not ImportRun.objects.exists() and not Patient.objects.exists()


@pytest.mark.parametrize("role", [roles.INTEGRATION, roles.ADMIN])
def test_the_interface_engine_and_admins_send_batches_of_the_records_they_write(
    api_as, make_user, role
):
    _payer, patient = f.practice()
    order = f.order(patient)
    client = api_as(make_user("sender", role))
    records = [{"external_id": "E1", "order": order.external_id, "start": _start(3)}]
    answer = _post(client, {"resource": "appointments", "records": records}, wait=False)
    assert answer.status_code == 202, answer.json()
    assert client.get(answer["Location"]).status_code == 200
    done = _post(client, {"resource": "appointments", "records": records})
    assert done.status_code == 200 and done.json()["rejected"] == 0
    assert Appointment.objects.filter(external_id="E1", order=order).exists()


def test_a_batch_sender_reads_its_own_runs_only(api_as, make_user, integration, profile):
    other = make_user("engine2", roles.INTEGRATION)
    mine = _post(api_as(integration), {"resource": "patients", "records": []}, wait=False)
    theirs = _post(api_as(other), {"resource": "patients", "records": []}, wait=False)
    client = api_as(integration)
    listed = client.get("/api/v1/imports/").json()["results"]
    assert [r["id"] for r in listed] == [mine.json()["id"]]
    assert client.get(theirs["Location"]).status_code == 404
    assert client.get(theirs["Location"] + "rejected-rows/").status_code == 404
    # A file is not a batch: the engine imports no files, nor sees the profiles.
    upload = client.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("x.csv", b"mrn\n1\n"), "profile": profile.name},
        format="multipart",
    )
    assert upload.status_code == 403
    assert client.get("/api/v1/import-profiles/").status_code == 403
    assert ImportRun.objects.count() == 2


def test_the_schema_describes_json_batches(api_as, admin_user):
    schema = (
        api_as(admin_user)
        .get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        .json()
    )
    post = schema["paths"]["/api/v1/imports/"]["post"]
    body = post["requestBody"]["content"]
    assert set(body) >= {"multipart/form-data", "application/json"}
    batch = schema["components"]["schemas"][
        body["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    ]
    assert batch["properties"]["records"]["maxItems"] == 10_000
    assert "appointments" in str(batch["properties"]["resource"])
    assert {"200", "202"} <= set(post["responses"])
    assert any(p["name"] == "wait" for p in post["parameters"])
