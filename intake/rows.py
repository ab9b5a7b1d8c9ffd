"""One row of a file as records: its cells parsed by the profile, then checked by the
models' own validation (field validators, bounds, date window, keys, clean()), the same
rules the REST API and the admin apply through authq.lib.writes.checked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from intake.models import ImportProfile
from intake.readers import Cell, cell_text
from patients.models import AppointmentStatus

_SAMPLE_DAY = dt.datetime(2026, 12, 31, 14, 30, tzinfo=dt.UTC)


class CellError(Exception):
    """A cell that cannot be read as its column's kind of value."""

    def __init__(self, column: str, message: str) -> None:
        self.column = column
        super().__init__(message)


@dataclass
class Fault:
    """Why a row is rejected: the canonical column at fault (or "") and the message."""

    column: str
    message: str


@dataclass
class Row:
    number: int
    raw: list[str]
    values: dict[str, Any] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)

    def reject(self, column: str, message: str) -> None:
        self.faults.append(Fault(column, message))

    @property
    def ok(self) -> bool:
        return not self.faults


class Reader:
    """Parses the cells of a profile's rows into Python values."""

    def __init__(self, profile: ImportProfile) -> None:
        self.profile = profile
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.statuses = {k.strip().lower(): v for k, v in profile.statuses.items()}
        self.payer_ids = {k.strip().lower(): v for k, v in profile.payers.items()}
        self.memo: dict[tuple[str, str], tuple[Any, str | None]] = {}

    def text(self, cell: Cell) -> str:
        return cell_text(cell).strip()

    def remembered(self, kind: str, column: str, text: str, parse: Any) -> Any:
        """parse(text), remembered per kind of value: an export repeats its dates."""
        key = (kind, text)
        found = self.memo.get(key)
        if found is None:
            try:
                found = (parse(text), None)
            except CellError as exc:
                found = (None, str(exc))
            if len(self.memo) > 100_000:
                self.memo.clear()
            self.memo[key] = found
        value, message = found
        if message is not None:
            raise CellError(column, message)
        return value

    def date(self, column: str, cell: Cell) -> dt.date | None:
        if isinstance(cell, dt.datetime):
            return cell.date()
        if isinstance(cell, dt.date):
            return cell
        text = self.text(cell)
        if not text:
            return None
        return self.remembered("date", column, text, self._date)

    def _date(self, text: str) -> dt.date:
        for attempt in (
            lambda: dt.datetime.strptime(text, self.profile.date_format).date(),  # noqa: DTZ007
            lambda: dt.date.fromisoformat(text),
        ):
            try:
                return attempt()
            except ValueError:
                continue
        example = _SAMPLE_DAY.strftime(self.profile.date_format)
        raise CellError("", f"'{text}' is not a date like {example}.")

    def time(self, column: str, cell: Cell) -> dt.time | None:
        if isinstance(cell, dt.datetime):
            return cell.time()
        if isinstance(cell, dt.time):
            return cell
        text = self.text(cell)
        if not text:
            return None
        return self.remembered("time", column, text, self._time)

    def _time(self, text: str) -> dt.time:
        for attempt in (
            lambda: dt.datetime.strptime(text, self.profile.time_format).time(),  # noqa: DTZ007
            lambda: dt.time.fromisoformat(text),
        ):
            try:
                return attempt()
            except ValueError:
                continue
        example = _SAMPLE_DAY.strftime(self.profile.time_format)
        raise CellError("", f"'{text}' is not a time like {example}.")

    def datetime(self, column: str, cell: Cell) -> dt.datetime | None:
        """A date-time; one without an offset is in the practice's time zone."""
        if isinstance(cell, dt.datetime):
            return cell if cell.tzinfo is not None else cell.replace(tzinfo=self.zone)
        if isinstance(cell, dt.date):
            raise CellError(column, f"'{cell.isoformat()}' has no time of day.")
        text = self.text(cell)
        if not text:
            return None
        return self.remembered("datetime", column, text, self._datetime)

    def _datetime(self, text: str) -> dt.datetime:
        value: dt.datetime | None = None
        for attempt in (
            # Wall-clock time: the practice's zone is applied below.
            lambda: dt.datetime.strptime(text, self.profile.datetime_format),  # noqa: DTZ007
            lambda: dt.datetime.fromisoformat(text),
        ):
            try:
                value = attempt()
                break
            except ValueError:
                continue
        if value is None:
            example = _SAMPLE_DAY.strftime(self.profile.datetime_format)
            raise CellError("", f"'{text}' is not a date and time like {example}.")
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.zone)
        return value

    def whole(self, column: str, cell: Cell) -> int | None:
        if isinstance(cell, bool):
            raise CellError(column, "Give a whole number.")
        if isinstance(cell, int):
            return cell
        if isinstance(cell, float) and cell.is_integer():
            return int(cell)
        text = self.text(cell)
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            raise CellError(column, f"'{text}' is not a whole number.") from None

    def status(self, column: str, cell: Cell, allowed: list[str], default: str) -> str:
        text = self.text(cell)
        if not text:
            return default
        word = self.statuses.get(text.lower())
        if word is not None:
            return word
        if text.lower() in allowed:
            return text.lower()
        known = ", ".join(sorted(self.profile.statuses)) or "none"
        raise CellError(
            column,
            f"'{text}' is not a status word of profile {self.profile.name} "
            f"(its words: {known}; or one of {', '.join(allowed)}).",
        )

    def payer_code(self, cell: Cell) -> str:
        text = self.text(cell)
        return self.payer_ids.get(text.lower(), text)


