"""A run's rejected rows as CSV: the file's own columns and an added `error` column, to
fix in a spreadsheet and import again."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from authq.lib.spreadsheets import csv_cell
from intake.models import ImportRun


def rejected_csv(run: ImportRun) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(h) for h in [*run.header, "error"]])
    for raw, column, message in run.rejected_rows.order_by("row").values_list(
        "raw", "column", "message"
    ):
        error = f"{column}: {message}" if column else message
        writer.writerow([csv_cell(c) for c in [*raw, error]])
    return out.getvalue()


def csv_name(run: ImportRun) -> str:
    stem = "".join(ch for ch in Path(run.file_name).stem if ch.isalnum() or ch in "-_")
    return f"{stem or 'import'}-{run.pk}-rejected.csv"
