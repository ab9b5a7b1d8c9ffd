"""The authorization gap scan: what ../shared/spec/gap-detection.md calls the contract.

Reading is set-based: `load_orders` fetches a chunk of orders with a fixed number of
queries; `evaluate_order` is pure and decides each upcoming appointment and each work
item of one order. Writing the items is `worklists.services`' job.

Terms (see docs/scan.md for the choices where the spec is silent):
- *as_of*: the scan's date in the practice time zone (settings.AUTHQ_TIME_ZONE).
- *upcoming*: a booked appointment whose local date is in [as_of, window_end].
- *used*: an arrived, checked-in or fulfilled appointment, any date.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from authq.lib.sql import id_array
from patients.models import (
    EXPEDITED_PRIORITIES,
    USED_STATUSES,
    AppointmentStatus,
    Order,
    primary_among,
)
from payers.models import (
    APPROVED_STATUSES,
    DECIDED_STATUSES,
    Authorization,
    AuthStatus,
    PayerRule,
    RuleDefaults,
)
from worklists.models import ItemKind, Queue

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


def practice_tz() -> ZoneInfo:
    return ZoneInfo(settings.AUTHQ_TIME_ZONE)


def today() -> dt.date:
    """Today's date in the practice time zone."""
    return dt.datetime.now(practice_tz()).date()


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(practice_tz()).date()


def day_start(day: dt.date) -> dt.datetime:
    """The first instant of a local date, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=practice_tz())


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


# Read before the rules: a change committed in between is read with the old version,
# and the next load sees the new one.
_RULES_VERSION_SQL = "SELECT version FROM payers_rulebookversion WHERE id = 1"


class RuleBook:
    """Every payer rule, indexed by payer, with the spec's matching."""

    def __init__(self, rules: Iterable[PayerRule]) -> None:
        self.by_payer: dict[int, list[PayerRule]] = defaultdict(list)
        for rule in rules:
            self.by_payer[rule.payer_id].append(rule)
        # match()'s answers: a book never changes, and a scan asks the same few
        # (payer, plan, category, code, day) questions for thousands of visits.
        self._matches: dict[tuple[int, str, str, str, dt.date], PayerRule | None] = {}

    # (database name, rule book version, the book): rules change rarely, and building
    # 400 PayerRule objects costs more than the auth check's other work.
    _cached: tuple[tuple[str, int], RuleBook] | None = None

    @classmethod
    def load(cls) -> RuleBook:
        """Every rule as the database holds it now; the same book again while the rules'
        version (payers.models.RuleBookVersion, set by a trigger on any write) is the same."""
        with connection.cursor() as cursor:
            cursor.execute(_RULES_VERSION_SQL)
            row = cursor.fetchone()
        key = (connection.settings_dict["NAME"], row[0]) if row else None
        cached = cls._cached
        if key is not None and cached is not None and cached[0] == key:
            return cached[1]
        book = cls(PayerRule.objects.all())
        cls._cached = (key, book) if key is not None else None
        return book

    def match(
        self, payer_id: int, plan: str, category: str, code: str, day: dt.date
    ) -> PayerRule | None:
        """The most specific rule in effect on `day`: codes 4, category 2, plan 1.

        Ties go to the latest effective_from, then the lowest id. None: unknown.
        """
        question = (payer_id, plan, category, code, day)
        try:
            return self._matches[question]
        except KeyError:
            pass
        if len(self._matches) >= self.MAX_MATCHES:  # a long-lived worker's days move on
            self._matches.clear()
        best = self._matches[question] = self._match(payer_id, plan, category, code, day)
        return best

    MAX_MATCHES = 100_000

    def _match(
        self, payer_id: int, plan: str, category: str, code: str, day: dt.date
    ) -> PayerRule | None:
        best: PayerRule | None = None
        best_key: tuple[int, int, int] | None = None
        for rule in self.by_payer.get(payer_id, ()):
            if rule.effective_from > day or (
                rule.effective_to is not None and rule.effective_to < day
            ):
                continue
            if rule.plan and rule.plan != plan:
                continue
            if rule.service_category and rule.service_category != category:
                continue
            if rule.codes and code not in rule.codes:
                continue
            score = (
                (4 if rule.codes else 0)
                + (2 if rule.service_category else 0)
                + (1 if rule.plan else 0)
            )
            key = (score, rule.effective_from.toordinal(), -rule.id)
            if best_key is None or key > best_key:
                best, best_key = rule, key
        return best


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
            a.id: bisect_right(used, a.end_date) - bisect_left(used, a.start_date)
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