APPOINTMENT_STATUSES = list(AppointmentStatus.values)


# Field checks remembered per run: an export repeats its dates, codes and words.
_MEMORY_LIMIT = 100_000


class ModelChecker:
    """The models' own validation for rows: each field's validators (Field.clean, as
    Model.clean_fields runs them: bounds, date window, keys, choices, ICD-10-CM), then the
    model's clean() on the record. A field's verdict on a value is remembered, so a value
    repeated down the file is checked once."""

    def __init__(self) -> None:
        self.verdicts: dict[tuple[Any, ...], list[str] | None] = {}
        self.blanks: dict[type[models.Model], dict[str, Any]] = {}
        self.plans: dict[type[models.Model], list[tuple[str, bool, Any]]] = {}

    def plan(self, model: type[models.Model]) -> list[tuple[str, bool, Any]]:
        """The fields Model.clean_fields checks, as (name, set automatically, default)."""
        found = self.plans.get(model)
        if found is None:
            found = self.plans[model] = [
                (
                    each.name,
                    bool(getattr(each, "auto_now", False) or getattr(each, "auto_now_add", False)),
                    each.get_default(),
                )
                for each in model._meta.concrete_fields
                if not (each.is_relation or each.primary_key)
            ]
        return found

    def record(self, model: type[models.Model], values: dict[str, Any]) -> models.Model:
        """An unsaved record with these values and every other field's default, as
        model(**values) makes it, without Model.__init__'s cost (one per row)."""
        blank = self.blanks.get(model)
        if blank is None:
            blank = {f.attname: f.get_default() for f in model._meta.concrete_fields}
            blank[model._meta.pk.attname] = None
            self.blanks[model] = blank
        record = model.__new__(model)
        record.__dict__.update(blank)
        record._state = models.base.ModelState()
        for name, value in values.items():
            setattr(record, name, value)
        return record

    def field_messages(self, model: type[models.Model], name: str, value: Any) -> list[str] | None:
        key = (model, name, value if type(value) is not list else tuple(value))
        try:
            return self.verdicts[key]
        except KeyError:
            pass
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field)  # a column, never a reverse relation
        verdict = None
        if not (field.blank and value in field.empty_values):
            try:
                field.clean(value, None)
            except ValidationError as exc:
                verdict = list(exc.messages)
        if len(self.verdicts) > _MEMORY_LIMIT:
            self.verdicts.clear()
        self.verdicts[key] = verdict
        return verdict

    def check_columns(self, records: list[Record], *, clean_only: bool = False) -> None:
        """The faults of many records (a chunk's), added to their rows, found column by
        column: each field's distinct values among the records are checked once, by the
        field itself (field_messages: the validators the API's serializer fields and
        Model.clean_fields run), then a record's verdict is a lookup per field. clean()
        runs once per distinct record, its natural keys aside: clean() compares a record's
        fields with each other, a key is checked by its own validators."""
        by_model: dict[type[models.Model], list[Record]] = {}
        for record in records:
            by_model.setdefault(record.model, []).append(record)
        for model, group in by_model.items():
            verdicts: dict[str, dict[Any, list[str] | None]] = {}
            if not clean_only:
                for name, automatic, default in self.plan(model):
                    distinct: dict[Any, Any] = {}
                    for r in group:
                        if name in r.values:
                            value = r.values[name]
                            distinct.setdefault(_hashable(value), value)
                        elif r.new and not automatic:
                            distinct[_DEFAULT] = default
                    verdicts[name] = {
                        key: self.field_messages(model, name, value)
                        for key, value in distinct.items()
                    }
            keys = {f.name for f in model._meta.concrete_fields if f.unique}
            cleaned: dict[Any, dict[str, list[Any]]] = {}
            for r in group:
                errors: dict[str, list[Any]] = {}
                values = r.values
                for name, found in verdicts.items():
                    if name in values:
                        value = values[name]
                        messages = found[value if type(value) is not list else tuple(value)]
                    elif r.new and _DEFAULT in found:
                        messages = found[_DEFAULT]
                    else:
                        continue
                    if messages:
                        errors[name] = messages
                if not errors:
                    key = (r.new, *(
                        (k, v if type(v) is not list else tuple(v))
                        for k, v in values.items()
                        if k not in keys
                    ))  # fmt: skip
                    errors = cleaned.get(key)  # type: ignore[assignment]
                    if errors is None:
                        errors = cleaned[key] = self.clean_errors(model, values)
                if errors:
                    r.row.faults.extend(_as_faults(errors, r.columns))

    def clean_errors(
        self, model: type[models.Model], values: dict[str, Any]
    ) -> dict[str, list[Any]]:
        try:
            self.record(model, values).clean()
        except ValidationError as exc:
            return {k: list(v) for k, v in exc.update_error_dict({}).items()}
        return {}


@dataclass
class Record:
    """One record a row gives: its model, its values by field, the row's columns of its
    fields, and whether it is new."""

    row: Row
    model: type[models.Model]
    values: dict[str, Any]
    columns: dict[str, str]
    new: bool


# A field the row leaves out, on a new record: its default is checked.
_DEFAULT = object()


def _hashable(value: Any) -> Any:
    return tuple(value) if type(value) is list else value


def _as_faults(errors: dict[str, list[Any]], columns: dict[str, str]) -> list[Fault]:
    return [
        Fault(
            columns.get(name, ""),
            " ".join(m for e in messages for m in ValidationError(e).messages),
        )
        for name, messages in errors.items()
    ]
