"""A payer's decision follows one set of rules (Authorization.decision_errors) whether it
is recorded on the work-item page, through the API or in the admin: what the page
refuses, the API refuses with a 400 naming the field, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from payers.models import Authorization, AuthStatus
from tests.api.conftest import post

pytestmark = pytest.mark.django_db


def pending(client: Any) -> dict[str, Any]:
    return post(
        client,
        "authorizations",
        {
            "order": "ORD-1",
            "payer": "ACME",
            "status": "submitted",
            "submitted_at": "2026-11-20T09:00:00-05:00",
        },
    )


def approval(**kw: Any) -> dict[str, Any]:
    return {
        "status": "approved",
        "start_date": "2026-11-25",
        "end_date": "2027-01-31",
        "decided_at": "2026-11-24T16:00:00-05:00",
        **kw,
    }


def patch_refused(client: Any, auth: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    response = client.patch(f"/api/v1/authorizations/{auth['id']}/", changes, format="json")
    assert response.status_code == 400, response.content
    assert Authorization.objects.get(pk=auth["id"]).status == AuthStatus.SUBMITTED
    return response.json()


def test_a_denial_without_its_reason_code_is_refused(practice: Any) -> None:
    auth = pending(practice)
    errors = patch_refused(
        practice,
        auth,
        {"status": "denied", "decided_at": "2026-11-24T16:00:00-05:00", "denial_reason": "no"},
    )
    assert set(errors) == {"denial_reason_code"}


def test_a_determination_code_that_contradicts_the_status_is_refused(practice: Any) -> None:
    auth = pending(practice)
    errors = patch_refused(practice, auth, approval(determination_code="A3"))
    assert set(errors) == {"determination_code"}
    assert "A3 does not fit" in errors["determination_code"][0]


def test_a_decision_dated_before_the_request_is_refused(practice: Any) -> None:
    auth = pending(practice)
    errors = patch_refused(practice, auth, approval(decided_at="2026-11-19T16:00:00-05:00"))
    assert set(errors) == {"decided_at"}


def test_a_second_post_that_decides_follows_the_same_rules(practice: Any) -> None:
    auth = post(
        practice,
        "authorizations",
        {
            "order": "ORD-1",
            "payer": "ACME",
            "auth_number": "A-9",
            "status": "submitted",
            "submitted_at": "2026-11-20T09:00:00-05:00",
        },
    )
    response = practice.post(
        "/api/v1/authorizations/",
        {
            "order": "ORD-1",
            "auth_number": "A-9",
            "status": "denied",
            "decided_at": "2026-11-24T16:00:00-05:00",
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"denial_reason_code"}
    assert Authorization.objects.get(pk=auth["id"]).status == AuthStatus.SUBMITTED


def test_a_correct_decision_through_the_api_is_taken(practice: Any) -> None:
    auth = pending(practice)
    response = practice.patch(
        f"/api/v1/authorizations/{auth['id']}/",
        {
            "status": "denied",
            "decided_at": "2026-11-24T16:00:00-05:00",
            "denial_reason_code": "medical_necessity",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert Authorization.objects.get(pk=auth["id"]).status == AuthStatus.DENIED
