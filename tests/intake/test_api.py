"""POST /api/v1/imports/ (202 and a URL to poll), the run's report, its rejected rows as
CSV, import profiles by name, and who may use them."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import roles
from intake import services
from intake.models import ImportProfile, ImportRun
from patients.models import Appointment
from tests.intake.conftest import HEADER, csv_bytes, row

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(make_user):
    return make_user("adm1", roles.ADMIN)


def _upload(client, profile, data: bytes, name: str = "export.csv"):
    return client.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile(name, data), "profile": profile.name},
        format="multipart",
    )


def test_a_manager_uploads_a_file_polls_it_and_reads_the_report(
    api_as, manager, profile, django_capture_on_commit_callbacks
):
    client = api_as(manager)
    rows = [row(0), row(1, **{"Appt ID": "=HYPERLINK(1)", "DOB": "99/99/1999"}), row(2)]
    with django_capture_on_commit_callbacks() as queued:
        answer = _upload(client, profile, csv_bytes(rows))
    assert answer.status_code == 202, answer.json()
    body = answer.json()
    assert body["status"] == "queued" and answer["Location"] == body["url"]
    assert len(queued) == 1  # handed to a worker once committed
    services.run_import(body["id"])  # what the worker does
    report = client.get(body["url"]).json()
    assert report["status"] == "done"
    assert (report["rows_total"], report["rows_done"], report["rejected"]) == (3, 3, 1)
    assert report["created"] > 0 and report["by_type"]["appointments"]["created"] == 2
    assert report["errors"] == [
        {"row": 3, "column": "DOB", "message": "'99/99/1999' is not a date like 12/31/2026."}
    ]
    assert report["created_by"] == "mgr1" and report["profile"] == "nextgen-test"
    rejected = client.get(report["rejected_csv"])
    assert rejected.status_code == 200 and rejected["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(rejected.content.decode())))
    assert lines[0] == [*HEADER, "error"]
    expected = row(1, **{"Appt ID": "'=HYPERLINK(1)", "DOB": "99/99/1999"})
    assert lines[1] == [*expected, "DOB: '99/99/1999' is not a date like 12/31/2026."]


def test_a_file_missing_a_column_is_a_400_naming_it_and_nothing_is_stored(
    api_as, admin_user, profile
):
    header = [h for h in HEADER if h != "CPT"]
    cells = [c for h, c in zip(HEADER, row(0), strict=True) if h != "CPT"]
    answer = _upload(api_as(admin_user), profile, csv_bytes([cells], header=header))
    assert answer.status_code == 400
    assert answer.json() == {"file": ["Required columns missing: CPT (code)."]}
    assert not ImportRun.objects.exists()


def test_an_unknown_profile_is_a_400(api_as, admin_user, profile):
    answer = api_as(admin_user).post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("x.csv", csv_bytes([row(0)])), "profile": "nope"},
        format="multipart",
    )
    assert answer.status_code == 400 and "profile" in answer.json()


@pytest.mark.parametrize("role", [roles.SPECIALIST, roles.SCHEDULER, roles.INTEGRATION, None])
def test_only_managers_and_admins_import(api_as, make_user, profile, role):
    client = api_as(make_user("someone", role))
    assert _upload(client, profile, csv_bytes([row(0)])).status_code == 403
    # The interface engine lists its own JSON batches (none here); the others nothing.
    listed = client.get("/api/v1/imports/")
    if role == roles.INTEGRATION:
        assert listed.status_code == 200 and listed.json()["results"] == []
    else:
        assert listed.status_code == 403
    assert client.get("/api/v1/import-profiles/").status_code == 403
    assert not ImportRun.objects.exists() and not Appointment.objects.exists()


def test_admins_list_the_imports_and_define_profiles_by_name(api_as, admin_user, profile):
    client = api_as(admin_user)
    services.start_run(
        profile, upload=SimpleUploadedFile("a.csv", csv_bytes([row(0)])), name="a.csv", by=None
    )
    listed = client.get("/api/v1/imports/").json()
    assert [r["file_name"] for r in listed["results"]] == ["a.csv"]
    payload = {
        "name": "athena",
        "kind": "schedule",
        "columns": {"mrn": "Patient MRN", "start": "Appt Start"},
        "datetime_format": "%m/%d/%Y %I:%M %p",
        "statuses": {"X": "cancelled"},
        "snapshot_days": 60,
    }
    assert client.post("/api/v1/import-profiles/", payload, format="json").status_code == 201
    changed = client.post(
        "/api/v1/import-profiles/", {**payload, "snapshot_days": 30}, format="json"
    )
    assert changed.status_code == 200
    assert ImportProfile.objects.get(name="athena").snapshot_days == 30


def test_a_profile_with_an_unknown_column_or_status_is_a_400(api_as, manager):
    answer = api_as(manager).post(
        "/api/v1/import-profiles/",
        {
            "name": "x",
            "kind": "schedule",
            "columns": {"shoe_size": "Shoe"},
            "statuses": {"Gone": "vanished"},
        },  # fmt: skip
        format="json",
    )
    assert answer.status_code == 400
    assert set(answer.json()) == {"columns", "statuses"}
