"""271 responses: the coverage's benefits (copay, coinsurance, deductible and amount met,
visit limit) for the service type of the patient's orders, recorded through the same
service as the specialist's benefits form."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from patients import services as patient_services
from patients.models import Coverage, ServiceCategory
from worklists import item_actions
from worklists.models import WorkItem
from x12feed.dates import BadDate, amount, quantity
from x12feed.matching import coverage_on, payer_named
from x12feed.models import Outcome
from x12feed.parse import Segment, Transaction
from x12feed.report import Report, error_text

# X12 service type codes (EB03) of each service category; 30 (health benefit plan
# coverage) stands for all of them when a payer answers only that.
SERVICE_TYPES: dict[str, tuple[str, ...]] = {
    ServiceCategory.PHYSICAL_THERAPY: ("PT", "AE"),
    ServiceCategory.OCCUPATIONAL_THERAPY: ("AD",),
    ServiceCategory.IMAGING: ("62", "4", "73"),
    ServiceCategory.DIAGNOSTIC_TESTING: ("5", "73"),
    ServiceCategory.INFUSION: ("92", "98"),
    ServiceCategory.SURGERY: ("2",),
    ServiceCategory.MEDICATION: ("88", "89"),
    ServiceCategory.BEHAVIORAL_HEALTH: ("MH", "A4"),
    ServiceCategory.SPECIALTY_CONSULT: ("3", "98"),
}
PLAN = "30"
# EB06 time periods: the amount for the period, what is left of it, what was met.
WHOLE_PERIODS = ("21", "22", "23", "25", "27", "32")
REMAINING = "29"
MET = ("24", "33")


@dataclass
class Benefits:
    """What the EBs of one service type say, in the benefits form's fields."""

    copay: Decimal | None = None
    coinsurance_percent: Decimal | None = None
    deductible: Decimal | None = None
    deductible_met: Decimal | None = None
    deductible_left: Decimal | None = None
    plan_year_visit_limit: int | None = None
    kinds: list[str] = field(default_factory=list)

    def fields(self) -> dict[str, Any]:
        met = self.deductible_met
        if met is None and self.deductible is not None and self.deductible_left is not None:
            met = max(self.deductible - self.deductible_left, Decimal("0"))
        return {
            "copay": self.copay,
            "coinsurance_percent": self.coinsurance_percent,
            "deductible": self.deductible,
            "deductible_met": met,
            "plan_year_visit_limit": self.plan_year_visit_limit,
        }


@dataclass
class Subscriber:
    member_id: str
    payer_id: str
    at: Segment
    segments: list[Segment] = field(default_factory=list)
    by_type: dict[str, Benefits] = field(default_factory=dict)


def subscribers(tx: Transaction, repetition: str) -> Iterator[Subscriber]:
    """Each member of the 271 (NM1*IL, or the dependent's NM1*03) with its EBs by
    service type."""
    payer_id = ""
    current: Subscriber | None = None
    last_eb: tuple[Benefits, ...] = ()
    for seg in tx.body():
        if seg.id == "NM1" and seg.get("NM101") == "PR":
            payer_id = seg.get("NM109")
        elif seg.id == "NM1" and seg.get("NM101") in ("IL", "03"):
            if current is not None and seg.get("NM101") == "03" and not seg.get("NM109"):
                continue  # a dependent identified by the subscriber's member id
            if current is not None:
                yield current
            current = Subscriber(seg.get("NM109"), payer_id, seg)
            last_eb = ()
        if current is None:
            continue
        current.segments.append(seg)
        if seg.id == "EB":
            types = _types(seg.get("EB03"), repetition) or (PLAN,)
            last_eb = tuple(current.by_type.setdefault(t, Benefits()) for t in types)
            for benefits in last_eb:
                _eb(seg, benefits)
        elif seg.id == "HSD" and last_eb and seg.get("HSD01") == "VS" and seg.get("HSD02"):
            for benefits in last_eb:
                benefits.plan_year_visit_limit = quantity(seg.get("HSD02"), "HSD02")
        elif seg.id == "LS":
            last_eb = ()
    if current is not None:
        yield current


