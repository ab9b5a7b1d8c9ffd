"""Importing a file: the run's record, its chunks, and the set-based writes.

A run reads its file in chunks of AUTHQ_IMPORT_CHUNK_ROWS rows. Each chunk is one
transaction: its rows are parsed by the profile, checked by the models' validation
(intake.rows), and the good ones staged with COPY into a temporary table and written with
a few set-based statements (INSERT ... ON CONFLICT, UPDATE ... FROM) per record type; the
rejected rows, the run's progress and counts are saved in the same transaction. A worker
killed mid-run loses at most its open chunk: the run resumes after its last committed
row, and natural keys make a row applied twice change nothing. At the end the orders the
run changed are re-evaluated once, in the scan's chunks, and (snapshot mode) the source's
booked visits the file no longer lists are cancelled.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import File
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from psycopg import sql as pg_sql

from authq.lib.locks import advisory_unlock, try_advisory_lock
from authq.lib.sql import id_array
from authq.lib.writes import save_changes, upsert_by_key
from intake import sql
from intake.models import (
    COUNT_NAMES,
    ImportProfile,
    ImportRun,
    ProfileKind,
    RejectedRow,
    RunStatus,
    SnapshotCancellation,
    TouchedOrder,
)
from intake.readers import FileRefused, Layout, Table, cell_text, file_digest, layout
from intake.rows import APPOINTMENT_STATUSES, CellError, ModelChecker, Reader, Record, Row
from patients.models import Appointment, AppointmentStatus, Coverage, Order, Patient, Priority
from patients.signals import collect_orders_changed
from payers.models import Payer

if TYPE_CHECKING:
    from django.contrib.auth.models import User

log = logging.getLogger(__name__)

# The advisory lock (RUN_LOCK_KEY << 32) + run id: one worker applies a run at a time.
RUN_LOCK_KEY = 0x696E74  # "int"

type Progress = Callable[[ImportRun], None]


# Profiles


def upsert_profile(*, name: str, **fields: Any) -> tuple[ImportProfile, bool]:
    return upsert_by_key(ImportProfile, {"name": name}, fields)


def update_profile(profile: ImportProfile, **changes: Any) -> ImportProfile:
    return save_changes(profile, changes)


# Starting a run


def start_run(
    profile: ImportProfile, *, upload: IO[bytes] | File, name: str, by: User | None
) -> ImportRun:
    """Store the uploaded file and its run (queued); the caller enqueues it.

    The file must at least be readable with its header and required columns: a file that
    is not is refused here (FileRefused), before anything is stored.
    """
    upload.seek(0)
    digest, size = file_digest(upload)
    upload.seek(0)
    run = ImportRun(profile=profile, file_name=Path(name).name[:200], sha256=digest, size=size)
    run.created_by = by
    run.file.save(Path(name).name, File(upload, name=Path(name).name), save=False)
    try:
        table = Table(Path(run.file.path), run.file_name)
        run.header = [cell_text(c) for c in layout(profile, table.header()).header]
    except FileRefused:
        run.file.delete(save=False)
        raise
    run.save()
    return run


def enqueue(run: ImportRun) -> None:
    """Hand the run to a Celery worker once the run is committed."""
    from intake.tasks import import_file

    queue = settings.AUTHQ_IMPORT_QUEUE or None
    transaction.on_commit(lambda: import_file.apply_async((run.pk,), queue=queue))


# Applying a run


@dataclass
class Tally:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, record_type: str, name: str, n: int) -> None:
        if n:
            bucket = self.counts.setdefault(record_type, dict.fromkeys(COUNT_NAMES[:3], 0))
            bucket[name] = bucket.get(name, 0) + n

    def seen(self, record_type: str) -> None:
        self.counts.setdefault(record_type, dict.fromkeys(COUNT_NAMES[:3], 0))


def run_import(run_id: int, *, progress: Progress | None = None) -> ImportRun | None:
    """Apply a run from its last committed row to the end; None when another worker
    holds it. Safe to call again after a crash, or on a finished run (nothing happens)."""
    key = (RUN_LOCK_KEY << 32) + run_id
    if not try_advisory_lock(key):
        log.info("import %s is being applied by another worker", run_id)
        return None
    try:
        return _run(run_id, progress)
    finally:
        advisory_unlock(key)


def _run(run_id: int, progress: Progress | None) -> ImportRun:
    run = ImportRun.objects.select_related("profile").get(pk=run_id)
    if run.finished:
        return run
    try:
        if run.profile is None:
            from intake import batches

            records = batches.read(run)
            applier: Chunk = batches.applier(run)
            total = len(records)
            rows: Iterator[tuple[int, list[Any]]] = (
                (index, [record]) for index, record in enumerate(records) if index >= run.rows_done
            )
        else:
            table = Table(Path(run.file.path), run.file_name)
            found = layout(run.profile, table.header())
            kind = run.profile.kind
            applier = (ScheduleChunk if kind == ProfileKind.SCHEDULE else AuthorizationChunk)(
                run, found
            )
            total = table.count() if run.status == RunStatus.QUEUED else run.rows_total
            rows = table.rows(skip=run.rows_done)
        if run.status == RunStatus.QUEUED:
            run.rows_total = total
            run.status = RunStatus.RUNNING
            run.started_at = timezone.now()
            run.save(update_fields=["rows_total", "status", "started_at"])
            applier.run = run
    except (FileRefused, OSError) as exc:
        return _fail(run, str(exc) if isinstance(exc, FileRefused) else "The file is gone.")
    if progress:
        progress(run)
    size = settings.AUTHQ_IMPORT_CHUNK_ROWS
    try:
        for chunk in _chunks(rows, size):
            with _collector_paused():
                run = applier.apply(chunk)
            if progress:
                progress(run)
        return finish(run)
    except (OperationalError, InterfaceError):
        raise  # the database went away: the task runs again and resumes
    except FileRefused as exc:  # a row the CSV reader cannot read past
        return _fail(ImportRun.objects.get(pk=run_id), str(exc))
    except Exception:
        # A fault of authq's: the run says so (the task is parked with the details).
        _fail(ImportRun.objects.get(pk=run_id), "The import stopped on an internal error.")
        raise


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A chunk makes a few hundred thousand short-lived objects, freed by their reference
    counts; the cyclic collector's passes over them and over the long-lived tables (the
    ICD-10-CM list) cost a fifth of the chunk's time. Paused for the chunk; it resumes
    between chunks, so cycles left behind are still collected."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _chunks(rows: Iterator[tuple[int, list[Any]]], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _fail(run: ImportRun, message: str) -> ImportRun:
    run.status = RunStatus.FAILED
    run.error = message
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])
    return run


def finish(run: ImportRun) -> ImportRun:
    """Snapshot cancellations, then the one re-evaluation of the orders the run changed."""
    profile = run.profile
    if profile and profile.kind == ProfileKind.SCHEDULE and profile.snapshot_days is not None:
        with transaction.atomic():
            cancelled = _cancel_absent(run)
            ImportRun.objects.filter(pk=run.pk).update(snapshot_cancelled=cancelled)
    _reevaluate(run)
    run = ImportRun.objects.select_related("profile").get(pk=run.pk)
    run.status = RunStatus.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    return run


def _reevaluate(run: ImportRun) -> None:
    """The touched orders through the scan's evaluation, one chunk of orders at a time."""
    from worklists.scan.apply import reevaluate_orders

    size = settings.AUTHQ_SCAN_CHUNK_SIZE
    last = 0
    while True:
        ids = list(
            TouchedOrder.objects.filter(run=run, order_id__gt=last)
            .order_by("order_id")
            .values_list("order_id", flat=True)[:size]
        )
        if not ids:
            return
        with transaction.atomic():
            reevaluate_orders(ids)
            TouchedOrder.objects.filter(run=run, order_id__in=ids).delete()
        last = ids[-1]


