"""One row of a file as records: its cells parsed by the profile, then checked by the
models' own validation (field validators, bounds, date window, keys, clean()), the same
rules the REST API and the admin apply through payers.services.checked."""

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

    def text(self, cell: Cell) -> str:
        return cell_text(cell).strip()

    def date(self, column: str, cell: Cell) -> dt.date | None:
        if isinstance(cell, dt.datetime):
            return cell.date()
        if isinstance(cell, dt.date):
            return cell
        text = self.text(cell)
        if not text:
            return None
        for attempt in (
            lambda: dt.datetime.strptime(text, self.profile.date_format).date(),  # noqa: DTZ007
            lambda: dt.date.fromisoformat(text),
        ):
            try:
                return attempt()
            except ValueError:
                continue
        example = _SAMPLE_DAY.strftime(self.profile.date_format)
        raise CellError(column, f"'{text}' is not a date like {example}.")

    def time(self, column: str, cell: Cell) -> dt.time | None:
        if isinstance(cell, dt.datetime):
            return cell.time()
        if isinstance(cell, dt.time):
            return cell
        text = self.text(cell)
        if not text:
            return None
        for attempt in (
            lambda: dt.datetime.strptime(text, self.profile.time_format).time(),  # noqa: DTZ007
            lambda: dt.time.fromisoformat(text),
        ):
            try:
                return attempt()
            except ValueError:
                continue
        example = _SAMPLE_DAY.strftime(self.profile.time_format)
        raise CellError(column, f"'{text}' is not a time like {example}.")

    def datetime(self, column: str, cell: Cell) -> dt.datetime | None:
        """A date-time; one without an offset is in the practice's time zone."""
        value: dt.datetime | None = None
        if isinstance(cell, dt.datetime):
            value = cell
        elif isinstance(cell, dt.date):
            raise CellError(column, f"'{cell.isoformat()}' has no time of day.")
        else:
            text = self.text(cell)
            if not text:
                return None
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
                raise CellError(column, f"'{text}' is not a date and time like {example}.")
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


def model_faults(
    instance: models.Model, columns: dict[str, str], fields: set[str] | None
) -> list[Fault]:
    """The model's field validators and clean() on `instance`, as faults on columns.

    `columns` maps model fields to the row's canonical columns. `fields`: the fields the
    row gives (an update changes only those; None: a new record, every field checked).
    Relations are not read again (as in payers.services.checked).
    """
    opts = instance._meta
    exclude = {f.name for f in opts.concrete_fields if f.is_relation}
    if fields is not None:
        exclude |= {f.name for f in opts.concrete_fields if f.name not in fields}
    errors: dict[str, Any] = {}
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    try:
        instance.clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    faults = []
    for name, messages in errors.items():
        text = " ".join(m for e in messages for m in ValidationError(e).messages)
        faults.append(Fault(columns.get(name, ""), text))
    return faults
