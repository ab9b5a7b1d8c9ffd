"""In a real browser: an administrator adds payer rules in the admin. Codes typed with
spaces become separate codes; a rule ending before it starts is refused in words at the
end date, with no constraint name on the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts import roles
from payers.models import PayerRule
from tests import factories as f
from tests.browser.conftest import shot


@pytest.fixture
def administrator(make_user):
    user = make_user("admin1", roles.ADMIN)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def _fill_rule(page, codes: str, start: str, end: str) -> None:
    # The payer box is the admin's autocomplete: open it, type, pick the match.
    page.locator(".field-payer .select2-selection").click()
    page.locator(".select2-search__field").fill("ACME")
    page.locator(".select2-results__option", has_text="ACME").click()
    page.fill("#id_codes", codes)
    page.fill("#id_effective_from", start)
    page.fill("#id_effective_to", end)


@pytest.mark.django_db(transaction=True)
def test_an_admin_adds_rules_with_typed_codes_and_sees_span_errors_in_words(
    signed_in_page, live_url, administrator
):
    f.payer("ACME")
    page = signed_in_page(administrator)

    page.goto(f"{live_url}/admin/payers/payerrule/add/")
    _fill_rule(page, "95910 95911", "2026-05-04", "2026-05-01")
    page.click("input[name=_save]")
    expect(page.locator(".field-effective_to")).to_contain_text(
        "Must be on or after effective_from (2026-05-04)."
    )
    expect(page.locator("body")).not_to_contain_text("payers_payerrule_span_ordered")
    shot(page, "admin-rule-span-error")
    assert not PayerRule.objects.exists()

    page.fill("#id_effective_to", "")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert PayerRule.objects.get().codes == ["95910", "95911"]
