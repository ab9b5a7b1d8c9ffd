"""R10, beat's side: the schedule runs in UTC, so a DST night, a leap day or a year end
neither skips nor doubles a scan, and each scan reads the practice's own date.

Celery's own scheduler (the entries beat builds from CELERY_BEAT_SCHEDULE) is asked,
on a clock stepped through each night, whether each job is due, as beat asks it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import maybe_schedule
from django.conf import settings

from authq.celery import app
from authq.lib import clock

pytestmark = pytest.mark.fault

UTC = dt.UTC
STEP = dt.timedelta(seconds=5)
NIGHTS = {
    # local midnight to local 06:00 in the practice's zone, around each change
    "spring forward": dt.datetime(2026, 3, 8, 0, 0, tzinfo=ZoneInfo("America/New_York")),
    "fall back": dt.datetime(2026, 11, 1, 0, 0, tzinfo=ZoneInfo("America/New_York")),
    "leap day": dt.datetime(2028, 2, 28, 22, 0, tzinfo=ZoneInfo("America/New_York")),
    "year end": dt.datetime(2026, 12, 31, 22, 0, tzinfo=ZoneInfo("America/New_York")),
}


def beat_runs(job: str, start: dt.datetime, hours: int) -> list[dt.datetime]:
    """The moments beat would send job, asking the job's schedule every STEP."""
    now = start.astimezone(UTC)
    sched = maybe_schedule(app.conf.beat_schedule[job]["schedule"], app=app)
    sched.nowfun = lambda: now
    last, runs = now, []
    end = now + dt.timedelta(hours=hours)
    while now < end:
        now += STEP
        if sched.is_due(last).is_due:
            runs.append(now)
            last = now
    return runs


def test_beat_keeps_utc() -> None:
    assert settings.CELERY_TIMEZONE == "UTC"
    assert str(app.timezone) == "UTC"


@pytest.mark.parametrize("night", sorted(NIGHTS))
@pytest.mark.parametrize("job", ["scan-authorizations", "release-lapsed-claims"])
def test_no_run_is_skipped_or_doubled(night: str, job: str) -> None:
    start, hours = NIGHTS[night], 6
    runs = beat_runs(job, start, hours)
    every = dt.timedelta(seconds=app.conf.beat_schedule[job]["schedule"].total_seconds())

    gaps = {b - a for a, b in zip(runs, runs[1:], strict=False)}
    # Each run one interval after the last (to the clock's step), whatever the wall clock did.
    assert gaps and all(every <= gap < every + STEP for gap in gaps), (night, sorted(gaps))
    assert len(runs) == pytest.approx(hours * 3600 / every.total_seconds(), abs=1)


def test_each_scan_reads_the_practices_date_across_the_night() -> None:
    # The practice's date turns at local midnight, in EST and in EDT alike.
    runs = beat_runs("scan-authorizations", NIGHTS["fall back"] - dt.timedelta(hours=1), 3)
    days = [clock.local_date(r) for r in runs]
    tz = ZoneInfo(settings.AUTHQ_TIME_ZONE)
    assert days == [r.astimezone(tz).date() for r in runs]
    assert dt.date(2026, 10, 31) in days and dt.date(2026, 11, 1) in days
    turn = next(r for r, d in zip(runs, days, strict=True) if d == dt.date(2026, 11, 1))
    assert turn.astimezone(tz).time() < dt.time(0, 20)  # the first run after local midnight
