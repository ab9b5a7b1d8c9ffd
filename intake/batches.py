"""JSON batches of the API (../shared/spec/interop.md section 5): records of one resource
of the REST API, as its POST takes them, imported as a run like a file.

A batch is stored as a JSON file with its SHA-256 and applied by the same run machinery
(chunks, one transaction each, progress, resume, one re-evaluation at the end). A
record's fault is reported with its index (`row`, from 0) and the field as the API names
it (`column`). Appointments, the bulk of a practice's traffic, take the schedule file's
set-based path: each value is parsed by the appointment serializer's own field, the
order looked up in one query per chunk, the records checked by the models' validation
and written with COPY and a few statements. Every other resource goes record by record
through its serializer (the API's validation, natural key and services), each in a
savepoint, with the orders they change re-evaluated once at the end.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from rest_framework import serializers

from intake import sql
from intake.models import ImportRun
from intake.readers import Layout
from intake.rows import Row
from intake.services import Chunk, ScheduleChunk, Tally, _touch
from patients.signals import collect_orders_changed

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_RECORDS = 10_000


def _serializers() -> dict[str, type[serializers.Serializer]]:
    from patients.api import (
        AppointmentSerializer,
        CoverageSerializer,
        OrderSerializer,
        PatientSerializer,
    )
    from payers.api import AuthorizationSerializer, PayerRuleSerializer, PayerSerializer

    return {
        "payers": PayerSerializer,
        "payer-rules": PayerRuleSerializer,
        "patients": PatientSerializer,
        "coverages": CoverageSerializer,
        "orders": OrderSerializer,
        "appointments": AppointmentSerializer,
        "authorizations": AuthorizationSerializer,
    }


# The writable resources of ../shared/spec/api.md, by their collection's name.
RESOURCES = ("payers", "payer-rules", "patients", "coverages", "orders", "appointments",
             "authorizations")  # fmt: skip


def serializer_for(resource: str) -> type[serializers.Serializer]:
    return _serializers()[resource]


def model_for(resource: str) -> type[models.Model]:
    model: type[models.Model] = serializer_for(resource).Meta.model  # type: ignore[attr-defined]
    return model


def write_permissions(resource: str) -> list[str]:
    """What the resource's own POST asks of a user: add and change its records."""
    meta = model_for(resource)._meta
    return [f"{meta.app_label}.add_{meta.model_name}", f"{meta.app_label}.change_{meta.model_name}"]


def start_batch(resource: str, records: Sequence[Any], *, by: User | None) -> ImportRun:
    """Store the batch as a JSON file and its run (queued); the caller runs or enqueues it."""
    body = json.dumps(list(records), separators=(",", ":")).encode()
    name = f"batch-{resource}.json"
    run = ImportRun(
        resource=resource,
        file_name=name,
        sha256=hashlib.sha256(body).hexdigest(),
        size=len(body),
        header=["record"],
        created_by=by,
    )
    run.file.save(name, ContentFile(body), save=False)
    run.save()
    return run


def read(run: ImportRun) -> list[Any]:
    with run.file.open("rb") as handle:
        records = json.load(handle)
    assert isinstance(records, list)  # start_batch stored a list
    return records


def applier(run: ImportRun) -> Chunk:
    if run.resource == "appointments":
        return AppointmentBatch(run)
    return RecordBatch(run)


def _messages(errors: Any) -> str:
    """DRF's error detail of one field (a list, or a dict for nested fields) as text."""
    if isinstance(errors, dict):
        return " ".join(f"[{k}] {_messages(v)}" for k, v in errors.items())
    if isinstance(errors, list):
        return " ".join(_messages(e) for e in errors)
    return str(errors)


def _raw(record: Any) -> list[str]:
    return [json.dumps(record, separators=(",", ":"), default=str)[:10_000]]


class BatchChunk(Chunk):
    """A chunk of a batch: each row's one cell is its record."""

    def column_name(self, canonical: str) -> str:
        return canonical

    def cells(self, cells: list[Any]) -> dict[str, Any]:
        return {"record": cells[0]}


class RecordBatch(BatchChunk):
    """Each record through its resource's serializer, as a POST of it would go."""

    def __init__(self, run: ImportRun) -> None:
        super().__init__(run, Layout(header=["record"], positions={}))
        self.serializer_class = serializer_for(run.resource)

    def write(self, rows: list[Row], cells: list[dict[str, Any]], tally: Tally) -> None:
        with collect_orders_changed() as touched:
            for row, c in zip(rows, cells, strict=True):
                row.raw = _raw(c["record"])
                self.write_one(row, c["record"], tally)
        _touch(self.run, touched)

    def write_one(self, row: Row, record: Any, tally: Tally) -> None:
        kind = self.run.resource
        tally.seen(kind)
        if not isinstance(record, dict):
            row.reject("", "Give the record as a JSON object.")
            return
        context = {"request": SimpleNamespace(user=self.run.created_by)}
        serializer = self.serializer_class(data=record, context=context)
        try:
            with transaction.atomic():
                if not serializer.is_valid():
                    for name, detail in serializer.errors.items():
                        column = "" if name == "non_field_errors" else name
                        row.reject(column, _messages(detail))
                    return
                before = _state(self.stored(serializer))
                saved = serializer.save()
        except Exception as exc:  # noqa: BLE001 - a refusal of the services, as in the API
            detail = getattr(exc, "detail", None)
            row.reject("", _messages(detail) if detail else "Refused: " + type(exc).__name__)
            return
        if getattr(serializer, "created", False):
            tally.add(kind, "created", 1)
        elif before == _state(saved):
            tally.add(kind, "unchanged", 1)
        else:
            tally.add(kind, "updated", 1)

    def stored(self, serializer: Any) -> models.Model | None:
        """The record this POST will update: found by the serializer, or by its unique key."""
        if serializer.existing is not None:
            return serializer.existing
        model = serializer.record_model()
        data = serializer.validated_data
        for name in serializer.fixed_fields:
            field = model._meta.get_field(name)
            if getattr(field, "unique", False) and name in data:
                return model._default_manager.filter(**{name: data[name]}).first()
        return None


