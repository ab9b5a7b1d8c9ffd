"""Two integration engines pushing the same record at once leave one record, not two."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from patients import services as patient_services
from patients.models import Coverage, Patient
from payers import services as payer_services
from payers.models import Authorization
from tests.api.conftest import authorization_payload, coverage_payload, patient_payload, post

pytestmark = pytest.mark.django_db(transaction=True)


def _race(
    monkeypatch: pytest.MonkeyPatch,
    module: Any,
    finder: str,
    user: Any,
    collection: str,
    payload: dict[str, Any],
) -> list[int]:
    """POST `payload` from two threads whose key lookups are made to run side by side.

    Both lookups are held at a barrier: without the parent-row lock, both find nothing
    and both insert. With it, the second request waits for the first to commit, so the
    barrier times out and it finds the record the first one made.
    """
    barrier = threading.Barrier(2, timeout=1)
    find: Callable[..., Any] = getattr(module, finder)

    def side_by_side(*args: Any, **kwargs: Any) -> Any:
        found = find(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return found

    monkeypatch.setattr(module, finder, side_by_side)
    statuses: list[int] = []

    def push() -> None:
        client = APIClient()
        client.force_authenticate(user)
        try:
            response = client.post(f"/api/v1/{collection}/", payload, format="json")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=push) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_the_same_authorization_posted_twice_at_once_is_stored_once(
    practice, integration, monkeypatch
):
    statuses = _race(
        monkeypatch,
        payer_services,
        "find_authorization",
        integration,
        "authorizations",
        authorization_payload(),
    )
    assert statuses == [200, 201]
    assert Authorization.objects.count() == 1


def test_the_same_coverage_posted_twice_at_once_is_stored_once(practice, integration, monkeypatch):
    statuses = _race(
        monkeypatch,
        patient_services,
        "find_coverage",
        integration,
        "coverages",
        coverage_payload(),
    )
    assert statuses == [200, 201]
    assert Coverage.objects.count() == 1


def test_the_same_patient_posted_by_many_engines_at_once_is_stored_once(api, integration):
    statuses: list[int] = []

    def push() -> None:
        client = APIClient()
        client.force_authenticate(integration)
        try:
            statuses.append(
                client.post("/api/v1/patients/", patient_payload(), format="json").status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=push) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 5 + [201]
    assert Patient.objects.count() == 1
    post(api, "patients", patient_payload(), 200)
