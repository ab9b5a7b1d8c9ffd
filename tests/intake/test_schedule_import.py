"""A schedule export imported: records created by natural key, bad rows reported."""

from __future__ import annotations

import pytest

from intake.models import RejectedRow
from patients.models import Appointment, Coverage, Order, Patient
from tests.intake.conftest import HEADER, csv_bytes, row

pytestmark = pytest.mark.django_db


def test_a_schedule_file_creates_its_patients_orders_coverages_and_visits(profile, import_file):
    run = import_file(profile, csv_bytes([row(n) for n in range(6)]))
    assert run.status == "done", run.error
    assert run.rows_total == 6 and run.rows_done == 6 and run.rows_rejected == 0
    assert Patient.objects.count() == 2
    assert Order.objects.count() == 4
    assert Appointment.objects.count() == 6
    assert Coverage.objects.count() == 2
    visit = Appointment.objects.get(external_id="A000004")
    assert visit.order.external_id == "O00001-2"
    assert visit.status == "booked" and visit.department == "PT East"
    assert visit.start.isoformat() == "2026-12-10T14:30:00+00:00"
    assert run.counts["appointments"] == {"created": 6, "updated": 0, "unchanged": 0}
    assert run.counts["patients"]["created"] == 2


def test_the_same_file_again_changes_nothing(profile, import_file):
    data = csv_bytes([row(n) for n in range(6)])
    import_file(profile, data)
    again = import_file(profile, data)
    assert again.total("created") == 0 and again.total("updated") == 0
    assert again.count("appointments", "unchanged") == 6
    assert Appointment.objects.count() == 6


def test_a_changed_row_updates_only_its_record(profile, import_file):
    import_file(profile, csv_bytes([row(n) for n in range(6)]))
    run = import_file(
        profile, csv_bytes([row(n) for n in range(5)] + [row(5, **{"Appt Status": "No Show"})])
    )
    assert run.count("appointments", "updated") == 1
    assert run.count("appointments", "unchanged") == 5
    assert Appointment.objects.get(external_id="A000005").status == "noshow"


def test_bad_rows_are_reported_by_row_and_column_while_their_neighbours_import(
    profile, import_file
):
    rows = [row(n) for n in range(6)]
    rows[1] = row(1, DOB="31/31/1970")
    rows[3] = row(3, **{"Ins Code": "NOPE"})
    rows[4] = row(4, Dx="M54")
    run = import_file(profile, csv_bytes(rows))
    assert run.rows_rejected == 3
    found = {r.row: (r.column, r.message) for r in RejectedRow.objects.filter(run=run)}
    assert found[3][0] == "DOB" and "not a date like 12/31/2026" in found[3][1]
    assert found[5] == ("Ins Code", "Unknown payer code 'NOPE'.")
    assert found[6][0] == "Dx" and "not a billable ICD-10-CM code" in found[6][1]
    assert RejectedRow.objects.get(run=run, row=3).raw == rows[1]
    assert Appointment.objects.count() == 3


def test_an_order_of_another_patient_is_rejected_never_moved(profile, import_file):
    import_file(profile, csv_bytes([row(0)]))
    run = import_file(profile, csv_bytes([row(0, MRN="M99999", **{"Appt ID": "A9"})]))
    (rejected,) = RejectedRow.objects.filter(run=run)
    assert rejected.column == "Order ID" and "Belongs to another patient" in rejected.message
    assert Order.objects.get(external_id="O00000-0").patient.mrn == "M00000"
    assert not Appointment.objects.filter(external_id="A9").exists()


def test_header_names_are_matched_ignoring_case_and_spacing(profile, import_file):
    header = [h.upper().replace(" ", "_") for h in HEADER]
    run = import_file(profile, csv_bytes([row(0)], header=header))
    assert run.status == "done" and Appointment.objects.count() == 1


def test_canonical_headers_need_no_mapping_and_the_models_clean_rules_apply(profile, import_file):
    header = ["mrn", "last_name", "first_name", "birth_date", "payer_code", "member_id",
              "coverage_start", "coverage_end", "order_id", "service_category", "code",
              "appointment_id", "start"]  # fmt: skip
    base = ["M1", "Doe", "Jo", "1980-02-29", "BCX", "W1", "2026-01-01", "", "O1",
            "Imaging", "72148", "A1", "2026-12-10T09:30:00-05:00"]  # fmt: skip
    ended_early = [*base[:6], "2026-06-01", "2026-05-01", "O2", *base[9:11], "A2", base[12]]
    run = import_file(profile, csv_bytes([base, ended_early], header=header))
    (rejected,) = RejectedRow.objects.filter(run=run)
    assert rejected.row == 3 and rejected.column == "coverage_end"
    assert rejected.message == "Must be on or after start (2026-06-01)."
    assert Order.objects.get().service_category == "imaging"
    assert Coverage.objects.get().end is None
