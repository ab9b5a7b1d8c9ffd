"""Writes the demo practice: rows generated with one random.Random(seed), COPY in chunks.

Ids come from each table's own sequence: the tables are locked for the load, the first
id is taken with nextval, the rest are counted here, and setval moves the sequence past
them at the end.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.db import connection, transaction
from django.utils import timezone

from demo.catalogue import (
    AREA_CODES,
    CATEGORY_WEIGHTS,
    CHANNELS,
    COVERAGE_SCENARIOS,
    DEMO_USERS,
    DENIAL_REASONS,
    FIRST_NAMES,
    NEXT_OUTCOMES,
    ORDERS_PER_PATIENT,
    SCENARIOS,
    SERVICE_BY_CODE,
    SERVICES,
    SHOWCASE,
    SURNAME_HEADS,
    SURNAME_TAILS,
    Case,
    Cat,
    D,
    PayerSpec,
    Picker,
    RuleSpec,
    Service,
    build_payers,
    matching_rule,
    payer_count,
)
from patients.models import Appointment, Coverage, Order, Patient, Priority
from payers.models import (
    Authorization,
    AuthStatus,
    Determination,
    Payer,
    PayerKind,
    PayerRule,
    ReviewVendor,
    RuleDefaults,
    SubmissionChannel,
)

DEFAULT_PASSWORD = "authq-demo-2026"
PASSWORD_ENV = "AUTHQ_DEMO_PASSWORD"

# Patients per COPY chunk: about 20,000 appointments, a few MB of tuples.
CHUNK_PATIENTS = 1000

# approved_visits meaning "what was asked for" (with a spare visit or two when approved).
AS_ASKED = -1

# ---------------------------------------------------------------------------------------
# Tables written with COPY, and the ids each takes from its sequence.

TABLES: dict[str, tuple[str, ...]] = {
    Patient._meta.db_table: (
        "id", "mrn", "first_name", "last_name", "birth_date", "phone", "email",
        "created_at", "updated_at",
    ),
    Coverage._meta.db_table: (
        "id", "patient_id", "payer_id", "member_id", "plan", "rank", "start", "end", "copay",
        "coinsurance_percent", "deductible", "deductible_met", "plan_year_visit_limit",
        "benefits_verified_at", "benefits_verified_by_id", "created_at", "updated_at",
    ),
    Order._meta.db_table: (
        "id", "external_id", "patient_id", "service_category", "code", "diagnosis_codes",
        "priority", "visits_ordered", "ordering_provider", "ordered_at", "created_at",
        "updated_at",
    ),
    Appointment._meta.db_table: (
        "id", "external_id", "order_id", "start", "status", "department", "created_at",
        "updated_at",
    ),
    Authorization._meta.db_table: (
        "id", "order_id", "payer_id", "status", "auth_number", "payer_reference",
        "submission_channel", "expedited", "requested_visits", "requested_start_date",
        "requested_end_date", "start_date", "end_date", "approved_visits",
        "determination_code", "denial_reason", "denial_reason_code", "submitted_at", "decided_at", "created_by_id",
        "created_at", "updated_at",
    ),
}  # fmt: skip
SEEDED_TABLES = (
    Payer._meta.db_table,
    PayerRule._meta.db_table,
    *TABLES,
)


class IdRange:
    """Ids of one table, counted here after a first nextval; see the module docstring."""

    def __init__(self, cursor: Any, table: str) -> None:
        self.table = table
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        self.sequence: str = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s)", [self.sequence])
        self.first: int = cursor.fetchone()[0]
        self.next = self.first

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value

    def finish(self, cursor: Any) -> None:
        if self.next > self.first:
            cursor.execute("SELECT setval(%s, %s)", [self.sequence, self.next - 1])


# ---------------------------------------------------------------------------------------
# The builder.


@dataclass
class Summary:
    as_of: dt.date
    seed: int
    payers: int = 0
    rules: int = 0
    patients: int = 0
    coverages: int = 0
    orders: int = 0
    appointments: int = 0
    authorizations: int = 0
    auth_status: Counter[str] = field(default_factory=Counter)
    appointment_status: Counter[str] = field(default_factory=Counter)
    category: Counter[str] = field(default_factory=Counter)
    users: list[tuple[str, str]] = field(default_factory=list)
    password_from_env: bool = False
    seconds: float = 0.0


@dataclass(slots=True)
class _Cov:
    payer: PayerSpec
    plan: str
    rank: int
    start: dt.date
    end: dt.date | None

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class _Builder:
    def __init__(
        self, *, rng: random.Random, as_of: dt.date, payers: list[PayerSpec], users: dict[str, int]
    ) -> None:
        self.rng = rng
        self.as_of = as_of
        self.tz = ZoneInfo(settings.AUTHQ_TIME_ZONE)
        self.now = timezone.now()
        self.payers = payers
        self.payer_by_code = {payer.code: payer for payer in payers}
        self.users = users
        # Without the demo's sign-ins (DEBUG off) records name nobody; the same draws keep
        # the same practice either way.
        self.staff = [users.get("specialist"), users.get("specialist2")]
        self.horizon = settings.AUTHQ_HORIZON_DAYS
        self.pick_scenario = Picker(rng, SCENARIOS)
        self.pick_next = Picker(rng, NEXT_OUTCOMES)
        self.pick_coverage = Picker(rng, COVERAGE_SCENARIOS)
        self.pick_order_count = Picker(rng, ORDERS_PER_PATIENT)
        self.pick_channel = Picker(rng, CHANNELS)
        self.pick_category = Picker(rng, list(CATEGORY_WEIGHTS.items()))
        self.pick_service = {
            category: Picker(rng, [(s, s.weight) for s in SERVICES if s.category == category])
            for category in CATEGORY_WEIGHTS
        }
        by_kind: dict[str, list[tuple[PayerSpec, int]]] = {}
        for payer in payers:
            by_kind.setdefault(payer.kind, []).append((payer, payer.share))
        self.pick_payer = {kind: Picker(rng, pairs) for kind, pairs in by_kind.items()}
        self.pick_kind_senior = Picker(
            rng,
            [(PayerKind.MEDICARE, 45), (PayerKind.MEDICARE_ADVANTAGE, 45), (PayerKind.TRICARE, 3),
             (PayerKind.OTHER, 3), (PayerKind.AUTO, 2), (PayerKind.COMMERCIAL, 2)],
        )  # fmt: skip
        self.pick_kind_adult = Picker(
            rng,
            [(PayerKind.COMMERCIAL, 60), (PayerKind.MEDICAID, 19), (PayerKind.TRICARE, 5),
             (PayerKind.WORKERS_COMP, 7), (PayerKind.AUTO, 4), (PayerKind.OTHER, 5)],
        )  # fmt: skip
        self.patient_no = 0
        self.order_no = 0
        self.appointment_no = 0
        self.rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in TABLES}
        self.ids: dict[str, IdRange] = {}
        self.auth_status: Counter[str] = Counter()
        self.appointment_status: Counter[str] = Counter()
        self.category: Counter[str] = Counter()

    # -- helpers ------------------------------------------------------------------------

    def at(self, day: dt.date, first_hour: int = 8, last_hour: int = 16) -> dt.datetime:
        """An aware moment in business hours of a local date."""
        return dt.datetime(
            day.year,
            day.month,
            day.day,
            self.rng.randint(first_hour, last_hour),
            self.rng.choice((0, 10, 20, 30, 40, 50)),
            tzinfo=self.tz,
        )

    def _payer_of_kind(self, kind: str) -> PayerSpec:
        return self.pick_payer[kind]()

    # -- patients and coverage ----------------------------------------------------------

    def patient(self, case: Case | None) -> None:
        rng = self.rng
        self.patient_no += 1
        pid = self.ids[Patient._meta.db_table].take()
        first = rng.choice(FIRST_NAMES)
        last = f"{rng.choice(SURNAME_HEADS)}-{rng.choice(SURNAME_TAILS)}"
        age = rng.choice(
            (rng.randint(18, 64), rng.randint(18, 64), rng.randint(65, 92), rng.randint(6, 17))
        )
        if case is not None and case.coverage == "dual":
            age = max(age, 66)
        birth = self.as_of - D(days=age * 365 + rng.randint(0, 364))
        phone = f"{rng.choice(AREA_CODES)}-555-01{rng.randint(0, 99):02d}"
        email = (
            f"{first}.{last}.{self.patient_no}@example.com".lower() if rng.random() < 0.6 else ""
        )
        self.rows[Patient._meta.db_table].append(
            (pid, f"DM{self.patient_no:07d}", first, last, birth, phone, email, self.now, self.now)
        )
        coverages = self.coverages(pid, age, case)
        count = 1 if case is not None else self.pick_order_count()
        for _ in range(count):
            self.order(pid, coverages, case)

    def coverages(self, pid: int, age: int, case: Case | None) -> list[_Cov]:
        rng, as_of = self.rng, self.as_of
        scenario = case.coverage if case is not None else self.pick_coverage()
        if case is not None:
            payer = self.payer_by_code[case.payer]
            plan = case.plan
        else:
            kind = self.pick_kind_senior() if age >= 65 else self.pick_kind_adult()
            if scenario == "dual":
                kind = PayerKind.MEDICARE
            payer = self._payer_of_kind(kind)
            plan = rng.choice(payer.plans)
        covs: list[_Cov] = []
        if scenario in ("steady", "dual"):
            end = (
                None if rng.random() < 0.8 or case is not None else as_of + D(rng.randint(45, 400))
            )
            covs.append(_Cov(payer, plan, 1, as_of - D(rng.randint(60, 2500)), end))
        elif scenario == "switched":
            old_end = as_of - D(rng.randint(30, 300))
            old = self._payer_of_kind(PayerKind.COMMERCIAL)
            covs.append(
                _Cov(old, rng.choice(old.plans), 1, old_end - D(rng.randint(300, 1500)), old_end)
            )
            covs.append(_Cov(payer, plan, 1, old_end + D(1), None))
        elif scenario == "lapsed":
            end = as_of - D(rng.randint(1, 45))
            covs.append(_Cov(payer, plan, 1, end - D(rng.randint(300, 2000)), end))
        elif scenario == "ending":
            end = as_of + D(rng.randint(3, 25))
            covs.append(_Cov(payer, plan, 1, as_of - D(rng.randint(200, 2000)), end))
            if rng.random() < 0.5:
                # The next insurance is known and starts after a gap.
                new = self._payer_of_kind(PayerKind.COMMERCIAL)
                covs.append(_Cov(new, rng.choice(new.plans), 1, end + D(rng.randint(1, 20)), None))
        elif scenario == "future":
            covs.append(_Cov(payer, plan, 1, as_of + D(rng.randint(5, 25)), None))
        # "none": a self-pay patient.
        primaries = list(covs)
        if primaries and (
            scenario == "dual" or (scenario in ("steady", "switched") and rng.random() < 0.15)
        ):
            kind = PayerKind.MEDICAID if payer.kind == PayerKind.MEDICARE else PayerKind.COMMERCIAL
            second = self._payer_of_kind(kind)
            start = primaries[-1].start + D(rng.randint(0, 30))
            covs.append(_Cov(second, rng.choice(second.plans), 2, min(start, as_of), None))
        table = self.rows[Coverage._meta.db_table]
        take = self.ids[Coverage._meta.db_table].take
        for cov in covs:
            copay, coins, deductible, limit = self._benefits(cov.payer.kind)
            met = None if deductible is None else rng.randint(0, deductible // 50) * 50
            verified = rng.random() < 0.7
            table.append((
                take(), pid, cov.payer.id, f"{cov.payer.code[:3]}{rng.randint(10**8, 10**9 - 1)}",
                cov.plan, cov.rank, cov.start, cov.end, copay, coins, deductible, met, limit,
                self.at(as_of - D(rng.randint(1, 180))) if verified else None,
                rng.choice(self.staff) if verified else None, self.now, self.now,
            ))  # fmt: skip
        return [cov for cov in covs if cov.rank == 1]

    def _benefits(self, kind: str) -> tuple[int | None, int | None, int | None, int | None]:
        """Copay, coinsurance %, deductible and plan-year visit limit typical of a kind."""
        rng = self.rng
        if kind == PayerKind.MEDICARE:
            return None, 20, 257, None
        if kind == PayerKind.MEDICAID:
            return rng.choice((0, 1, 3)), None, None, rng.choice((None, 20, 30))
        if kind in (PayerKind.WORKERS_COMP, PayerKind.AUTO):
            return 0, None, None, None
        if kind == PayerKind.MEDICARE_ADVANTAGE:
            return (
                rng.choice((0, 20, 35, 50)),
                None,
                rng.choice((0, 250)),
                rng.choice((None, 30, 60)),
            )
        return (
            rng.choice((20, 30, 40, 50, 60)),
            rng.choice((None, 10, 20, 30)),
            rng.choice((500, 1000, 1500, 3000, 6000)),
            rng.choice((None, 20, 30, 60)),
        )

    # -- orders and appointments --------------------------------------------------------

    def order(self, pid: int, coverages: list[_Cov], case: Case | None) -> None:
        rng, as_of = self.rng, self.as_of
        if case is not None:
            service = SERVICE_BY_CODE[case.code]
        else:
            service = self.pick_service[self.pick_category()]()
        visits = case.visits if case is not None and case.visits else rng.randint(*service.visits)
        weekdays: tuple[int, ...]
        if service.pattern == "series":
            per_week = rng.choice((2, 3, 3))
            weekdays = (0, 2, 4) if per_week == 3 else rng.choice(((1, 3), (0, 3), (1, 4)))
            span = visits * 7 // per_week
        elif service.pattern == "weekly":
            weekdays = (rng.randint(0, 4),)
            span = visits * 7
        elif service.pattern == "cycle":
            step = rng.choice(service.step_days)
            span = (visits - 1) * step
        else:
            span = 0
        if case is not None:
            offset = case.start_offset
        elif span > 150:
            offset = rng.randint(-span - 30, 40)
        else:
            offset = rng.randint(-span - 120, 45)
        first_day = as_of + D(offset)
        if service.pattern != "cycle" and first_day.weekday() >= 5:
            first_day += D(7 - first_day.weekday())

        if service.pattern in ("series", "weekly"):
            days = _weekday_days(first_day, weekdays)
        elif service.pattern == "cycle":
            days = (first_day + D(step * i) for i in itertools.count())
        else:
            days = iter((first_day,))

        self.order_no += 1
        oid = self.ids[Order._meta.db_table].take()
        priority = case.priority if case is not None else self._priority(service)
        hour = rng.randint(7, 16)
        minute = rng.choice((0, 15, 30, 45))
        # Schedulers book a few weeks ahead; the rest of a plan of care is not booked yet.
        booked_until = as_of + D(rng.choice((21, 35, 60, 90)) if case is None else 90)
        department = service.department
        tz = self.tz
        now = self.now
        appointments = self.rows[Appointment._meta.db_table]
        take = self.ids[Appointment._meta.db_table].take
        status_count = self.appointment_status
        countable: list[dt.date] = []
        random_ = rng.random
        for day in days:
            if len(countable) >= visits:
                break
            r = random_()
            if day < as_of:
                if r < 0.90:
                    status = "fulfilled"
                elif r < 0.955:
                    status = "cancelled"
                elif r < 0.995:
                    status = "noshow"
                else:
                    status = "entered-in-error"
            elif day == as_of:
                status = "booked" if r < 0.8 else ("arrived" if r < 0.9 else "checked-in")
            elif day > booked_until and service.pattern != "single":
                countable.append(day)
                continue
            else:
                status = "booked" if r < 0.96 or case else ("cancelled" if r < 0.99 else "waitlist")
            if status in ("fulfilled", "booked", "arrived", "checked-in"):
                countable.append(day)
            self.appointment_no += 1
            status_count[status] += 1
            appointments.append((
                take(), f"APT{self.appointment_no:08d}", oid,
                dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz),
                status, department, now, now,
            ))  # fmt: skip
        if not countable:
            # Every slot was cancelled: keep the order, nothing to authorize.
            countable = [first_day]
        diagnoses = rng.sample(
            service.diagnoses, k=min(len(service.diagnoses), rng.choice((1, 1, 2)))
        )
        provider = f"Dr. {rng.choice('ABCDEFGHJKLMNPRSTW')}. {rng.choice(SURNAME_HEADS)}-{rng.choice(SURNAME_TAILS)}"
        self.category[service.category] += 1
        self.rows[Order._meta.db_table].append((
            oid, f"ORD{self.order_no:08d}", pid, service.category, service.code, diagnoses,
            priority, visits if service.plan_of_care else None, provider,
            self.at(first_day - D(rng.randint(3, 21))), now, now,
        ))  # fmt: skip
        self.authorizations(oid, service, priority, visits, countable, coverages, case)

    def _priority(self, service: Service) -> str:
        r = self.rng.random()
        if service.category in (Cat.SURGERY, Cat.IMAGING, Cat.INFUSION):
            return (
                Priority.STAT if r < 0.04 else (Priority.URGENT if r < 0.16 else Priority.ROUTINE)
            )
        return Priority.URGENT if r < 0.03 else Priority.ROUTINE

    # -- authorizations -----------------------------------------------------------------

    def authorizations(
        self,
        oid: int,
        service: Service,
        priority: str,
        visits: int,
        countable: list[dt.date],
        coverages: list[_Cov],
        case: Case | None,
    ) -> None:
        """Authorizations for blocks of visits: history before as_of, a scenario at as_of."""
        rng, as_of = self.rng, self.as_of
        if service.pattern == "single":
            blocks = [countable]
        else:
            size = case.block if case is not None and case.block else rng.choice((4, 6, 8, 10, 12))
            blocks = [countable[i : i + size] for i in range(0, len(countable), size)]
        expedited = priority != Priority.ROUTINE
        prev_end: dt.date | None = None
        current_seen = False
        soon = as_of + D(self.horizon + 14)
        for index, block in enumerate(blocks):
            first, last = block[0], block[-1]
            cov = next((c for c in reversed(coverages) if c.covers(first)), None)
            if cov is None:
                break  # self-pay from here: nobody asks a payer
            rule = matching_rule(cov.payer, cov.plan, service, first)
            if rule is not None and not rule.auth_required:
                prev_end = None
                continue
            start = first - D(rng.randint(0, 3))
            if prev_end is not None and start <= prev_end:
                start = prev_end + D(1)
            if index + 1 < len(blocks):
                end = max(start, blocks[index + 1][0] - D(1))
            else:
                end = last + D(
                    rng.randint(3, 14) if service.pattern != "single" else rng.randint(14, 60)
                )
            auth = _Auth(cov.payer.id, expedited, len(block), start, end)
            if last < as_of:
                self._history(oid, auth)
                prev_end = end
                continue
            if not current_seen:
                current_seen = True
                if case is not None:
                    scenario = case.scenario
                else:
                    scenario = self._in_time(self.pick_scenario(), rule, block)
                if not self._current(oid, auth, scenario, service, countable, case, rule):
                    return
                prev_end = end
                continue
            if first > soon:
                return
            outcome = (
                case.next_outcome if case is not None and case.next_outcome else self.pick_next()
            )
            if outcome == "approved":
                submitted = self.at(as_of - D(rng.randint(2, 12)))
                self._emit(
                    oid,
                    auth,
                    AuthStatus.APPROVED,
                    submitted=submitted,
                    decided=self._decided(submitted),
                )
                prev_end = end
                continue
            if outcome == "submitted":
                waited = rng.randint(0, _turnaround_days(rule, expedited))
                self._emit(oid, auth, AuthStatus.SUBMITTED, submitted=self.at(as_of - D(waited)))
            return

    def _in_time(self, scenario: str, rule: RuleSpec | None, block: list[dt.date]) -> str:
        """Most gaps on visits closer than the rule's lead time were asked for in time.

        authq finds a gap on the day the demo is built, so a gap whose due date (first
        visit - lead time) has passed shows "due at once". A practice working its queue
        has few of those, the visits booked at short notice: a fifth of them stay gaps.
        """
        if scenario not in GAP_SCENARIOS:
            return scenario
        lead = (rule or RuleDefaults).lead_time_days
        upcoming = next((day for day in block if day >= self.as_of), None)
        if upcoming is not None and upcoming < self.as_of + D(lead) and self.rng.random() < 0.8:
            return "approved"
        return scenario

    def _decided(self, submitted: dt.datetime, most_days: int = 6) -> dt.datetime:
        decided = submitted + D(days=self.rng.randint(1, most_days), hours=self.rng.randint(0, 3))
        limit = dt.datetime.combine(self.as_of, dt.time(7), tzinfo=self.tz)
        if decided > limit:
            decided = max(submitted + D(minutes=30), limit - D(hours=12))
        return decided

    def _submitted_before(self, auth: _Auth) -> dt.datetime:
        day = min(auth.start - D(self.rng.randint(2, 10)), self.as_of - D(self.rng.randint(1, 4)))
        return self.at(day)

    def _history(self, oid: int, auth: _Auth) -> None:
        submitted = self._submitted_before(auth)
        if self.rng.random() < 0.1:
            # Asked for more than the payer gave; the visits done fit what was given.
            auth.requested += 2
            self._emit(oid, auth, AuthStatus.PARTIAL, submitted=submitted, decided=self._decided(submitted),
                       approved_visits=auth.requested - 2, determination=Determination.A2)  # fmt: skip
        else:
            self._emit(
                oid,
                auth,
                AuthStatus.APPROVED,
                submitted=submitted,
                decided=self._decided(submitted),
            )

    def _current(
        self,
        oid: int,
        auth: _Auth,
        scenario: str,
        service: Service,
        countable: list[dt.date],
        case: Case | None,
        rule: RuleSpec | None = None,
    ) -> bool:
        """Write the scenario's authorizations; True when later blocks go on as renewals."""
        rng, as_of = self.rng, self.as_of
        if scenario == "missing":
            return False
        if scenario == "draft":
            self._emit(oid, auth, AuthStatus.DRAFT)
            return False
        if scenario == "submitted":
            # Pending no longer than the payer's turnaround: a follow-up falls due today at
            # the earliest, the day authq finds it (a showcase case may wait longer).
            turnaround = _turnaround_days(rule, auth.expedited)
            if case is None:
                days = rng.randint(0, turnaround)
            elif case.submitted_days_ago is not None:
                days = case.submitted_days_ago
            else:
                days = turnaround
            pended = Determination.A4 if rng.random() < 0.4 else ""
            if case is not None and case.determination is not None:
                pended = case.determination
            self._emit(oid, auth, AuthStatus.SUBMITTED, submitted=self.at(as_of - D(days)),
                       determination=pended)  # fmt: skip
            return False
        if scenario == "denied":
            decided = self.at(as_of - D(rng.randint(1, 45)))
            submitted = decided - D(days=rng.randint(2, 8), hours=rng.randint(0, 5))
            self._emit(oid, auth, AuthStatus.DENIED, submitted=submitted, decided=decided,
                       determination=Determination.A3, reason=rng.choice(DENIAL_REASONS))  # fmt: skip
            resubmit = (
                case.resubmit
                if case is not None and case.resubmit is not None
                else rng.random() < 0.35
            )
            if resubmit:
                # A corrected request or an appeal, pending at the payer.
                waited = rng.randint(0, _turnaround_days(rule, auth.expedited))
                again = max(decided + D(hours=2), self.at(as_of - D(waited)))
                limit = dt.datetime.combine(as_of, dt.time(9), tzinfo=self.tz)
                self._emit(oid, auth, AuthStatus.SUBMITTED, submitted=min(again, limit))
            return False
        if scenario == "cancelled":
            submitted = self._submitted_before(auth)
            self._emit(oid, auth, AuthStatus.CANCELLED, submitted=submitted,
                       determination=Determination.C if rng.random() < 0.5 else "")  # fmt: skip
            if case is None and rng.random() < 0.5:
                return False
            again = self._decided(submitted, 3)
            self._emit(
                oid, auth, AuthStatus.APPROVED, submitted=again, decided=self._decided(again)
            )
            return True
        submitted = self._submitted_before(auth)
        decided = self._decided(submitted)
        if scenario == "partial":
            granted = max(1, auth.requested - rng.randint(2, 4)) if auth.requested > 1 else 1
            code: str = Determination.A2 if rng.random() < 0.6 else Determination.A6
            if case is not None and case.determination is not None:
                code = case.determination
            self._emit(oid, auth, AuthStatus.PARTIAL, submitted=submitted, decided=decided,
                       approved_visits=granted, determination=code)  # fmt: skip
            return True
        if scenario == "unlimited":
            # One span for the rest of the plan of care, without a visit count.
            auth.end = max(auth.end, countable[-1] + D(14))
            auth.requested = len([d for d in countable if d >= auth.start])
            self._emit(oid, auth, AuthStatus.APPROVED, submitted=submitted, decided=decided,
                       approved_visits=None)  # fmt: skip
            return False
        self._emit(oid, auth, AuthStatus.APPROVED, submitted=submitted, decided=decided)
        return True

    def _emit(
        self,
        oid: int,
        auth: _Auth,
        status: str,
        *,
        submitted: dt.datetime | None = None,
        decided: dt.datetime | None = None,
        approved_visits: int | None = AS_ASKED,
        determination: str | None = None,
        reason: tuple[str, str] = ("", ""),
    ) -> None:
        rng = self.rng
        approved = status in (AuthStatus.APPROVED, AuthStatus.PARTIAL)
        if approved_visits == AS_ASKED:
            # Payers often grant a visit or two more than asked for a block.
            spare = rng.choice((0, 0, 1, 2, 4)) if status == AuthStatus.APPROVED else 0
            approved_visits = auth.requested + spare
        if determination is None:
            determination = Determination.A1 if status == AuthStatus.APPROVED else ""
        channel = "" if status == AuthStatus.DRAFT else self.pick_channel()
        creator = (
            self.users.get("integration")
            if channel == SubmissionChannel.ELECTRONIC
            else rng.choice(self.staff)
        )
        number = f"{rng.choice('ABCDEHKMPRTW')}{rng.randint(10**8, 10**9 - 1)}" if approved else ""
        reference = (
            f"REF-{rng.randint(10**6, 10**7 - 1)}"
            if submitted is not None and rng.random() < 0.7
            else ""
        )
        self.auth_status[status] += 1
        self.rows[Authorization._meta.db_table].append((
            self.ids[Authorization._meta.db_table].take(), oid, auth.payer_id, status, number,
            reference, channel, auth.expedited, auth.requested,
            auth.start, auth.end,
            auth.start if approved else None, auth.end if approved else None,
            approved_visits if approved else None,
            determination, reason[1], reason[0], submitted, decided, creator, self.now, self.now,
        ))  # fmt: skip


