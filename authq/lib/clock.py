"""The practice's calendar: its time zone (settings.AUTHQ_TIME_ZONE), today's date there,
the local date of an instant and the first instant of a local date."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings


def practice_tz() -> ZoneInfo:
    return ZoneInfo(settings.AUTHQ_TIME_ZONE)


def today() -> dt.date:
    """Today's date in the practice time zone."""
    return dt.datetime.now(practice_tz()).date()


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(practice_tz()).date()


def day_start(day: dt.date) -> dt.datetime:
    """The first instant of a local date, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=practice_tz())
