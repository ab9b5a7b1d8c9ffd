"""A specialist's loop in a real browser: claim the top STAT item from the queue, record
the payer's approval on its page, and find it gone from the queue."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.views.item_fixtures import missing_auth_item, soon
from worklists.models import ItemStatus, WorkItem


@pytest.mark.django_db(transaction=True)
def test_claim_next_then_an_approval_takes_the_stat_item_out_of_the_queue(
    signed_in_page, live_url, specialist
):
    routine = missing_auth_item(visits=2)
    stat = missing_auth_item(visits=3, priority="stat")

    page = signed_in_page(specialist)
    page.goto(live_url + reverse("worklists:queue"))
    expect(page.locator("#items tr.row").first).to_have_attribute("data-item", str(stat.pk))
    page.click("#claim-next")
    page.wait_for_url(f"**/items/{stat.pk}/")
    stat.refresh_from_db()
    assert (stat.status, stat.assignee) == (ItemStatus.IN_PROGRESS, specialist)

    form = page.locator("form.decide")
    form.get_by_label("Approved", exact=True).check()
    form.get_by_label("Auth #", exact=True).fill("PA-FLOW-1")
    form.get_by_label("From", exact=True).fill(soon(0).isoformat())
    form.get_by_label("To", exact=True).fill(soon(60).isoformat())
    form.get_by_label("Visits", exact=True).fill("10")
    form.get_by_role("button", name="Record answer").click()
    expect(page.locator("#item-body")).to_contain_text("left the queue")

    page.goto(live_url + reverse("worklists:queue"))
    rows = page.locator("#items tr.row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-item", str(routine.pk))
    assert list(WorkItem.objects.open()) == [routine]