# Ids are passed as id_array() text (or lists: both cast to bigint[]).
_ORDERS_SQL = """
SELECT id, patient_id, service_category, code, priority, visits_ordered, auth_requested_at
FROM patients_order WHERE id = ANY(%(ids)s::bigint[]) ORDER BY id
"""
# Booked in the window, or used (whatever the date); the local day computed by PostgreSQL.
# One row per order, its days in arrays (upcoming ids and days, used days, each in the
# order of start, id): a third of the Python work of one row per appointment.
_APPOINTMENTS_SQL = """
SELECT order_id,
       array_agg(id ORDER BY start, id) FILTER (WHERE status = %(booked)s),
       array_agg(day ORDER BY start, id) FILTER (WHERE status = %(booked)s),
       array_agg(day ORDER BY start, id) FILTER (WHERE status <> %(booked)s)
FROM (
    SELECT order_id, id, status, start, (start AT TIME ZONE %(tz)s)::date AS day
    FROM patients_appointment
    WHERE order_id = ANY(%(ids)s::bigint[])
      AND ((status = %(booked)s AND start >= %(lo)s AND start < %(hi)s) OR status = ANY(%(used)s))
) a
GROUP BY order_id
"""
# Authorization.objects.counted(): drafts and cancelled requests are ignored.
_AUTHORIZATIONS_SQL = """
SELECT order_id, id, status, auth_number, start_date, end_date, approved_visits,
       submitted_at, decided_at, expedited
FROM payers_authorization
WHERE order_id = ANY(%(ids)s::bigint[]) AND NOT (status = ANY(%(ignored)s))
ORDER BY order_id, id
"""
# Coverage.objects.primary(): rank 1.
_COVERAGES_SQL = """
SELECT patient_id, id, payer_id, plan, start, "end"
FROM patients_coverage
WHERE patient_id = ANY(%(patients)s::bigint[]) AND rank = 1
ORDER BY patient_id, start DESC, id
"""


# A window_end of None reads every booked visit from as_of on (the same statement, so
# the same plan, with a bound no appointment reaches).
_NO_END = dt.date(9999, 12, 30)


def load_orders(
    order_ids: Sequence[int], as_of: dt.date, window_end: dt.date | None, *, lock: bool = False
) -> list[OrderFacts]:
    """Read the scan's input for a chunk of orders: four queries, whatever the chunk size.

    window_end: the last day of upcoming visits; None for no end.
    lock: the orders' rows are also locked (no-key) for the transaction, by the first query.

    Plain SQL with array parameters: the rows go straight into the facts, without the
    ORM's per-value conversions (the scan reads a million rows; see docs/performance.md).
    """
    with connection.cursor() as cursor:
        orders_sql = _ORDERS_SQL + " FOR NO KEY UPDATE" if lock else _ORDERS_SQL
        cursor.execute(orders_sql, {"ids": id_array(order_ids)})
        orders = {row[0]: OrderFacts(*row) for row in cursor.fetchall()}
        if not orders:
            return []
        ids = id_array(orders)
        cursor.execute(
            _APPOINTMENTS_SQL,
            {
                "ids": ids,
                "tz": settings.AUTHQ_TIME_ZONE,
                "booked": AppointmentStatus.BOOKED.value,
                "lo": day_start(as_of),
                "hi": day_start((window_end or _NO_END) + dt.timedelta(days=1)),
                "used": [s.value for s in USED_STATUSES],
            },
        )
        for order_id, upcoming_ids, upcoming_days, used_days in cursor.fetchall():
            order = orders[order_id]
            if upcoming_ids:
                order.upcoming = list(zip(upcoming_ids, upcoming_days, strict=True))
            if used_days:
                order.used_days = used_days

        ignored = [AuthStatus.DRAFT.value, AuthStatus.CANCELLED.value]
        cursor.execute(_AUTHORIZATIONS_SQL, {"ids": ids, "ignored": ignored})
        for order_id, *rest in cursor.fetchall():
            orders[order_id].authorizations.append(AuthFacts(*rest))

        by_patient: dict[int, list[OrderFacts]] = defaultdict(list)
        for order in orders.values():
            by_patient[order.patient_id].append(order)
        cursor.execute(_COVERAGES_SQL, {"patients": id_array(by_patient)})
        for patient_id, *rest in cursor.fetchall():
            facts = CoverageFacts(*rest)
            for order in by_patient[patient_id]:
                order.coverages.append(facts)
    return list(orders.values())


