"""The billing queue in a real browser: an 835's auth denial shows in its own tab with
its counts, a specialist claims it from the billing queue and reads why it was denied."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from tests import factories as f
from tests.browser.conftest import shot
from tests.x12feed.x12 import interchange
from worklists.models import ItemKind, ItemStatus, Queue, WorkItem
from x12feed import services

pytestmark = pytest.mark.django_db(transaction=True)

REMITTANCE = [
    "BPR*I*0*C*NON************20270110",
    "TRN*1*EFT-1*1512345678",
    "N1*PR*TEST PAYER*XV*BCX",
    "LX*1",
    "CLP*CLM-77*4*150*0**12*PAYERCLAIM77",
    "NM1*QC*1*SYNTHETIC*PAT****MI*M-BILL",
    "SVC*HC:97110*150*0**1",
    "DTM*472*20261203",
    "CAS*CO*197*150",
    "LQ*HE*N54",
]


@pytest.fixture
def denied(manager: User, settings, tmp_path: Path) -> WorkItem:
    settings.MEDIA_ROOT = tmp_path / "media"
    payer = f.payer("BCX")
    f.rule(payer, appeal_window_days=45)
    patient = f.patient()
    f.coverage(patient, payer, member_id="M-BILL")
    order = f.order(patient, code="97110")
    f.visit(order, "2026-12-03", status="fulfilled")
    record, _ = services.receive(
        interchange("835", REMITTANCE).encode(), name="era.835", by=manager
    )
    services.apply_interchange(record.pk)
    return WorkItem.objects.get(kind=ItemKind.CLAIM_DENIED_AUTH)


def test_a_specialist_works_the_billing_queue(
    signed_in_page: Callable[[User], Page], specialist: User, denied: WorkItem
) -> None:
    page = signed_in_page(specialist)
    billing = page.locator(".qsum-billing")
    expect(billing.locator(".qname")).to_have_text("Billing")
    expect(billing.locator(".qn")).to_have_text("1")
    expect(billing.locator(".kinds")).to_contain_text("Claim denied: authorization 1")
    page.select_option("#id_queue", Queue.BILLING)
    rows = page.locator("#items tr.row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-item", str(denied.pk))
    expect(rows.first).to_contain_text("Claim denied")
    shot(page, "billing-queue")
    page.select_option("form.claim-next select", Queue.BILLING)
    with page.expect_response("**/queue/claim-next/"):
        page.click("#claim-next")
    denied.refresh_from_db()
    assert (denied.status, denied.assignee_id) == (ItemStatus.IN_PROGRESS, specialist.pk)
    page.goto(page.url.split("/queue/")[0] + f"/items/{denied.pk}/")
    section = page.locator("#claim-denials")
    expect(section).to_contain_text("CLM-77")
    expect(section).to_contain_text("no authorization on file for 97110 on Dec 3")
    expect(section).to_contain_text("CO-197 · N54")
    expect(section).to_contain_text("$150.00")
    shot(page, "billing-item")
