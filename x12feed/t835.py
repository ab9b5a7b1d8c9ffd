"""835 remittances: each service line's adjustments. A line denied because its
authorization failed (CARC 15, 39, 197, 198, 243; RARC N54, M62) becomes a
`claim_denied_auth` work item of the billing queue; a paid line carrying an
authorization number confirms its visit; a line that matches no visit is reported."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from authq.lib.clock import day_start
from patients import services as patient_services
from patients.models import Appointment, AppointmentStatus
from payers.models import Authorization, Payer
from worklists.claim_denials import DeniedLine, record_claim_denial
from x12feed.dates import BadDate, amount, day
from x12feed.matching import coverages, payer_named
from x12feed.models import Outcome
from x12feed.parse import Segment, Transaction
from x12feed.report import Report, error_text

AUTH_CARCS = frozenset({"15", "39", "197", "198", "243"})
AUTH_RARCS = frozenset({"N54", "M62"})
# Visits that a paid line confirms: booked ones become fulfilled.
CONFIRMABLE = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN)
# CAS holds up to six adjustments: reason (CAS02, 05, ...), amount (03, 06, ...).
CAS_TRIPLES = ((2, 3), (5, 6), (8, 9), (11, 12), (14, 15), (17, 18))


@dataclass
class Line:
    claim_number: str
    member_ids: list[str]
    at: Segment
    code: str = ""
    paid: Decimal = Decimal("0")
    service_date: dt.date | None = None
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)  # group, CARC, $
    rarcs: list[str] = field(default_factory=list)
    auth_number: str = ""
    segments: list[Segment] = field(default_factory=list)

    @property
    def auth_carcs(self) -> list[str]:
        return [f"{g}-{c}" for g, c, _ in self.adjustments if c in AUTH_CARCS]

    @property
    def auth_rarcs(self) -> list[str]:
        return [r for r in self.rarcs if r in AUTH_RARCS]

    @property
    def denied_amount(self) -> Decimal:
        codes = [(g, c, a) for g, c, a in self.adjustments if c in AUTH_CARCS]
        if not codes:  # denied by a remark code alone: the contractual adjustments
            codes = [(g, c, a) for g, c, a in self.adjustments if g == "CO"]
        return sum((a for _, _, a in codes), Decimal("0"))


@dataclass
class Remittance:
    payer_id: str = ""
    date: dt.date | None = None
    lines: list[Line] = field(default_factory=list)


def read(tx: Transaction) -> Remittance:
    found = Remittance()
    claim = ""
    claim_date: dt.date | None = None
    members: list[str] = []
    line: Line | None = None
    for seg in tx.body():
        sid = seg.id
        if sid == "BPR" and seg.get("BPR16"):
            found.date = day(seg.get("BPR16"))
        elif sid == "DTM" and seg.get("DTM01") == "405" and found.date is None:
            found.date = day(seg.get("DTM02"))
        elif sid == "N1" and seg.get("N101") == "PR":
            found.payer_id = seg.get("N104")
        elif sid == "CLP":
            claim, members, claim_date, line = seg.get("CLP01"), [], None, None
        elif sid == "NM1" and seg.get("NM101") in ("QC", "IL") and seg.get("NM109"):
            members.append(seg.get("NM109"))
        elif sid == "DTM" and seg.get("DTM01") == "232" and line is None:
            claim_date = day(seg.get("DTM02"))
        elif sid == "SVC":
            line = Line(claim, list(members), seg, service_date=claim_date)
            line.code = seg.get("SVC01-2")
            line.paid = amount(seg.get("SVC03"), "SVC03")
            found.lines.append(line)
        if line is None:
            continue
        line.segments.append(seg)
        if sid == "DTM" and seg.get("DTM01") in ("472", "150"):
            line.service_date = day(seg.get("DTM02"))
        elif sid == "CAS":
            for reason_at, amount_at in CAS_TRIPLES:
                reason = seg.get(f"CAS{reason_at:02d}")
                if reason:
                    money = amount(seg.get(f"CAS{amount_at:02d}"), f"CAS{amount_at:02d}")
                    line.adjustments.append((seg.get("CAS01"), reason, money))
        elif sid == "LQ" and seg.get("LQ01") == "HE" and seg.get("LQ02"):
            line.rarcs.append(seg.get("LQ02"))
        elif sid == "REF" and seg.get("REF01") in ("G1", "BB") and seg.get("REF02"):
            line.auth_number = seg.get("REF02")
    return found


def _appointment(line: Line, payer: Payer | None) -> tuple[Appointment | None, Payer | None]:
    """The visit of the line: a patient whose coverage has the line's member id, a visit
    on the date of service, of an order with the billed code (else of another code)."""
    patients: set[int] = set()
    coverage_payer = None
    for member in line.member_ids:
        for coverage in coverages(member, payer):
            patients.add(coverage.patient_id)
            coverage_payer = coverage_payer or coverage.payer
    if not patients or line.service_date is None:
        return None, payer or coverage_payer
    start = day_start(line.service_date)
    visits = list(
        Appointment.objects.filter(
            order__patient_id__in=patients,
            start__gte=start,
            start__lt=day_start(line.service_date + dt.timedelta(days=1)),
        )
        .exclude(status__in=(AppointmentStatus.CANCELLED, AppointmentStatus.ENTERED_IN_ERROR))
        .select_related("order")
        .order_by("start", "id")
    )
    visits.sort(key=lambda a: a.order.code != line.code)
    return (visits[0] if visits else None), payer or coverage_payer


def apply(tx: Transaction, report: Report, *, by: Any) -> None:
    try:
        remittance = read(tx)
    except BadDate as exc:
        report.rejected(tx, str(exc))
        return
    if not remittance.lines:
        report.add(tx, "transaction", Outcome.IGNORED, "No service line (SVC) in this 835.")
        return
    payer = payer_named(remittance.payer_id)
    for line in remittance.lines:
        _apply_line(tx, line, remittance, payer, report, by=by)


def _where(line: Line) -> str:
    when = line.service_date.isoformat() if line.service_date else "no date"
    return f"Claim {line.claim_number} line {line.code or '?'} on {when}"


def _apply_line(
    tx: Transaction,
    line: Line,
    remittance: Remittance,
    payer: Payer | None,
    report: Report,
    *,
    by: Any,
) -> None:
    auth_codes = line.auth_carcs + line.auth_rarcs
    if not auth_codes and not (line.paid > 0 and line.auth_number):
        codes = ", ".join(f"{g}-{c}" for g, c, _ in line.adjustments) or "none"
        report.add(
            tx,
            "line",
            Outcome.IGNORED,
            f"{_where(line)}: no authorization-related adjustment (adjustments: {codes}).",
            at=line.at,
        )
        return
    appointment, payer = _appointment(line, payer)
    if appointment is None or payer is None:
        report.add(
            tx,
            "line",
            Outcome.UNMATCHED,
            f"{_where(line)}: no visit matches the member id, date of service and code.",
            at=line.at,
            raw=line.segments,
        )
        return
    if auth_codes:
        _deny(tx, line, remittance, payer, appointment, report, by=by)
    else:
        _confirm(tx, line, appointment, report)


def _deny(
    tx: Transaction,
    line: Line,
    remittance: Remittance,
    payer: Payer,
    appointment: Appointment,
    report: Report,
    *,
    by: Any,
) -> None:
    assert line.service_date is not None
    denied = DeniedLine(
        payer=payer,
        claim_number=line.claim_number[:50],
        service_date=line.service_date,
        code=line.code[:16],
        denied_amount=max(line.denied_amount, Decimal("0")),
        carcs=line.auth_carcs,
        rarcs=line.rarcs,
        remittance_date=remittance.date or line.service_date,
    )
    try:
        with transaction.atomic():
            denial, created = record_claim_denial(
                appointment.order, denied, appointment=appointment, by=by
            )
    except ValidationError as exc:
        report.add(tx, "line", Outcome.REJECTED, error_text(exc), at=line.at, raw=line.segments)
        return
    codes = ", ".join(line.auth_carcs + line.auth_rarcs)
    report.add(
        tx,
        "line",
        Outcome.APPLIED if created else Outcome.UNCHANGED,
        f"{_where(line)}: denied ({codes}), ${denial.denied_amount}: {denial.reason}; "
        f"work item {denial.work_item_id}, appeal by {denial.appeal_deadline.isoformat()}.",
        at=line.at,
    )


def _confirm(tx: Transaction, line: Line, appointment: Appointment, report: Report) -> None:
    auth = Authorization.objects.filter(
        order_id=appointment.order_id, auth_number=line.auth_number
    ).first()
    if auth is None:
        report.add(
            tx,
            "line",
            Outcome.UNMATCHED,
            f"{_where(line)}: paid, but the order has no authorization {line.auth_number}.",
            at=line.at,
            raw=line.segments,
        )
        return
    if appointment.status not in CONFIRMABLE:
        report.add(
            tx,
            "line",
            Outcome.UNCHANGED,
            f"{_where(line)}: paid under authorization {line.auth_number}; the visit is "
            f"already {appointment.status}.",
            at=line.at,
        )
        return
    patient_services.update_appointment(appointment, status=AppointmentStatus.FULFILLED)
    report.add(
        tx,
        "line",
        Outcome.APPLIED,
        f"{_where(line)}: paid under authorization {line.auth_number}: the visit counts as "
        "a use of it (fulfilled).",
        at=line.at,
    )
