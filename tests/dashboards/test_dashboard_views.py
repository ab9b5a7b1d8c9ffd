"""The dashboard page: who reaches it, htmx regions, filters in the query, CSV exports."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts import roles
from payers.models import Payer
from tests import mfa
from tests.dashboards.conftest import HOSTILE
from tests.views.conftest import HTMX

PASSWORD = "correct-horse-battery"

pytestmark = pytest.mark.django_db

URL = reverse("reports:dashboard")
IN_RANGE = {"start": "2026-10-01", "end": "2026-10-20"}


@pytest.fixture
def admin_role_user(make_user: Callable[..., User]) -> User:
    return make_user("admin1", roles.ADMIN)


def test_managers_and_admins_see_the_dashboard(
    practice: dict[str, Any],
    manager_web: Client,
    admin_role_user: User,
    web_as: Callable[..., Client],
) -> None:
    for client in (manager_web, web_as(admin_role_user)):
        response = client.get(URL, IN_RANGE)
        assert response.status_code == 200
        body = response.content.decode()
        assert "Managers' dashboard" in body
        assert "<svg" in body and "Alpha Health" in body
        assert 'hx-get="' + URL + '"' in body


def test_specialists_schedulers_and_outsiders_get_403(
    specialist_web: Client, scheduler_web: Client, outsider_web: Client
) -> None:
    for client in (specialist_web, scheduler_web, outsider_web):
        assert client.get(URL).status_code == 403
        assert client.get(URL, {"export": "denials"}).status_code == 403


def test_anonymous_people_are_sent_to_sign_in() -> None:
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_nav_links_the_dashboard_for_managers_only(
    manager_web: Client, specialist_web: Client
) -> None:
    queue = reverse("worklists:queue")
    assert f'href="{URL}"' in manager_web.get(queue).content.decode()
    assert f'href="{URL}"' not in specialist_web.get(queue).content.decode()


def test_htmx_gets_only_the_board_region(practice: dict[str, Any], manager_web: Client) -> None:
    response = manager_web.get(URL, {**IN_RANGE, "payer": practice["beta"].pk}, **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="board"')
    assert "<html" not in body and 'id="dash-filters"' not in body
    assert 'data-figure="requests">3<' in body  # Beta's three requests


def test_filters_in_the_query_narrow_the_page(
    practice: dict[str, Any], manager_web: Client
) -> None:
    everything = manager_web.get(URL, IN_RANGE).content.decode()
    assert 'data-figure="requests">7<' in everything
    imaging = manager_web.get(URL, {**IN_RANGE, "category": "imaging"}).content.decode()
    assert 'data-figure="requests">3<' in imaging
    dept = manager_web.get(URL, {**IN_RANGE, "department": "Ortho PT"}).content.decode()
    assert 'data-figure="requests">4<' in dept


def test_csv_links_keep_the_filters(practice: dict[str, Any], manager_web: Client) -> None:
    body = manager_web.get(URL, {**IN_RANGE, "category": "imaging"}).content.decode()
    assert "?start=2026-10-01&amp;end=2026-10-20&amp;category=imaging&amp;export=scorecard" in body


def test_a_range_that_ends_before_it_starts_is_refused_politely(manager_web: Client) -> None:
    response = manager_web.get(URL, {"start": "2026-10-20", "end": "2026-10-01"})
    assert response.status_code == 200
    assert "To: The range ends before it starts: Oct 01, 2026 is before Oct 20, 2026." in (
        response.content.decode()
    )


def test_a_from_after_to_keeps_the_other_filters(
    practice: dict[str, Any], manager_web: Client
) -> None:
    wrong = {"start": "2026-10-20", "end": "2026-10-01", "category": "imaging", "grain": "day"}
    for extra in ({}, HTMX):
        response = manager_web.get(URL, wrong, **extra)
        body = response.content.decode()
        assert "To: The range ends before it starts" in body
        assert "the other filters still apply" in body
        # The range falls back to the default; the service and grain chosen still apply.
        shown = response.context["f"]
        default = manager_web.get(URL, {"category": "imaging", "grain": "day"}).context["f"]
        assert (shown.start, shown.end) == (default.start, default.end)
        assert (shown.category, shown.grain) == ("imaging", "day")
    # The form keeps what was typed, the wrong field marked for the person to fix.
    page = manager_web.get(URL, wrong).content.decode()
    assert 'value="2026-10-20"' in page and 'value="2026-10-01"' in page
    assert re.search(
        r'<input type="date" name="end" value="2026-10-01"[^>]*aria-invalid="true"', page
    )
    assert '<option value="imaging" selected>' in page


def test_csv_export_escapes_a_hostile_payer_name(
    practice: dict[str, Any], manager_web: Client
) -> None:
    # Denial reasons are codes now; a payer's name is text someone typed.
    Payer.objects.filter(pk=practice["alpha"].pk).update(name=HOSTILE)
    mfa.reauthenticate(manager_web, PASSWORD)  # a bulk export asks for it (S18)
    response = manager_web.get(URL, {**IN_RANGE, "export": "denials_by_payer"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    text = response.content.decode()
    assert text.splitlines()[0] == "Payer,Denial reason,Denied"
    assert "'" + HOSTILE.replace('"', '""') in text
    assert "\n=" not in text and '\n"=' not in text


def test_every_table_exports_and_an_unknown_one_is_404(
    practice: dict[str, Any], manager_web: Client
) -> None:
    from reports.export import TABLES

    mfa.reauthenticate(manager_web, PASSWORD)
    for table in TABLES:
        response = manager_web.get(URL, {**IN_RANGE, "export": table})
        assert response.status_code == 200, table
    assert manager_web.get(URL, {"export": "nope"}).status_code == 404


def test_a_hostile_payer_name_is_escaped_in_the_page(
    practice: dict[str, Any], manager_web: Client
) -> None:
    Payer.objects.filter(pk=practice["alpha"].pk).update(name=HOSTILE)
    body = manager_web.get(URL, IN_RANGE).content.decode()
    assert HOSTILE not in body  # quotes are escaped in HTML and SVG
    assert "=HYPERLINK(&quot;" in body


def test_page_queries_are_bounded_and_flat(
    practice: dict[str, Any],
    manager_web: Client,
    django_assert_max_num_queries: Any,
) -> None:
    from reports import refresh
    from tests import factories as f
    from tests.dashboards.conftest import SENT

    with django_assert_max_num_queries(40) as few:
        manager_web.get(URL, IN_RANGE)
    for i in range(15):
        payer, patient = f.practice(f"MORE{i}")
        order = f.order(patient)
        f.visit(order, "2026-10-02", status="fulfilled", department=f"Dept {i}")
        f.auth(order, "denied", payer=payer, submitted_at=SENT, denial_reason=f"reason {i}")
    refresh.refresh_request_facts(full=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        manager_web.get(URL, IN_RANGE)