def _state(record: models.Model | None) -> tuple[Any, ...] | None:
    if record is None:
        return None
    return tuple(
        getattr(record, f.attname)
        for f in record._meta.concrete_fields
        if f.name not in ("created_at", "updated_at")
    )


# A batch's appointment field -> the schedule file's canonical column.
APPOINTMENT_COLUMNS = {
    "external_id": "appointment_id",
    "order": "order_id",
    "start": "start",
    "status": "status",
    "department": "department",
}
_API_NAMES = {canonical: name for name, canonical in APPOINTMENT_COLUMNS.items()}


class AppointmentBatch(BatchChunk, ScheduleChunk):
    """Appointments on the schedule file's set-based path, parsed by the serializer's fields."""

    record_types = ("appointments",)
    # The serializer's fields carry the model fields' validators: the models' check adds
    # their clean() alone.
    fields_checked = True

    def __init__(self, run: ImportRun) -> None:
        header = ["mrn", *APPOINTMENT_COLUMNS.values()]
        ScheduleChunk.__init__(
            self, run, Layout(header=header, positions={c: i for i, c in enumerate(header)})
        )
        from patients.api import AppointmentSerializer

        self.fields = AppointmentSerializer().fields
        self.required = [n for n, f in self.fields.items() if f.required and not f.read_only]
        self.parsers: dict[str, Callable[[Any], Any]] = {
            name: self.fields[name].run_validation
            for name in APPOINTMENT_COLUMNS
            if name != "order"
        }
        self.order_missing = self.fields["order"].error_messages["does_not_exist"]
        # A field's verdict on a value, remembered: a batch repeats its times and words.
        self.verdicts: dict[tuple[str, Any], tuple[Any, str | None]] = {}

    def column_name(self, canonical: str) -> str:
        return _API_NAMES.get(canonical, canonical)

    def write(self, rows: list[Row], cells: list[dict[str, Any]], tally: Tally) -> None:
        records = [c["record"] for c in cells]
        for row, record in zip(rows, records, strict=True):
            row.raw = _raw(record)
        owners = self.owners(records)
        # Fields a record leaves out stay as stored: records giving the same fields are
        # written together.
        groups: dict[frozenset[str], list[tuple[Row, dict[str, Any]]]] = {}
        for row, record in zip(rows, records, strict=True):
            given = self.parse_record(row, record, owners)
            groups.setdefault(given, []).append((row, {"given": given}))
        tally.seen("appointments")
        for given, members in groups.items():
            if not any(r.ok for r, _ in members):
                continue  # rejected already: Chunk.apply records them
            self.configure({"mrn", "order_id", "code", *given})
            ScheduleChunk.write(self, [r for r, _ in members], [c for _, c in members], tally)

    def owners(self, records: list[Any]) -> dict[str, str]:
        """Each referenced order's patient (MRN), in one query."""
        keys = sorted(
            {
                str(r["order"])
                for r in records
                if isinstance(r, dict) and isinstance(r.get("order"), str | int)
            }
        )
        with connection.cursor() as cursor:
            cursor.execute(sql.ORDER_OWNERS, [keys])
            return dict(cursor.fetchall())

    def parse_record(self, row: Row, record: Any, owners: dict[str, str]) -> frozenset[str]:
        """The record's values as the schedule path takes them (row.values); the canonical
        columns it gives."""
        if not isinstance(record, dict):
            row.reject("", "Give the record as a JSON object.")
            return frozenset()
        for name in self.required:
            if name not in record:
                row.reject(APPOINTMENT_COLUMNS.get(name, name), "This field is required.")
        values: dict[str, Any] = {"coverages": []}
        for name in self.parsers:
            if name in record:
                value, message = self.verdict(name, record[name])
                if message is None:
                    values[APPOINTMENT_COLUMNS[name]] = value
                else:
                    row.reject(APPOINTMENT_COLUMNS[name], message)
        order = record.get("order")
        if "order" in record:
            if isinstance(order, bool) or not isinstance(order, str | int):
                row.reject("order_id", _messages(self.fields["order"].error_messages["invalid"]))
            elif str(order) not in owners:
                row.reject(
                    "order_id",
                    self.order_missing.format(
                        model="order", slug_name="external_id", value=str(order)
                    ),
                )
            else:
                values["order_id"] = str(order)
                values["mrn"] = owners[str(order)]
        row.values = values
        return frozenset(c for c in values if c not in ("coverages", "mrn"))

    def verdict(self, name: str, value: Any) -> tuple[Any, str | None]:
        """(the field's value, None), or (None, why not)."""
        key = (name, value) if isinstance(value, str | int | None) else None
        found = self.verdicts.get(key) if key is not None else None
        if found is None:
            try:
                found = (self.parsers[name](value), None)
            except serializers.ValidationError as exc:
                found = (None, _messages(exc.detail))
            if key is not None and name != "external_id":  # keys do not repeat
                self.verdicts[key] = found
        return found

    def parse(self, row: Row, cells: dict[str, Any]) -> None:
        """Parsed already (parse_record)."""
