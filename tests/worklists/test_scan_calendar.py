"""Dates across DST changes, a leap day and the year end, in the practice time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from patients.models import Appointment
from tests import factories as f
from tests.factories import d
from worklists.models import WorkItem
from worklists.scan.runs import run_scan

pytestmark = pytest.mark.django_db


def _open(as_of: dt.date) -> dict[str, WorkItem]:
    run_scan(as_of=as_of)
    return {w.kind: w for w in WorkItem.objects.open()}


def test_a_visit_late_on_the_night_dst_ends_keeps_its_local_date():
    _, pat = f.practice()
    order = f.order(pat)
    # 04:30 UTC on Nov 2 is 23:30 EST on Nov 1, the day clocks fell back.
    Appointment.objects.create(
        order=order,
        external_id="dst-night",
        status="booked",
        start=dt.datetime(2026, 11, 2, 4, 30, tzinfo=dt.UTC),
    )
    item = _open(d("2026-11-01"))["missing_auth"]
    assert item.first_service_date == d("2026-11-01")
    assert item.queue == "stat"


def test_expedited_follow_up_counts_real_hours_across_the_fall_back():
    _, pat = f.practice(expedited_turnaround_hours=72)
    order = f.order(pat, priority="stat")
    # 00:30 EDT Oct 30 + 72 real hours = 23:30 EST Nov 1 (the wall clock shows 73 hours).
    f.auth(order, status="submitted", submitted_at=f.at("2026-10-30", 0, 30))
    assert _open(d("2026-11-01"))["pending_follow_up"].due_date == d("2026-11-01")


def test_standard_follow_up_counts_calendar_days_across_the_spring_forward():
    _, pat = f.practice(standard_turnaround_days=7)
    order = f.order(pat)
    f.auth(order, status="submitted", submitted_at=f.at("2026-03-07", 23, 30))
    assert "pending_follow_up" not in _open(d("2026-03-13"))
    assert _open(d("2026-03-14"))["pending_follow_up"].due_date == d("2026-03-14")


def test_due_dates_count_back_over_a_leap_day():
    _, pat = f.practice(lead_time_days=7)
    order = f.order(pat)
    f.visit(order, "2028-03-03")
    f.auth(order, start_date="2028-01-01", end_date="2028-02-29")
    item = _open(d("2028-02-20"))["auth_expiring"]
    assert (item.first_service_date, item.due_date) == (d("2028-03-03"), d("2028-02-25"))


def test_the_window_runs_across_the_year_end():
    _, pat = f.practice()
    order = f.order(pat)
    f.visit(order, "2027-01-29")  # as_of + 30
    f.visit(order, "2027-01-30")  # beyond
    item = _open(d("2026-12-30"))["missing_auth"]
    assert (item.first_service_date, item.affected_appointments, item.due_date) == (
        d("2027-01-29"),
        1,
        d("2027-01-22"),
    )
