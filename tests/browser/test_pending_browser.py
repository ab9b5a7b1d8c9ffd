"""In a real browser: a specialist snoozes an item to a follow-up date, finds it on the
"Pending at payer" page with a request's clock, and sees it back at the top of the queue
on its day (the date is moved, as the days would move it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from authq.lib import clock
from tests import factories as f
from tests.browser.conftest import shot
from tests.views.item_fixtures import soon
from tests.views.items import make_item
from worklists.models import ItemKind, WorkItem

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_snoozed_item_waits_on_the_pending_page_and_comes_back_first(
    signed_in_page: Callable[[User], Page], live_url: str, specialist: User
) -> None:
    # Payers without a rule: the scan keeps these items (unknown rule) when it re-reads them.
    first = make_item(due_in=1, kind=ItemKind.UNKNOWN_RULE)
    later = make_item(due_in=9, kind=ItemKind.UNKNOWN_RULE)
    payer, patient = f.practice()
    order = f.order(patient, priority="stat", external_id="ORD-STAT-9")
    request = f.auth(
        order,
        status="submitted",
        payer=payer,
        submitted_at=timezone.now() - dt.timedelta(hours=80),
    )

    page = signed_in_page(specialist)
    expect(page.locator("#items tr.row").first).to_have_attribute("data-item", str(first.pk))

    # Snooze it from the item page: follow up in 3 days.
    page.goto(f"{live_url}/items/{later.pk}/")
    page.locator("summary", has_text="Follow-up date").click()
    page.get_by_label("Follow up on").fill(soon(3).isoformat())
    page.locator("form[action$='/follow-up/'] button[type=submit]").click()
    expect(page.locator("#item-body")).to_contain_text("follow up")

    page.goto(f"{live_url}/queue/")
    expect(page.locator(f'#items tr[data-item="{first.pk}"]')).to_have_count(1)
    expect(page.locator(f'#items tr[data-item="{later.pk}"]')).to_have_count(0)

    # The pending page: the request with its 72 h clock, overdue; the snoozed item.
    page.get_by_role("link", name="Pending at payer").click()
    expect(page.locator("h1")).to_have_text("Pending at payer")
    row = page.locator(f'#waiting tr[data-auth="{request.pk}"]')
    expect(row).to_contain_text("72 h")
    expect(row).to_contain_text("expedited")
    expect(row).to_contain_text("overdue")
    expect(row).to_contain_text("ORD-STAT-9")
    snoozed = page.locator(f'#snoozed tr[data-item="{later.pk}"]')
    day = soon(3)
    expect(snoozed).to_contain_text(f"{day:%b} {day.day}")
    shot(page, "pending-at-payer")

    later.refresh_from_db()
    assert later.is_active and later.due_date > first.due_date  # still after `first`
    # Its day comes: back in the queue, first (today is its due date now), marked as back from its follow-up date.
    today = clock.today()
    WorkItem.objects.filter(pk=later.pk).update(follow_up_on=today)
    page.goto(f"{live_url}/queue/")
    top = page.locator("#items tr.row").first
    expect(top).to_have_attribute("data-item", str(later.pk))
    expect(top).to_contain_text(f"follow-up {today:%b} {today.day}")
    shot(page, "queue-follow-up-back")
