"""What a person sees of the smaller fixes, in a real browser: the 403 and 404 pages, the
favicon, the Kind column on a 1366-pixel screen, a claim a colleague won, ← Queues."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

import authq.urls  # noqa: F401 - see below
from tests import mfa
from tests.browser.conftest import PASSWORD, shot
from tests.views.items import make_item
from worklists import claiming
from worklists.models import ItemKind, Queue

pytestmark = pytest.mark.django_db(transaction=True)

# The URLconf is imported above, not by the live server's first request: it loads the
# ICD-10-CM list, which takes seconds on a busy machine, past a page's 10-second timeout.


def test_404_and_403_pages_in_the_layout_and_the_favicon(
    signed_in_page: Callable[[User], Page], scheduler: User, live_url: str
) -> None:
    page = signed_in_page(scheduler)
    response = page.goto(f"{live_url}/no-such-page/")
    assert response is not None and response.status == 404
    expect(page.locator("header.topbar")).to_be_visible()
    expect(page.locator("#error-page h1")).to_have_text("Not found")
    expect(page).to_have_title("Not found · authq")
    shot(page, "error-404")

    response = page.goto(f"{live_url}/dashboard/")
    assert response is not None and response.status == 403
    expect(page.locator("#error-page h1")).to_have_text("Not allowed")
    expect(page.locator("header.topbar .nav")).to_contain_text("Scheduler")
    shot(page, "error-403")
    page.click("text=Back to your start page")
    expect(page).to_have_url(re.compile(r"/scheduler/$"))

    icon = page.locator('link[rel="icon"]')
    assert icon.get_attribute("href") == "/static/favicon.svg"
    answer = page.request.get(f"{live_url}/favicon.ico")  # follows the redirect
    assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.body().startswith(b"<svg")


def test_the_kind_column_reads_whole_on_a_1366_pixel_screen(
    browser: Browser, live_url: str, specialist: User
) -> None:
    for kind in ItemKind.values:
        make_item(Queue.ROUTINE, kind=kind, due_in=3)
    make_item(Queue.STAT, kind=ItemKind.AUTH_EXPIRING, due_in=-5, found_in=0)  # due at once
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        page.goto(f"{live_url}/accounts/login/")
        page.fill("#id_login", specialist.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/accounts/2fa/authenticate/")
        page.fill("#id_code", mfa.second_factor(specialist))
        page.click("button.primary[type=submit]")
        expect(page.locator("#items tr.row")).to_have_count(len(ItemKind.values) + 1)
        shot(page, "queue-1366")
        sizes = page.evaluate(
            """() => ({
              page: document.documentElement.scrollWidth,
              kinds: [...document.querySelectorAll('#items tr.row td:nth-child(2) .kind')].map(
                s => ({text: s.textContent, height: s.getBoundingClientRect().height,
                       lineHeight: parseFloat(getComputedStyle(s).lineHeight),
                       cut: s.parentElement.scrollWidth > s.parentElement.clientWidth}))
            })"""
        )
        assert sizes["page"] <= 1366  # no sideways scrolling
        for kind in sizes["kinds"]:
            assert not kind["cut"], kind  # not cut off with an ellipsis
            assert kind["height"] < 1.5 * kind["lineHeight"], kind  # one line, no wrap
        texts = {k["text"] for k in sizes["kinds"]}
        assert {"Missing auth", "Auth expiring", "Unknown rule", "Follow-up due"} <= texts
        expect(page.locator("#items tr.row.at-once td.due")).to_contain_text("at once")
    finally:
        context.close()


def test_a_claim_a_colleague_won_shows_the_new_owner_in_the_row(
    signed_in_page: Callable[[User], Page], specialist: User, specialist2: User
) -> None:
    item = make_item(Queue.STAT)
    page = signed_in_page(specialist)
    row = page.locator(f'tr[data-item="{item.pk}"]')
    expect(row).to_contain_text("unclaimed")
    claiming.claim(item, by=specialist2)  # meanwhile, before the list refreshes
    with page.expect_response(f"**/items/{item.pk}/claim/") as answer:
        row.get_by_role("button", name="Claim").click()
    assert answer.value.status == 409
    expect(page.locator("#flash")).to_contain_text("Someone else has already claimed")
    expect(row).to_contain_text(specialist2.username)
    expect(row.get_by_role("button", name="Claim")).to_have_count(0)
    shot(page, "queue-claim-conflict")


def test_back_to_the_queue_keeps_the_filters(
    signed_in_page: Callable[[User], Page], specialist: User
) -> None:
    denied = make_item(Queue.ROUTINE, kind=ItemKind.DENIED)
    make_item(Queue.ROUTINE)
    page = signed_in_page(specialist)
    page.select_option("#id_kind", "denied")
    expect(page.locator("#items tr.row")).to_have_count(1)
    page.locator(f'tr[data-item="{denied.pk}"] a.plink').click()
    expect(page.locator("h1")).to_have_text("Denied")
    page.click("a.back")
    expect(page).to_have_url(re.compile(r"/queue/\?.*kind=denied"))
    expect(page.locator("#id_kind")).to_have_value("denied")
    expect(page.locator("#items tr.row")).to_have_count(1)
