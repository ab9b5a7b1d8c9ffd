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


@pytest.mark.django_db(transaction=True)
def test_a_manager_opens_the_assign_menu_and_hands_an_item_to_a_specialist(
    signed_in_page, live_url, manager, specialist
):
    item = missing_auth_item(visits=2, priority="stat")
    page = signed_in_page(manager)
    page.goto(live_url + reverse("worklists:queue"))
    row = page.locator(f'#items tr.row[data-item="{item.pk}"]')
    row.locator("details.assign summary").click()
    menu = row.locator('select[name="to"]')
    expect(menu).to_be_visible()
    menu.select_option(str(specialist.pk))
    with page.expect_response(f"**/items/{item.pk}/assign/") as answer:
        row.get_by_role("button", name="Assign", exact=True).click()
    assert answer.value.status == 200
    # The list is redrawn with the menu closed and the colleague as assignee.
    redrawn = page.locator(f'#items tr.row[data-item="{item.pk}"]')
    expect(redrawn.locator('select[name="to"]')).to_have_count(0)
    expect(redrawn).to_contain_text(specialist.username)
    item.refresh_from_db()
    assert (item.assignee, item.status) == (specialist, ItemStatus.IN_PROGRESS)
