"""Hostile text in the queue's rows, read by a real browser: shown as text, never run."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from accounts import roles
from tests.views.test_queue_rows import HOSTILE, SONS, hostile_item

pytestmark = pytest.mark.django_db(transaction=True)


def test_hostile_text_is_shown_as_text_and_injects_nothing(
    signed_in_page: Callable[[User], Page], specialist: User, make_user: Callable[..., User]
) -> None:
    colleague = make_user('o\'brien&"sons"<i>', roles.SPECIALIST)
    item, _, _ = hostile_item(colleague)
    page = signed_in_page(specialist)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(page.url)  # the queue again, now watched for dialogs
    row = page.locator(f'#items tr[data-item="{item.pk}"]')
    expect(row).to_have_count(1)
    cells = row.locator("td")
    expect(cells.nth(2)).to_have_text("M<1>&'\"")
    expect(row.locator("a.plink")).to_have_text(f"{HOSTILE}, {SONS}")
    expect(cells.nth(3)).to_have_attribute("title", f"{HOSTILE}, {SONS}")
    expect(cells.nth(4)).to_have_text(f"<b>{SONS} · C<&>'\"")
    expect(cells.nth(5)).to_have_text(f"{HOSTILE} payer")
    expect(cells.nth(8)).to_have_text(f"{HOSTILE} dept")
    expect(cells.nth(9)).to_have_text(colleague.username)
    # Nothing in the table came from the records as markup.
    assert page.locator("#items script, #items i, #items tbody td b").count() == 0
    assert dialogs == []
