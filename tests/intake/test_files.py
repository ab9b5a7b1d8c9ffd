"""The file formats of an export: encodings, delimiters, Excel, and the files refused whole."""

from __future__ import annotations

import codecs
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from intake import services
from intake.models import ImportRun
from intake.readers import FileRefused
from patients.models import Appointment, Patient
from tests.intake.conftest import HEADER, csv_bytes, row

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_in_each_encoding_and_delimiter_reads_the_same(
    profile, import_file, encoding, delimiter
):
    data = csv_bytes(
        [row(0, **{"Last Name": "Muñoz", "First Name": "Zoë"}), row(3)],
        delimiter=delimiter,
        encoding=encoding,
    )
    if encoding == "utf-8-sig":
        assert data.startswith(codecs.BOM_UTF8)
    run = import_file(profile, data)
    assert run.status == "done" and run.rows_rejected == 0
    patient = Patient.objects.get(mrn="M00000")
    assert (patient.last_name, patient.first_name) == ("Muñoz", "Zoë")
    assert Appointment.objects.count() == 2


def test_an_xlsx_workbook_with_typed_cells_imports(profile, import_file):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    cells = row(0)
    # Excel's date cells are wall-clock values, without a zone.
    cells[HEADER.index("DOB")] = dt.datetime(1970, 4, 15)  # noqa: DTZ001
    cells[HEADER.index("Appt Date")] = dt.datetime(2026, 12, 10)  # noqa: DTZ001
    cells[HEADER.index("Appt Time")] = dt.time(9, 30)
    sheet.append(cells)
    sheet.append(row(1))
    out = io.BytesIO()
    book.save(out)
    run = import_file(profile, out.getvalue(), name="export.xlsx")
    assert run.status == "done" and run.rows_rejected == 0, run.error
    assert Patient.objects.get(mrn="M00000").birth_date == dt.date(1970, 4, 15)
    visit = Appointment.objects.get(external_id="A000000")
    assert visit.start.isoformat() == "2026-12-10T14:30:00+00:00"


def test_a_start_column_with_the_profiles_datetime_format(profile, import_file):
    profile.columns = {**profile.columns, "start": "Start"}
    del profile.columns["date"], profile.columns["time"]
    profile.datetime_format = "%Y%m%d %H%M"
    profile.save()
    header = [h for h in HEADER if h not in ("Appt Date", "Appt Time")] + ["Start"]
    cells = [c for h, c in zip(HEADER, row(0), strict=True) if h not in ("Appt Date", "Appt Time")]
    run = import_file(profile, csv_bytes([[*cells, "20260310 0815"]], header=header))
    assert run.rows_rejected == 0
    # 2026-03-10 is after the DST change in New York: UTC-4.
    start = Appointment.objects.get().start
    assert start.isoformat() == "2026-03-10T12:15:00+00:00"


def _refused(profile, data: bytes, name: str = "export.csv") -> str:
    with pytest.raises(FileRefused) as caught:
        services.start_run(profile, upload=SimpleUploadedFile(name, data), name=name, by=None)
    assert not ImportRun.objects.exists()
    return str(caught.value)


def test_a_file_missing_a_required_column_is_refused_naming_it(profile):
    header = [h for h in HEADER if h != "Order ID"]
    cells = [c for h, c in zip(HEADER, row(0), strict=True) if h != "Order ID"]
    message = _refused(profile, csv_bytes([cells], header=header))
    assert message == "Required columns missing: Order ID (order_id)."


def test_an_empty_file_is_refused(profile):
    assert _refused(profile, b"") == "The file is empty."


def test_a_file_without_a_header_row_is_refused(profile):
    data = csv_bytes([row(1)], header=row(0))
    assert "has no header row" in _refused(profile, data)


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("export.pdf", b"%PDF-1.4", "is not a .csv or .xlsx file"),
        ("export.xlsx", b"MRN,Order ID\n", "is not an Excel workbook"),
        ("export.csv", b"\x00\x01\x02binary", "is not a text (CSV) file"),
    ],
)
def test_a_file_of_another_kind_is_refused(profile, name, data, expected):
    assert expected in _refused(profile, data, name)
