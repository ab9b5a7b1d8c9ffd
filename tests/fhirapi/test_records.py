"""Each bundle leaves an import record: who, when, counts, the refused entries as sent."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from accounts import roles
from fhirapi.models import BundleImport
from tests import factories as f
from tests.fhirapi import bundles as b

pytestmark = pytest.mark.django_db


def post(client: APIClient, body: Any) -> Any:
    return client.post("/fhir/", json.dumps(body), content_type="application/fhir+json")


@pytest.fixture
def acme() -> None:
    f.payer("ACME")


def test_a_batch_is_recorded_with_its_counts_and_refused_entries(
    api: APIClient, integration: User, acme: None
) -> None:
    bad = b.appointment("ServiceRequest/ORD-NONE", "APT-9")
    body = {
        **b.bundle(
            "batch",
            ("urn:uuid:p1", b.patient()),
            ("urn:uuid:c1", b.coverage("urn:uuid:p1")),
            (None, bad),
        ),
        "id": "feed-2026-12-01-0001",
    }

    post(api, body)
    post(api, body)

    first, second = BundleImport.objects.order_by("id")
    assert (first.created_by, first.kind, first.source_id, first.applied) == (
        integration,
        "batch",
        "feed-2026-12-01-0001",
        True,
    )
    assert (first.entries, first.created, first.updated, first.unchanged, first.rejected) == (
        3,
        2,
        0,
        0,
        1,
    )
    # The same bundle again: nothing created or changed.
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 0, 2, 1)
    (refused,) = first.rejected_entries.all()
    assert (refused.index, refused.path) == (2, "Bundle.entry[2].resource.basedOn[0]")
    assert "ServiceRequest/ORD-NONE is neither in this bundle nor in authq" in refused.message
    assert refused.raw["resource"] == bad


def test_a_changed_record_counts_as_updated(api: APIClient, acme: None) -> None:
    post(api, b.bundle("batch", (None, b.patient())))

    post(api, b.bundle("batch", (None, b.patient(birthDate="1970-05-02"))))

    latest = BundleImport.objects.order_by("-id").first()
    assert latest is not None
    assert (latest.created, latest.updated, latest.unchanged) == (0, 1, 0)


def test_a_rolled_back_transaction_is_recorded_as_not_applied(api: APIClient, acme: None) -> None:
    body = b.bundle(
        "transaction",
        ("urn:uuid:p1", b.patient()),
        (None, b.coverage("urn:uuid:p1", payor=[{"reference": "Organization/NOPE"}])),
    )

    post(api, body)

    record = BundleImport.objects.get()
    assert (record.applied, record.created, record.rejected) == (False, 0, 1)
    assert record.rejected_entries.get().path == "Bundle.entry[1].resource.payor[0]"


def test_administrators_see_the_bundles_in_the_admin(
    make_user: Any, api: APIClient, acme: None
) -> None:
    post(api, b.bundle("batch", (None, b.patient())))
    record = BundleImport.objects.get()
    admin = make_user("adm1", roles.ADMIN)
    admin.is_staff = True
    admin.save()
    web = Client()
    web.force_login(admin)

    listing = web.get("/admin/fhirapi/bundleimport/")
    page = web.get(f"/admin/fhirapi/bundleimport/{record.pk}/change/")

    assert listing.status_code == 200 and page.status_code == 200
    assert "Bundle imports" in listing.content.decode()
