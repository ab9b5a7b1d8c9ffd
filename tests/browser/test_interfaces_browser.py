"""The Interfaces page in a browser: an administrator finds a message the live feed
rejected, fixes its cause, and replays it."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from accounts import roles
from feeds import services
from feeds.models import Hl7Message
from intake import services as intake_services
from intake.models import ImportProfile
from patients.models import Coverage
from tests.browser.conftest import shot
from tests.feeds.conftest import Sender, ack_code, adt, feed_profile, listener, sender  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_replays_a_rejected_message_after_fixing_the_payer_mapping(
    signed_in_page,
    live_url,
    make_user,
    sender: Sender,  # noqa: F811
    feed_profile: ImportProfile,  # noqa: F811
) -> None:
    admin = make_user("adm1", roles.ADMIN)
    ack = sender.send(adt("C1").replace("|1001|", "|4242|"))
    assert ack_code(ack) == "AE"
    # The server's first page loads the ICD-10-CM list (seconds on a busy machine).
    assert requests.get(f"{live_url}/accounts/login/", timeout=120).status_code == 200
    page = signed_in_page(admin)
    page.click("nav >> text=Interfaces")
    row = page.locator('#messages tr[data-control-id="C1"]')
    expect(row).to_contain_text("IN1-3")
    expect(row).to_contain_text("AE")
    shot(page, "interfaces-rejected")
    # The cause: payer id 4242 is not in the feed's profile. An admin maps it.
    intake_services.update_profile(feed_profile, payers={"1001": "JUNIPER", "4242": "JUNIPER"})
    services.forget_profile()
    row.locator("a").click()
    expect(page.locator("#message-status")).to_have_text("Rejected")
    expect(page.locator("#raw")).to_contain_text("IN1|1||4242")
    page.click("#replay")
    expect(page.locator("#message-status")).to_have_text("Applied")
    expect(page.locator(".messages")).to_contain_text("Replayed: applied")
    expect(page.locator("#replay")).to_have_count(0)
    shot(page, "interfaces-replayed")
    stored = Hl7Message.objects.get(control_id="C1")
    assert (stored.status, stored.replays, stored.replayed_by) == ("applied", 1, admin)
    assert Coverage.objects.get().payer.code == "JUNIPER"
