"""The "Pending at payer" page's reads: requests waiting on the payer with their clocks,
pending appeals and peer-to-peer reviews, and snoozed items, each list in a fixed number
of queries. Returns data and writes nothing: worklists.views.pending records what it shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone

from authq.lib import clock as practice_clock
from patients.models import Order
from payers.models import (
    Appeal,
    Authorization,
    AuthStatus,
    PeerToPeerReview,
    ReviewOutcome,
    RuleDefaults,
)
from worklists import item_actions
from worklists.models import WorkItem
from worklists.scan import counts, evaluate, load
from worklists.scan.rules import RuleBook

# Rows per list: the oldest requests, the nearest deadlines, the nearest follow-ups.
LIMIT = 200


@dataclass(slots=True)
class ItemRef:
    pk: int
    kind: str
    follow_up_on: dt.date | None


@dataclass(slots=True)
class WaitingRow:
    auth: Authorization
    expedited: bool
    clock: str  # "72 h", "7 days"
    answer_due: dt.datetime  # when the payer's clock runs out
    follow_up_on: dt.date  # the clock's follow-up date, or the item's own when set
    overdue: bool
    left: str  # "2 d 5 h left", "1 d overdue"
    item: ItemRef | None


@dataclass(slots=True)
class ReviewRow:
    what: str  # "Appeal (Level 1)", "Peer-to-peer"
    record: Appeal | PeerToPeerReview
    order: Order
    deadline: dt.date
    days_left: int
    back_on: dt.date  # the day the parked item is back in the work queue
    parked: bool
    item: ItemRef | None

    @property
    def days_over(self) -> int:
        return -self.days_left


def _span(delta: dt.timedelta) -> str:
    """'2 d 5 h' or '5 h' (whole hours, at least 1 once past a minute)."""
    hours = max(1, round(abs(delta).total_seconds() / 3600))
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if days else f"{hours} h"


def _waiting(
    auths: list[Authorization], items: dict[int, ItemRef], today: dt.date
) -> list[WaitingRow]:
    """One row per submitted authorization, with the clock of the rule the scan matches."""
    facts = {
        o.id: o
        for o in load.load_orders([a.order_id for a in auths], today, today + dt.timedelta(days=1))
    }
    rules = RuleBook.load()
    now = timezone.now()
    rows = []
    for auth in auths:
        order = facts.get(auth.order_id)
        rule = (evaluate.rule_for(order, today, rules) if order else None) or RuleDefaults
        expedited = auth.expedited or bool(order and order.is_expedited)
        assert auth.submitted_at is not None
        if expedited:
            hours = rule.expedited_turnaround_hours
            clock = f"{hours} h"
            due = auth.submitted_at + dt.timedelta(hours=hours)
            follow_up = practice_clock.local_date(due)
        else:
            days = rule.standard_turnaround_days
            clock = f"{days} day{'s' if days != 1 else ''}"
            follow_up = practice_clock.local_date(auth.submitted_at) + dt.timedelta(days=days)
            due = practice_clock.day_start(follow_up)
        item = items.get(auth.order_id)
        left = _span(due - now) + (" overdue" if due < now else " left")
        rows.append(
            WaitingRow(
                auth=auth,
                expedited=expedited,
                clock=clock,
                answer_due=due,
                follow_up_on=(item.follow_up_on if item and item.follow_up_on else follow_up),
                overdue=due < now,
                left=left,
                item=item,
            )
        )
    rows.sort(key=lambda r: (r.answer_due, r.auth.pk))
    return rows


def _reviews(items: dict[int, ItemRef], today: dt.date) -> tuple[list[ReviewRow], int]:
    """Pending appeals and peer-to-peer reviews, nearest deadline first, and how many."""
    pending = {"outcome": ReviewOutcome.PENDING}
    related = ("authorization__order__patient",)
    appeals = Appeal.objects.filter(**pending).select_related(*related).order_by("deadline", "id")
    p2ps = (
        PeerToPeerReview.objects.filter(**pending)
        .select_related(*related)
        .order_by("request_by", "id")
    )
    total = appeals.count() + p2ps.count()
    lead = dt.timedelta(days=item_actions.PARK_LEAD_DAYS)
    rows = []
    records: list[Appeal | PeerToPeerReview] = [*appeals[:LIMIT], *p2ps[:LIMIT]]
    for record in records:
        if isinstance(record, Appeal):
            what, deadline = f"Appeal ({record.get_level_display()})", record.deadline
        else:
            what, deadline = "Peer-to-peer", record.request_by
        order = record.authorization.order
        item = items.get(order.pk)
        parked = bool(item and item.follow_up_on and item.follow_up_on > today)
        rows.append(
            ReviewRow(
                what=what,
                record=record,
                order=order,
                deadline=deadline,
                days_left=(deadline - today).days,
                back_on=deadline - lead,
                parked=parked,
                item=item,
            )
        )
    rows.sort(key=lambda r: (r.deadline, r.record.pk))
    return rows[:LIMIT], total


@dataclass(slots=True)
class PendingLists:
    waiting: list[WaitingRow]
    waiting_total: int
    reviews: list[ReviewRow]
    reviews_total: int
    snoozed: list[WorkItem]
    snoozed_total: int


def pending_lists(today: dt.date) -> PendingLists:
    """The page's three lists (at most LIMIT rows each) and how many each has in all."""
    submitted = Authorization.objects.filter(status=AuthStatus.SUBMITTED)
    waiting_total = submitted.count()
    auths = list(
        submitted.select_related("order__patient", "payer").order_by("submitted_at", "id")[:LIMIT]
    )
    snoozed_items = (
        WorkItem.objects.open()
        .snoozed(today)
        .select_related("order__patient", "assignee")
        .order_by("follow_up_on", "id")
    )
    snoozed = list(snoozed_items[:LIMIT])
    snoozed_total = counts.count_snoozed(today)

    # The active item of each order listed (one query): the link, and its follow-up date.
    review_orders = list(
        Appeal.objects.filter(outcome=ReviewOutcome.PENDING).values_list(
            "authorization__order_id", flat=True
        )[:LIMIT]
    ) + list(
        PeerToPeerReview.objects.filter(outcome=ReviewOutcome.PENDING).values_list(
            "authorization__order_id", flat=True
        )[:LIMIT]
    )
    order_ids = {a.order_id for a in auths} | set(review_orders)
    items: dict[int, ItemRef] = {}
    for pk, order_id, kind, follow_up in (
        WorkItem.objects.open()
        .filter(order_id__in=order_ids)
        .order_by(F("follow_up_on").desc(nulls_last=True), "id")
        .values_list("id", "order_id", "kind", "follow_up_on")
    ):
        # An order with several items: the one with the latest follow-up date names it.
        items.setdefault(order_id, ItemRef(pk, kind, follow_up))

    waiting = _waiting(auths, items, today)
    reviews, reviews_total = _reviews(items, today)
    return PendingLists(waiting, waiting_total, reviews, reviews_total, snoozed, snoozed_total)
