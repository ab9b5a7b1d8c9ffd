"""Denial figures count the payer's coded reasons; uncoded denials make one row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from payers.models import DenialReason
from reports import figures, refresh
from tests import factories as f
from tests import mfa

pytestmark = pytest.mark.django_db

SENT = f.at("2026-10-05", 8)
NOW = f.at("2026-10-20", 12)
RANGE = figures.Filters(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 20))


def _denied(order: Any, payer: Any, code: str, text: str = "", sent: dt.datetime = SENT) -> None:
    f.auth(
        order,
        "denied",
        payer=payer,
        submitted_at=sent,
        decided_at=sent + dt.timedelta(hours=30),
        determination_code="A3",
        denial_reason_code=code,
        denial_reason=text,
    )


@pytest.fixture
def denials() -> None:
    """Alpha (therapy): 2 medical necessity, 1 missing information, 1 with text only.
    Beta (imaging): 1 medical necessity, 1 out of network, 1 with no reason at all.
    Left out: a coded denial sent in August, and a coded one since approved."""
    alpha, pa = f.practice("ALPHA")
    beta, pb = f.practice("BETA")
    a_order = f.order(pa, service_category="physical_therapy")
    b_order = f.order(pb, service_category="imaging", code="72148")
    _denied(a_order, alpha, DenialReason.MEDICAL_NECESSITY)
    _denied(a_order, alpha, DenialReason.MEDICAL_NECESSITY, "Not medically necessary")
    _denied(a_order, alpha, DenialReason.MISSING_INFORMATION)
    _denied(a_order, alpha, "", "Notes from the old system")
    _denied(b_order, beta, DenialReason.MEDICAL_NECESSITY)
    _denied(b_order, beta, DenialReason.OUT_OF_NETWORK)
    _denied(b_order, beta, "")
    _denied(b_order, beta, DenialReason.NOT_COVERED, sent=f.at("2026-08-03", 9))
    f.auth(
        b_order,
        "approved",
        payer=beta,
        submitted_at=SENT,
        start_date="2026-10-01",
        end_date="2026-12-31",
        denial_reason_code=DenialReason.EXCEEDED_FREQUENCY,
    )
    refresh.refresh_request_facts(full=True, now=NOW)


def _counts(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], int]:
    return {tuple(r[k] for k in keys): r["n"] for r in rows}


def test_denials_are_counted_by_reason_code_with_labels(denials: None) -> None:
    rows = figures.denial_reasons(RANGE)
    assert [(r["reason"], r["n"]) for r in rows] == [
        ("Medical necessity not established", 3),
        (figures.NOT_CODED, 2),
        ("Missing information or records", 1),
        ("Out of network", 1),
    ]


def test_denial_reasons_split_by_payer_and_by_service(denials: None) -> None:
    by_payer = _counts(figures.denial_reasons(RANGE, by="payer"), "payer", "code")
    assert by_payer == {
        ("Payer ALPHA", "medical_necessity"): 2,
        ("Payer ALPHA", "missing_information"): 1,
        ("Payer ALPHA", ""): 1,
        ("Payer BETA", "medical_necessity"): 1,
        ("Payer BETA", "out_of_network"): 1,
        ("Payer BETA", ""): 1,
    }
    by_service = _counts(figures.denial_reasons(RANGE, by="category"), "category", "reason")
    assert by_service[("Imaging", "Out of network")] == 1
    assert by_service[("Physical therapy", figures.NOT_CODED)] == 1


def test_a_code_recorded_later_reaches_the_figures_at_the_next_refresh(denials: None) -> None:
    from payers.models import Authorization

    Authorization.objects.filter(denial_reason="Notes from the old system").update(
        denial_reason_code=DenialReason.PEER_TO_PEER_REQUIRED, updated_at=NOW
    )
    refresh.refresh_request_facts(now=NOW + dt.timedelta(minutes=5))
    rows = _counts(figures.denial_reasons(RANGE), "code")
    assert rows[("peer_to_peer_required",)] == 1
    assert rows[("",)] == 1


def test_the_page_and_csv_show_the_reason_labels(denials: None, manager_web: Client) -> None:
    url = reverse("reports:dashboard")
    query = {"start": "2026-10-01", "end": "2026-10-20"}
    body = manager_web.get(url, query).content.decode()
    assert "Medical necessity not established" in body
    assert figures.NOT_CODED in body
    assert "Notes from the old system" not in body
    mfa.reauthenticate(manager_web, "correct-horse-battery")  # a bulk export asks (S18)
    text = manager_web.get(url, {**query, "export": "denials"}).content.decode()
    assert "Medical necessity not established,3" in text.splitlines()
