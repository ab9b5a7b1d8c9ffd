"""Reading an export file row by row: .csv (UTF-8 with or without BOM, Windows-1252;
comma, semicolon or tab) and .xlsx (openpyxl, read-only streaming).

A file that cannot be read as one of these, is empty, has no header row, or lacks a
required column is refused whole (FileRefused) before any row is applied.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from intake.models import COLUMNS, ImportProfile, ProfileKind

type Cell = str | dt.datetime | dt.date | dt.time | int | float | None

CSV_DELIMITERS = ",;\t"
_BLOCK = 1 << 20


class FileRefused(Exception):
    """The file as a whole cannot be imported; the message says why."""


def normalize(header: object) -> str:
    """A header as compared: case, spaces, underscores and dashes ignored."""
    return re.sub(r"[\s_\-]+", "", str(header or "")).lower()


@dataclass(frozen=True)
class Layout:
    """Where each canonical column is in the file."""

    header: list[str]
    positions: dict[str, int]


def required_columns(kind: str, present: set[str]) -> list[str]:
    """The canonical columns a file of this kind lacks, given those it has."""
    missing: list[str] = []
    if kind == ProfileKind.SCHEDULE:
        missing = [c for c in ("mrn", "order_id", "code", "appointment_id") if c not in present]
        if "start" not in present and not {"date", "time"} <= present:
            missing.append("start (or date and time)")
    else:
        if "status" not in present:
            missing.append("status")
        if "order_id" not in present and not {"mrn", "code"} <= present:
            missing.append("order_id (or mrn and code)")
    return missing


def layout(profile: ImportProfile, header: Sequence[Cell]) -> Layout:
    """Match the header row to the profile's columns, or refuse the file."""
    cells = [("" if c is None else str(c)).strip() for c in header]
    by_name: dict[str, int] = {}
    for index, cell in enumerate(cells):
        by_name.setdefault(normalize(cell), index)
    positions: dict[str, int] = {}
    for canonical in COLUMNS[profile.kind]:
        source = profile.columns.get(canonical)
        for name in (source, canonical) if source else (canonical,):
            found = by_name.get(normalize(name))
            if found is not None:
                positions[canonical] = found
                break
    if not positions:
        expected = ", ".join(_shown(profile, c) for c in required_columns(profile.kind, set()))
        raise FileRefused(
            "The file has no header row: its first row names none of the columns of "
            f"profile {profile.name} (expected at least: {expected})."
        )
    missing = required_columns(profile.kind, set(positions))
    if missing:
        names = ", ".join(_shown(profile, c) for c in missing)
        raise FileRefused(f"Required columns missing: {names}.")
    return Layout(header=cells, positions=positions)


def _shown(profile: ImportProfile, canonical: str) -> str:
    source = profile.columns.get(canonical.split(" ")[0])
    return f"{source} ({canonical})" if source else canonical


class Table:
    """The rows of a file after its header: (row number as a spreadsheet shows it, cells)."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.suffix = Path(name).suffix.lower()
        if self.suffix not in (".csv", ".xlsx"):
            raise FileRefused(
                f"{name} is not a .csv or .xlsx file (exports are read as CSV or Excel)."
            )
        if path.stat().st_size == 0:
            raise FileRefused("The file is empty.")
        if self.suffix == ".xlsx":
            if not zipfile.is_zipfile(path):
                raise FileRefused(f"{name} is not an Excel workbook (.xlsx).")
            self.encoding = ""
            self.delimiter = ""
        else:
            self.encoding = _encoding(path)
            self.delimiter = _delimiter(path, self.encoding)

    def header(self) -> list[Cell]:
        for _number, cells in self._records():
            return cells
        raise FileRefused("The file is empty.")

    def rows(self, skip: int = 0) -> Iterator[tuple[int, list[Cell]]]:
        """Data rows with their numbers, blank rows left out; the first `skip` not read."""
        records = self._records()
        next(records, None)  # the header
        seen = 0
        for number, cells in records:
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            seen += 1
            if seen > skip:
                yield number, cells

    def count(self) -> int:
        return sum(1 for _ in self.rows())

    def _records(self) -> Iterator[tuple[int, list[Cell]]]:
        if self.suffix == ".xlsx":
            yield from _xlsx_records(self.path)
            return
        with self.path.open(encoding=self.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            try:
                for index, row in enumerate(reader, start=1):
                    yield index, list(row)
            except csv.Error as exc:
                raise FileRefused(f"The file cannot be read as CSV: {exc}.") from exc


def _encoding(path: Path) -> str:
    """utf-8-sig for a file that starts with a BOM, utf-8 if every byte decodes, else
    cp1252 (Windows-1252); a file with NUL bytes is not a text export."""
    with path.open("rb") as handle:
        start = handle.read(4)
        if start.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        utf8 = True
        while block := handle.read(_BLOCK):
            if b"\x00" in block:
                raise FileRefused("The file is not a text (CSV) file.")
            if utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        return "utf-8"
    return "cp1252"


def _delimiter(path: Path, encoding: str) -> str:
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        first = handle.readline()
    if not first.strip():
        raise FileRefused("The file has no header row: its first line is empty.")
    try:
        return csv.Sniffer().sniff(first, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: first.count(d) for d in CSV_DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _xlsx_records(path: Path) -> Iterator[tuple[int, list[Cell]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise FileRefused("The file is not a readable Excel workbook (.xlsx).") from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise FileRefused("The workbook has no sheet.")
        for index, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            # values_only cells: numbers, text, dates and times (cell_text reads each kind)
            yield index, cast(list[Cell], list(row))
    finally:
        book.close()


def cell_text(cell: Cell) -> str:
    """A cell as the text a person sees (kept as the raw row)."""
    if type(cell) is str:  # every cell of a CSV file
        return cell
    if cell is None:
        return ""
    if isinstance(cell, dt.datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, dt.date | dt.time):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def file_digest(handle: IO[bytes]) -> tuple[str, int]:
    """The sha256 and size of an open binary file, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    while block := handle.read(_BLOCK):
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size
