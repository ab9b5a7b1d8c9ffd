"""In a real browser: a specialist opens the top STAT item, records an approval covering
the visits, and the item leaves the queue."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from patients.models import Coverage
from payers.models import Authorization
from tests import factories as f
from tests.browser.conftest import shot
from tests.views.item_fixtures import missing_auth_item, soon
from worklists.models import ItemStatus, Queue, WorkItem


@pytest.mark.django_db(transaction=True)
def test_a_specialist_records_an_approval_and_the_item_leaves_the_queue(
    signed_in_page, live_url, specialist
):
    routine = missing_auth_item(visits=2)
    stat = missing_auth_item(visits=4, priority="stat")
    assert WorkItem.objects.open().in_queue_order().first() == stat
    assert stat.queue == Queue.STAT and routine.pk != stat.pk

    page = signed_in_page(specialist)
    page.goto(live_url + reverse("worklists:item", args=[stat.pk]))
    expect(page.locator("h1")).to_have_text("Missing authorization")
    expect(page.locator("#visits")).to_contain_text("4 gap")
    shot(page, "item-missing-auth")

    form = page.locator("form.decide")
    form.get_by_label("Approved", exact=True).check()
    form.get_by_label("Auth #", exact=True).fill("PA-2026-001")
    form.get_by_label("From", exact=True).fill(soon(0).isoformat())
    form.get_by_label("To", exact=True).fill(soon(60).isoformat())
    form.get_by_label("Visits", exact=True).fill("12")
    form.get_by_role("button", name="Record answer").click()

    expect(page.locator("#item-body")).to_contain_text("left the queue")
    expect(page.locator("#visits")).to_contain_text("4 covered")
    expect(page.locator("#authorizations")).to_contain_text("PA-2026-001")
    shot(page, "item-after-approval")

    stat.refresh_from_db()
    assert stat.status == ItemStatus.RESOLVED
    assert list(WorkItem.objects.open()) == [routine]


@pytest.mark.django_db(transaction=True)
def test_a_denial_shows_the_reason_field_only_and_errors_in_place(
    signed_in_page, live_url, specialist
):
    item = missing_auth_item(visits=2, priority="stat")
    page = signed_in_page(specialist)
    page.goto(live_url + reverse("worklists:item", args=[item.pk]))
    form = page.locator("form.decide")
    form.get_by_label("Denied", exact=True).check()
    expect(form.locator("select[name='decide-denial_reason_code']")).to_be_visible()
    expect(form.get_by_label("Payer's words", exact=True)).to_be_visible()
    expect(form.get_by_label("Auth #", exact=True)).to_be_visible()
    expect(form.get_by_label("From", exact=True)).to_be_hidden()
    form.get_by_role("button", name="Record answer").click()
    expect(page.locator("form.decide")).to_contain_text("Choose the payer's reason")
    shot(page, "item-denial-error")
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN


@pytest.mark.django_db(transaction=True)
def test_an_approval_without_any_payer_is_refused_at_the_payer_field_then_saved_with_one(
    signed_in_page, live_url, specialist
):
    item = missing_auth_item(visits=2, priority="stat")
    Coverage.objects.filter(patient__orders=item.order_id).delete()
    f.payer("LATE", name="Late Payer Co")
    page = signed_in_page(specialist)
    page.goto(live_url + reverse("worklists:item", args=[item.pk]))

    form = page.locator("form.decide")
    form.get_by_label("Approved", exact=True).check()
    form.get_by_label("From", exact=True).fill(soon(0).isoformat())
    form.get_by_label("To", exact=True).fill(soon(60).isoformat())
    form.get_by_role("button", name="Record answer").click()
    expect(page.locator("form.decide")).to_contain_text("An approval needs the payer")
    shot(page, "item-approval-without-payer")
    assert not Authorization.objects.filter(order_id=item.order_id).exists()

    form = page.locator("form.decide")
    form.get_by_label("Approved", exact=True).check()
    form.get_by_label("From", exact=True).fill(soon(0).isoformat())
    form.get_by_label("To", exact=True).fill(soon(60).isoformat())
    form.locator("select[name='decide-payer']").select_option(label="LATE (Late Payer Co)")
    form.get_by_role("button", name="Record answer").click()
    expect(page.locator("#item-body")).to_contain_text("left the queue")
    assert Authorization.objects.get(order_id=item.order_id).payer.code == "LATE"
