"""What the work-item page and the order's workspace show about one order: its coverages,
authorizations and visits as the scan walks them, the payer to reach, and one item's
history. It returns data and writes nothing: the views record the reads
(worklists.views.item._record_shown).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from authq.lib import clock
from patients.models import USED_STATUSES, Appointment, AppointmentStatus, Coverage, Order
from patients.validators import icd10cm_description
from payers.models import (
    Appeal,
    Authorization,
    AuthStatus,
    Document,
    Payer,
    PayerRule,
    PeerToPeerReview,
    ReviewVendor,
)
from worklists.event_text import EventWords
from worklists.models import (
    ACTIVE_STATUSES,
    ClaimDenial,
    ItemKind,
    PatientNotification,
    WorkItem,
    WorkItemNote,
    event_label,
)
from worklists.scan import evaluate, load
from worklists.scan.rules import RuleBook


@dataclass(slots=True)
class AuthRow:
    auth: Authorization
    approved: int | None = None
    used: int = 0
    scheduled: int = 0
    left: int | None = None
    old: bool = False

    @property
    def unlimited(self) -> bool:
        return self.auth.is_approved and self.auth.approved_visits is None

    def _pct(self, n: int) -> float:
        total = max(self.approved or 0, self.used + self.scheduled, 1)
        return round(100 * n / total, 1)

    @property
    def used_pct(self) -> float:
        return self._pct(self.used)

    @property
    def scheduled_pct(self) -> float:
        return self._pct(self.scheduled)

    @property
    def over(self) -> int:
        if self.approved is None:
            return 0
        return max(0, self.used + self.scheduled - self.approved)


@dataclass(slots=True)
class VisitRow:
    start: dt.datetime
    status: str
    status_label: str
    state: str  # css: covered, pending, gap, used, off, past, not_required
    label: str
    auth_id: int | None = None
    outcome: str = ""  # the walk's decision (covered, pending, a gap kind), if walked


OUTCOME_LABELS = {
    evaluate.COVERED: "covered",
    evaluate.PENDING: "pending at payer",
    evaluate.NOT_REQUIRED: "no auth needed",
    **{k.value: k.label.lower() for k in ItemKind},
}


def auth_rows(
    auths: list[Authorization], walk: Any, today: dt.date
) -> tuple[list[AuthRow], list[AuthRow]]:
    """The order's authorizations, current first and old ones (ended, cancelled, or a
    denial a later decision replaced) apart."""
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    decided = [a for a in auths if a.decided_at is not None and a.status != AuthStatus.SUBMITTED]
    latest_decided = max(decided, key=lambda a: (a.decided_at or epoch, a.id), default=None)
    rows = []
    for auth in auths:
        row = AuthRow(auth)
        if auth.is_approved:
            row.approved = auth.approved_visits
            row.used = walk.used_in_span.get(auth.id, 0)
            row.scheduled = walk.assigned.get(auth.id, 0)
            if auth.approved_visits is not None:
                row.left = auth.approved_visits - row.used - row.scheduled
        row.old = (
            auth.status == AuthStatus.CANCELLED
            or (auth.end_date is not None and auth.end_date < today)
            or (auth.status == AuthStatus.DENIED and latest_decided is not auth)
        )
        rows.append(row)
    return [r for r in rows if not r.old], [r for r in rows if r.old]


def visit_rows(
    appointments: list[Any], decisions: list[evaluate.Decision], today: dt.date
) -> list[VisitRow]:
    by_id = {d.appointment_id: d for d in decisions}
    rows = []
    for appt in appointments:
        decision = by_id.get(appt.id)
        status_label = appt.get_status_display()
        if appt.status in USED_STATUSES:
            state, label = "used", "used"
        elif decision is not None:
            outcome = decision.outcome
            state = (
                outcome
                if outcome in (evaluate.COVERED, evaluate.PENDING, evaluate.NOT_REQUIRED)
                else "gap"
            )
            label = OUTCOME_LABELS.get(outcome, outcome)
            if outcome == evaluate.COVERED and decision.authorization is not None:
                number = decision.authorization.auth_number or f"#{decision.authorization.id}"
                label = f"covered by {number}"
            rows.append(
                VisitRow(
                    appt.start,
                    appt.status,
                    status_label,
                    state,
                    label,
                    decision.authorization.id if decision.authorization else None,
                    outcome,
                )
            )
            continue
        elif appt.status == AppointmentStatus.BOOKED and clock.local_date(appt.start) < today:
            state, label = "past", "booked, not checked in"
        else:
            state, label = "off", "does not count"
        rows.append(VisitRow(appt.start, appt.status, status_label, state, label))
    return rows


@dataclass(slots=True)
class Directory:
    """Whom the specialist reaches about the order: the payer and, when the payer
    delegates the order's service line, the utilization-review vendor (asked first)."""

    payer: Payer
    vendor: ReviewVendor | None

    @property
    def reach(self) -> Payer | ReviewVendor:
        """Where requests for this order go: the vendor when there is one, else the payer."""
        return self.vendor or self.payer


def directory(
    order: Order, coverages: list[Coverage], primary_id: int | None, auths: list[Authorization]
) -> Directory | None:
    """The payer of the primary coverage in force today (the one a submission goes to),
    else the payer of the order's newest authorization; None when neither names one."""
    payer = next((c.payer for c in coverages if c.pk == primary_id), None)
    if payer is None:
        payer = next((a.payer for a in auths if a.payer is not None), None)
    if payer is None:
        return None
    vendor = ReviewVendor.objects.filter(
        payer_id=payer.pk, service_category=order.service_category
    ).first()
    return Directory(payer, vendor)