def _cancel_absent(run: ImportRun) -> int:
    """Booked visits of the run's source inside its window that the file did not list."""
    assert run.profile is not None  # snapshot mode is a schedule profile's
    zone = timezone.get_current_timezone()
    day = timezone.localtime(run.created_at, zone).date()
    first = dt.datetime.combine(day, dt.time.min, zone)
    after = dt.datetime.combine(
        day + dt.timedelta(days=(run.profile.snapshot_days or 0) + 1), dt.time.min, zone
    )
    with connection.cursor() as cursor:
        _act_as(cursor, run)
        cursor.execute(
            sql.CANCEL_ABSENT,
            {
                "now": timezone.now(),
                "profile": run.profile_id,
                "run": run.pk,
                "first": first,
                "after": after,
            },
        )
        gone = cursor.fetchall()
    SnapshotCancellation.objects.bulk_create(
        [SnapshotCancellation(run=run, appointment_id=a) for a, _o in gone],
        ignore_conflicts=True,
    )
    _touch(run, {o for _a, o in gone})
    return len(gone)


def _act_as(cursor: Any, run: ImportRun) -> None:
    """The access audit's triggers record the person who started the import."""
    cursor.execute(sql.ACT_AS, [str(run.created_by_id or ""), f"import-{run.pk}"])


