"""The import checks a chunk column by column (each distinct value once), with the same
field validators the REST API runs: a table of hostile values gets the same verdict from
POST to the API's collection and from a schedule file's row."""

from __future__ import annotations

from typing import Any

import pytest

from accounts import roles
from intake.models import RejectedRow
from patients.models import Appointment, Order, Patient
from tests import factories as f
from tests.intake.conftest import csv_bytes, row

pytestmark = pytest.mark.django_db

# (file column, its cell, API collection, API field, the API's value). The file's dates
# are the profile's (%m/%d/%Y), the API's ISO: the same day.
HOSTILE: list[tuple[str, str, str, str, Any]] = [
    ("MRN", "A/1", "patients", "mrn", "A/1"),
    ("MRN", "..", "patients", "mrn", ".."),
    ("MRN", "M\x07X", "patients", "mrn", "M\x07X"),
    ("MRN", "M" * 33, "patients", "mrn", "M" * 33),
    ("MRN", "M" * 32, "patients", "mrn", "M" * 32),
    ("MRN", "  PAD1  ", "patients", "mrn", "  PAD1  "),
    ("DOB", "01/01/1850", "patients", "birth_date", "1850-01-01"),
    ("DOB", "01/01/2990", "patients", "birth_date", "2990-01-01"),
    ("DOB", "04/15/1970", "patients", "birth_date", "1970-04-15"),
    ("Last Name", "x" * 101, "patients", "last_name", "x" * 101),
    ("Last Name", "O'Brien-Łukasz", "patients", "last_name", "O'Brien-Łukasz"),
    ("Order ID", "O\\9", "orders", "external_id", "O\\9"),
    ("Order ID", ".", "orders", "external_id", "."),
    ("CPT", "9" * 17, "orders", "code", "9" * 17),
    ("Dx", "ZZZ.999", "orders", "diagnosis_codes", ["ZZZ.999"]),
    ("Dx", "M54.50;Q99.99X", "orders", "diagnosis_codes", ["M54.50", "Q99.99X"]),
    ("Dx", "M54.50", "orders", "diagnosis_codes", ["M54.50"]),
    ("Category", "astrology", "orders", "service_category", "astrology"),
    ("Appt ID", "A\x01B", "appointments", "external_id", "A\x01B"),
    ("Appt ID", "A 1", "appointments", "external_id", "A 1"),
    ("Appt Date", "01/01/2200", "appointments", "start", "2200-01-01T09:30:00-05:00"),
    ("Appt Date", "12/10/2026", "appointments", "start", "2026-12-10T09:30:00-05:00"),
    ("Dept", "d" * 101, "appointments", "department", "d" * 101),
    ("Member ID", "m" * 65, "coverages", "member_id", "m" * 65),
    ("Cov Start", "01/01/1800", "coverages", "start", "1800-01-01"),
]


def _api_accepts(client: Any, resource: str, field: str, value: Any, n: int) -> bool:
    patient, order = Patient.objects.get(mrn="API-P"), Order.objects.get(external_id="API-O")
    base: dict[str, dict[str, Any]] = {
        "patients": {"mrn": f"API-{n}", "first_name": "Ann", "last_name": "Lee",
                     "birth_date": "1970-04-15"},
        "orders": {"external_id": f"API-O{n}", "patient": patient.mrn,
                   "service_category": "physical_therapy", "code": "97110"},
        "appointments": {"external_id": f"API-A{n}", "order": order.external_id,
                         "start": "2026-12-10T09:30:00-05:00", "status": "booked"},
        "coverages": {"patient": patient.mrn, "payer": "BCX", "member_id": f"API-M{n}",
                      "start": "2026-01-01"},
    }  # fmt: skip
    answer = client.post(f"/api/v1/{resource}/", {**base[resource], field: value}, format="json")
    assert answer.status_code in (200, 201, 400), answer.content
    if answer.status_code == 400:
        assert field in answer.json(), answer.json()  # the 400 names the field
    return answer.status_code != 400


def test_hostile_values_get_the_same_verdict_from_the_api_and_the_import(
    api_as, make_user, profile, payer_bcx, import_file
):
    api_patient = f.patient(mrn="API-P")
    api_order = f.order(api_patient, external_id="API-O")
    client = api_as(make_user("admin1", roles.ADMIN))
    by_api = [
        _api_accepts(client, resource, field, value, n)
        for n, (_c, _cell, resource, field, value) in enumerate(HOSTILE)
    ]
    # What the API wrote goes, so that the file's keys are new as the API's were.
    Appointment.objects.all().delete()
    Order.objects.exclude(pk=api_order.pk).delete()
    Patient.objects.exclude(pk=api_patient.pk).delete()
    # Each row its own patient, order and visit, hostile in one cell.
    rows = [row(6 * n, **{column: cell}) for n, (column, cell, *_rest) in enumerate(HOSTILE)]
    run = import_file(profile, csv_bytes(rows))
    rejected = dict(RejectedRow.objects.filter(run=run).values_list("row", "column"))
    by_import = [n + 2 not in rejected for n in range(len(HOSTILE))]
    table = [
        (c, cell[:12], api, imp)
        for (c, cell, *_), api, imp in zip(HOSTILE, by_api, by_import, strict=True)
    ]
    messages = dict(RejectedRow.objects.filter(run=run).values_list("row", "message"))
    assert by_api == by_import, [
        (t, messages.get(n + 2)) for n, t in enumerate(table) if t[2] != t[3]
    ]
    # Both verdicts occur, and each rejected row names the hostile cell's column.
    assert True in by_api and False in by_api
    assert all(rejected[n + 2] == HOSTILE[n][0] for n in range(len(HOSTILE)) if not by_import[n])
    # The good rows were imported beside the rejected ones.
    assert Appointment.objects.count() == sum(by_import)