@dataclass(slots=True)
class _Auth:
    payer_id: int
    expedited: bool
    requested: int
    start: dt.date
    end: dt.date


# Scenarios that leave the visits of their block without an authorization.
GAP_SCENARIOS = ("missing", "draft", "denied")


def _turnaround_days(rule: RuleSpec | None, expedited: bool) -> int:
    """Whole days the payer has to answer a request (the scan's follow-up clock)."""
    rule_or_defaults = rule or RuleDefaults
    if expedited:
        return -(-rule_or_defaults.expedited_turnaround_hours // 24)
    return rule_or_defaults.standard_turnaround_days


def _weekday_days(first: dt.date, weekdays: tuple[int, ...]) -> Iterator[dt.date]:
    day = first
    while True:
        if day.weekday() in weekdays:
            yield day
        day += D(1)


# ---------------------------------------------------------------------------------------
# Entry point.


def demo_password() -> tuple[str, bool]:
    """The demo users' password and whether it came from the environment."""
    value = os.environ.get(PASSWORD_ENV, "")
    return (value, True) if value else (DEFAULT_PASSWORD, False)


def _users(password: str) -> dict[str, int]:
    """The demo sign-ins, created or reset to the demo password and their one role."""
    role_groups = {name: Group.objects.filter(name=name).first() for _, name in DEMO_USERS}
    missing = sorted(name for name, group in role_groups.items() if group is None)
    if missing:
        raise RuntimeError(
            f"Role groups missing ({', '.join(missing)}): run `manage.py migrate` first."
        )
    ids: dict[str, int] = {}
    for username, role in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username)
        validate_password(password, user)
        user.email = f"{username}@example.com"
        user.is_staff = user.is_superuser = role == "admin"
        user.set_password(password)
        user.save()
        user.groups.remove(*[g for g in role_groups.values() if g is not None])
        group = role_groups[role]
        assert group is not None
        user.groups.add(group)
        ids[username] = user.pk
    return ids


