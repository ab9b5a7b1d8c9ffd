"""278 responses: every HCR01 action code recorded through the specialist's "record the
payer's answer" (same transitions, events and re-evaluation), matched by the payer
reference (REF*NT) or trace number (TRN02) of a submitted request."""

from __future__ import annotations

import pytest

from payers.models import AuthStatus, DenialReason
from tests import factories as f
from tests.x12feed.conftest import lines
from tests.x12feed.x12 import interchange
from worklists.models import EventKind, ItemKind, ItemStatus, WorkItem, WorkItemEvent
from worklists.scan.apply import reevaluate_order

pytestmark = pytest.mark.django_db


def response(*event: str, trace: str = "REF-777") -> list[str]:
    return [
        "BHT*0007*11*REQ-1*20261203*1200",
        "HL*1**20*1",
        "NM1*X3*2*TEST PAYER*****PI*BCX",
        "HL*2*1*21*1",
        "NM1*1P*2*TEST PRACTICE*****XX*1234567893",
        "HL*3*2*22*1",
        "NM1*IL*1*SYNTHETIC*PAT****MI*M100",
        "HL*4*3*EV*0",
        f"TRN*2*{trace}*9PAYER0001",
        "UM*HS*I*2",
        *event,
    ]


@pytest.fixture
def request_sent():
    """A PT order with visits in December, its request pending at the payer."""
    payer, patient = f.practice("BCX")
    order = f.order(patient, code="97110")
    for day in ("2026-12-08", "2026-12-10"):
        f.visit(order, day)
    auth = f.auth(order, "submitted", payer=payer, payer_reference="REF-777")
    reevaluate_order(order.pk, as_of=f.d("2026-12-03"))
    return auth


def _status(auth):
    auth.refresh_from_db()
    return auth


def test_a1_approves_with_its_number_span_and_visits_like_a_specialist(send, request_sent):
    item = WorkItem.objects.open().get(order=request_sent.order)
    record = send(
        interchange(
            "278", response("HCR*A1*AUTH-555", "DTP*AAH*RD8*20261201-20270131", "HSD*VS*12")
        )
    )
    assert lines(record) == [("decision", "applied")]
    auth = _status(request_sent)
    assert (auth.status, auth.determination_code, auth.auth_number) == (
        "approved",
        "A1",
        "AUTH-555",
    )
    assert (auth.start_date, auth.end_date, auth.approved_visits) == (
        f.d("2026-12-01"),
        f.d("2027-01-31"),
        12,
    )
    decided = WorkItemEvent.objects.get(work_item=item, kind=EventKind.DECIDED)
    assert decided.data["outcome"] == "approved" and decided.data["determination"] == "A1"
    item.refresh_from_db()
    assert item.status == ItemStatus.RESOLVED  # re-evaluated: the visits are covered


@pytest.mark.parametrize(("code", "status"), [("A2", "partial"), ("A6", "partial")])
def test_a2_and_a6_are_partial_approvals(send, request_sent, code, status):
    send(
        interchange(
            "278", response(f"HCR*{code}*AUTH-9", "DTP*472*RD8*20261201-20261231", "HSD*VS*4")
        )
    )
    auth = _status(request_sent)
    assert (auth.status, auth.determination_code, auth.approved_visits) == (status, code, 4)


def test_a3_denies_with_the_reason_code(send, request_sent):
    send(interchange("278", response("HCR*A3**35")))
    auth = _status(request_sent)
    assert (auth.status, auth.determination_code) == ("denied", "A3")
    assert auth.denial_reason_code == DenialReason.MEDICAL_NECESSITY
    assert WorkItem.objects.open().filter(order=auth.order, kind=ItemKind.DENIED).exists()


def test_a3_with_a_reason_authq_does_not_code_is_other(send, request_sent):
    send(interchange("278", response("HCR*A3**ZZ")))
    auth = _status(request_sent)
    assert auth.denial_reason_code == DenialReason.OTHER and auth.denial_reason == "HCR03 ZZ"


def test_a4_pends_the_request(send, request_sent):
    record = send(interchange("278", response("HCR*A4")))
    auth = _status(request_sent)
    assert (auth.status, auth.determination_code) == ("submitted", "A4")
    assert lines(record) == [("decision", "applied")]


def test_c_cancels_the_request(send, request_sent):
    send(interchange("278", response("HCR*C")))
    auth = _status(request_sent)
    assert (auth.status, auth.determination_code) == (AuthStatus.CANCELLED, "C")


@pytest.mark.parametrize("code", ["CT", "NA"])
def test_ct_and_na_are_noted_and_the_request_stays_submitted(send, request_sent, code):
    record = send(interchange("278", response(f"HCR*{code}")))
    auth = _status(request_sent)
    assert (auth.status, auth.determination_code) == ("submitted", code)
    assert f"({code})" in record.lines.get().message


def test_the_number_in_ref_bb_and_matching_by_ref_nt(send, request_sent):
    request_sent.payer_reference = "UMO-42"
    request_sent.save()
    send(
        interchange(
            "278",
            response(
                "REF*NT*UMO-42",
                "HCR*A1",
                "REF*BB*BB-900",
                "DTP*AAH*RD8*20261201-20261231",
                trace="OTHER-TRACE",
            ),
        )
    )
    auth = _status(request_sent)
    assert (auth.status, auth.auth_number) == ("approved", "BB-900")


def test_an_unknown_reference_is_reported_unmatched(send, request_sent):
    record = send(interchange("278", response("HCR*A1*X", trace="NOBODY")))
    assert lines(record) == [("decision", "unmatched")]
    assert "NOBODY" in record.lines.get().message
    assert _status(request_sent).status == "submitted"


def test_an_approval_without_a_span_is_rejected_naming_the_field(send, request_sent):
    record = send(interchange("278", response("HCR*A1*AUTH-1")))
    assert lines(record) == [("decision", "rejected")]
    assert record.lines.get().message == (
        "HCR01 A1: start_date: Required when status is approved.; "
        "end_date: Required when status is approved."
    )
    assert _status(request_sent).status == "submitted"


def test_a_bad_date_rejects_the_transaction(send, request_sent):
    record = send(interchange("278", response("HCR*A1*AUTH-1", "DTP*AAH*RD8*20261301-20270131")))
    assert lines(record) == [("transaction", "rejected")]
    assert "20261301" in record.lines.get().message


def test_the_same_decision_again_changes_nothing(send, request_sent):
    event = ("HCR*A1*AUTH-555", "DTP*AAH*RD8*20261201-20270131")
    send(interchange("278", response(*event)))
    again = send(interchange("278", response(*event), control="1002"))
    assert lines(again) == [("decision", "unchanged")]
    assert WorkItemEvent.objects.filter(kind=EventKind.DECIDED).count() == 1
