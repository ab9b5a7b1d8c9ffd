"""The patient's primary payer on a day is one rule (patients.models, docs/domain.md), and
every place that shows or filters by it agrees: the scan, the dashboard's at-risk
snapshot, the scheduler's page, the queue's and the dashboard's payer filters."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from authq.lib import clock
from patients.models import Coverage, Patient, primary_among
from reports import figures, refresh
from reports.models import AtRiskVisit
from tests import factories as f
from worklists.models import ItemKind, WorkItem
from worklists.scan.runs import run_scan

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.date:
    return clock.today() + dt.timedelta(days=n)


def sql_primary_payer(patient: Patient, day: dt.date) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT patients_primary_payer(%s, %s)", [patient.pk, day])
        return cursor.fetchone()[0]


def orm_primary_payer(patient: Patient, day: dt.date) -> int | None:
    cov = Coverage.objects.primary_on(day).filter(patient=patient).first()
    return cov.payer_id if cov else None


def facts_primary_payer(patient: Patient, day: dt.date) -> int | None:
    cov = primary_among(list(Coverage.objects.primary().filter(patient=patient)), day)
    return cov.payer_id if cov else None


def test_the_three_forms_of_the_rule_agree_day_by_day() -> None:
    old, new, tied_low, tied_high, second = (f.payer() for _ in range(5))
    p = f.patient()
    f.coverage(p, old, start=days(-400))  # open-ended, overlapped by the next ones
    f.coverage(p, new, start=days(-30), end=days(10))
    f.coverage(p, tied_low, start=days(20), end=days(25))
    f.coverage(p, tied_high, start=days(20), end=days(25))  # same start: higher id wins
    f.coverage(p, second, start=days(40), rank=2)  # secondary: never the primary
    alone = f.patient()
    f.coverage(alone, second, start=days(-5), rank=2)

    expected = {
        days(-401): None,
        days(-31): old.pk,
        days(-30): new.pk,
        days(10): new.pk,
        days(11): old.pk,
        days(20): tied_high.pk,
        days(26): old.pk,
        days(45): old.pk,
    }
    for day, payer_id in expected.items():
        assert orm_primary_payer(p, day) == payer_id, day
        assert sql_primary_payer(p, day) == payer_id, day
        assert facts_primary_payer(p, day) == payer_id, day
    for day in (days(-5), days(0), days(50)):
        assert orm_primary_payer(alone, day) is None
        assert sql_primary_payer(alone, day) is None
        assert facts_primary_payer(alone, day) is None


@pytest.fixture
def overlapping() -> dict[str, object]:
    """A patient covered by two payers at rank 1 today: Older (since long ago, needs no
    authorization) and Newer (since last month, requires one). Newer is the primary."""
    older = f.payer("OLDER", name="Older Health")
    f.rule(older, auth_required=False)
    newer = f.payer("NEWER", name="Newer Health")
    f.rule(newer, auth_required=True)
    patient = f.patient()
    f.coverage(patient, older, start=days(-400))
    f.coverage(patient, newer, start=days(-30))
    order = f.order(patient)
    f.visit(order, days(5))
    return {"older": older, "newer": newer, "patient": patient, "order": order}


def test_the_scan_matches_the_primary_payers_rule(overlapping: dict[str, object]) -> None:
    run_scan(as_of=clock.today())
    # Newer's rule asks for an authorization; Older's would not.
    item = WorkItem.objects.get(order=overlapping["order"])
    assert item.kind == ItemKind.MISSING_AUTH


def test_the_at_risk_snapshot_counts_the_visit_under_the_primary_payer(
    overlapping: dict[str, object],
) -> None:
    run_scan(as_of=clock.today())
    refresh.refresh_request_facts(full=True)
    assert list(AtRiskVisit.objects.values_list("payer_id", flat=True)) == [
        overlapping["newer"].pk  # type: ignore[attr-defined]
    ]


def test_the_schedulers_page_names_the_primary_payer(
    overlapping: dict[str, object], scheduler_web: Client
) -> None:
    order = overlapping["order"]
    page = scheduler_web.get(reverse("worklists:scheduler-order", args=[order.pk]))  # type: ignore[attr-defined]
    assert page.status_code == 200
    assert "Newer Health" in page.text and "Older Health" not in page.text


def test_the_payer_filters_find_the_item_under_the_primary_payer_only(
    overlapping: dict[str, object], specialist_web: Client
) -> None:
    older, newer = overlapping["older"].pk, overlapping["newer"].pk  # type: ignore[attr-defined]
    run_scan(as_of=clock.today())
    item = WorkItem.objects.get(order=overlapping["order"])

    def queue_ids(payer_id: int) -> list[int]:
        html = specialist_web.get("/queue/", {"payer": payer_id}).text
        return [int(x) for x in re.findall(r'data-item="(\d+)"', html)]

    assert queue_ids(newer) == [item.pk]
    assert queue_ids(older) == []

    today = clock.today()
    span = figures.Filters.default(today)

    def dashboard_items(payer_id: int) -> list[WorkItem]:
        narrowed = figures.Filters(span.start, span.end, payer_id=payer_id)
        return list(figures.open_items(narrowed, today))

    assert dashboard_items(newer) == [item]
    assert dashboard_items(older) == []


def test_the_scheduler_shows_no_secondary_coverage_as_the_primary(
    scheduler_web: Client,
) -> None:
    secondary = f.payer("SECOND", name="Second Mutual")
    patient = f.patient()
    f.coverage(patient, secondary, start=days(-30), rank=2)
    order = f.order(patient)
    page = scheduler_web.get(reverse("worklists:scheduler-order", args=[order.pk]))
    assert page.status_code == 200
    assert "Second Mutual" not in page.text
    assert "No active insurance today." in page.text