def _touch(run: ImportRun, order_ids: Iterable[int]) -> None:
    ids = sorted(set(order_ids))
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(sql.TOUCH, [run.pk, id_array(ids)])


class Chunk:
    """Applies one chunk of a run's rows in one transaction."""

    def __init__(self, run: ImportRun, found: Layout) -> None:
        self.run = run
        self.profile = run.profile
        self.positions = found.positions
        self.header = found.header
        if run.profile is not None:  # a JSON batch reads no cells
            self.reader = Reader(run.profile)

    def column_name(self, canonical: str) -> str:
        """The column as the file names it."""
        index = self.positions.get(canonical)
        return self.header[index] if index is not None else canonical

    def cells(self, cells: list[Any]) -> dict[str, Any]:
        return {
            name: (cells[index] if index < len(cells) else None)
            for name, index in self.positions.items()
        }

    def apply(self, raw_rows: list[tuple[int, list[Any]]]) -> ImportRun:
        rows = [Row(number, [cell_text(c) for c in cells]) for number, cells in raw_rows]
        cells = [self.cells(c) for _n, c in raw_rows]
        tally = Tally()
        with transaction.atomic():
            run = (
                ImportRun.objects.select_for_update(of=("self",))
                .select_related("profile")
                .get(pk=self.run.pk)
            )
            with connection.cursor() as cursor:
                _act_as(cursor, run)
            self.write(rows, cells, tally)
            rejected = [r for r in rows if not r.ok]
            RejectedRow.objects.bulk_create(
                [self.rejected_row(run, r) for r in rejected], ignore_conflicts=True
            )
            counts = run.counts
            for record_type, bucket in tally.counts.items():
                mine = counts.setdefault(record_type, {})
                for name, n in bucket.items():
                    mine[name] = mine.get(name, 0) + n
            run.counts = counts
            run.rows_done = min(run.rows_done + len(rows), run.rows_total)
            run.rows_rejected += len(rejected)
            run.save(update_fields=["counts", "rows_done", "rows_rejected"])
        self.run = run
        return run

    def rejected_row(self, run: ImportRun, row: Row) -> RejectedRow:
        first, *others = row.faults
        message = first.message
        if others:
            message += " Also: " + " ".join(
                f"{self.column_name(f.column) if f.column else 'row'}: {f.message}" for f in others
            )
        return RejectedRow(
            run=run,
            row=row.number,
            column=self.column_name(first.column) if first.column else "",
            message=message,
            raw=row.raw,
        )

    def write(self, rows: list[Row], cells: list[dict[str, Any]], tally: Tally) -> None:
        raise NotImplementedError


# Schedule exports

PATIENT_FIELDS = {
    "mrn": "mrn",
    "first_name": "first_name",
    "last_name": "last_name",
    "birth_date": "birth_date",
    "phone": "phone",
    "email": "email",
}
ORDER_FIELDS = {
    "external_id": "order_id",
    "service_category": "service_category",
    "code": "code",
    "diagnosis_codes": "diagnosis_codes",
    "priority": "priority",
    "visits_ordered": "visits_ordered",
    "ordering_provider": "ordering_provider",
}
APPOINTMENT_FIELDS = {
    "external_id": "appointment_id",
    "start": "start",
    "status": "status",
    "department": "department",
}
COVERAGE_SLOTS = (
    (1, {"payer": "payer_code", "member_id": "member_id", "plan": "plan",
         "start": "coverage_start", "end": "coverage_end"}),
    (2, {"payer": "payer2_code", "member_id": "member2_id", "plan": "plan2",
         "start": "coverage2_start", "end": "coverage2_end"}),
)  # fmt: skip


