"""The sane bounds of every number and date that enters authq, in one place.

Models (field validators and named CheckConstraints), page forms, API serializers and
query parameters all take their limits from here, so a limit reads the same and gives
the same message on every path. The date window comes from the settings
AUTHQ_MIN_YEAR and AUTHQ_MAX_YEAR (1900 and 2100 unless set).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

# A day count of a rule or a filter: at most two years.
MAX_DAYS = 730
# An hour count (a rule's expedited turnaround): at most 30 days.
MAX_HOURS = 720
# Visits ordered, requested, approved, or allowed per plan year.
MAX_VISITS = 1000
# A coverage's rank: primary, secondary, ... ninth.
MAX_RANK = 9
# Rows of one API page (?limit=), and the furthest ?offset= a list serves.
MAX_PAGE_SIZE = 500
MAX_OFFSET = 1_000_000


def at_most(limit: int) -> list[Any]:
    """Model field validators of a count from 0 to `limit`."""
    return [MinValueValidator(0), MaxValueValidator(limit)]


def bounded(prefix: str, field: str, limit: int) -> models.CheckConstraint:
    """The named database check `<prefix>_<field>_bounded`: the field (if set) is 0..limit."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gte": 0, f"{field}__lte": limit}),
        name=f"{prefix}_{field}_bounded",
        violation_error_message=f"{field} must be from 0 to {limit}.",
    )


# Dates


def date_window() -> tuple[dt.date, dt.date]:
    """The first and last day a date entering authq may be."""
    return dt.date(settings.AUTHQ_MIN_YEAR, 1, 1), dt.date(settings.AUTHQ_MAX_YEAR, 12, 31)


def in_window(value: dt.date | dt.datetime) -> bool:
    day = value.date() if isinstance(value, dt.datetime) else value
    first, last = date_window()
    return first <= day <= last


def window_message() -> str:
    first, last = date_window()
    return f"Give a date from {first.isoformat()} to {last.isoformat()}."


def validate_date_in_window(value: dt.date | dt.datetime | None) -> None:
    """A date or date-time inside the window (the settings AUTHQ_MIN_YEAR..AUTHQ_MAX_YEAR)."""
    if value is not None and not in_window(value):
        raise ValidationError(window_message(), code="date_out_of_window")


def validate_not_future(value: dt.date | None) -> None:
    """A date that has happened (a birth date): not after today in the practice's zone."""
    if value is not None and value > timezone.localdate():
        raise ValidationError("Cannot be in the future.", code="future_date")


class WindowDateField(forms.DateField):
    """A form date inside the date window."""

    default_validators = [validate_date_in_window]


class WindowDateTimeField(forms.DateTimeField):
    """A form date-time inside the date window."""

    default_validators = [validate_date_in_window]


# Keys


# validate_key's rules as a regular expression for the OpenAPI schema: non-blank, and
# surrounding whitespace allowed because the API trims it before validate_key sees it.
KEY_PATTERN = (
    r"^\s*(?!\.\.?\s*$)[^\s/\\\x00-\x1f\x7f](?:[^/\\\x00-\x1f\x7f]*[^\s/\\\x00-\x1f\x7f])?\s*$"
)


def validate_key(value: str) -> None:
    """A natural key that can travel in a URL path: no slash, backslash or control
    character, no surrounding spaces, and not `.` or `..`."""
    if not value:
        return
    if "/" in value or "\\" in value:
        raise ValidationError("Cannot contain / or \\.", code="key_slash")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError("Cannot contain control characters.", code="key_control")
    if value != value.strip():
        raise ValidationError("Cannot begin or end with a space.", code="key_space")
    if value in (".", ".."):
        raise ValidationError("Cannot be . or ..", code="key_dots")


def key_without_slash(prefix: str, field: str) -> models.CheckConstraint:
    """The named database check `<prefix>_<field>_no_slash`: a key reachable by URL."""
    return models.CheckConstraint(
        condition=~Q(**{f"{field}__contains": "/"}),
        name=f"{prefix}_{field}_no_slash",
        violation_error_message=f"{field} cannot contain /.",
    )
