"""271 responses: the coverage's benefits (copay B, coinsurance A, deductible and amount
met C by EB06, visit limit F with HSD or EB09/EB10) for the service type of the
patient's orders, written by the specialist's benefits service with its history."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests import factories as f
from tests.x12feed.conftest import lines
from tests.x12feed.x12 import interchange
from worklists.models import EventKind, WorkItem, WorkItemEvent
from worklists.scan.apply import reevaluate_order

pytestmark = pytest.mark.django_db


def response(*benefits: str, member: str = "M271") -> list[str]:
    return [
        "BHT*0022*11*ELIG-1*20261203*1200",
        "HL*1**20*1",
        "NM1*PR*2*TEST PAYER*****PI*BCX",
        "HL*2*1*21*1",
        "NM1*1P*2*TEST PRACTICE*****XX*1234567893",
        "HL*3*2*22*0",
        "TRN*2*ELIG-1*9PRACTICE1",
        f"NM1*IL*1*SYNTHETIC*PAT****MI*{member}",
        "DTP*291*RD8*20260101-20261231",
        "EB*1*IND*30**GOLD PPO",
        *benefits,
    ]


@pytest.fixture
def coverage():
    payer = f.payer("BCX")
    f.rule(payer)
    patient = f.patient()
    cov = f.coverage(patient, payer, member_id="M271")
    order = f.order(patient, service_category="physical_therapy")
    f.visit(order, "2026-12-10")
    reevaluate_order(order.pk, as_of=f.d("2026-12-03"))
    return cov


def test_every_benefit_kind_fills_the_benefits_form_fields(send, manager, coverage):
    record = send(
        interchange(
            "271",
            response(
                "EB*B*IND*PT***27*35",  # copay $35 a visit
                "EB*A*IND*PT*****0.2",  # coinsurance 20 %
                "EB*C*IND*PT***23*1500",  # deductible for the calendar year
                "EB*C*IND*PT***29*400",  # of which 400 remain
                "EB*F*IND*PT",  # a limit, its quantity in HSD
                "HSD*VS*20***22",
            ),
        )
    )
    assert lines(record) == [("benefits", "applied")]
    coverage.refresh_from_db()
    assert coverage.copay == Decimal("35.00")
    assert coverage.coinsurance_percent == Decimal("20.00")
    assert (coverage.deductible, coverage.deductible_met) == (
        Decimal("1500.00"),
        Decimal("1100.00"),
    )
    assert coverage.plan_year_visit_limit == 20
    assert coverage.benefits_verified_by == manager and coverage.benefits_verified_at is not None
    assert "service type PT" in record.lines.get().message


def test_the_amount_met_and_a_limit_in_eb09(send, coverage):
    send(
        interchange(
            "271",
            response("EB*C*IND*PT***23*1000", "EB*C*IND*PT***24*250", "EB*F*IND*PT******VS*30"),
        )
    )
    coverage.refresh_from_db()
    assert (coverage.deductible, coverage.deductible_met) == (Decimal("1000.00"), Decimal("250.00"))
    assert coverage.plan_year_visit_limit == 30


def test_the_service_type_of_the_patients_order_wins_over_the_plan(send, coverage):
    send(
        interchange(
            "271",
            response("EB*B*IND*30***27*50", "EB*B*IND*AE***27*25", "EB*B*IND*MH***27*10"),
        )
    )
    coverage.refresh_from_db()
    assert coverage.copay == Decimal("25.00")  # AE, physical medicine: the PT order's


def test_repeated_service_types_in_eb03(send, coverage):
    send(interchange("271", response("EB*B*IND*MH^PT***27*15")))
    coverage.refresh_from_db()
    assert coverage.copay == Decimal("15.00")


def test_only_plan_benefits_apply_to_the_coverage(send, coverage):
    send(interchange("271", response("EB*A*IND*30*****0.1")))
    coverage.refresh_from_db()
    assert coverage.coinsurance_percent == Decimal("10.00")


def test_the_verification_is_in_the_items_history_like_the_form(send, manager, coverage):
    item = WorkItem.objects.open().get(order__patient=coverage.patient)
    send(interchange("271", response("EB*B*IND*PT***27*35")))
    event = WorkItemEvent.objects.get(work_item=item, kind=EventKind.BENEFITS_VERIFIED)
    assert event.data == {"coverage": coverage.pk, "source": "X12 271, interchange 000001001"}
    assert event.actor == manager


def test_an_unknown_member_is_reported_and_changes_nothing(send, coverage):
    record = send(interchange("271", response("EB*B*IND*PT***27*35", member="NOPE")))
    assert lines(record) == [("benefits", "unmatched")]
    coverage.refresh_from_db()
    assert coverage.copay is None


def test_a_coinsurance_out_of_bounds_rejects_the_transaction(send, coverage):
    record = send(interchange("271", response("EB*A*IND*PT*****7")))
    assert lines(record) == [("transaction", "rejected")]
    assert "EB08" in record.lines.get().message
