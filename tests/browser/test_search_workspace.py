"""In a real browser: search a patient from the header, open the order's workspace, and
record the payer's answer there (issue "The specialist's week", points 8 and 9)."""

from __future__ import annotations

import urllib.request

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from patients.models import Patient
from tests.browser.conftest import shot
from tests.views.item_fixtures import missing_auth_item, order_of, soon
from worklists.models import ItemStatus


@pytest.fixture(autouse=True)
def _warm_server(live_url: str) -> None:
    """The server's first request loads the ICD-10 tables (seconds on a busy machine),
    longer than the sign-in page's 10 s timeout when this file runs first."""
    urllib.request.urlopen(f"{live_url}/accounts/login/", timeout=120).read()  # noqa: S310


def _ada_item():  # noqa: ANN202
    item = missing_auth_item(visits=3)
    Patient.objects.filter(pk=order_of(item).patient_id).update(
        last_name="Quimby", first_name="Ada"
    )
    return item


@pytest.mark.django_db(transaction=True)
def test_search_from_the_header_open_the_workspace_and_act_there(
    signed_in_page, live_url, specialist
):
    item = _ada_item()
    order = order_of(item)
    page = signed_in_page(specialist)

    box = page.locator("header form.top-search input[name=q]")
    box.fill("quimby, ad")
    box.press("Enter")
    page.wait_for_load_state("networkidle")
    # The query went in the POST body: the address is the bare search page.
    assert page.url == live_url + reverse("worklists:search")
    assert "quimby" not in page.url.lower()
    results = page.locator("#search-results")
    expect(results).to_contain_text("Quimby, Ada")
    expect(results).to_contain_text("Missing authorization")
    shot(page, "search-results")

    results.get_by_role("link", name=order.external_id).click()
    page.wait_for_load_state("networkidle")
    assert page.url == live_url + reverse("worklists:order", args=[order.pk])
    expect(page.locator("h1")).to_contain_text(order.external_id)
    expect(page.locator("#work-items")).to_contain_text("Missing authorization")
    expect(page.locator("#visits")).to_contain_text("3 gap")
    shot(page, "workspace-open-item")

    form = page.locator("form.decide")
    form.get_by_label("Approved", exact=True).check()
    form.get_by_label("Auth #", exact=True).fill("PA-WS-1")
    form.get_by_label("From", exact=True).fill(soon(0).isoformat())
    form.get_by_label("To", exact=True).fill(soon(60).isoformat())
    form.get_by_label("Visits", exact=True).fill("12")
    form.get_by_role("button", name="Record answer").click()
    page.wait_for_load_state("networkidle")

    # Back on the workspace, not the item page.
    assert page.url.startswith(live_url + reverse("worklists:order", args=[order.pk]))
    expect(page.locator(".messages")).to_contain_text("left the queue")
    expect(page.locator("#authorizations")).to_contain_text("PA-WS-1")
    expect(page.locator("#visits")).to_contain_text("3 covered")
    expect(page.locator("#work-items")).to_contain_text("Resolved")
    expect(page.locator("#timeline")).to_contain_text("Payer answered")
    shot(page, "workspace-after-approval")
    item.refresh_from_db()
    assert item.status == ItemStatus.RESOLVED


@pytest.mark.django_db(transaction=True)
def test_a_scheduler_searches_by_birth_date_and_lands_on_the_scheduler_page(
    signed_in_page, live_url, scheduler
):
    item = _ada_item()
    order = order_of(item)
    born = Patient.objects.get(pk=order.patient_id).birth_date
    page = signed_in_page(scheduler)
    box = page.locator("header form.top-search input[name=q]")
    box.fill(born.strftime("%m/%d/%Y"))
    box.press("Enter")
    page.wait_for_load_state("networkidle")
    assert page.url == live_url + reverse("worklists:search")
    results = page.locator("#search-results")
    expect(results).to_contain_text("Quimby, Ada")
    results.get_by_role("link", name=order.external_id).click()
    page.wait_for_load_state("networkidle")
    assert page.url == live_url + reverse("worklists:scheduler-order", args=[order.pk])
