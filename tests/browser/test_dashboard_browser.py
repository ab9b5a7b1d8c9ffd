"""The managers' dashboard in a browser: open it, change a filter, figures update in place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from authq.lib import clock
from payers.models import Appeal
from reports import refresh
from tests import factories as f
from tests.browser.conftest import PASSWORD, shot
from worklists.models import ItemKind, Queue, WorkItem

pytestmark = pytest.mark.django_db(transaction=True)


def _practice() -> None:
    """Two payers' requests over the last weeks, a few open items: enough to draw."""
    today = clock.today()
    now = timezone.now()
    for code, name, category, dept, hours in (
        ("ALPHA", "Alpha Health", "physical_therapy", "Ortho PT", (10, 30, 50, 200)),
        ("BETA", "Beta Care", "imaging", "Imaging", (20, 80, 100, 150)),
    ):
        payer, patient = f.practice(code)
        payer.name = name
        payer.save()
        order = f.order(patient, service_category=category)
        f.visit(order, today + dt.timedelta(days=4), department=dept)
        for week in range(6):
            for i, h in enumerate(hours):
                sent = now - dt.timedelta(days=7 * week + 9, hours=i)
                status = "denied" if i == 3 else "approved"
                auth = f.auth(
                    order,
                    status,
                    payer=payer,
                    submitted_at=sent,
                    decided_at=sent + dt.timedelta(hours=h + week * 3),
                    expedited=(i == 1),
                    start_date=today,
                    end_date=today + dt.timedelta(days=90),
                    denial_reason="Medical necessity not established" if i == 3 else "",
                )
                if week == 0 and i == 3 and code == "BETA":
                    Appeal.objects.create(
                        authorization=auth,
                        level="1",
                        deadline=today,
                        channel="portal",
                        outcome="upheld",
                    )
        f.auth(order, "submitted", payer=payer, submitted_at=now - dt.timedelta(days=9))
        for age in (0, 5, 12, 40):
            made = WorkItem.objects.create(
                order=f.order(patient, service_category=category),
                kind=ItemKind.MISSING_AUTH,
                queue=Queue.STAT if age < 5 else Queue.ROUTINE,
                due_date=today - dt.timedelta(days=age % 3),
                first_service_date=today + dt.timedelta(days=2),
                last_seen_as_of=today,
            )
            WorkItem.objects.filter(pk=made.pk).update(created_at=now - dt.timedelta(days=age))
    refresh.refresh_request_facts(full=True)


def test_manager_changes_a_filter_and_the_figures_update_without_a_reload(
    signed_in_page: Callable[[User], Page], manager: User, live_url: str
) -> None:
    _practice()
    page = signed_in_page(manager)
    page.goto(f"{live_url}/dashboard/")
    expect(page.locator("h1")).to_have_text("Managers' dashboard")
    requests = page.locator('[data-figure="requests"]')
    expect(requests).to_have_text("50")  # 2 payers x (6 weeks x 4 + 1 pending)
    shot(page, "dashboard-manager")
    page.evaluate("window.__notReloaded = true")

    page.select_option("#id_payer", label="Beta Care")
    expect(requests).to_have_text("25")
    assert page.evaluate("window.__notReloaded") is True  # swapped in place, no reload
    assert "payer=" in page.url  # the URL keeps the filter (hx-push-url)
    expect(page.locator("#t-payers tbody tr")).to_have_count(1)
    shot(page, "dashboard-beta")

    page.select_option("#id_category", "physical_therapy")
    expect(requests).to_have_text("0")
    assert page.evaluate("window.__notReloaded") is True


def test_the_csv_link_downloads_the_table(
    signed_in_page: Callable[[User], Page], manager: User, live_url: str
) -> None:
    _practice()
    page = signed_in_page(manager)
    page.goto(f"{live_url}/dashboard/")
    # A bulk export first asks for the password again (S18), then downloads.
    page.locator("a.csv[href$='export=payers']").click()
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.fill("#id_password", PASSWORD)
    with page.expect_download() as download:
        page.click("button.primary[type=submit]")
    path: Any = download.value.path()
    with open(path, encoding="utf-8") as handle:
        assert handle.readline().startswith("Payer,Requests")
    # Just confirmed: the next export downloads straight away.
    page.goto(f"{live_url}/dashboard/")
    with page.expect_download() as download:
        page.locator("a.csv[href$='export=denials']").click()
    with open(download.value.path(), encoding="utf-8") as handle:
        assert handle.readline().startswith("Denial reason")