def diagnoses(codes: list[str]) -> list[tuple[str, str]]:
    return [(code, icd10cm_description(code)) for code in codes]


def event_rows(events: list[Any], notes: list[WorkItemNote]) -> list[dict[str, Any]]:
    # Names instead of ids: a query per kind of record named (the page's notes are loaded).
    words = EventWords(events, notes=notes)
    return [
        {
            "at": e.at,
            "label": event_label(e.kind),
            "kind": e.kind,
            "actor": e.actor.username if e.actor else "scan",
            "data": ", ".join(f"{k}: {v}" for k, v in words.pairs(e)),
        }
        for e in events
    ]


@dataclass(slots=True)
class ItemPage:
    """The records of one order the page shows, and what the scan makes of them today."""

    order: Order
    item: WorkItem | None
    today: dt.date
    coverages: list[Coverage]
    auths: list[Authorization]  # newest first, their reviews and appeals prefetched
    appointments: list[Appointment]
    rule: Any  # the payer's rule the scan matches today, or None
    primary: Any  # the primary coverage in force today (scan facts), or None
    current_auths: list[AuthRow]
    old_auths: list[AuthRow]
    directory: Directory | None
    visits: list[VisitRow]
    counts: dict[str, int]
    events: list[dict[str, Any]]  # the item's timeline, in words
    notes: list[WorkItemNote]
    notifications: list[PatientNotification]
    documents: list[Document]  # empty unless asked for
    others: list[WorkItem]  # the order's other open items
    first_gap: dt.date | None  # the day of the first visit without coverage
    denials: list[ClaimDenial]  # the claim lines of a claim_denied_auth item

    @property
    def shown_items(self) -> list[WorkItem]:
        return [self.item, *self.others] if self.item else self.others

    @property
    def peer_reviews(self) -> list[PeerToPeerReview]:
        return [p for a in self.auths for p in a.peer_reviews.all()]

    @property
    def appeals(self) -> list[Appeal]:
        return [x for a in self.auths for x in a.appeals.all()]


def item_page(order: Order, item: WorkItem | None, *, with_documents: bool) -> ItemPage:
    """Everything the page shows, in a fixed number of queries whatever the order's size.

    Without an item (the order's workspace when nothing is open on it): the order's
    records, with no item history. `with_documents`: whether the reader may see them.
    """
    patient = order.patient
    today = clock.today()

    coverages = list(
        Coverage.objects.filter(patient_id=patient.pk)
        .select_related("payer", "benefits_verified_by")
        .order_by("rank", "-start", "id")
    )
    auths = list(
        Authorization.objects.filter(order_id=order.pk)
        .select_related("payer")
        .prefetch_related("peer_reviews", "appeals")
        .order_by("-id")
    )
    appointments = list(order.appointments.order_by("start", "id"))
    last_day = max([clock.local_date(a.start) for a in appointments], default=today)
    window_end = max(today + dt.timedelta(days=settings.AUTHQ_HORIZON_DAYS), last_day)
    (facts,) = load.load_orders([order.pk], today, window_end)
    rules = RuleBook(PayerRule.objects.filter(payer_id__in={c.payer_id for c in coverages}))
    decisions, walk = evaluate.decide_appointments(facts, rules)
    rule = evaluate.rule_for(facts, today, rules)
    primary = evaluate.primary_coverage(facts, today)

    current, old = auth_rows(auths, walk, today)
    reach = directory(order, coverages, primary.id if primary else None, auths)
    visits = visit_rows(appointments, decisions, today)
    counts = {
        "used": sum(1 for v in visits if v.state == "used"),
        "covered": sum(1 for v in visits if v.state == evaluate.COVERED),
        "pending": sum(1 for v in visits if v.state == evaluate.PENDING),
        "gap": sum(1 for v in visits if v.state == "gap"),
    }
    events = list(item.events.select_related("actor").order_by("-at", "-id")[:300]) if item else []
    notes = list(item.notes.select_related("author")[:100]) if item else []
    notifications = list(item.notifications.select_related("sent_by")[:50]) if item else []
    documents = (
        list(
            Document.objects.filter(order_id=order.pk)
            .select_related("uploaded_by")
            .order_by("-uploaded_at", "-id")
        )
        if with_documents
        else []
    )
    open_items = WorkItem.objects.filter(order_id=order.pk, status__in=ACTIVE_STATUSES)
    if item is not None:
        open_items = open_items.exclude(pk=item.pk)
    others = list(open_items.order_by("id"))
    return ItemPage(
        order=order,
        item=item,
        today=today,
        coverages=coverages,
        auths=auths,
        appointments=appointments,
        rule=rule,
        primary=primary,
        current_auths=current,
        old_auths=old,
        directory=reach,
        visits=visits,
        counts=counts,
        events=event_rows(events, notes),
        notes=notes,
        notifications=notifications,
        documents=documents,
        others=others,
        first_gap=next((clock.local_date(v.start) for v in visits if v.state == "gap"), None),
        denials=(
            list(item.denials.select_related("payer"))
            if item and item.kind == ItemKind.CLAIM_DENIED_AUTH
            else []
        ),
    )