def _types(value: str, repetition: str) -> tuple[str, ...]:
    # EB03 repeats with the ISA11 repetition separator, which pyx12 leaves in the value.
    return tuple(t for t in value.split(repetition) if t) if repetition else (value,)


def _eb(seg: Segment, benefits: Benefits) -> None:
    kind, period = seg.get("EB01"), seg.get("EB06")
    benefits.kinds.append(kind)
    money = amount(seg.get("EB07"), "EB07") if seg.get("EB07") else None
    if kind == "B" and money is not None:
        benefits.copay = money
    elif kind == "A" and seg.get("EB08"):
        share = amount(seg.get("EB08"), "EB08")
        if not 0 <= share <= 1:
            raise BadDate(f"EB08: {seg.get('EB08')!r} is not a share from 0 to 1.")
        benefits.coinsurance_percent = (share * 100).quantize(Decimal("0.01"))
    elif kind == "C" and money is not None:
        if period == REMAINING:
            benefits.deductible_left = money
        elif period in MET:
            benefits.deductible_met = money
        else:
            benefits.deductible = money
    elif kind == "F" and seg.get("EB09") == "VS" and seg.get("EB10"):
        benefits.plan_year_visit_limit = quantity(seg.get("EB10"), "EB10")


def _pick(coverage: Coverage, found: Subscriber) -> tuple[str, Benefits] | None:
    """The benefits of the service type of the patient's orders (open items first),
    else those of the plan (30)."""
    items = WorkItem.objects.open().filter(order__patient_id=coverage.patient_id)
    categories = list(items.values_list("order__service_category", flat=True).distinct())
    categories += list(
        coverage.patient.orders.order_by("-id").values_list("service_category", flat=True)[:5]
    )
    for category in categories:
        for code in SERVICE_TYPES.get(category, ()):
            if code in found.by_type:
                return code, found.by_type[code]
    if PLAN in found.by_type:
        return PLAN, found.by_type[PLAN]
    return next(iter(found.by_type.items()), None)


def apply(tx: Transaction, report: Report, *, by: Any) -> None:
    try:
        members = list(subscribers(tx, tx.repetition))
    except BadDate as exc:
        report.rejected(tx, str(exc))
        return
    if not members:
        report.add(tx, "transaction", Outcome.IGNORED, "No member (NM1*IL) in this 271.")
        return
    for member in members:
        _apply_member(tx, member, report, by=by)


def _apply_member(tx: Transaction, member: Subscriber, report: Report, *, by: Any) -> None:
    coverage = coverage_on(member.member_id, payer_named(member.payer_id))
    if coverage is None:
        report.add(
            tx,
            "benefits",
            Outcome.UNMATCHED,
            "No coverage has this member id" + (" with this payer." if member.payer_id else "."),
            at=member.at,
            raw=member.segments,
        )
        return
    picked = _pick(coverage, member)
    if picked is None:
        report.add(
            tx,
            "benefits",
            Outcome.IGNORED,
            f"Coverage {coverage.pk}: no benefit (EB) given.",
            at=member.at,
        )
        return
    service_type, benefits = picked
    values = benefits.fields()
    try:
        with transaction.atomic():
            item = WorkItem.objects.open().filter(order__patient_id=coverage.patient_id).first()
            if item is not None:
                source = f"X12 271, interchange {report.interchange.control_number}"
                item_actions.verify_item_benefits(item, coverage, by=by, source=source, **values)
            else:
                patient_services.verify_benefits(coverage, by=by, **values)
    except ValidationError as exc:
        report.add(
            tx,
            "benefits",
            Outcome.REJECTED,
            error_text(exc),
            at=member.at,
            raw=member.segments,
        )
        return
    given = ", ".join(f"{k}={v}" for k, v in values.items() if v is not None) or "none"
    report.add(
        tx,
        "benefits",
        Outcome.APPLIED,
        f"Coverage {coverage.pk}: benefits of service type {service_type} verified by 271 "
        f"(interchange {report.interchange.control_number}): {given}.",
        at=member.at,
    )
