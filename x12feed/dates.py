"""X12 dates (CCYYMMDD, and RD8 spans CCYYMMDD-CCYYMMDD) within authq's bounds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings

from authq.lib.bounds import MAX_VISITS


class BadDate(ValueError):
    """A date, count or amount that cannot be taken (the message says which)."""


def day(text: str) -> dt.date:
    """A CCYYMMDD date inside AUTHQ_MIN_YEAR..AUTHQ_MAX_YEAR."""
    try:
        value = dt.datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 (a date)
    except ValueError as exc:
        raise BadDate(f"{text!r} is not a date like 20261203 (CCYYMMDD).") from exc
    if not settings.AUTHQ_MIN_YEAR <= value.year <= settings.AUTHQ_MAX_YEAR:
        raise BadDate(f"{text!r} is outside the years authq takes.")
    return value


def span(qualifier: str, text: str) -> tuple[dt.date, dt.date]:
    """A DTP's date or RD8 range as (first, last)."""
    if qualifier == "RD8":
        first, _, last = text.partition("-")
        start, end = day(first), day(last)
        if end < start:
            raise BadDate(f"The range {text!r} ends before it starts.")
        return start, end
    one = day(text)
    return one, one


def quantity(text: str, where: str) -> int:
    """A count of visits (HSD02, a quantity) from 0 to MAX_VISITS."""
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise BadDate(f"{where}: {text!r} is not a number.") from exc
    if value != value.to_integral_value() or not 0 <= value <= MAX_VISITS:
        raise BadDate(f"{where}: {text!r} is not a whole number of visits up to {MAX_VISITS}.")
    return int(value)


def amount(text: str, where: str) -> Decimal:
    """A dollar amount from -999,999,999.99 to 999,999,999.99."""
    try:
        value = Decimal(text or "0")
    except InvalidOperation as exc:
        raise BadDate(f"{where}: {text!r} is not an amount.") from exc
    if not value.is_finite() or abs(value) >= 10**9:
        raise BadDate(f"{where}: {text!r} is out of bounds.")
    return value.quantize(Decimal("0.01"))