@dataclass
class Existing:
    """What the database holds for a chunk's keys (one query each)."""

    patients: set[str]
    # order external_id -> (order id, patient's mrn)
    orders: dict[str, tuple[int, str]]
    # appointment external_id -> (order id, patient's mrn)
    appointments: dict[str, tuple[int, str]]


class ScheduleChunk(Chunk):
    # The records a chunk writes and counts (a JSON batch of appointments: those alone).
    record_types: tuple[str, ...] = ("patients", "coverages", "orders", "appointments")
    # Values already checked by their fields' validators (a JSON batch's serializer fields).
    fields_checked = False

    def __init__(self, run: ImportRun, found: Layout) -> None:
        super().__init__(run, found)
        self.payers = dict(Payer.objects.values_list("code", "pk"))
        self.checker = ModelChecker()
        self.configure(set(self.positions))

    def configure(self, given: set[str]) -> None:
        """The fields each record type takes from the canonical columns `given`."""
        self.patient_fields = [f for f, c in PATIENT_FIELDS.items() if c in given]
        self.order_fields = [f for f, c in ORDER_FIELDS.items() if c in given]
        self.appointment_fields = [
            f
            for f, c in APPOINTMENT_FIELDS.items()
            if c in given or (f == "start" and {"date", "time"} <= given)
        ]
        # A visit given as a date and a time is at fault in its date column.
        self.appointment_columns = {
            **APPOINTMENT_FIELDS,
            "start": "start" if "start" in given else "date",
        }
        self.slots = [(rank, cols) for rank, cols in COVERAGE_SLOTS if cols["payer"] in given]

    # Parsing

    def parse(self, row: Row, cells: dict[str, Any]) -> None:
        r = self.reader
        values = row.values
        try:
            for name in ("mrn", "first_name", "last_name", "phone", "email", "order_id",
                         "code", "ordering_provider", "appointment_id", "department"):  # fmt: skip
                if name in cells:
                    values[name] = r.text(cells[name])
            if "service_category" in cells:
                # "Physical Therapy" reads as physical_therapy.
                words = r.text(cells["service_category"]).lower().split()
                values["service_category"] = "_".join(words)
            if "priority" in cells:
                values["priority"] = r.text(cells["priority"]).lower() or "routine"
            if "birth_date" in cells:
                values["birth_date"] = r.date("birth_date", cells["birth_date"])
            if "diagnosis_codes" in cells:
                text = r.text(cells["diagnosis_codes"])
                values["diagnosis_codes"] = [c.strip() for c in text.split(";") if c.strip()]
            if "visits_ordered" in cells:
                values["visits_ordered"] = r.whole("visits_ordered", cells["visits_ordered"])
            if "start" in cells and r.text(cells["start"]):
                values["start"] = r.datetime("start", cells["start"])
            elif "date" in cells:
                day = r.date("date", cells["date"])
                moment = r.time("time", cells.get("time"))
                if day is None:
                    raise CellError("date", "Give the visit's date.")
                if moment is None:
                    raise CellError("time", "Give the visit's time.")
                values["start"] = dt.datetime.combine(day, moment, r.zone)
            else:
                values["start"] = None
            if "status" in cells:
                values["status"] = r.status("status", cells["status"], APPOINTMENT_STATUSES,
                                            "booked")  # fmt: skip
            coverages = []
            for rank, cols in self.slots:
                code = r.payer_code(cells.get(cols["payer"]))
                member = r.text(cells.get(cols["member_id"]))
                start = r.date(cols["start"], cells.get(cols["start"]))
                if not code and not member and start is None:
                    continue
                if not code:
                    raise CellError(cols["payer"], "Give the payer with the member id.")
                if code not in self.payers:
                    raise CellError(cols["payer"], f"Unknown payer code '{code}'.")
                coverages.append(
                    {
                        "rank": rank,
                        "payer_id": self.payers[code],
                        "member_id": member,
                        "plan": r.text(cells.get(cols["plan"])) if cols["plan"] in cells else None,
                        "start": start,
                        "end": r.date(cols["end"], cells.get(cols["end"]))
                        if cols["end"] in cells
                        else None,
                        "columns": cols,
                    }
                )
            values["coverages"] = coverages
        except CellError as exc:
            row.reject(exc.column, str(exc))

    # Checking

    def records(self, row: Row, existing: Existing) -> list[Record]:
        """The records a parsed row gives, to check (none if it would move a record to
        another patient: then the row is rejected)."""
        v = row.values
        mrn = v.get("mrn", "")
        for column, stored in (
            ("order_id", existing.orders),
            ("appointment_id", existing.appointments),
        ):
            found = stored.get(v.get(column, ""))
            if found is not None and found[1] != mrn:
                what = column.removesuffix("_id")
                row.reject(
                    column,
                    f"Belongs to another patient: {what} {v[column]} is stored under another "
                    "MRN; a record never moves to another patient.",
                )
                return []
        appointment = {f: v[c] for f, c in APPOINTMENT_FIELDS.items() if c in v}
        records = [
            Record(row, Appointment, appointment, self.appointment_columns,
                   v.get("appointment_id") not in existing.appointments),
        ]  # fmt: skip
        if "patients" in self.record_types:  # not the stored patient and order of a batch
            patient = {f: v[c] for f, c in PATIENT_FIELDS.items() if c in v}
            order = {f: v[c] for f, c in ORDER_FIELDS.items() if c in v}
            records += [
                Record(row, Patient, patient, PATIENT_FIELDS, mrn not in existing.patients),
                Record(row, Order, order, ORDER_FIELDS, v.get("order_id") not in existing.orders),
            ]
        for cov in v["coverages"]:
            fields = {
                k: cov[k] for k in ("rank", "member_id", "start", "end") if cov[k] is not None
            }
            if cov["plan"] is not None:
                fields["plan"] = cov["plan"]
            records.append(Record(row, Coverage, fields, cov["columns"], True))
        return records

    def lookup(self, rows: list[Row]) -> Existing:
        mrns = sorted({r.values["mrn"] for r in rows if r.values.get("mrn")})
        order_ids = sorted({r.values["order_id"] for r in rows if r.values.get("order_id")})
        appt_ids = sorted({v for r in rows if (v := r.values.get("appointment_id"))})
        with connection.cursor() as cursor:
            patients: set[str] = set()
            if "patients" in self.record_types:
                cursor.execute(sql.KNOWN_PATIENTS, [mrns])
                patients = {m for (m,) in cursor.fetchall()}
            cursor.execute(sql.KNOWN_ORDERS, [order_ids])
            orders = {e: (pk, m) for e, pk, m in cursor.fetchall()}
            cursor.execute(sql.KNOWN_APPOINTMENTS, [appt_ids])
            appointments = {e: (o, m) for e, o, m in cursor.fetchall()}
        return Existing(patients=patients, orders=orders, appointments=appointments)

    def one_patient_per_key(self, rows: list[Row]) -> None:
        """Within the chunk too: the first row's patient keeps an order or appointment."""
        owners: dict[tuple[str, str], tuple[str, int]] = {}
        for row in rows:
            if not row.ok:
                continue
            mrn = row.values.get("mrn", "")
            for column in ("order_id", "appointment_id"):
                value = row.values.get(column, "")
                owner, first = owners.setdefault((column, value), (mrn, row.number))
                if owner != mrn:
                    row.reject(
                        column,
                        f"Belongs to another patient: {column.removesuffix('_id')} {value} "
                        f"is given with another MRN in row {first}; a record never moves "
                        "to another patient.",
                    )
                    break

    # Writing

    def write(self, rows: list[Row], cells: list[dict[str, Any]], tally: Tally) -> None:
        for row, row_cells in zip(rows, cells, strict=True):
            self.parse(row, row_cells)
        parsed = [r for r in rows if r.ok]
        existing = self.lookup(parsed)
        # Column by column: each field's distinct values in the chunk checked once.
        records = [record for row in parsed for record in self.records(row, existing)]
        # The patient's faults first, then the order's, the visit's, the coverages'.
        records.sort(key=lambda r: _CHECK_ORDER[r.model])
        self.checker.check_columns(records, clean_only=self.fields_checked)
        self.one_patient_per_key(rows)
        good = [r for r in rows if r.ok]
        for name in ("patients", "orders", "appointments"):
            if name in self.record_types:
                tally.seen(name)
        with connection.cursor() as cursor:
            for statement in sql.CREATE_STAGE:
                cursor.execute(statement)
            cursor.execute(sql.TRUNCATE_STAGE)
            self.stage(cursor, good)
            cursor.execute(sql.ANALYZE_STAGE)
            touched = self.apply_sql(cursor, good, existing, tally)
            if self.profile is not None and self.profile.snapshot_days is not None:
                self.mark_seen(cursor, rows)
        _touch(self.run, touched)

    def stage(self, cursor: Any, rows: list[Row]) -> None:
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(sql.COPY_STAGE) as copy:
            for row in rows:
                v = row.values
                copy.write_row(
                    (
                        row.number, v.get("mrn"), v.get("first_name"), v.get("last_name"),
                        v.get("birth_date"), v.get("phone"), v.get("email"),
                        v.get("order_id"), v.get("service_category"), v.get("code"),
                        ";".join(v.get("diagnosis_codes") or []), v.get("priority"),
                        v.get("visits_ordered"), v.get("ordering_provider"),
                        v.get("appointment_id"), v.get("start"), v.get("status"),
                        v.get("department"),
                    )
                )  # fmt: skip
        with raw.copy(sql.COPY_STAGE_COVERAGE) as copy:
            for row in rows:
                for cov in row.values["coverages"]:
                    copy.write_row(
                        (row.number, row.values["mrn"], cov["payer_id"], cov["member_id"],
                         cov["plan"], cov["start"], cov["end"], cov["rank"])
                    )  # fmt: skip

    def apply_sql(self, cursor: Any, rows: list[Row], existing: Existing, tally: Tally) -> set[int]:
        now = timezone.now()
        touched: set[int] = set()
        keys = {
            "patients": {r.values["mrn"] for r in rows},
            "orders": {r.values["order_id"] for r in rows},
            "appointments": {r.values["appointment_id"] for r in rows},
        }
        if "patients" in self.record_types:  # a JSON batch of appointments writes none
            before = self.stored(cursor, Patient, "mrn", keys["patients"])
            made, changed = _upsert(
                cursor,
                Patient,
                key="mrn",
                source=sql.PATIENT_SOURCE,
                fields={f: f for f in PATIENT_FIELDS if f != "mrn"},
                given=[f for f in self.patient_fields if f != "mrn"],
                defaults={"phone": pg_sql.Literal(""), "email": pg_sql.Literal("")},
                existing=sorted(existing.patients & keys["patients"]),
                now=now,
            )
            self.count(cursor, tally, "patients", Patient, "mrn", keys, made, changed, before)
            # Coverages, after their patients; a change touches every order of the patient.
            if self.slots:
                covered = self.coverages(cursor, now, tally)
                if covered:
                    cursor.execute(sql.ORDERS_OF_PATIENTS, [id_array(covered)])
                    touched |= {i for (i,) in cursor.fetchall()}
            # Orders, after their patients
            before = self.stored(cursor, Order, "external_id", keys["orders"])
            made, changed = _upsert(
                cursor,
                Order,
                key="external_id",
                source=sql.ORDER_SOURCE,
                fields={
                    "patient_id": "patient_id",
                    **{f: f for f in ORDER_FIELDS if f != "external_id"},
                },
                given=[f for f in self.order_fields if f != "external_id"],
                defaults={
                    "diagnosis_codes": pg_sql.SQL("'{}'::varchar[]"),
                    "priority": pg_sql.Literal(Priority.ROUTINE.value),
                    "visits_ordered": pg_sql.SQL("NULL::int"),
                    "ordering_provider": pg_sql.Literal(""),
                },
                guard="patient_id",
                existing=sorted(set(existing.orders) & keys["orders"]),
                now=now,
            )
            self.count(cursor, tally, "orders", Order, "external_id", keys, made, changed, before)
            touched |= {i for i, _ in made} | {i for i, _ in changed}
        # Appointments, after their orders
        before = self.stored(cursor, Appointment, "external_id", keys["appointments"])
        made, changed = _upsert(
            cursor,
            Appointment,
            key="external_id",
            source=sql.APPOINTMENT_SOURCE,
            fields={
                "order_id": "order_id",
                "start": "start",
                "status": "status",
                "department": "department",
            },  # fmt: skip
            given=["order_id", *[f for f in self.appointment_fields if f != "external_id"]],
            defaults={
                "status": pg_sql.Literal(AppointmentStatus.BOOKED.value),
                "department": pg_sql.Literal(""),
            },
            returning="order_id",
            existing=sorted(set(existing.appointments) & keys["appointments"]),
            now=now,
        )
        self.count(
            cursor, tally, "appointments", Appointment, "external_id", keys, made, changed, before
        )
        touched |= {o for _i, o in made} | {o for _i, o in changed}
        # An appointment moved off an order changes that order too.
        if changed:
            moved = {a for a in keys["appointments"] if a in existing.appointments}
            touched |= {existing.appointments[a][0] for a in moved}
        return touched

    def stored(self, cursor: Any, model: type[Any], key: str, keys: set[str]) -> dict[int, bool]:
        """The chunk's stored records: id -> whether an earlier chunk of the run wrote it."""
        cursor.execute(sql.stored_state(model, key), [self.run.started_at, sorted(keys)])
        return dict(cursor.fetchall())

    def count(
        self,
        cursor: Any,
        tally: Tally,
        record_type: str,
        model: type[Any],
        key: str,
        keys: dict[str, set[str]],
        made: list[Any],
        changed: list[Any],
        before: dict[int, bool],
    ) -> None:
        """Created and updated as returned, each record once per run: one an earlier
        chunk wrote already is not counted again; unchanged: the chunk's stored records
        that neither this chunk nor an earlier one wrote (`before`: stored id -> written
        by an earlier chunk)."""
        written = {pk for pk, _extra in (*made, *changed)}
        tally.add(record_type, "created", len(made))
        tally.add(record_type, "updated", sum(1 for pk, _x in changed if not before.get(pk)))
        tally.add(
            record_type,
            "unchanged",
            sum(1 for pk, earlier in before.items() if not earlier and pk not in written),
        )

    def coverages(self, cursor: Any, now: dt.datetime, tally: Tally) -> set[int]:
        """Upsert the staged coverages by their key; the ids of patients whose changed."""
        plan_given = any(cols["plan"] in self.positions for _r, cols in self.slots)
        end_given = any(cols["end"] in self.positions for _r, cols in self.slots)
        compared = ("rank", *(["plan"] if plan_given else []), *(["end"] if end_given else []))
        cursor.execute(sql.STORED_COVERAGES, [self.run.started_at])
        before: dict[int, bool] = dict(cursor.fetchall())
        cursor.execute(sql.upsert_coverages(compared), {"now": now})
        returned = cursor.fetchall()
        written = {pk for pk, _p, _i in returned}
        unchanged = sum(1 for pk, earlier in before.items() if not earlier and pk not in written)
        made = sum(1 for _pk, _p, inserted in returned if inserted)
        updated = sum(1 for pk, _p, inserted in returned if not inserted and not before.get(pk))
        tally.seen("coverages")
        tally.add("coverages", "created", made)
        tally.add("coverages", "updated", updated)
        tally.add("coverages", "unchanged", unchanged)
        return {p for _pk, p, _i in returned}

    def mark_seen(self, cursor: Any, rows: list[Row]) -> None:
        """Snapshot mode: every appointment this file lists (rejected rows' too: a row
        at fault is not a visit cancelled) is seen by this run."""
        ids = {cell for r in rows if (cell := _appointment_cell(self, r))}
        if ids and self.profile is not None:
            cursor.execute(sql.MARK_SEEN, [self.profile.pk, self.run.pk, sorted(ids)])