def seed(
    *,
    patients: int,
    seed: int,
    as_of: dt.date,
    progress: Callable[[int, int], None] | None = None,
    with_users: bool = True,
) -> Summary:
    """Build the demo practice into an empty database; see the module docstring.

    with_users: also create (or reset) the demo's sign-ins, one per role, with the demo
    password; without them the records that name a person name nobody."""
    started = time.monotonic()
    rng = random.Random(seed)
    password, from_env = demo_password()
    summary = Summary(as_of=as_of, seed=seed, password_from_env=from_env)
    with transaction.atomic():
        users = _users(password) if with_users else {}
        summary.users = [(name, role) for name, role in DEMO_USERS if name in users]
        payers = build_payers(rng, payer_count(patients), as_of)
        for payer in payers:
            payer.id = Payer.objects.create(
                code=payer.code, name=payer.name, kind=payer.kind, **payer.directory
            ).pk
        ReviewVendor.objects.bulk_create(
            ReviewVendor(
                payer_id=payer.id, service_category=v.service_category, vendor=v.vendor,
                phone=v.phone, fax=v.fax, portal_url=v.portal_url,
            )
            for payer in payers
            for v in payer.vendors
        )  # fmt: skip
        rules = [
            PayerRule(
                payer_id=payer.id, plan=spec.plan, service_category=spec.service_category,
                codes=list(spec.codes), effective_from=spec.effective_from,
                effective_to=spec.effective_to, auth_required=spec.auth_required,
                lead_time_days=spec.lead_time_days, renewal_window_days=spec.renewal_window_days,
                visit_threshold=spec.visit_threshold,
                standard_turnaround_days=spec.standard_turnaround_days,
                expedited_turnaround_hours=spec.expedited_turnaround_hours,
                appeal_window_days=spec.appeal_window_days,
            )
            for payer in payers
            for spec in payer.rules
        ]  # fmt: skip
        PayerRule.objects.bulk_create(rules)
        summary.payers, summary.rules = len(payers), len(rules)

        builder = _Builder(rng=rng, as_of=as_of, payers=payers, users=users)
        with connection.cursor() as django_cursor:
            pg = django_cursor.connection
            with pg.cursor() as cur:
                # Nobody else inserts while ids are counted here. Foreign keys are checked
                # at the end of each COPY rather than piling up until commit.
                cur.execute(f"LOCK TABLE {', '.join(TABLES)} IN SHARE ROW EXCLUSIVE MODE")
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                builder.ids = {table: IdRange(cur, table) for table in TABLES}
                done = 0
                while done < patients:
                    size = min(CHUNK_PATIENTS, patients - done)
                    for i in range(done, done + size):
                        builder.patient(SHOWCASE[i] if i < len(SHOWCASE) else None)
                    _write(cur, builder.rows)
                    done += size
                    if progress is not None:
                        progress(done, patients)
                for ids in builder.ids.values():
                    ids.finish(cur)
                # Back to Django's INITIALLY DEFERRED foreign keys for the rest of the transaction.
                cur.execute("SET CONSTRAINTS ALL DEFERRED")

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(SEEDED_TABLES)}")
    summary.patients = builder.patient_no
    summary.orders = builder.order_no
    summary.appointments = builder.appointment_no
    summary.coverages = (
        builder.ids[Coverage._meta.db_table].next - builder.ids[Coverage._meta.db_table].first
    )
    summary.authorizations = sum(builder.auth_status.values())
    summary.auth_status = builder.auth_status
    summary.appointment_status = builder.appointment_status
    summary.category = builder.category
    summary.seconds = time.monotonic() - started
    return summary


def _write(cur: Any, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """COPY each table's pending rows, parents first, and empty the buffers."""
    for table, columns in TABLES.items():
        pending = rows[table]
        if not pending:
            continue
        names = ", ".join(f'"{name}"' for name in columns)
        with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in pending:
                copy.write_row(row)
        pending.clear()
