"""A write that clashes with a key stored meanwhile is a 409, nothing saved; a database
rule the serializers did not check first stays a 400."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory, force_authenticate

from payers.api import PayerViewSet
from payers.models import Payer

pytestmark = pytest.mark.django_db


def _answer_to(exc: Exception, user) -> tuple[int, dict]:
    """The API's answer when a POST to payers/ meets `exc` (a real database error)."""
    raw = APIRequestFactory().post("/api/v1/payers/", {}, format="json")
    force_authenticate(raw, user)
    view = PayerViewSet(action="create", format_kwarg=None, headers={})
    view.request = Request(raw)
    view.args, view.kwargs = (), {}
    response = view.handle_exception(exc)
    return response.status_code, dict(response.data)


def test_a_duplicate_key_stored_meanwhile_is_a_409_and_nothing_saved(integration):
    Payer.objects.create(code="ACME", name="Acme")
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Payer.objects.create(code="ACME", name="Acme again")
    status, body = _answer_to(caught.value, integration)
    assert status == 409
    assert body["detail"].startswith("Conflicts with a record stored meanwhile")
    assert list(Payer.objects.values_list("name", flat=True)) == ["Acme"]


def test_a_broken_check_rule_is_a_400_not_a_409(integration):
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Payer.objects.create(code="A/B", name="Slash")
    status, body = _answer_to(caught.value, integration)
    assert status == 400
    assert "code" in body
