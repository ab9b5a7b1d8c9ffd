"""R11 in a real browser: a specialist's claim lapses while the item page is open; their
note is refused in place with the reason, and saved once they claim the item again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.views.item_fixtures import missing_auth_item
from worklists import claiming
from worklists.models import WorkItem, WorkItemNote


@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_a_note_saved_after_the_claim_lapsed_is_refused_on_the_page(
    signed_in_page, live_url, specialist, specialist2
):
    item = missing_auth_item(priority="stat")
    claiming.claim(item, by=specialist)
    page = signed_in_page(specialist)
    page.goto(live_url + reverse("worklists:item", args=[item.pk]))
    expect(page.locator("h1")).to_have_text("Missing authorization")

    # Away past the lease: the beat's job gives the item back, and a colleague takes it.
    WorkItem.objects.filter(pk=item.pk).update(
        claim_active_at=timezone.now() - dt.timedelta(minutes=500)
    )
    assert claiming.release_lapsed_claims() == 1
    claiming.claim(item, by=specialist2)

    page.locator("#id_note-text").fill("Payer says approved")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#item-body")).to_contain_text("Your claim on this item ran out")
    shot(page, "item-claim-lapsed")
    assert not WorkItemNote.objects.filter(work_item=item).exists()
    assert WorkItem.objects.get(pk=item.pk).assignee_id == specialist2.pk
