"""The scan's pure part: the facts it reads about an order and what it decides from them.

`evaluate_order` decides each upcoming appointment and each work item of one order; it
reads nothing and writes nothing (`load` reads the facts, `apply` writes the items).

Terms:
- *as_of*: the scan's date in the practice time zone (settings.AUTHQ_TIME_ZONE).
- *upcoming*: a booked appointment whose local date is in [as_of, window_end].
- *used*: an arrived, checked-in or fulfilled appointment, any date.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from typing import cast

from django.conf import settings

from authq.lib.clock import local_date
from patients.models import EXPEDITED_PRIORITIES, primary_among
from payers.models import (
    APPROVED_STATUSES,
    DECIDED_STATUSES,
    AuthStatus,
    PayerRule,
    RuleDefaults,
)
from worklists.models import ItemKind, Queue
from worklists.scan.rules import RuleBook

# What an upcoming appointment can be, besides a gap kind.
COVERED = "covered"
PENDING = "pending"
NOT_REQUIRED = "not_required"

# Gap kinds an appointment itself can have (steps 1, 2, 6 to 9).
APPOINTMENT_GAPS = (
    ItemKind.NO_COVERAGE,
    ItemKind.UNKNOWN_RULE,
    ItemKind.DENIED,
    ItemKind.VISIT_LIMIT,
    ItemKind.AUTH_EXPIRING,
    ItemKind.MISSING_AUTH,
)


@dataclass(frozen=True, slots=True)
class CoverageFacts:
    id: int
    payer_id: int
    plan: str
    start: dt.date
    end: dt.date | None

    def contains(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class AuthFacts:
    id: int
    status: str
    auth_number: str
    start_date: dt.date | None
    end_date: dt.date | None
    approved_visits: int | None
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    expedited: bool

    @property
    def is_approved(self) -> bool:
        return self.status in APPROVED_STATUSES

    def spans(self, day: dt.date) -> bool:
        assert self.start_date is not None and self.end_date is not None
        return self.start_date <= day <= self.end_date


@dataclass(slots=True)
class OrderFacts:
    """Everything the scan reads about one order."""

    id: int
    patient_id: int
    service_category: str
    code: str
    priority: str
    visits_ordered: int | None
    auth_requested_at: dt.datetime | None = None
    coverages: list[CoverageFacts] = field(default_factory=list)  # the patient's rank-1 ones
    upcoming: list[tuple[int, dt.date]] = field(default_factory=list)  # (appointment id, date)
    used_days: list[dt.date] = field(default_factory=list)
    authorizations: list[AuthFacts] = field(default_factory=list)

    @property
    def is_expedited(self) -> bool:
        return self.priority in EXPEDITED_PRIORITIES

    @property
    def auth_request_open(self) -> bool:
        """A scheduler asked for an authorization and none was submitted or decided since."""
        asked = self.auth_requested_at
        if asked is None:
            return False
        return not any(
            (a.submitted_at is not None and a.submitted_at >= asked)
            or (a.decided_at is not None and a.decided_at >= asked)
            for a in self.authorizations
        )


Rule = PayerRule | type[RuleDefaults]


@dataclass(frozen=True, slots=True)
class Decision:
    """What the walk decided for one upcoming appointment."""

    appointment_id: int | None
    day: dt.date
    outcome: str  # COVERED, PENDING, NOT_REQUIRED or a gap kind
    rule: PayerRule | None
    authorization: AuthFacts | None = None  # the one assigned (covered) or concerned (gaps)
    visits_left: int | None = None  # on `authorization`, counting this visit


@dataclass(frozen=True, slots=True)
class Finding:
    """A work item the scan wants open for an order."""

    order_id: int
    kind: str
    queue: str
    first_service_date: dt.date | None
    affected_appointments: int
    due_date: dt.date


@dataclass(slots=True)
class Evaluation:
    decisions: list[Decision]
    findings: list[Finding]


class _Walk:
    """Step 4's bookkeeping: visits taken per approved authorization as the walk goes."""

    def __init__(self, order: OrderFacts) -> None:
        self.approved = sorted(
            (a for a in order.authorizations if a.is_approved),
            key=lambda a: (a.end_date, a.id),
        )
        used = sorted(order.used_days) if self.approved else []
        # Used days within [start_date, end_date], by bisecting the sorted days.
        self.used_in_span = {
            a.id: bisect_right(used, cast(dt.date, a.end_date))
            - bisect_left(used, cast(dt.date, a.start_date))
            for a in self.approved
        }
        self.assigned: dict[int, int] = defaultdict(int)

    def taken(self, auth: AuthFacts) -> int:
        return self.used_in_span[auth.id] + self.assigned[auth.id]

    def left(self, auth: AuthFacts) -> int | None:
        if auth.approved_visits is None:
            return None
        return auth.approved_visits - self.taken(auth)

    def assign(self, day: dt.date) -> tuple[AuthFacts | None, AuthFacts | None, int | None]:
        """(assigned auth, capped auth, visits left before this visit) for a visit on `day`."""
        capped: AuthFacts | None = None
        for auth in self.approved:
            if not auth.spans(day):
                continue
            left = self.left(auth)
            if left is None or left > 0:
                self.assigned[auth.id] += 1
                return auth, None, left
            capped = capped or auth
        return None, capped, None


