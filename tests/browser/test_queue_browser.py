"""The queue in a real browser: sign in, STAT first, claim next, at once, idle sign-out."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from playwright.sync_api import Page, expect

from authq import middleware
from tests.browser.conftest import shot
from tests.views.items import make_item, make_items
from worklists.models import ItemKind, ItemStatus, Queue, WorkItem

pytestmark = pytest.mark.django_db(transaction=True)


def test_specialist_sees_stat_first_and_claims_the_top_stat_item(
    signed_in_page: Callable[[User], Page], specialist: User
) -> None:
    make_items(4, Queue.ROUTINE)
    make_item(Queue.ROUTINE, due_in=-3, kind=ItemKind.DENIED)
    make_item(Queue.STAT, due_in=2)
    top = make_item(Queue.STAT, due_in=0)
    page = signed_in_page(specialist)
    assert page.url.endswith("/queue/")
    first_row = page.locator("#items tr.row").first
    expect(first_row).to_have_attribute("data-item", str(top.pk))
    expect(first_row).to_have_class(re.compile(r"\bstat\b"))
    shot(page, "queue-specialist")
    with page.expect_response("**/queue/claim-next/"):
        page.click("#claim-next")
    top.refresh_from_db()
    assert (top.status, top.assignee_id) == (ItemStatus.IN_PROGRESS, specialist.pk)
    assert f"/items/{top.pk}/" in page.url or page.url.endswith("/queue/")


def test_two_specialists_claim_next_at_once_and_get_different_items(
    signed_in_page: Callable[[User], Page], specialist: User, specialist2: User
) -> None:
    make_items(3, Queue.STAT)
    pages = [signed_in_page(specialist), signed_in_page(specialist2)]
    # Both forms are submitted together: the clicks are dispatched before either answer.
    first, second = pages
    with (
        first.expect_response("**/queue/claim-next/") as one,
        second.expect_response("**/queue/claim-next/") as two,
    ):
        for page in pages:
            page.evaluate("document.querySelector('form.claim-next').requestSubmit()")
    assert one.value.status == two.value.status == 200
    claimed = WorkItem.objects.filter(status=ItemStatus.IN_PROGRESS)
    assert sorted(claimed.values_list("assignee__username", flat=True)) == ["spec1", "spec2"]
    assert claimed.values("id").distinct().count() == 2


def test_claim_a_row_and_filters_survive_the_refresh(
    signed_in_page: Callable[[User], Page], specialist: User
) -> None:
    stat = make_item(Queue.STAT, due_in=1)
    make_item(Queue.ROUTINE)
    page = signed_in_page(specialist)
    page.select_option("#id_queue", "stat")
    expect(page.locator("#items tr.row")).to_have_count(1)
    assert "queue=stat" in page.url
    page.locator(f'tr[data-item="{stat.pk}"] button', has_text="Claim").click()
    expect(page.locator("#flash")).to_contain_text(f"You claimed item {stat.pk}")
    expect(page.locator("#items tr.row")).to_have_count(1)
    expect(page.locator(f'tr[data-item="{stat.pk}"]')).to_contain_text("you")


def test_idle_sign_out_on_the_next_poll(
    signed_in_page: Callable[[User], Page], specialist: User
) -> None:
    make_item(Queue.STAT)
    page = signed_in_page(specialist)
    expect(page.locator("#items tr.row")).to_have_count(1)
    # Sixteen minutes pass: move the stored last activity back in the session row.
    (session,) = [
        s
        for s in Session.objects.all()
        if s.get_decoded().get("_auth_user_id") == str(specialist.pk)
    ]
    data = session.get_decoded()
    data[middleware.LAST_ACTIVITY] -= 16 * 60
    Session.objects.save(session.session_key, data, session.expire_date)
    # The auto-refresh would fire within 30 s; trigger it now rather than wait.
    page.evaluate(
        "htmx.ajax('GET', '/queue/', {target: '#results', swap: 'outerHTML',"
        " headers: {'X-Authq-Background': '1'}})"
    )
    page.wait_for_url("**/accounts/login/**")
    expect(page.locator("h1")).to_have_text("Sign in")
    assert not Session.objects.filter(session_key=session.session_key).exists()


def test_scheduler_is_refused_the_queue(
    signed_in_page: Callable[[User], Page], scheduler: User, live_url: str
) -> None:
    page = signed_in_page(scheduler)
    response = page.goto(f"{live_url}/queue/")
    assert response is not None and response.status == 403


def test_keyboard_claim_next(signed_in_page: Callable[[User], Page], specialist: User) -> None:
    top = make_item(Queue.STAT)
    page = signed_in_page(specialist)
    page.keyboard.press("j")  # j/k select rows
    expect(page.locator("#items tr.row.selected")).to_have_attribute("data-item", str(top.pk))
    page.focus("#claim-next")
    with page.expect_response("**/queue/claim-next/"):
        page.keyboard.press("Enter")
    top.refresh_from_db()
    assert top.assignee_id == specialist.pk


def test_a_busy_queue_reads_well(
    signed_in_page: Callable[[User], Page], specialist: User, specialist2: User
) -> None:
    """Thirty items of mixed kinds, payers, departments and owners; saved as a screenshot."""
    from tests import factories as f

    payers = [
        f.payer(code, name=name)
        for code, name in [("AET", "Aetna"), ("BCB", "BlueCross"), ("UHC", "UnitedHealthcare")]
    ]
    kinds = list(ItemKind.values)
    departments = ["PT", "Imaging", "Ortho", ""]
    for i in range(30):
        make_item(
            Queue.STAT if i % 5 == 0 else Queue.ROUTINE,
            due_in=(i % 11) - 3,
            kind=kinds[i % len(kinds)],
            payer=payers[i % 3],
            department=departments[i % 4],
            affected=1 + i % 6,
            assignee=[None, None, specialist2, specialist][i % 4],
            status=ItemStatus.OPEN if i % 4 < 2 else ItemStatus.IN_PROGRESS,
        )
    page = signed_in_page(specialist)
    expect(page.locator("#items tr.row")).to_have_count(30)
    expect(page.locator("#items tr.row.overdue").first).to_be_visible()
    shot(page, "queue-busy")
    page.locator("#items tr.row details.assign summary").first.click()
    shot(page, "queue-assign-open")
