"""In a real browser: the payer directory on a denied item, and a denial recorded with
its coded reason."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from payers.models import Authorization, DenialReason, Payer, ReviewVendor
from tests import factories as f
from tests.browser.conftest import shot
from tests.views.item_fixtures import missing_auth_item, order_of
from worklists import item_actions
from worklists.models import ItemKind, WorkItem


def _directory(item: WorkItem) -> None:
    payer = order_of(item).patient.coverages.get().payer
    Payer.objects.filter(pk=payer.pk).update(
        phone="(800) 555-0100",
        portal_url="https://providers.acme.example/auth",
        appeal_address="Acme Health\nAttn: Appeals Unit\nPO Box 4100\nSpringfield, IL 62704",
        hours="Mon-Fri 8 am - 6 pm ET",
    )
    ReviewVendor.objects.create(
        payer=payer,
        service_category="physical_therapy",
        vendor="Evolent Specialty Services",
        phone="(800) 555-0140",
    )


@pytest.mark.django_db(transaction=True)
def test_a_denied_item_shows_the_directory_with_the_appeal_address(
    signed_in_page, live_url, specialist
):
    page = signed_in_page(specialist)
    item = missing_auth_item(visits=2)
    auth = f.auth(order_of(item), status="submitted")
    item_actions.decide_for_item(
        item, auth, by=None, outcome="denied", denial_reason_code=DenialReason.MEDICAL_NECESSITY
    )
    denied = WorkItem.objects.open().get(order_id=item.order_id, kind=ItemKind.DENIED)
    _directory(denied)

    page.goto(live_url + reverse("worklists:item", args=[denied.pk]))
    card = page.locator("#payer-directory")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Evolent Specialty Services")
    expect(card).to_contain_text("(800) 555-0140")
    expect(card).to_contain_text("Mon-Fri 8 am - 6 pm ET")
    expect(card.locator("address")).to_contain_text("PO Box 4100")
    expect(page.locator("#authorizations")).to_contain_text("Medical necessity not established")
    # Beside the appeal form too, once it is opened.
    page.locator("summary:text-is('Appeal')").click()
    appeal = page.locator("details:has(> summary:text-is('Appeal'))")
    expect(appeal.locator(".dir-appeal")).to_contain_text("Springfield, IL 62704")
    shot(page, "item-denied-directory")


@pytest.mark.django_db(transaction=True)
def test_a_specialist_records_a_denial_with_its_reason(signed_in_page, live_url, specialist):
    item = missing_auth_item(visits=2, priority="stat")
    page = signed_in_page(specialist)
    page.goto(live_url + reverse("worklists:item", args=[item.pk]))
    form = page.locator("form.decide")
    reason = form.locator("select[name='decide-denial_reason_code']")
    expect(reason).to_be_hidden()
    form.get_by_label("Denied", exact=True).check()
    reason.select_option("out_of_network")
    form.get_by_label("Payer's words", exact=True).fill("Use an in-network clinic")
    form.get_by_role("button", name="Record answer").click()

    expect(page.locator("#authorizations")).to_contain_text("Out of network")
    expect(page.locator("#authorizations")).to_contain_text("Use an in-network clinic")
    auth = Authorization.objects.get(order_id=item.order_id)
    assert (auth.status, auth.denial_reason_code) == ("denied", "out_of_network")
