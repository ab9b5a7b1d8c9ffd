"""Search from the header (issue "The specialist's week", point 8)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from authq.lib import clock
from patients.models import AccessEvent, Patient
from tests import factories as f
from tests.views.items import make_item
from worklists.models import ItemStatus, WorkItem
from worklists.views.search import MAX_PATIENTS

pytestmark = pytest.mark.django_db

SEARCH = reverse("worklists:search")


def search(client: Client, q: str):  # noqa: ANN201
    return client.post(SEARCH, {"q": q})


@pytest.fixture
def ada() -> Patient:
    """Ada Quimby, born 1961-04-09, one order with an open item and an approved auth."""
    patient = f.patient(mrn="MRN-4471", last_name="Quimby", first_name="Ada")
    patient.birth_date = dt.date(1961, 4, 9)
    patient.save(update_fields=["birth_date"])
    return patient


@pytest.fixture
def ada_item(ada: Patient) -> WorkItem:
    item = make_item()
    order = item.order
    order.patient = ada
    order.external_id = "ORD-ADA-1"
    order.save(update_fields=["patient", "external_id"])
    f.auth(
        order,
        auth_number="AUTH-ADA-9",
        payer_reference="REF-ADA-3",
        start_date=clock.today(),
        end_date=clock.today() + dt.timedelta(days=60),
        approved_visits=8,
    )
    return item


@pytest.mark.parametrize(
    "q",
    [
        "Quimby, Ada",
        "quim, a",
        "QUIMBY,ADA",
        "1961-04-09",
        "04/09/1961",
        "MRN-4471",
        "ORD-ADA-1",
        "AUTH-ADA-9",
        "REF-ADA-3",
        "Quimby",
    ],
)
def test_each_kind_of_query_finds_the_patient_with_orders_items_and_auths(
    specialist_web: Client, ada_item: WorkItem, q: str
) -> None:
    f.patient(last_name="Other", first_name="Ada", mrn="MRN-9999")
    page = search(specialist_web, q)
    assert page.status_code == 200
    assert "Quimby, Ada" in page.text and "MRN-9999" not in page.text
    # The order links to its workspace, the open item to its page, the auth shows its span.
    assert reverse("worklists:order", args=[ada_item.order_id]) in page.text
    assert reverse("worklists:item", args=[ada_item.pk]) in page.text
    assert "Missing authorization" in page.text
    assert "AUTH-ADA-9" in page.text and "8 visits" in page.text
    assert clock.today().isoformat() in page.text


def test_near_misses_find_nothing(specialist_web: Client, ada_item: WorkItem) -> None:
    # MRN, order and auth ids match exactly; a first name alone is not a last name.
    for q in ("MRN-447", "ORD-ADA", "AUTH-ADA", "Ada", "Quimby, Bea", "1961-04-10"):
        page = search(specialist_web, q)
        assert page.status_code == 200
        assert "MRN-4471" not in page.text, q
        assert "Nothing found" in page.text


def test_closed_items_are_not_listed_as_open(specialist_web: Client, ada_item: WorkItem) -> None:
    WorkItem.objects.filter(pk=ada_item.pk).update(
        status=ItemStatus.RESOLVED, resolved_at=timezone.now()
    )
    page = search(specialist_web, "MRN-4471")
    assert reverse("worklists:item", args=[ada_item.pk]) not in page.text


def test_the_query_is_posted_never_put_in_a_url(specialist_web: Client, ada: Patient) -> None:
    home = specialist_web.get(reverse("worklists:queue"))
    # The header's form on every page: a POST with its CSRF token.
    assert f'<form method="post" action="{SEARCH}" class="top-search"' in home.text
    assert specialist_web.get(SEARCH, {"q": "Quimby"}).text.count("Quimby") == 0
    page = search(specialist_web, "Quimby, Ada")
    assert page.status_code == 200 and page.request["QUERY_STRING"] == ""
    assert 'method="get"' not in page.text.split("<main", 1)[1].split("</form>", 1)[0]


def test_csrf_is_required(specialist: object) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(specialist)  # type: ignore[arg-type]
    assert client.post(SEARCH, {"q": "Quimby"}).status_code == 403


def test_too_many_matches_show_the_first_ones_and_ask_to_refine(specialist_web: Client) -> None:
    for i in range(MAX_PATIENTS + 3):
        f.patient(last_name="Manyname", first_name=f"P{i:02d}")
    page = search(specialist_web, "Manyname")
    assert page.status_code == 200
    assert page.text.count("Manyname, P") == MAX_PATIENTS
    assert "Refine your search" in page.text


@pytest.mark.parametrize(
    ("q", "error"),
    [
        ("a", "at least two characters"),
        (", Ada", "last name before the comma"),
        ("1850-01-01", "birth date between"),
        ("x" * 101, "at most 100 characters"),
    ],
)
def test_bad_queries_get_a_form_error(specialist_web: Client, q: str, error: str) -> None:
    page = search(specialist_web, q)
    assert page.status_code == 400
    assert error in page.text


def test_query_count_does_not_grow_with_results(
    specialist_web: Client, django_assert_max_num_queries: object
) -> None:
    for i in range(8):
        item = make_item()
        Patient.objects.filter(pk=item.order.patient_id).update(
            last_name="Bulk", first_name=f"B{i}"
        )
        f.auth(item.order, status="submitted")
        f.order(item.order.patient)
    # Session, user, permissions, 4 reads, 1 audit insert, the session save.
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        page = search(specialist_web, "Bulk")
    assert page.text.count("Bulk, B") == 8


def test_results_are_recorded_in_the_access_audit(
    specialist_web: Client, specialist: object, ada_item: WorkItem, ada: Patient
) -> None:
    search(specialist_web, "Quimby, Ada")
    rows = {e.model: e for e in AccessEvent.objects.filter(user=specialist, action="view")}
    assert rows["patients.patient"].object_ids == [ada.pk]
    assert rows["patients.order"].object_ids == [ada_item.order_id]
    assert rows["worklists.workitem"].object_ids == [ada_item.pk]
    assert rows["payers.authorization"].patient_ids == [ada.pk]


def test_schedulers_search_and_land_on_their_order_page(
    scheduler_web: Client, ada_item: WorkItem
) -> None:
    page = search(scheduler_web, "Quimby, Ada")
    assert page.status_code == 200
    assert reverse("worklists:scheduler-order", args=[ada_item.order_id]) in page.text
    # Minimum necessary: no workspace, no item page, no diagnoses.
    assert f'href="{reverse("worklists:order", args=[ada_item.order_id])}"' not in page.text
    assert f'href="{reverse("worklists:item", args=[ada_item.pk])}"' not in page.text
    assert "Missing authorization" in page.text  # the status of the work, without details


def test_managers_may_search_outsiders_may_not(
    manager_web: Client, outsider_web: Client, ada: Patient
) -> None:
    assert search(manager_web, "Quimby").status_code == 200
    assert search(outsider_web, "Quimby").status_code == 403
    assert outsider_web.get(SEARCH).status_code == 403
    assert "top-search" not in outsider_web.get(reverse("worklists:home"), follow=True).text
    views = AccessEvent.objects.filter(action="view", patient_ids__contains=[ada.pk])
    assert not views.exclude(user__username="mgr1").exists()
