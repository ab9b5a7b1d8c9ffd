"""The payer directory in the admin: the payer's contacts and its review vendors inline."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts import roles
from payers.models import Payer, ReviewVendor

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_web(make_user: Any) -> Client:
    user: User = make_user("setup", roles.ADMIN)
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def change_url(payer: Payer) -> str:
    return reverse("admin:payers_payer_change", args=[payer.pk])


def payer_form(payer: Payer, vendors: list[dict[str, str]], **changes: str) -> dict[str, str]:
    data = {
        "code": payer.code,
        "name": payer.name,
        "kind": payer.kind,
        "phone": payer.phone,
        "fax": payer.fax,
        "portal_url": payer.portal_url,
        "hours": payer.hours,
        "appeal_address": payer.appeal_address,
        "rules-TOTAL_FORMS": "0",
        "rules-INITIAL_FORMS": "0",
        "review_vendors-TOTAL_FORMS": str(len(vendors)),
        "review_vendors-INITIAL_FORMS": str(sum(1 for v in vendors if v.get("id"))),
        **changes,
    }
    for i, vendor in enumerate(vendors):
        for key, value in vendor.items():
            data[f"review_vendors-{i}-{key}"] = value
        data[f"review_vendors-{i}-payer"] = str(payer.pk)
    return data


def test_an_admin_edits_the_directory_and_adds_a_vendor_inline(admin_web: Client) -> None:
    payer = Payer.objects.create(code="ACME", name="Acme Health")
    response = admin_web.post(
        change_url(payer),
        payer_form(
            payer,
            [{"service_category": "imaging", "vendor": "eviCore", "phone": "(800) 555-0160"}],
            phone="(800) 555-0100",
            appeal_address="PO Box 1\nSpringfield",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    payer.refresh_from_db()
    assert (payer.phone, payer.appeal_address) == ("(800) 555-0100", "PO Box 1\nSpringfield")
    vendor = ReviewVendor.objects.get()
    assert (vendor.payer_id, vendor.service_category, vendor.vendor) == (
        payer.pk,
        "imaging",
        "eviCore",
    )


def test_a_second_vendor_for_the_same_service_is_a_form_error(admin_web: Client) -> None:
    payer = Payer.objects.create(code="ACME", name="Acme Health")
    rows = [
        {"service_category": "imaging", "vendor": "eviCore"},
        {"service_category": "imaging", "vendor": "Carelon"},
    ]
    response = admin_web.post(change_url(payer), payer_form(payer, rows))
    assert response.status_code == 200
    assert "Please correct the duplicate data for service_category." in response.content.decode()
    assert not ReviewVendor.objects.exists()


def test_a_vendor_is_changed_and_removed_inline(admin_web: Client) -> None:
    payer = Payer.objects.create(code="ACME", name="Acme Health")
    vendor = ReviewVendor.objects.create(payer=payer, service_category="imaging", vendor="eviCore")
    other = ReviewVendor.objects.create(
        payer=payer, service_category="physical_therapy", vendor="Evolent"
    )
    rows = [
        {"id": str(vendor.pk), "service_category": "imaging", "vendor": "Carelon"},
        {
            "id": str(other.pk),
            "service_category": "physical_therapy",
            "vendor": "Evolent",
            "DELETE": "on",
        },
    ]
    response = admin_web.post(change_url(payer), payer_form(payer, rows))
    assert response.status_code == 302
    assert list(ReviewVendor.objects.values_list("service_category", "vendor")) == [
        ("imaging", "Carelon")
    ]


def test_a_bad_portal_url_is_a_form_error(admin_web: Client) -> None:
    payer = Payer.objects.create(code="ACME", name="Acme Health")
    response = admin_web.post(change_url(payer), payer_form(payer, [], portal_url="not a url"))
    assert response.status_code == 200
    assert "Enter a valid URL." in response.content.decode()
    assert Payer.objects.get().portal_url == ""


def test_a_specialist_cannot_open_the_payer_admin(make_user: Any) -> None:
    user = make_user("spec", roles.SPECIALIST)
    client = Client()
    client.force_login(user)
    payer = Payer.objects.create(code="ACME", name="Acme Health")
    assert client.get(change_url(payer)).status_code == 302  # not staff: sent to sign in
