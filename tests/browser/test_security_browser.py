"""In a real browser: no Content-Security-Policy violation on the pages people use, htmx
swaps included (S5); nothing of a patient kept in browser storage (S8); after sign-out the
Back button shows no patient (S9). The CSP listener itself lives in conftest.py."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from accounts import roles
from tests.views.items import make_item
from worklists.models import Queue

pytestmark = pytest.mark.django_db(transaction=True)


# htmx keeps the current address (for Back) and nothing else; history snapshots are off.
HTMX_PATH_KEY = "htmx-current-path-for-history"


def _storage_is_empty(page: Page, *phi: str) -> None:
    """Browser storage holds at most htmx's address and the admin's colour theme, no PHI."""
    local, session = page.evaluate(
        "[Object.assign({}, localStorage), Object.assign({}, sessionStorage)]"
    )
    assert set(local) <= {"theme"}, page.url
    assert set(session) <= {HTMX_PATH_KEY}, page.url
    for text in phi:
        assert text not in str(session) + str(local), page.url


def test_specialist_pages_and_swaps_raise_no_csp_violation(
    signed_in_page, live_url, specialist, csp_violations
) -> None:
    item = make_item(Queue.STAT)
    surname = item.order.patient.last_name
    page = signed_in_page(specialist)
    expect(page.locator("#items tr.row")).to_have_count(1)
    # An htmx swap: the filter form replaces the results.
    page.locator("#id_queue").select_option("routine")
    expect(page.locator("#items tr.row")).to_have_count(0)
    page.locator("#id_queue").select_option("stat")
    expect(page.locator("#items tr.row")).to_have_count(1)
    _storage_is_empty(page, surname, item.order.patient.mrn)

    page.goto(f"{live_url}/items/{item.pk}/")
    expect(page.locator("body")).to_contain_text(surname)
    page.goto(f"{live_url}/orders/{item.order_id}/timeline/")
    expect(page.locator("h1")).to_be_visible()
    page.goto(f"{live_url}/api/schema/ui/")
    expect(page.locator("#swagger-ui")).to_contain_text("authq API")
    _storage_is_empty(page, surname, item.order.patient.mrn)
    assert csp_violations == []


def test_manager_and_admin_pages_raise_no_csp_violation(
    signed_in_page, live_url, manager, make_user, csp_violations
) -> None:
    make_item(Queue.ROUTINE)
    page = signed_in_page(manager)
    page.goto(f"{live_url}/dashboard/")
    expect(page.locator("h1")).to_be_visible()
    page.goto(f"{live_url}/audit/")
    expect(page.locator("h1")).to_be_visible()
    _storage_is_empty(page)

    admin: User = make_user("site-admin", roles.ADMIN)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    page = signed_in_page(admin)
    page.goto(f"{live_url}/admin/patients/patient/")
    expect(page.locator("#content h1")).to_be_visible()
    page.goto(f"{live_url}/admin/payers/payerrule/add/")
    expect(page.locator("#content h1")).to_be_visible()
    _storage_is_empty(page)
    assert csp_violations == []


def test_back_after_sign_out_shows_no_patient(signed_in_page, live_url, specialist) -> None:
    item = make_item(Queue.STAT)
    surname = item.order.patient.last_name
    page = signed_in_page(specialist)
    page.goto(f"{live_url}/items/{item.pk}/")
    expect(page.locator("body")).to_contain_text(surname)
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("Sign in")
    page.go_back()
    page.wait_for_load_state()
    assert surname not in page.content()
    _storage_is_empty(page, surname)
