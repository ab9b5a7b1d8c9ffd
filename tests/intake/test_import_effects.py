"""What an import does beyond its rows: work items re-evaluated, the audit, snapshot
mode, the authorization log, and R8 (a large file with bad rows)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from intake.models import ImportProfile, RejectedRow, SnapshotCancellation
from patients.models import AccessEvent, Appointment, Order, Patient
from payers.models import Authorization
from tests import factories as f
from tests.intake.conftest import csv_bytes, row
from worklists.models import WorkItem

pytestmark = pytest.mark.django_db


def _day(offset: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).strftime("%m/%d/%Y")


def test_the_imported_orders_are_evaluated_once_the_import_ends(profile, import_file, payer_bcx):
    f.rule(payer_bcx)
    rows = [row(n, **{"Appt Date": _day(5)}) for n in range(4)]
    run = import_file(profile, csv_bytes(rows))
    orders = set(Order.objects.values_list("pk", flat=True))
    assert len(orders) == 3
    opened = set(WorkItem.objects.values_list("order_id", flat=True))
    assert opened == orders
    assert run.status == "done"


def test_the_access_audit_names_the_person_who_imported(profile, import_file, manager):
    import_file(profile, csv_bytes([row(0)]), by=manager)
    patient = Patient.objects.get()
    created = AccessEvent.objects.filter(model="patients.patient", action="create").get()
    assert created.user_id == manager.pk and created.patient_ids == [patient.pk]
    assert AccessEvent.objects.filter(model="patients.appointment", user=manager).exists()


def test_snapshot_mode_cancels_exactly_the_booked_visits_the_new_file_leaves_out(
    profile, import_file
):
    profile.snapshot_days = 60
    profile.save()
    soon, late = _day(9), _day(90)
    rows = [row(n, **{"Appt Date": soon}) for n in range(6)]
    rows.append(row(6, **{"Appt Date": late}))  # outside the window
    import_file(profile, csv_bytes(rows))
    # Booked through the API (no source): never cancelled by a snapshot.
    other = f.visit(
        Order.objects.get(external_id="O00000-0"), timezone.localdate() + dt.timedelta(days=9)
    )
    second = [rows[0], rows[1], rows[2], row(3, DOB="not a date", **{"Appt Date": soon})]
    run = import_file(profile, csv_bytes(second), name="tuesday.csv")
    statuses = dict(Appointment.objects.values_list("external_id", "status"))
    # Rows 4 and 5 left the export: cancelled; row 3 is at fault, not gone.
    assert statuses["A000004"] == statuses["A000005"] == "cancelled"
    assert [statuses[f"A00000{n}"] for n in range(4)] == ["booked"] * 4
    assert statuses["A000006"] == "booked" and statuses[other.external_id] == "booked"
    assert run.snapshot_cancelled == 2
    dropped = SnapshotCancellation.objects.filter(run=run)
    assert {c.appointment.external_id for c in dropped} == {"A000004", "A000005"}
    assert str(dropped.first()) == "absent from the snapshot of tuesday.csv"
    assert Appointment.objects.count() == 8  # nothing deleted


def test_r8_ten_thousand_rows_with_five_percent_bad(profile, import_file):
    rnd = random.Random(8)
    bad_kinds = [
        ("DOB", "13/45/1970", "not a date"),
        ("Ins Code", "ZZZ", "Unknown payer code"),
        ("Dx", "M54", "billable ICD-10-CM"),
        ("Category", "yoga", "is not a valid choice"),
        ("Appt Status", "Maybe", "is not a status word"),
        ("Appt Date", "12/10/2201", "Give a date from"),
        ("MRN", "", "cannot be blank"),
    ]
    bad_rows = set(rnd.sample(range(10_000), 500))
    rows, expected = [], {}
    for n in range(10_000):
        if n in bad_rows:
            column, value, message = bad_kinds[n % len(bad_kinds)]
            # A patient and order of its own, so no good row shares a record with it.
            cells = row(n, **{"MRN": f"X{n}", "Order ID": f"XO{n}", column: value})
            expected[n + 2] = (column, message)
        else:
            cells = row(n)
        rows.append(cells)
    data = csv_bytes(rows)
    run = import_file(profile, data)
    assert run.rows_total == 10_000 and run.rows_done == 10_000
    assert run.rows_rejected == 500
    assert Appointment.objects.count() == 9_500
    # A patient whose rows straddle two chunks is counted once.
    assert run.counts["patients"] == {
        "created": Patient.objects.count(), "updated": 0, "unchanged": 0
    }  # fmt: skip
    rejected = {r.row: r for r in RejectedRow.objects.filter(run=run)}
    assert set(rejected) == set(expected)
    for number, (column, message) in expected.items():
        assert rejected[number].column == column
        assert message in rejected[number].message, rejected[number].message
        assert rejected[number].raw == rows[number - 2]
    again = import_file(profile, data)
    assert again.total("created") == 0 and again.total("updated") == 0
    assert again.rows_rejected == 500
    assert Appointment.objects.count() == 9_500


@pytest.fixture
def auth_profile(db: None) -> ImportProfile:
    return ImportProfile.objects.create(
        name="auth-log",
        kind="authorizations",
        columns={
            "order_id": "Order #",
            "auth_number": "Auth #",
            "status": "Status",
            "start_date": "From",
            "end_date": "To",
            "approved_visits": "Visits",
            "decided_at": "Decided",
            "code": "CPT",
        },
        statuses={"Approved": "approved", "Denied": "denied", "Pending": "submitted"},
    )


AUTH_HEADER = ["Order #", "MRN", "CPT", "Auth #", "Status", "From", "To", "Visits", "Decided"]


def test_the_authorization_log_imports_the_practices_history(auth_profile, import_file, manager):
    pt = f.patient(mrn="MRN-A")
    first = f.order(pt, external_id="ORD-A", code="97110")
    second = f.order(pt, external_id="ORD-B", code="72148")
    rows = [
        ["ORD-A", "", "", "AU-1", "Approved", "11/01/2026", "01/31/2027", "12", "10/30/2026 14:00"],
        ["", "MRN-A", "72148", "AU-2", "Denied", "", "", "", "10/29/2026 09:15"],
        ["ORD-A", "", "", "AU-3", "Lost", "", "", "", ""],
        ["ORD-X", "", "", "AU-4", "Approved", "11/01/2026", "01/31/2027", "12", ""],
    ]
    data = csv_bytes(rows, header=AUTH_HEADER)
    run = import_file(auth_profile, data, by=manager)
    assert run.count("authorizations", "created") == 2 and run.rows_rejected == 2
    approved = Authorization.objects.get(auth_number="AU-1")
    assert approved.order == first and approved.status == "approved"
    assert approved.approved_visits == 12 and approved.end_date == dt.date(2027, 1, 31)
    assert approved.created_by == manager
    assert Authorization.objects.get(auth_number="AU-2").order == second
    errors = {r.row: (r.column, r.message) for r in RejectedRow.objects.filter(run=run)}
    assert errors[4][0] == "Status" and "'Lost' is not a status word" in errors[4][1]
    assert errors[5] == ("Order #", "No order with external_id 'ORD-X'.")
    again = import_file(auth_profile, data, by=manager)
    assert again.count("authorizations", "unchanged") == 2
    assert again.total("created") == again.total("updated") == 0
    assert Authorization.objects.count() == 2


def test_the_authorization_log_evaluates_its_orders_once_at_the_end(auth_profile, import_file):
    """Not once per row as the services' signal would: the orders the rows changed are
    gathered and evaluated in the scan's chunks when the import ends."""
    from patients.signals import orders_changed

    payer, pt = f.practice()
    orders = [f.order(pt, external_id=f"ORD-{n}") for n in range(3)]
    for o in orders:
        f.visit(o, timezone.localdate() + dt.timedelta(days=5))
    from worklists.scan.apply import reevaluate_orders

    reevaluate_orders([o.pk for o in orders])
    assert WorkItem.objects.open().filter(kind="missing_auth").count() == 3
    start = timezone.localdate().strftime("%m/%d/%Y")
    end = (timezone.localdate() + dt.timedelta(days=60)).strftime("%m/%d/%Y")
    rows = [
        [f"ORD-{n}", "", "", f"AU-{n}", "Approved", start, end, "12", "10/30/2026 14:00"]
        for n in range(3)
    ]
    sent: list[list[int]] = []

    def listen(sender: object, *, order_ids: list[int], **_: object) -> None:
        sent.append(order_ids)

    orders_changed.connect(listen)
    try:
        run = import_file(auth_profile, csv_bytes(rows, header=AUTH_HEADER))
    finally:
        orders_changed.disconnect(listen)
    assert run.count("authorizations", "created") == 3
    assert sent == []  # no re-evaluation per row
    assert WorkItem.objects.open().filter(kind="missing_auth").count() == 0
