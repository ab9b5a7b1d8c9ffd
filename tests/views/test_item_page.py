"""The work-item page: who may see it, what it shows, and its cost in queries."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from payers.models import Authorization
from tests import factories as f
from tests.views.item_fixtures import missing_auth_item, order_of, soon
from worklists import item_actions

pytestmark = pytest.mark.django_db


def url(item):
    return reverse("worklists:item", args=[item.pk])


def test_specialists_and_managers_see_the_item_page(specialist_web, manager_web):
    item = missing_auth_item()
    for client in (specialist_web, manager_web):
        response = client.get(url(item))
        assert response.status_code == 200
        assert item.order.patient.mrn in response.text


def test_schedulers_and_outsiders_get_403_and_unknown_items_404(
    scheduler_web, outsider_web, specialist_web
):
    item = missing_auth_item()
    assert scheduler_web.get(url(item)).status_code == 403
    assert outsider_web.get(url(item)).status_code == 403
    assert specialist_web.get(reverse("worklists:item", args=[item.pk + 999])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client):
    item = missing_auth_item()
    response = client.get(url(item))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_page_shows_patient_order_diagnoses_and_the_gap(specialist_web):
    item = missing_auth_item(visits=2)
    order = order_of(item)
    text = specialist_web.get(url(item)).text
    patient = order.patient
    assert patient.first_name in text and patient.mrn in text
    assert patient.birth_date.isoformat() in text
    assert "M54.50" in text and "Low back pain, unspecified" in text
    assert order.code in text
    assert "2 gap" in text
    assert "Record the payer" in text


def test_managers_see_no_action_forms(manager_web):
    item = missing_auth_item()
    text = manager_web.get(url(item)).text
    assert "Record the payer" not in text
    assert "Dismiss item" not in text


def test_the_bar_counts_used_scheduled_and_left(specialist_web):
    item = missing_auth_item(visits=3)
    order = order_of(item)
    f.visit(order, soon(-5), status="fulfilled")
    f.auth(order, auth_number="A-1", start_date=soon(-30), end_date=soon(60), approved_visits=6)
    text = specialist_web.get(url(item)).text
    assert "1 used, 3 scheduled, 2 left of 6" in text


def test_unlimited_authorizations_say_so_and_old_ones_are_folded(specialist_web):
    item = missing_auth_item(visits=1)
    order = order_of(item)
    f.auth(order, auth_number="OLD-1", start_date=soon(-90), end_date=soon(-31), approved_visits=5)
    f.auth(order, auth_number="NOW-1", start_date=soon(-30), end_date=soon(60))
    text = specialist_web.get(url(item)).text
    assert "not limited by count" in text
    folded = text.split("old authorization")[1].split("</details>")[0]
    assert "OLD-1" in folded and "NOW-1" not in folded


def _grow(item, order, start, count):
    for i in range(start, start + count):
        f.auth(
            order,
            auth_number=f"N{i}",
            start_date=soon(-100 + i),
            end_date=soon(-40 + i) if i % 2 else soon(90),
            approved_visits=3,
        )
        f.visit(order, soon(-50 + i), status="fulfilled")
        f.visit(order, soon(3 + i), hour=15)
        item_actions.add_item_note(item, by=User.objects.get(username="spec1"), text=f"call {i}")


def test_queries_stay_flat_as_the_order_grows(specialist_web, django_assert_max_num_queries):
    item = missing_auth_item(visits=1)
    order = order_of(item)
    counts = []
    for start, count in ((0, 5), (5, 25)):
        _grow(item, order, start, count)
        with django_assert_max_num_queries(40) as ctx:  # 11 of them: audit inserts (S25)
            assert specialist_web.get(url(item)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert Authorization.objects.filter(order=order).count() == 30
    assert counts[0] == counts[1]
