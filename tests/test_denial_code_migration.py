"""The migration that gives stored free-text denial reasons a code."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest
from django.apps import apps

import payers
from payers.models import Authorization
from tests import factories as f

pytestmark = pytest.mark.django_db

TEXTS = {
    "Medical necessity not established by the submitted documentation": "medical_necessity",
    "Conservative treatment for six weeks not documented": "medical_necessity",
    "NOT MEDICALLY NECESSARY": "medical_necessity",
    "Requested visits exceed the plan's limit for the period": "exceeded_frequency",
    "Service not covered under the member's plan": "not_covered",
    "Out-of-network provider; in-network alternative available": "out_of_network",
    "Clinical notes missing from the request": "missing_information",
    "Peer to peer required before a decision": "peer_to_peer_required",
    "Member not eligible on the date of service": "not_eligible",
    "Retro request received after the service": "late_request",
    "See letter": "other",
    "   ": "",
    "": "",
}


def migration() -> ModuleType:
    """The payers migration holding the mapping, found by content (numbers change at merge)."""
    folder = Path(payers.__file__).parent / "migrations"
    for path in sorted(folder.glob("0*.py")):
        module = importlib.import_module(f"payers.migrations.{path.stem}")
        if hasattr(module, "code_existing_denials"):
            return module
    raise AssertionError("no migration maps denial reasons")


def test_the_mapping_reads_the_obvious_reasons_and_calls_the_rest_other() -> None:
    module = migration()
    for text, code in TEXTS.items():
        assert module.code_for_text(text) == code, text


def test_the_migration_codes_stored_denials_in_sql_as_the_mapping_does() -> None:
    order = f.order()
    auths = {
        text: f.auth(order, "denied", denial_reason=text, auth_number=f"D{i}")
        for i, text in enumerate(TEXTS)
    }
    already = f.auth(
        order,
        "denied",
        auth_number="CODED",
        denial_reason="Clinical notes missing",
        denial_reason_code="peer_to_peer_required",
    )
    migration().code_existing_denials(apps, None)
    for text, auth in auths.items():
        auth.refresh_from_db()
        assert auth.denial_reason_code == TEXTS[text], text
        assert auth.denial_reason == text  # the payer's words are kept
    already.refresh_from_db()
    assert already.denial_reason_code == "peer_to_peer_required"
    assert Authorization.objects.filter(denial_reason_code="other").count() == 1