def primary_coverage(order: OrderFacts, day: dt.date) -> CoverageFacts | None:
    """The patient's primary coverage on `day` (patients' one rule, primary_among)."""
    return primary_among(order.coverages, day)


def rule_for(order: OrderFacts, day: dt.date, rules: RuleBook) -> PayerRule | None:
    cov = primary_coverage(order, day)
    if cov is None:
        return None
    return rules.match(cov.payer_id, cov.plan, order.service_category, order.code, day)


def _latest_decided(order: OrderFacts) -> AuthFacts | None:
    decided = [a for a in order.authorizations if a.status in DECIDED_STATUSES]
    if not decided:
        return None
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    return max(decided, key=lambda a: (a.decided_at or epoch, a.id))


def follow_up_date(order: OrderFacts, auth: AuthFacts, rule: Rule) -> dt.date:
    """When a submitted request is due a follow-up call, as a local date.

    Expedited (stat or urgent order, or a request sent as expedited): submission +
    expedited_turnaround_hours; otherwise the submission's local date + standard days.
    """
    assert auth.submitted_at is not None
    if order.is_expedited or auth.expedited:
        return local_date(auth.submitted_at + dt.timedelta(hours=rule.expedited_turnaround_hours))
    return local_date(auth.submitted_at) + dt.timedelta(days=rule.standard_turnaround_days)


def decide_appointments(
    order: OrderFacts, rules: RuleBook, extra_day: dt.date | None = None
) -> tuple[list[Decision], _Walk]:
    """Steps 1 to 9 for each upcoming appointment in order.

    extra_day: also decide a hypothetical visit on that date (its appointment_id is None),
    walked in date order among the booked ones, so it may take a visit a later one had.
    """
    has_submitted = any(a.status == AuthStatus.SUBMITTED for a in order.authorizations)
    return _decide(order, rules, extra_day, has_submitted, _latest_decided(order))


def _decide(
    order: OrderFacts,
    rules: RuleBook,
    extra_day: dt.date | None,
    has_submitted: bool,
    latest: AuthFacts | None,
) -> tuple[list[Decision], _Walk]:
    walk = _Walk(order)
    latest_is_denied = latest is not None and latest.status == AuthStatus.DENIED
    visits: list[tuple[int | None, dt.date]] = list(order.upcoming)
    if extra_day is not None:
        # In date order, after the visits already booked that day (it has no time yet).
        at = bisect_right([day for _id, day in visits], extra_day)
        visits.insert(at, (None, extra_day))
    decisions = []
    for appointment_id, day in visits:
        cov = primary_coverage(order, day)
        if cov is None:
            decisions.append(Decision(appointment_id, day, ItemKind.NO_COVERAGE, None))
            continue
        rule = rules.match(cov.payer_id, cov.plan, order.service_category, order.code, day)
        if rule is None:
            decisions.append(Decision(appointment_id, day, ItemKind.UNKNOWN_RULE, None))
            continue
        if not rule.auth_required:
            decisions.append(Decision(appointment_id, day, NOT_REQUIRED, rule))
            continue
        assigned, capped, left = walk.assign(day)
        if assigned is not None:
            decisions.append(Decision(appointment_id, day, COVERED, rule, assigned, left))
        elif has_submitted:
            decisions.append(Decision(appointment_id, day, PENDING, rule))
        elif latest_is_denied:
            decisions.append(Decision(appointment_id, day, ItemKind.DENIED, rule, latest))
        elif capped is not None:
            decisions.append(Decision(appointment_id, day, ItemKind.VISIT_LIMIT, rule, capped, 0))
        else:
            ended = [a for a in walk.approved if a.end_date is not None and a.end_date < day]
            if ended:
                last = max(ended, key=lambda a: (a.end_date, a.id))
                decisions.append(Decision(appointment_id, day, ItemKind.AUTH_EXPIRING, rule, last))
            else:
                decisions.append(Decision(appointment_id, day, ItemKind.MISSING_AUTH, rule))
    return decisions, walk


def _queue(order: OrderFacts, first: dt.date | None, as_of: dt.date) -> str:
    if order.is_expedited or order.auth_request_open:
        return Queue.STAT
    if first is not None and (first - as_of).days <= settings.AUTHQ_STAT_WINDOW_DAYS:
        return Queue.STAT
    return Queue.ROUTINE


