"""The managers' dashboard: auth-related claim denials per month (count and dollars), by
root cause, payer and service, and the share authq had flagged before the visit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from reports import figures
from tests import factories as f
from tests.x12feed.test_835 import claim, line, remittance
from tests.x12feed.x12 import interchange
from worklists.models import WorkItem
from worklists.scan.apply import reevaluate_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def denials(send):
    payer = f.payer("BCX", name="Blue Test")
    f.rule(payer)
    patient = f.patient()
    f.coverage(patient, payer, member_id="M835")
    pt = f.order(patient, code="97110")
    f.auth(pt, "approved", auth_number="AU-1", start_date="2026-11-01", end_date="2026-11-30")
    flagged = f.visit(pt, "2026-12-10", status="booked")
    reevaluate_order(pt.pk, as_of=f.d("2026-12-03"))  # flagged: the auth ends before it
    WorkItem.objects.filter(order=pt).update(created_at=f.at("2026-12-03"))
    flagged.status = "fulfilled"
    flagged.save()
    f.visit(pt, "2026-11-20", status="fulfilled")
    other = f.order(patient, code="97140")
    f.visit(other, "2026-11-21", status="fulfilled")
    send(
        interchange(
            "835",
            remittance(
                claim("C1", line("97110", "20261210", "CAS*CO*198*120.50")),  # expired, flagged
                claim("C2", line("97140", "20261121", "CAS*CO*197*80")),  # missing, not flagged
                claim("C3", line("97110", "20261120", "CAS*CO*45*80")),  # not auth-related
            ),
        )
    )


def test_the_figures_by_month_cause_payer_and_service(denials):
    c = figures.claim_denials(figures.Filters(start=f.d("2026-11-01"), end=f.d("2026-12-31")))
    assert [(r["key"].month, r["n"], r["dollars"]) for r in c["months"]] == [
        (11, 1, Decimal("80.00")),
        (12, 1, Decimal("120.50")),
    ]
    causes = {r["key"]: r["n"] for r in c["causes"]}
    assert causes["No authorization"] == 1
    assert causes["Authorization expired or not yet started"] == 1
    assert causes["Approved visits exceeded"] == causes["Other"] == 0
    assert [(r["key"], r["n"]) for r in c["payers"]] == [("Blue Test", 2)]
    assert sorted((r["key"], r["n"]) for r in c["codes"]) == [("97110", 1), ("97140", 1)]
    assert (c["total"], c["flagged"], c["pct_flagged"]) == (2, 1, 50.0)


def test_the_range_and_the_service_narrow_them(denials):
    december = figures.Filters(start=f.d("2026-12-01"), end=f.d("2026-12-31"))
    assert figures.claim_denials(december)["total"] == 1
    other = figures.Filters(start=f.d("2026-11-01"), end=f.d("2026-12-31"), category="imaging")
    assert figures.claim_denials(other)["total"] == 0


def test_the_dashboard_shows_them(denials, manager):
    web = Client()
    web.force_login(manager)
    page = web.get("/dashboard/", {"start": "2026-11-01", "end": "2026-12-31"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "50.0%</b> of 2 denied lines had been flagged" in html
    assert "120.50" in html and "Blue Test" in html