def _appointment_cell(chunk: Chunk, row: Row) -> str:
    index = chunk.positions.get("appointment_id")
    if index is None or index >= len(row.raw):
        return ""
    return row.raw[index].strip()


_CHECK_ORDER: dict[type[Any], int] = {Patient: 0, Order: 1, Appointment: 2, Coverage: 3}


def _upsert(
    cursor: Any,
    model: type[Any],
    *,
    key: str,
    source: pg_sql.Composable,
    fields: dict[str, str],
    given: Sequence[str],
    existing: list[str],
    now: dt.datetime,
    defaults: dict[str, pg_sql.Composable] | None = None,
    guard: str = "",  # a column that must be equal for a known key to be changed
    returning: str = "id",
) -> tuple[list[Any], list[Any]]:
    """Set-based upsert from the staged rows by the table's unique `key` (intake.sql.upsert).

    New keys are inserted with every field (the file's value, else the column's default);
    known keys get only the fields the file gives (`given`), and only when one differs.
    Returns (id, `returning`) of the rows created and of those changed.
    """
    # Composed once per table and set of columns a file gives (the rest is the same).
    memo = (model, tuple(given))
    statements = _STATEMENTS.get(memo)
    if statements is None:
        statements = _STATEMENTS[memo] = sql.upsert(
            model, key=key, source=source, fields=fields, given=tuple(given),
            defaults=defaults or {}, guard=guard, returning=returning,
        )  # fmt: skip
    insert, update = statements
    cursor.execute(insert, {"now": now, "existing": existing})
    made: list[tuple[int, Any]] = []
    raced: list[tuple[int, Any]] = []
    for pk, extra, inserted in cursor.fetchall():
        (made if inserted else raced).append((pk, extra))
    changed: list[Any] = list(raced)
    if existing and given:
        cursor.execute(update, {"now": now, "existing": existing})
        changed += cursor.fetchall()
    return made, changed


