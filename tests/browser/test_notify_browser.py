"""In a real browser: a specialist tells a patient about a missing authorization: no
message is chosen for them, the preview shows the exact text, and the page says what
really happened to the email (queued, then failed with the reason, without a reload);
a patient without email gets a printable letter."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.smtp_server import closed_port, smtp_mailers
from tests.views.item_fixtures import missing_auth_item
from worklists.models import PatientNotification
from worklists.tasks import send_patient_email


@pytest.mark.django_db(transaction=True)
def test_a_specialist_previews_then_emails_and_sees_the_failure(
    signed_in_page, live_url, specialist, settings
):
    item = missing_auth_item(visits=2, priority="stat")
    page = signed_in_page(specialist)
    page.goto(live_url + reverse("worklists:item", args=[item.pk]))
    panel = page.locator("details.notify")
    panel.locator("summary").click()

    message = panel.get_by_label("Authorization needed: we are requesting it")
    expect(message).not_to_be_checked()
    expect(panel).not_to_contain_text("Authorization approved")
    message.check()
    panel.get_by_label("Added text").fill("Please bring your insurance card.")
    panel.get_by_role("button", name="Preview").click()

    preview = page.locator(".notice-preview")
    expect(preview).to_contain_text("Your insurance has not yet authorized your physical therapy")
    expect(preview).to_contain_text("Please bring your insurance card.")
    expect(preview).to_contain_text("you may be responsible")
    assert not PatientNotification.objects.exists()
    shot(page, "notify-preview")

    preview.get_by_role("button", name="Send email").click()
    expect(page.locator("#item-body .msg-success")).to_contain_text("Email queued")
    log = page.locator("#notice-log")
    expect(log).to_contain_text("queued")
    record = PatientNotification.objects.get()
    assert record.status == "queued" and "insurance card" in record.body

    # The mail server refuses: the task records it, and the open page shows it.
    settings.AUTHQ_EMAIL_MAX_ATTEMPTS = 1
    port = closed_port()
    settings.MAILERS = smtp_mailers(port)
    assert send_patient_email.apply(args=[record.pk]).get() == "failed"
    expect(log).to_contain_text(f"failed: The mail server at 127.0.0.1:{port} refused")
    expect(log.get_by_role("button", name="Send again")).to_be_visible()
    shot(page, "notify-failed")


@pytest.mark.django_db(transaction=True)
def test_a_patient_without_email_gets_a_printable_letter(signed_in_page, live_url, specialist):
    item = missing_auth_item(visits=2, email="")
    page = signed_in_page(specialist)
    page.goto(live_url + reverse("worklists:item", args=[item.pk]))
    panel = page.locator("details.notify")
    panel.locator("summary").click()
    expect(panel).to_contain_text("No email address on file")
    expect(panel.get_by_label("Email", exact=True)).to_have_count(0)

    panel.get_by_label("Authorization needed: we are requesting it").check()
    panel.get_by_label("Printed letter").check()
    panel.get_by_role("button", name="Preview").click()
    page.locator(".notice-preview").get_by_role("button", name="Record letter").click()
    expect(page.locator("#item-body .msg-success")).to_contain_text("Letter recorded")

    link = page.locator("#notice-log").get_by_role("link", name="Letter (PDF)")
    pdf = page.request.get(live_url + link.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    assert PatientNotification.objects.get().channel == "letter"
    shot(page, "notify-letter")
