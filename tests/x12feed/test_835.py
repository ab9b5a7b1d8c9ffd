"""835 remittances: lines denied for their authorization (CARC 15, 39, 197, 198, 243;
RARC N54, M62) become claim_denied_auth items of the billing queue, with the reason
in a specialist's words from authq's records; a non-auth denial (45) creates nothing;
paid lines with an auth number confirm the visit; unmatched lines are reported."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from patients.models import AppointmentStatus
from tests import factories as f
from tests.x12feed.conftest import lines
from tests.x12feed.x12 import interchange
from worklists.models import ClaimDenial, DenialCause, ItemKind, Queue, WorkItem
from worklists.scan.apply import reevaluate_order

pytestmark = pytest.mark.django_db


def remittance(*claims: list[str], paid_on: str = "20270110") -> list[str]:
    return [
        f"BPR*I*100*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999999999*DA*654321*{paid_on}",
        "TRN*1*EFT-1*1512345678",
        "DTM*405*" + paid_on,
        "N1*PR*TEST PAYER*XV*BCX",
        "N1*PE*TEST PRACTICE*XX*1234567893",
        "LX*1",
        *[segment for claim in claims for segment in claim],
    ]


def claim(number: str, *service_lines: list[str], member: str = "M835") -> list[str]:
    return [
        f"CLP*{number}*4*300*0**12*PAYERCLAIM{number}",
        f"NM1*QC*1*SYNTHETIC*PAT****MI*{member}",
        *[segment for line in service_lines for segment in line],
    ]


def line(code: str, day: str, *adjustments: str, paid: str = "0", extra: tuple = ()) -> list[str]:
    return [f"SVC*HC:{code}*150*{paid}**1", f"DTM*472*{day}", *adjustments, *extra]


@pytest.fixture
def pt():
    """A PT order of 97110: visits from Dec 1, an approval of 2 visits to Dec 31."""
    payer = f.payer("BCX")
    f.rule(payer, appeal_window_days=30)
    patient = f.patient()
    f.coverage(patient, payer, member_id="M835")
    order = f.order(patient, code="97110")
    return order


def _items():
    return WorkItem.objects.filter(kind=ItemKind.CLAIM_DENIED_AUTH)


def test_a_denial_without_authorization_opens_a_billing_item(send, pt):
    visit = f.visit(pt, "2026-12-03", status="fulfilled")
    record = send(
        interchange("835", remittance(claim("C1", line("97110", "20261203", "CAS*CO*197*150"))))
    )
    assert lines(record) == [("line", "applied")]
    item = _items().get()
    assert (item.queue, item.status, item.order) == (Queue.BILLING, "open", pt)
    denial = item.denials.get()
    assert denial.reason == "no authorization on file for 97110 on Dec 3"
    assert denial.cause == DenialCause.MISSING
    assert (denial.claim_number, denial.code, denial.service_date) == (
        "C1",
        "97110",
        f.d("2026-12-03"),
    )
    assert denial.denied_amount == Decimal("150.00") and denial.carcs == ["CO-197"]
    assert denial.appointment == visit
    # The appeal deadline: the rule's 30 days from the remittance date.
    assert denial.appeal_deadline == item.due_date == f.d("2027-02-09")


@pytest.mark.parametrize("carc", ["15", "39", "197", "198", "243"])
def test_every_auth_related_carc_creates_an_item(send, pt, carc):
    f.visit(pt, "2026-12-03", status="fulfilled")
    send(
        interchange("835", remittance(claim("C1", line("97110", "20261203", f"CAS*CO*{carc}*150"))))
    )
    assert _items().get().denials.get().carcs == [f"CO-{carc}"]


@pytest.mark.parametrize("rarc", ["N54", "M62"])
def test_an_auth_related_remark_code_creates_an_item(send, pt, rarc):
    f.visit(pt, "2026-12-03", status="fulfilled")
    send(
        interchange(
            "835",
            remittance(
                claim("C1", line("97110", "20261203", "CAS*CO*16*150", extra=(f"LQ*HE*{rarc}",)))
            ),
        )
    )
    denial = _items().get().denials.get()
    assert denial.rarcs == [rarc] and denial.denied_amount == Decimal("150.00")


def test_a_non_auth_denial_creates_nothing(send, pt):
    f.visit(pt, "2026-12-03", status="fulfilled")
    record = send(
        interchange("835", remittance(claim("C1", line("97110", "20261203", "CAS*CO*45*150"))))
    )
    assert lines(record) == [("line", "ignored")]
    assert "CO-45" in record.lines.get().message
    assert not _items().exists() and not ClaimDenial.objects.exists()


def test_expired_exceeded_and_wrong_code_in_a_specialists_words(send, pt):
    f.auth(
        pt,
        "approved",
        auth_number="AU-1",
        start_date="2026-12-01",
        end_date="2026-12-31",
        approved_visits=2,
    )
    for day in ("2026-12-01", "2026-12-02", "2026-12-03"):
        f.visit(pt, day, status="fulfilled")
    f.visit(pt, "2027-01-05", status="fulfilled")
    other = f.order(pt.patient, code="97140")
    f.visit(other, "2026-12-04", status="fulfilled")
    send(
        interchange(
            "835",
            remittance(
                claim(
                    "C9",
                    line("97110", "20261203", "CAS*CO*198*150"),
                    line("97110", "20270105", "CAS*CO*15*150"),
                    line("97530", "20261204", "CAS*CO*197*150"),
                )
            ),
        )
    )
    reasons = dict(ClaimDenial.objects.values_list("service_date", "reason"))
    assert reasons[f.d("2026-12-03")] == "visit 3 of 2 approved (authorization AU-1)"
    assert reasons[f.d("2027-01-05")] == "authorization AU-1 expired Dec 31 (visit on Jan 5)"
    assert reasons[f.d("2026-12-04")].startswith("billed 97530 on Dec 4")
    causes = sorted(ClaimDenial.objects.values_list("cause", flat=True))
    assert causes == sorted([DenialCause.EXCEEDED, DenialCause.EXPIRED, DenialCause.WRONG_CODE])
    # Two orders: the 97110 order's item holds its two lines.
    assert sorted(i.affected_appointments for i in _items()) == [1, 2]


def test_matching_by_member_id_date_and_code_and_the_unmatched_line(send, pt):
    stranger = f.order(f.patient(), code="97110")
    f.coverage(stranger.patient, f.payer("OTHER"), member_id="M999")
    f.visit(stranger, "2026-12-03", status="fulfilled")
    mine = f.visit(pt, "2026-12-03", status="fulfilled")
    f.visit(pt, "2026-12-03", status="cancelled", hour=8)
    record = send(
        interchange(
            "835",
            remittance(
                claim("C1", line("97110", "20261203", "CAS*CO*197*150")),
                claim("C2", line("97110", "20261209", "CAS*CO*197*90")),  # no visit that day
                claim("C3", line("97110", "20261203", "CAS*CO*197*90"), member="NOBODY"),
            ),
        )
    )
    assert lines(record) == [("line", "applied"), ("line", "unmatched"), ("line", "unmatched")]
    assert ClaimDenial.objects.get().appointment == mine
    unmatched = record.lines.filter(outcome="unmatched").first()
    assert "Claim C2 line 97110 on 2026-12-09" in unmatched.message and unmatched.raw.startswith(
        "SVC*HC:97110"
    )


def test_flagged_before_the_date_of_service_or_not(send, pt):
    flagged = f.visit(pt, "2026-12-10", status="booked")
    reevaluate_order(pt.pk, as_of=f.d("2026-12-03"))  # the scan opens missing_auth
    WorkItem.objects.filter(order=pt).update(created_at=f.at("2026-12-03"))
    flagged.status = AppointmentStatus.FULFILLED
    flagged.save()
    unflagged = f.order(pt.patient, code="97112")  # booked and seen without a scan
    f.visit(unflagged, "2026-12-11", status="fulfilled")
    send(
        interchange(
            "835",
            remittance(
                claim("C1", line("97110", "20261210", "CAS*CO*197*150")),
                claim("C2", line("97112", "20261211", "CAS*CO*197*150")),
            ),
        )
    )
    denials = dict(ClaimDenial.objects.values_list("claim_number", "flagged_before"))
    assert denials == {"C1": True, "C2": False}


def test_a_paid_line_with_an_auth_number_confirms_the_visit(send, pt):
    f.auth(pt, "approved", auth_number="AU-7", start_date="2026-12-01", end_date="2026-12-31")
    visit = f.visit(pt, "2026-12-03", status="booked")
    record = send(
        interchange(
            "835",
            remittance(
                claim(
                    "C1",
                    line("97110", "20261203", "CAS*CO*45*50", paid="100", extra=("REF*G1*AU-7",)),
                )
            ),
        )
    )
    assert lines(record) == [("line", "applied")]
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.FULFILLED
    assert not _items().exists()


def test_the_same_remittance_twice_creates_nothing_new(send, pt):
    f.visit(pt, "2026-12-03", status="fulfilled")
    text = interchange("835", remittance(claim("C1", line("97110", "20261203", "CAS*CO*197*150"))))
    first = send(text)
    assert send(text).pk == first.pk
    resent = send(text.replace("000001001", "000001002"))  # a new interchange, same lines
    assert lines(resent) == [("line", "unchanged")]
    assert ClaimDenial.objects.count() == 1 and _items().count() == 1


def test_the_scan_leaves_billing_items_alone(send, pt):
    f.visit(pt, "2026-12-03", status="fulfilled")
    send(interchange("835", remittance(claim("C1", line("97110", "20261203", "CAS*CO*197*150")))))
    reevaluate_order(pt.pk, as_of=dt.date(2027, 1, 12))
    assert _items().get().status == "open"


def test_billing_items_are_listed_and_filtered_by_the_work_items_api(send, pt, api):
    f.visit(pt, "2026-12-03", status="fulfilled")
    send(interchange("835", remittance(claim("C1", line("97110", "20261203", "CAS*CO*197*150")))))
    found = api.get("/api/v1/work-items/", {"queue": "billing", "kind": "claim_denied_auth"})
    assert found.status_code == 200
    assert [(i["queue"], i["kind"]) for i in found.json()["results"]] == [
        ("billing", "claim_denied_auth")
    ]
    assert api.get("/api/v1/work-items/", {"queue": "stat"}).json()["results"] == []
