"""manage.py import_file, and the demo's NextGen profile importing the shipped sample."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts import roles
from intake.models import ImportProfile, ImportRun, RejectedRow
from patients.models import Appointment, Patient
from tests.intake.conftest import csv_bytes, row

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "intake" / "samples" / "nextgen-schedule-export.csv"


def test_the_command_imports_a_file_with_a_progress_bar_and_a_report(profile, manager, tmp_path):
    path = tmp_path / "monday.csv"
    path.write_bytes(csv_bytes([row(n) for n in range(6)] + [row(6, DOB="nope")]))
    out, err = StringIO(), StringIO()
    call_command(
        "import_file", str(path), "--profile", profile.name, "--user", manager.username,
        stdout=out, stderr=err,
    )  # fmt: skip
    run = ImportRun.objects.get()
    assert run.created_by == manager and run.status == "done"
    assert "[##############################] 7/7 rows" in err.getvalue()
    report = out.getvalue()
    assert "appointments: 6 created, 0 updated, 0 unchanged" in report
    assert "rejected rows: 1" in report


def test_the_command_refuses_an_unknown_profile_or_a_bad_file(profile, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="No profile 'athena' \\(profiles: nextgen-test\\)"):
        call_command("import_file", str(path), "--profile", "athena")
    with pytest.raises(CommandError, match="empty.csv refused: The file is empty."):
        call_command("import_file", str(path), "--profile", profile.name)
    assert not ImportRun.objects.exists()


def test_the_demo_ships_a_nextgen_profile_that_imports_the_sample_export():
    roles.ensure_roles()
    out = StringIO()
    call_command("seed_demo", "--patients", "5", "--seed", "3", stdout=out)
    assert "Import profiles for the Imports page: nextgen, auth-log." in out.getvalue()
    assert ImportProfile.objects.get(name="hl7").payers["1001"] == "JUNIPER"
    profile = ImportProfile.objects.get(name="nextgen")
    before = Patient.objects.count()
    call_command("import_file", str(SAMPLE), "--profile", "nextgen", stdout=StringIO(),
                 stderr=StringIO())  # fmt: skip
    run = ImportRun.objects.get(profile=profile)
    assert run.rows_total == 30 and run.rows_rejected == 2
    assert Patient.objects.count() == before + 10
    assert Appointment.objects.filter(external_id__startswith="NGA-").count() == 28
    errors = dict(RejectedRow.objects.filter(run=run).values_list("column", "message"))
    assert errors["Primary Payer ID"] == "Unknown payer code '9999'."
    assert "not a date like 12/31/2026" in errors["Date Of Birth"]