def evaluate_order(order: OrderFacts, rules: RuleBook, as_of: dt.date) -> Evaluation:
    """Decide every upcoming appointment of `order` and the work items it needs on as_of."""
    if not order.upcoming and not order.authorizations and order.auth_requested_at is None:
        # No visit to decide, no request to follow up, renew or appeal, no one asked.
        return Evaluation(decisions=[], findings=[])
    has_submitted = any(a.status == AuthStatus.SUBMITTED for a in order.authorizations)
    latest = _latest_decided(order)
    decisions, walk = _decide(order, rules, None, has_submitted, latest)
    rule_now = rule_for(order, as_of, rules)
    rule_now_or_defaults: Rule = rule_now or RuleDefaults

    # kind -> the decisions with that gap, in walk order
    gaps: dict[str, list[Decision]] = defaultdict(list)
    for decision in decisions:
        if decision.outcome in APPOINTMENT_GAPS:
            gaps[decision.outcome].append(decision)

    due: dict[str, dt.date] = {}
    first: dict[str, dt.date | None] = {}
    affected: dict[str, int] = {}
    item_rule: dict[str, Rule] = {}
    for kind, hits in gaps.items():
        first[kind] = hits[0].day
        affected[kind] = len(hits)
        # No rule on that day (no coverage, unknown rule): the order's rule on as_of.
        item_rule[kind] = hits[0].rule or rule_now_or_defaults
        due[kind] = hits[0].day - dt.timedelta(days=item_rule[kind].lead_time_days)

    def add(kind: str, due_date: dt.date) -> None:
        """Merge a non-appointment source of `kind`: the earlier due date wins."""
        if kind in due:
            due[kind] = min(due[kind], due_date)
        else:
            due[kind], first[kind], affected[kind] = due_date, None, 0
            item_rule[kind] = rule_now_or_defaults

    # Proactive re-authorization.
    if (
        rule_now is not None
        and rule_now.auth_required
        and not has_submitted
        and order.visits_ordered is not None
    ):
        current_auths = [a for a in walk.approved if a.spans(as_of)]
        if current_auths:
            current = min(current_auths, key=lambda a: (a.end_date, a.id))
            planned = len(order.used_days) + sum(walk.assigned.values())
            if planned < order.visits_ordered:
                assert current.end_date is not None
                left = walk.left(current)
                if (current.end_date - as_of).days <= rule_now.renewal_window_days:
                    lead = item_rule.get(ItemKind.AUTH_EXPIRING, rule_now).lead_time_days
                    add(ItemKind.AUTH_EXPIRING, current.end_date - dt.timedelta(days=lead))
                elif left is not None and left <= rule_now.visit_threshold:
                    add(ItemKind.VISIT_LIMIT, as_of)

    # Pending follow-up: the earliest follow-up date of the submitted requests.
    submitted = [
        a for a in order.authorizations if a.status == AuthStatus.SUBMITTED and a.submitted_at
    ]
    if submitted:
        follow_up = min(follow_up_date(order, a, rule_now_or_defaults) for a in submitted)
        if follow_up <= as_of:
            pending = [d for d in decisions if d.outcome == PENDING]
            due[ItemKind.PENDING_FOLLOW_UP] = follow_up
            first[ItemKind.PENDING_FOLLOW_UP] = pending[0].day if pending else None
            affected[ItemKind.PENDING_FOLLOW_UP] = len(pending)

    # Denial: appealable for appeal_window_days after the decision.
    if latest is not None and latest.status == AuthStatus.DENIED:
        assert latest.decided_at is not None
        decided_on = local_date(latest.decided_at)
        if ItemKind.DENIED in due:
            appeal_by = decided_on + dt.timedelta(
                days=item_rule[ItemKind.DENIED].appeal_window_days
            )
            due[ItemKind.DENIED] = min(due[ItemKind.DENIED], appeal_by)
        else:
            appeal_by = decided_on + dt.timedelta(days=rule_now_or_defaults.appeal_window_days)
            if as_of <= appeal_by:
                add(ItemKind.DENIED, appeal_by)

    # A scheduler's request for an authorization: at least one item, due today, in STAT.
    if order.auth_request_open and not due:
        # Due the day it was asked for, so a dismissal of the item stays dismissed.
        assert order.auth_requested_at is not None
        add(ItemKind.MISSING_AUTH, local_date(order.auth_requested_at))

    findings = [
        Finding(
            order_id=order.id,
            kind=kind,
            queue=_queue(order, first[kind], as_of),
            first_service_date=first[kind],
            affected_appointments=affected[kind],
            due_date=due_date,
        )
        for kind, due_date in due.items()
    ]
    return Evaluation(decisions=decisions, findings=findings)
