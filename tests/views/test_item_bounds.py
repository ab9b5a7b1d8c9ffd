"""The pages refuse what would break them or be stored wrong: an approval without its
payer, numbers past their bound, dates outside the window, NUL characters."""

from __future__ import annotations

import pytest
from django.urls import reverse

from authq.lib.bounds import MAX_VISITS
from patients.models import Coverage
from payers.models import Authorization, AuthStatus
from tests import factories as f
from tests.views.conftest import HTMX
from tests.views.item_fixtures import missing_auth_item, order_of, soon
from worklists.models import WorkItem, WorkItemEvent

pytestmark = pytest.mark.django_db


def act(item: WorkItem, name: str) -> str:
    return reverse(f"worklists:item-{name}", args=[item.pk])


def approval(**kw: str) -> dict[str, str]:
    data = {
        "decide-outcome": "approved",
        "decide-auth_number": "AUTH-77",
        "decide-start_date": soon(0).isoformat(),
        "decide-end_date": soon(60).isoformat(),
        "decide-approved_visits": "12",
        "decide-channel": "phone",
    }
    data.update(kw)
    return data


def _uncovered_item() -> WorkItem:
    item = missing_auth_item()
    Coverage.objects.filter(patient_id=order_of(item).patient_id).delete()
    return item


def _nothing_recorded(item: WorkItem) -> bool:
    return (
        not Authorization.objects.filter(order_id=item.order_id).exists()
        and not WorkItemEvent.objects.filter(work_item=item, kind="decided").exists()
    )


# Point 4: an approval names its payer


def test_an_approval_answered_at_once_takes_the_primary_coverage_payer(specialist_web):
    item = missing_auth_item()
    payer = Coverage.objects.get(patient_id=order_of(item).patient_id).payer
    assert specialist_web.post(act(item, "decide"), approval()).status_code == 302
    assert Authorization.objects.get(order_id=item.order_id).payer == payer


def test_an_approval_answered_at_once_without_any_payer_is_refused_at_the_payer_field(
    specialist_web,
):
    item = _uncovered_item()
    response = specialist_web.post(act(item, "decide"), approval())
    assert response.status_code == 400
    assert "An approval needs the payer that gave it" in response.text
    errors = response.context["form"].errors
    assert list(errors) == ["payer"]
    assert _nothing_recorded(item)


def test_an_approval_answered_at_once_with_the_payer_chosen_is_saved_with_it(specialist_web):
    item = _uncovered_item()
    other = f.payer("OTHER")
    response = specialist_web.post(act(item, "decide"), approval(**{"decide-payer": other.pk}))
    assert response.status_code == 302
    auth = Authorization.objects.get(order_id=item.order_id)
    assert (auth.status, auth.payer) == (AuthStatus.APPROVED, other)


def test_approving_a_request_sent_without_a_payer_needs_one(specialist_web):
    item = _uncovered_item()
    request = f.auth(order_of(item), "submitted")
    response = specialist_web.post(
        act(item, "decide"), approval(**{"decide-authorization": request.pk}), **HTMX
    )
    assert "An approval needs the payer that gave it" in response.text
    request.refresh_from_db()
    assert request.status == AuthStatus.SUBMITTED
    payer = f.payer("LATE")
    specialist_web.post(
        act(item, "decide"),
        approval(**{"decide-authorization": request.pk, "decide-payer": payer.pk}),
    )
    request.refresh_from_db()
    assert (request.status, request.payer) == (AuthStatus.APPROVED, payer)


# Point 5: numbers have a maximum


@pytest.mark.parametrize("visits", ["4294967298", "4294967295", str(MAX_VISITS + 1)])
def test_approved_visits_past_the_bound_are_a_form_error_not_a_wrap_or_a_500(
    specialist_web, visits
):
    item = missing_auth_item()
    response = specialist_web.post(
        act(item, "decide"), approval(**{"decide-approved_visits": visits})
    )
    assert response.status_code == 400
    assert f"Ensure this value is less than or equal to {MAX_VISITS}." in response.text
    assert _nothing_recorded(item)


def test_requested_visits_and_the_plan_year_limit_have_maximums(specialist_web):
    item = missing_auth_item()
    response = specialist_web.post(
        act(item, "submit"),
        {"submit-channel": "portal", "submit-requested_visits": "4294967295"},
    )
    assert response.status_code == 400
    assert f"Ensure this value is less than or equal to {MAX_VISITS}." in response.text
    assert not Authorization.objects.filter(order_id=item.order_id).exists()
    coverage = Coverage.objects.get(patient_id=order_of(item).patient_id)
    response = specialist_web.post(
        reverse("worklists:item-benefits", args=[item.pk, coverage.pk]),
        {f"cov{coverage.pk}-plan_year_visit_limit": "4294967298"},
    )
    assert response.status_code == 400
    coverage.refresh_from_db()
    assert coverage.plan_year_visit_limit is None


# Dates at the calendar's edge


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_decision_dated_outside_the_window_is_refused_and_the_page_still_opens(
    specialist_web, day
):
    item = missing_auth_item()
    response = specialist_web.post(act(item, "decide"), approval(**{"decide-end_date": day}))
    assert response.status_code == 400
    assert "Give a date from 1900-01-01 to 2100-12-31." in response.text
    assert _nothing_recorded(item)
    assert specialist_web.get(reverse("worklists:item", args=[item.pk])).status_code == 200


def test_a_follow_up_date_outside_the_window_is_refused(specialist_web):
    item = missing_auth_item()
    response = specialist_web.post(act(item, "follow-up"), {"fu-follow_up_on": "9999-12-31"})
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.follow_up_on is None


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_the_scheduler_check_refuses_a_date_outside_the_window(scheduler_web, day):
    item = missing_auth_item()
    url = reverse("worklists:scheduler-order", args=[item.order_id]) + f"?day={day}"
    page = scheduler_web.get(url, **HTMX)
    assert page.status_code == 200
    assert "Give a date from 1900-01-01 to 2100-12-31." in page.text


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_the_audit_search_and_the_dashboard_refuse_dates_outside_the_window(manager_web, day):
    for name in ("worklists:audit", "reports:dashboard"):
        page = manager_web.get(reverse(name), {"start": day, "end": day})
        assert page.status_code == 200, name
        assert "Give a date from 1900-01-01 to 2100-12-31." in page.text, name


# NUL characters in pages


def test_a_nul_in_a_page_query_is_a_400_naming_it(manager_web):
    response = manager_web.get(reverse("worklists:audit"), {"mrn": "M\x00"})
    assert response.status_code == 400
    assert "mrn: Cannot contain a NUL character." in response.text


@pytest.mark.parametrize(
    "place",
    [
        "after=0.9999-12-31.0001-01-01.9223372036854775808",
        "before=1.0001-01-01.9999-12-31.99999999999999999999",
    ],
)
def test_a_queue_place_past_what_the_database_compares_is_ignored(specialist_web, place):
    missing_auth_item()
    response = specialist_web.get(reverse("worklists:queue") + f"?page=2&{place}")
    assert response.status_code == 200
    assert "Missing authorization" in response.text


def test_a_nul_in_a_queue_place_is_a_400_naming_it(specialist_web):
    response = specialist_web.get(reverse("worklists:queue") + "?after=0.2026-01-01.x.1%00")
    assert response.status_code == 400
    assert "after: Cannot contain a NUL character." in response.text
