"""An import counts each record once, however many of its chunks touch it."""

from __future__ import annotations

import pytest

from patients.models import Patient
from tests.intake.conftest import csv_bytes, row

pytestmark = pytest.mark.django_db


def test_a_record_touched_by_several_chunks_is_counted_once(profile, import_file, settings):
    settings.AUTHQ_IMPORT_CHUNK_ROWS = 2
    # Patient M00000 is in rows 0-2: created by the first chunk, changed by the second.
    rows = [row(0), row(1), row(2, **{"Last Name": "Renamed"}), row(3)]
    run = import_file(profile, csv_bytes(rows))
    assert run.rows_rejected == 0
    assert run.counts["patients"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert run.counts["coverages"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert run.counts["appointments"] == {"created": 4, "updated": 0, "unchanged": 0}
    assert Patient.objects.get(mrn="M00000").last_name == "Renamed"
    # Changed by both chunks of a second file: one update.
    again = [row(0, **{"Last Name": "Once"}), row(3), row(1, **{"Last Name": "Twice"}), row(2)]
    second = import_file(profile, csv_bytes(again), name="second.csv")
    assert second.counts["patients"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert second.counts["appointments"] == {"created": 0, "updated": 0, "unchanged": 4}
    assert Patient.objects.get(mrn="M00000").last_name == "Last0"  # its last row wins