# How far from today a visit date may be checked, either way.
CHECK_RANGE_DAYS = 3 * 365


def check_date_error(day: dt.date) -> str | None:
    """Why `day` may not be checked (too far from today), or None."""
    now = today()
    if abs((day - now).days) > CHECK_RANGE_DAYS:
        return f"Pick a date within {CHECK_RANGE_DAYS} days of today ({now.isoformat()})."
    return None


@dataclass(frozen=True, slots=True)
class VisitCheck:
    """The scheduler's answer: would a visit of this order on this date be covered?

    displaces: when the visit is covered by taking an authorized visit that a visit
    booked later had, the date of the first booked visit that would lose its coverage.
    """

    status: str  # "covered", "pending", "not_required" or a gap kind
    authorization: Authorization | None
    visits_left: int | None
    auth_end_date: dt.date | None
    displaces: dt.date | None = None


def _authorization_as_read(auth: AuthFacts, order_id: int) -> Authorization:
    """The Authorization row as load_orders just read it, without reading it again.

    Its other columns are deferred: Django reads them on first access, as for `.only()`.
    """
    names = [
        "id", "order_id", "status", "auth_number", "start_date", "end_date",
        "approved_visits", "submitted_at", "decided_at", "expedited",
    ]  # fmt: skip
    values = [
        auth.id, order_id, auth.status, auth.auth_number, auth.start_date, auth.end_date,
        auth.approved_visits, auth.submitted_at, auth.decided_at, auth.expedited,
    ]  # fmt: skip
    return Authorization.from_db(connection.alias, names, values)


def check_visit(order: Order, day: dt.date) -> VisitCheck:
    """Decide one more visit of `order` on `day`, walked among the visits already booked.

    The walk runs over every visit booked from today (or from `day`, if earlier), the
    asked one in date order after those booked the same day, as the scan would walk it
    once booked. It runs a second time without the asked visit: a booked visit covered
    then and not with it is displaced. `visits_left` counts this visit: the approved
    visits of its authorization that used and other booked visits leave to it.
    """
    as_of = min(today(), day)
    (facts,) = load_orders([order.pk], as_of, None)
    rules = RuleBook.load()
    without, _ = decide_appointments(facts, rules)
    with_it, walk = decide_appointments(facts, rules, extra_day=day)
    decision = next(d for d in with_it if d.appointment_id is None)
    auth = decision.authorization
    visits_left = decision.visits_left if auth is not None else None
    displaces = None
    if decision.outcome == COVERED:
        assert auth is not None
        left = walk.left(auth)
        visits_left = None if left is None else left + 1
        # The asked visit took one: a visit that lost its coverage is one of these.
        now = {d.appointment_id: d.outcome for d in with_it}
        displaces = next(
            (d.day for d in without if d.outcome == COVERED and now[d.appointment_id] != COVERED),
            None,
        )
    authorization = _authorization_as_read(auth, order.pk) if auth is not None else None
    return VisitCheck(
        status=decision.outcome,
        authorization=authorization,
        visits_left=visits_left,
        auth_end_date=auth.end_date if auth is not None else None,
        displaces=displaces,
    )