_STATEMENTS: dict[tuple[type[Any], tuple[str, ...]], tuple[str, str]] = {}


# Authorization logs


AUTH_FIELDS = (
    "auth_number", "status", "start_date", "end_date", "approved_visits", "submitted_at",
    "decided_at", "denial_reason",
)  # fmt: skip


class AuthorizationChunk(Chunk):
    """The go-live log: each row through the REST API's authorization serializer (its
    validation, natural key and services), in a savepoint of its own."""

    def write(self, rows: list[Row], cells: list[dict[str, Any]], tally: Tally) -> None:
        # The orders the services announce are re-evaluated once, at the run's end.
        with collect_orders_changed() as touched:
            self.write_rows(rows, cells, tally)
        _touch(self.run, touched)

    def write_rows(self, rows: list[Row], cells: list[dict[str, Any]], tally: Tally) -> None:
        from payers.api import AuthorizationSerializer
        from payers.models import AuthStatus

        r = self.reader
        context = {"request": SimpleNamespace(user=self.run.created_by)}
        tally.seen("authorizations")
        for row, c in zip(rows, cells, strict=True):
            try:
                order = self.order_of(c)
                data: dict[str, Any] = {"order": order}
                if "payer_code" in c and r.text(c["payer_code"]):
                    data["payer"] = r.payer_code(c["payer_code"])
                for name in ("auth_number", "denial_reason"):
                    if name in c:
                        data[name] = r.text(c[name])
                data["status"] = r.status("status", c.get("status"), list(AuthStatus.values), "")
                for name in ("start_date", "end_date"):
                    if name in c:
                        day = r.date(name, c[name])
                        data[name] = day.isoformat() if day else None
                if "approved_visits" in c:
                    data["approved_visits"] = r.whole("approved_visits", c["approved_visits"])
                for name in ("submitted_at", "decided_at"):
                    if name in c:
                        moment = r.datetime(name, c[name])
                        data[name] = moment.isoformat() if moment else None
            except CellError as exc:
                row.reject(exc.column, str(exc))
                continue
            serializer = AuthorizationSerializer(data=data, context=context)
            try:
                with transaction.atomic():
                    if not serializer.is_valid():
                        for name, messages in serializer.errors.items():
                            column = {"order": "order_id", "payer": "payer_code"}.get(name, name)
                            row.reject(column if column in self.positions else "",
                                       " ".join(str(m) for m in messages))  # fmt: skip
                        continue
                    before = _auth_state(serializer.existing)
                    record = serializer.save()
            except Exception as exc:  # noqa: BLE001 - a refusal of the services, as in the API
                detail = getattr(exc, "detail", None)
                row.reject("", str(detail or "Refused: " + type(exc).__name__))
                continue
            if serializer.created:
                tally.add("authorizations", "created", 1)
            elif before == _auth_state(record):
                tally.add("authorizations", "unchanged", 1)
            else:
                tally.add("authorizations", "updated", 1)

    def order_of(self, cells: dict[str, Any]) -> str:
        r = self.reader
        external_id = r.text(cells.get("order_id"))
        if external_id:
            return external_id
        mrn, code = r.text(cells.get("mrn")), r.text(cells.get("code"))
        if not mrn or not code:
            raise CellError("order_id", "Give the order id, or the MRN and the code.")
        found = (
            Order.objects.filter(patient__mrn=mrn, code=code)
            .order_by("-id")
            .values_list("external_id", flat=True)
            .first()
        )
        if found is None:
            raise CellError("code", f"The patient with this MRN has no order for {code}.")
        return found


def _auth_state(record: Any) -> tuple[Any, ...] | None:
    if record is None:
        return None
    return tuple(getattr(record, f) for f in (*AUTH_FIELDS, "payer_id"))
