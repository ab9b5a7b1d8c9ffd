"""In a real browser: dates at the calendar's edge are refused where they are typed (the
scheduler's check, the decision form) and the pages keep working."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from payers.models import Authorization
from tests.browser.conftest import shot
from tests.views.item_fixtures import missing_auth_item, soon

pytestmark = pytest.mark.django_db(transaction=True)

WINDOW = "Give a date from 1900-01-01 to 2100-12-31."


def test_the_scheduler_check_refuses_year_9999_then_answers_a_real_date(
    signed_in_page, live_url, scheduler
):
    item = missing_auth_item(visits=1)
    page = signed_in_page(scheduler)
    page.goto(live_url + reverse("worklists:scheduler-order", args=[item.order_id]))
    page.fill("#id_day", "9999-12-31")
    page.click(".check-form button[type=submit]")
    expect(page.locator("#check")).to_contain_text(WINDOW)
    shot(page, "scheduler-date-outside-window")
    page.fill("#id_day", soon(3).isoformat())
    page.click(".check-form button[type=submit]")
    expect(page.locator("#check .answer")).not_to_contain_text(WINDOW)


def test_a_decision_ending_in_year_9999_is_refused_and_the_item_page_still_opens(
    signed_in_page, live_url, specialist
):
    item = missing_auth_item(visits=2)
    page = signed_in_page(specialist)
    page.goto(live_url + reverse("worklists:item", args=[item.pk]))
    form = page.locator("form.decide")
    form.get_by_label("Approved", exact=True).check()
    form.get_by_label("From", exact=True).fill(soon(0).isoformat())
    form.get_by_label("To", exact=True).fill("9999-12-31")
    form.get_by_role("button", name="Record answer").click()
    expect(page.locator("form.decide")).to_contain_text(WINDOW)
    assert not Authorization.objects.filter(order_id=item.order_id).exists()
    page.reload()
    expect(page.locator("h1")).to_have_text("Missing authorization")
