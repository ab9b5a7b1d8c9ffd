"""The managers' dashboard: every figure it shows, defined once, computed in the database.

Words used below:

- A **request** is an authorization that was submitted to its payer (it has a submission
  time; drafts are not requests). Request figures read RequestFact, one flattened row per
  request written by `reports.refresh.refresh_request_facts` (a beat job), never the live tables.
- The **date range** selects requests by the local date of their submission (a cohort:
  "requests sent in March"), work-item figures by the local date of the event counted.
- A request is **expedited** when it was sent as expedited or its order's priority is
  urgent or STAT (as the scan's follow-up date reads it); otherwise it is **standard**.
- The **clock** is CMS-0057-F's: 72 hours from submission for expedited requests, 7
  calendar days (168 hours) for standard ones (payers.models.RuleDefaults holds both).
- **Decided** means approved, partially approved or denied now; cancelled requests are
  neither decided nor pending and are left out of every share. A decision the payer
  revised (a denial overturned on appeal) counts with its current status and time.
- **Turnaround** is decided_at minus submitted_at, in hours, for decided requests.
- A request's (or item's) **department** is the department of its order's earliest
  appointment that names one (blank when none does); an appointment's is its own.
- A request's **payer** is the authorization's payer; an item's or appointment's payer is
  the payer of the patient's primary coverage active today (as the queue page shows).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Count,
    Exists,
    F,
    FloatField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Extract, TruncDate, TruncMonth, TruncWeek
from django.db.models.lookups import Exact
from django.utils import timezone

from authq.lib import clock
from patients.models import Appointment, ServiceCategory, primary_payer_on
from payers.models import AuthStatus, DenialReason, Payer, RuleDefaults
from reports import sql
from reports.models import AtRiskVisit, DashboardRefresh, RequestFact
from worklists.models import (
    ClaimDenial,
    DenialCause,
    EventKind,
    ItemKind,
    ItemStatus,
    Queue,
    WorkItem,
    WorkItemEvent,
)

EXPEDITED_CLOCK_HOURS = RuleDefaults.expedited_turnaround_hours  # 72
STANDARD_CLOCK_HOURS = RuleDefaults.standard_turnaround_days * 24  # 7 calendar days
DEFAULT_RANGE_DAYS = 90
RISK_WINDOWS = (7, 14, 30)
# Open items by age in days since the scan opened them: (label, lowest, highest or None).
AGE_BUCKETS = (
    ("0-2 days", 0, 2),
    ("3-7 days", 3, 7),
    ("8-14 days", 8, 14),
    ("15-30 days", 15, 30),
    ("over 30 days", 31, None),
)
TOP_REASONS = 10


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)."""

    function = "PERCENTILE_CONT"
    name = "Percentile"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


@dataclass(frozen=True)
class Filters:
    """What the manager chose: submissions from start to end (local dates, inclusive)."""

    start: dt.date
    end: dt.date
    payer_id: int | None = None
    category: str = ""
    department: str = ""
    grain: str = "week"  # productivity per "day" or "week"

    @classmethod
    def default(cls, today: dt.date | None = None) -> Filters:
        today = today or clock.today()
        return cls(start=today - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1), end=today)


# --- Requests: turnaround and outcomes -------------------------------------------------


def requests(f: Filters) -> QuerySet[RequestFact]:
    """Requests submitted in the range, narrowed to the payer, service and department."""
    qs = RequestFact.objects.filter(submitted_on__range=(f.start, f.end))
    if f.payer_id:
        qs = qs.filter(payer_id=f.payer_id)
    if f.category:
        qs = qs.filter(service_category=f.category)
    if f.department:
        qs = qs.filter(department=f.department)
    return qs


# The figures per grouping are reports.sql.FIGURES (one pass, GROUPING SETS).

# Each grouping the page shows, by the columns it groups on.
_GROUPINGS = {
    "all": (),
    "type": ("expedited",),
    "payer": ("payer_id",),
    "payer_type": ("payer_id", "expedited"),
    "category": ("service_category",),
    "week_type": ("week", "expedited"),
}
_GROUP_COLUMNS = ("payer_id", "expedited", "service_category", "week")


def _where(f: Filters) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """The filters beyond the date range as (column, parameter) pairs, and the values."""
    equal: list[tuple[str, str]] = []
    params: dict[str, Any] = {"start": f.start, "end": f.end}
    if f.payer_id:
        equal.append(("payer_id", "payer"))
        params["payer"] = f.payer_id
    if f.category:
        equal.append(("service_category", "category"))
        params["category"] = f.category
    if f.department:
        equal.append(("department", "department"))
        params["department"] = f.department
    return equal, params


def request_groups(f: Filters, now: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    """Every request figure for every grouping of the page, in one pass over the facts
    (GROUPING SETS), keyed like _GROUPINGS."""
    equal, params = _where(f)
    statement = sql.request_groups(equal, _GROUPINGS.values(), _GROUP_COLUMNS)
    by_mask = {}
    for name, cols in _GROUPINGS.items():
        # GROUPING() sets a bit, first argument highest, for each column NOT grouped on.
        mask = 0
        for i, col in enumerate(_GROUP_COLUMNS):
            if col not in cols:
                mask |= 1 << (len(_GROUP_COLUMNS) - 1 - i)
        by_mask[mask] = name
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in _GROUPINGS}
    with connection.cursor() as cursor:
        cursor.execute(statement, {**params, "now": now})
        names = [c.name for c in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            group = by_mask[row.pop("grouping_id")]
            for col in _GROUP_COLUMNS:
                if col not in _GROUPINGS[group]:
                    row.pop(col)
            for key in ("mean", "median", "p90"):
                row[key] = None if row[key] is None else round(float(row[key]), 1)
            out[group].append(row)
    return out


def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _with_shares(row: dict[str, Any]) -> dict[str, Any]:
    """Percentages: of decided requests, except pended past the clock (of all requests)."""
    decided = row["decided"]
    row["pct_approved"] = _share(row["approved"], decided)
    row["pct_partial"] = _share(row["partial"], decided)
    row["pct_denied"] = _share(row["denied"], decided)
    row["pct_any_approval"] = _share(row["approved"] + row["partial"], decided)
    row["pct_after_appeal"] = _share(row["after_appeal"], decided)
    row["pct_within_clock"] = _share(row["within_clock"], decided)
    row["pct_extended"] = _share(row["extended"], decided)
    row["pct_pended_past_clock"] = _share(row["pended_past_clock"], row["requests"])
    return row


_NOTHING = {
    "requests": 0,
    "decided": 0,
    "approved": 0,
    "partial": 0,
    "denied": 0,
    "after_appeal": 0,
    "within_clock": 0,
    "extended": 0,
    "pending": 0,
    "pended_past_clock": 0,
    "mean": None,
    "median": None,
    "p90": None,
}


def turnaround_summary(
    f: Filters, now: dt.datetime, groups: dict[str, list[dict[str, Any]]] | None = None
) -> list[dict[str, Any]]:
    """Turnaround and outcomes for all requests, then standard and expedited separately."""
    groups = groups or request_groups(f, now)
    everything = groups["all"][0] if groups["all"] else _NOTHING
    split = {row["expedited"]: row for row in groups["type"]}
    rows = [{**_NOTHING, **everything, "label": "All requests"}]
    for flag, label in ((False, "Standard"), (True, "Expedited")):
        rows.append({**_NOTHING, **split.get(flag, {}), "label": label})
    for row in rows:
        row.pop("expedited", None)
    return [_with_shares(row) for row in rows]


def payer_scorecard(
    f: Filters, now: dt.datetime, groups: dict[str, list[dict[str, Any]]] | None = None
) -> list[dict[str, Any]]:
    """Per payer, standard and expedited requests apart: the figures CMS-0057-F makes
    payers publish (% approved in full or in part, % denied, % approved after appeal,
    % decided past the clock, mean and median hours from request to decision)."""
    groups = groups or request_groups(f, now)
    names = _payer_names()
    rows = []
    for row in groups["payer_type"]:
        row = {**row, "payer": names.get(row["payer_id"], "(no payer)")}
        row["kind"] = "Expedited" if row["expedited"] else "Standard"
        rows.append(_with_shares(row))
    rows.sort(key=lambda r: (r["payer"], r["expedited"]))
    return rows


def by_payer(
    f: Filters, now: dt.datetime, groups: dict[str, list[dict[str, Any]]] | None = None
) -> list[dict[str, Any]]:
    """Per payer, standard and expedited together, busiest first (the payer bars)."""
    groups = groups or request_groups(f, now)
    names = _payer_names()
    rows = [
        _with_shares({**row, "payer": names.get(row["payer_id"], "(no payer)")})
        for row in groups["payer"]
    ]
    rows.sort(key=lambda r: (-r["requests"], r["payer"]))
    return rows


def by_category(
    f: Filters, now: dt.datetime, groups: dict[str, list[dict[str, Any]]] | None = None
) -> list[dict[str, Any]]:
    """Per service category, standard and expedited together, busiest first."""
    groups = groups or request_groups(f, now)
    labels = dict(ServiceCategory.choices)
    rows = [
        _with_shares({**row, "category": labels.get(row["service_category"], "?")})
        for row in groups["category"]
    ]
    rows.sort(key=lambda r: (-r["requests"], r["category"]))
    return rows


def weekly_trend(
    f: Filters, now: dt.datetime, groups: dict[str, list[dict[str, Any]]] | None = None
) -> list[dict[str, Any]]:
    """Per week of submission (Monday first), standard and expedited apart: requests,
    median turnaround hours and the share decided within the clock."""
    groups = groups or request_groups(f, now)
    weeks: dict[dt.date, dict[str, Any]] = {}
    for row in sorted(groups["week_type"], key=lambda r: r["week"]):
        entry = weeks.setdefault(
            row["week"],
            {
                "week": row["week"],
                "std_requests": 0,
                "std_median": None,
                "std_within": None,
                "exp_requests": 0,
                "exp_median": None,
                "exp_within": None,
            },
        )
        prefix = "exp" if row["expedited"] else "std"
        entry[f"{prefix}_requests"] = row["requests"]
        entry[f"{prefix}_median"] = row["median"]
        entry[f"{prefix}_within"] = _share(row["within_clock"], row["decided"])
    return list(weeks.values())


def _payer_names() -> dict[int, str]:
    return dict(Payer.objects.values_list("pk", "name"))


# Denials recorded before reasons were coded, or by an integration that sent only text.
NOT_CODED = "Not coded (free text only)"


def denial_reasons(f: Filters, by: str | None = None) -> list[dict[str, Any]]:
    """Requests denied now, counted by their denial reason code (DenialReason, shown by
    its label; denials without a code make one "not coded" row), most frequent first;
    `by` = "payer" or "category" splits them further."""
    qs = requests(f).filter(status=AuthStatus.DENIED)
    fields = ["denial_reason_code"] + {
        "payer": ["payer_id"],
        "category": ["service_category"],
    }.get(by or "", [])
    rows = list(qs.values(*fields).annotate(n=Count("pk")).order_by("-n", *fields)[:TOP_REASONS])
    names = dict(Payer.objects.values_list("pk", "name")) if by == "payer" else {}
    labels = dict(ServiceCategory.choices)
    reasons = dict(DenialReason.choices)
    for row in rows:
        row["code"] = row.pop("denial_reason_code")
        row["reason"] = reasons.get(row["code"], NOT_CODED)
        if by == "payer":
            row["payer"] = names.get(row.pop("payer_id"), "(no payer)")
        if by == "category":
            row["category"] = labels.get(row.pop("service_category"), "?")
    return rows


def payers_overdue_now(f: Filters, now: dt.datetime) -> list[dict[str, Any]]:
    """Requests pending at their payer right now past the clock, per payer, with the
    oldest one's hours since submission. Whatever the date range (it is about now);
    payer, service and department filters apply."""
    qs = RequestFact.objects.filter(
        status=AuthStatus.SUBMITTED,
        submitted_at__lt=now - F("clock_hours") * dt.timedelta(hours=1),
    )
    if f.payer_id:
        qs = qs.filter(payer_id=f.payer_id)
    if f.category:
        qs = qs.filter(service_category=f.category)
    if f.department:
        qs = qs.filter(department=f.department)
    names = dict(Payer.objects.values_list("pk", "name"))
    return [
        {
            "payer_id": row["payer_id"],
            "n": row["n"],
            "expedited": row["expedited"],
            "payer": names.get(row["payer_id"], "(no payer)"),
            "oldest_hours": round((now - row["oldest"]).total_seconds() / 3600),
        }
        for row in qs.values("payer_id")
        .annotate(
            n=Count("pk"),
            expedited=Count("pk", filter=Q(expedited=True)),
            oldest=Min("submitted_at"),
        )
        .order_by("-n", "payer_id")
    ]


# --- Queue health: open work items and appointments at risk -----------------------------


def order_department() -> Subquery:
    """An order's department (for items): its earliest appointment that names one."""
    return Subquery(
        Appointment.objects.filter(order_id=OuterRef("order_id"))
        .exclude(department="")
        .order_by("start", "id")
        .values("department")[:1]
    )


def _primary_payer_is(payer_id: int, today: dt.date, patient_ref: str) -> Exact:
    return Exact(primary_payer_on(today, patient_ref), payer_id)


def open_items(f: Filters, today: dt.date) -> QuerySet[WorkItem]:
    """Open work items now (open, in progress, waiting on payer), narrowed to the filters
    (not to the date range: it is about now)."""
    qs = WorkItem.objects.open()
    if f.category:
        qs = qs.filter(order__service_category=f.category)
    if f.payer_id:
        qs = qs.filter(_primary_payer_is(f.payer_id, today, "order__patient_id"))
    if f.department:
        qs = qs.annotate(dept=order_department()).filter(dept=f.department)
    return qs


def aging(f: Filters, today: dt.date) -> list[dict[str, Any]]:
    """Open items by age (today minus the local date the scan opened them), STAT and
    routine apart, plus how many of each bucket are overdue (due date before today)."""
    counts: dict[str, Any] = {}
    for i, (_label, low, high) in enumerate(AGE_BUCKETS):
        # Opened on or before today - low, and on or after today - high.
        cond = Q(created_at__lt=clock.day_start(today - dt.timedelta(days=low - 1)))
        if high is not None:
            cond &= Q(created_at__gte=clock.day_start(today - dt.timedelta(days=high)))
        for queue in Queue.values:
            counts[f"{queue}_{i}"] = Count("pk", filter=cond & Q(queue=queue))
        counts[f"overdue_{i}"] = Count("pk", filter=cond & Q(due_date__lt=today))
    got = open_items(f, today).aggregate(**counts)
    return [
        {
            "bucket": label,
            "stat": got[f"stat_{i}"],
            "routine": got[f"routine_{i}"],
            "total": got[f"stat_{i}"] + got[f"routine_{i}"],
            "overdue": got[f"overdue_{i}"],
        }
        for i, (label, _low, _high) in enumerate(AGE_BUCKETS)
    ]


def items_by_kind(f: Filters, today: dt.date) -> list[dict[str, Any]]:
    """Open items per kind and queue: how many, how many overdue, how many unclaimed."""
    labels = dict(ItemKind.choices)
    queues = dict(Queue.choices)
    return [
        {
            **row,
            "kind_label": labels.get(row["kind"], row["kind"]),
            "queue_label": queues.get(row["queue"], row["queue"]),
        }
        for row in open_items(f, today)
        .values("kind", "queue")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=Q(due_date__lt=today)),
            unclaimed=Count("pk", filter=Q(assignee__isnull=True)),
        )
        .order_by("queue", "-n", "kind")
    ]


def appointments_at_risk(f: Filters, today: dt.date) -> dict[str, list[dict[str, Any]]]:
    """Booked visits in the next 7, 14 and 30 days (from today) that have a gap: their
    order has an open work item whose first affected date is on or before the visit's
    date (AtRiskVisit, as of the last refresh). Counted per department (the
    appointment's own) and per payer (the patient's primary coverage on the refresh
    day), as {"department": rows, "payer": rows}. Service, payer and department filters
    apply; the date range does not (it is about now)."""
    start = clock.day_start(today)
    qs = AtRiskVisit.objects.filter(start__gte=start)
    if f.payer_id:
        qs = qs.filter(payer_id=f.payer_id)
    if f.category:
        qs = qs.filter(service_category=f.category)
    if f.department:
        qs = qs.filter(department=f.department)
    windows = {
        f"d{days}": Count(
            "pk", filter=Q(start__lt=clock.day_start(today + dt.timedelta(days=days)))
        )
        for days in RISK_WINDOWS
    }
    names = _payer_names()
    last = f"d{max(RISK_WINDOWS)}"

    def counted(row: Mapping[str, Any], group: str) -> dict[str, Any]:
        return {**{key: row[key] for key in windows}, "group": group}

    out = {
        "department": [
            counted(row, row["department"] or "(no department)")
            for row in qs.values("department").annotate(**windows).order_by()
        ],
        "payer": [
            counted(row, names.get(row["payer_id"], "(no coverage)"))
            for row in qs.values("payer_id").annotate(**windows).order_by()
        ],
    }
    for rows in out.values():
        rows.sort(key=lambda r: (-r[last], r["group"]))
    return out


# --- Productivity ---------------------------------------------------------------------


def _range_instants(f: Filters) -> tuple[dt.datetime, dt.datetime]:
    tz = clock.practice_tz()
    return (
        dt.datetime.combine(f.start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(f.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def _item_filters(f: Filters, today: dt.date, prefix: str = "") -> tuple[Q, dict[str, Any]]:
    q = Q()
    annotations: dict[str, Any] = {}
    if f.category:
        q &= Q(**{f"{prefix}order__service_category": f.category})
    if f.payer_id:
        q &= Q(_primary_payer_is(f.payer_id, today, f"{prefix}order__patient_id"))
    if f.department:
        annotations["dept"] = Subquery(
            Appointment.objects.filter(order_id=OuterRef(f"{prefix}order_id"))
            .exclude(department="")
            .order_by("start", "id")
            .values("department")[:1]
        )
        q &= Q(dept=f.department)
    return q, annotations


def productivity(f: Filters, today: dt.date) -> list[dict[str, Any]]:
    """Per person and per day or week (f.grain) in the range:

    - resolved: items resolved or dismissed in the period, credited to their assignee
      at the time (items the scan closed after a person's work count for that person);
    - actions: history events a person made (the scan's own events have no actor);
    - submissions: items whose first "request submitted" event falls in the period,
      credited to whoever recorded it, and the median hours from the item's creation to
      that first submission.
    """
    tz = timezone.get_current_timezone()
    start, end = _range_instants(f)
    trunc = TruncWeek if f.grain == "week" else TruncDate
    item_q, item_ann = _item_filters(f, today)
    event_q, event_ann = _item_filters(f, today, "work_item__")

    table: dict[tuple[int, dt.date], dict[str, Any]] = {}

    def entry(person: int, period: Any) -> dict[str, Any]:
        period = period.date() if isinstance(period, dt.datetime) else period
        return table.setdefault(
            (person, period),
            {
                "person_id": person,
                "period": period,
                "resolved": 0,
                "actions": 0,
                "submissions": 0,
                "median_to_submit": None,
            },
        )

    resolved = (
        WorkItem.objects.annotate(**item_ann)
        .filter(item_q, status__in=(ItemStatus.RESOLVED, ItemStatus.DISMISSED))
        .filter(resolved_at__gte=start, resolved_at__lt=end, assignee__isnull=False)
        .annotate(period=trunc("resolved_at", tzinfo=tz))
        .values("assignee_id", "period")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for done in resolved:
        entry(done["assignee_id"], done["period"])["resolved"] = done["n"]

    events = WorkItemEvent.objects.annotate(**event_ann).filter(
        event_q, at__gte=start, at__lt=end, actor__isnull=False
    )
    for acted in (
        events.annotate(period=trunc("at", tzinfo=tz))
        .values("actor_id", "period")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        entry(acted["actor_id"], acted["period"])["actions"] = acted["n"]

    earlier = WorkItemEvent.objects.filter(
        work_item_id=OuterRef("work_item_id"), kind=EventKind.SUBMITTED, at__lt=OuterRef("at")
    )
    for sent in (
        events.filter(kind=EventKind.SUBMITTED)
        .exclude(Exists(earlier))
        .annotate(
            period=trunc("at", tzinfo=tz),
            hours=Extract(F("at") - F("work_item__created_at"), "epoch") / 3600.0,
        )
        .values("actor_id", "period")
        .annotate(n=Count("pk"), median=Percentile("hours", 0.5))
        .order_by()
    ):
        cell = entry(sent["actor_id"], sent["period"])
        cell["submissions"] = sent["n"]
        cell["median_to_submit"] = round(sent["median"], 1)

    people = {
        u.pk: u.get_full_name() or u.username
        for u in User.objects.filter(pk__in={k[0] for k in table})
    }
    rows = list(table.values())
    for row in rows:
        row["person"] = people.get(row["person_id"], "?")
    rows.sort(key=lambda r: (r["period"], r["person"]))
    return rows


def productivity_totals(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The productivity rows summed per person over the whole range (the bars)."""
    totals: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"resolved": 0, "actions": 0, "submissions": 0}
    )
    for row in rows:
        t = totals[row["person"]]
        for key in ("resolved", "actions", "submissions"):
            t[key] += row[key]
    out = [{"person": person, **t} for person, t in totals.items()]
    out.sort(key=lambda r: (-r["resolved"], -r["actions"], r["person"]))
    return out


# --- The whole page -------------------------------------------------------------------


# --- Claims denied for their authorization (835 remittances) ---------------------------


def _money(rows: dict[Any, list[Any]]) -> list[dict[str, Any]]:
    return [{"key": k, "n": v[0], "dollars": v[1]} for k, v in rows.items()]


def claim_denials(f: Filters) -> dict[str, Any]:
    """Claim lines a payer denied for their authorization (worklists.ClaimDenial, from
    835 remittances) whose date of service is in the range, narrowed to the payer (the
    remittance's) and the service category of their order (the department filter does
    not apply). Count and denied dollars per month of service, by root cause (missing,
    expired, exceeded, wrong code, other), by payer and by billed code; and the loop's
    score: the share of them whose order had a work item opened before the date of
    service (authq had flagged it). One query.
    """
    qs = ClaimDenial.objects.filter(service_date__range=(f.start, f.end))
    if f.payer_id:
        qs = qs.filter(payer_id=f.payer_id)
    if f.category:
        qs = qs.filter(work_item__order__service_category=f.category)
    rows = (
        qs.annotate(month=TruncMonth("service_date"))
        .values("month", "cause", "payer__name", "code", "flagged_before")
        .annotate(n=Count("id"), dollars=Sum("denied_amount"))
        .order_by()
    )
    months: dict[Any, list[Any]] = defaultdict(lambda: [0, 0])
    causes: dict[Any, list[Any]] = {label: [0, 0] for label in DenialCause.labels}
    payers: dict[Any, list[Any]] = defaultdict(lambda: [0, 0])
    codes: dict[Any, list[Any]] = defaultdict(lambda: [0, 0])
    flagged = total = 0
    for row in rows:
        cause = DenialCause(row["cause"]).label
        for table, key in (
            (months, row["month"]),
            (causes, cause),
            (payers, row["payer__name"]),
            (codes, row["code"]),
        ):
            table[key][0] += row["n"]
            table[key][1] += row["dollars"]
        total += row["n"]
        flagged += row["n"] if row["flagged_before"] else 0
    return {
        "months": _money(dict(sorted(months.items()))),
        "causes": _money(causes),
        "payers": sorted(_money(payers), key=lambda r: (-r["n"], r["key"])),
        "codes": sorted(_money(codes), key=lambda r: (-r["n"], r["key"])),
        "total": total,
        "flagged": flagged,
        "pct_flagged": _share(flagged, total),
    }


@dataclass
class Dashboard:
    filters: Filters
    now: dt.datetime
    today: dt.date
    summary: list[dict[str, Any]] = field(default_factory=list)
    trend: list[dict[str, Any]] = field(default_factory=list)
    payers: list[dict[str, Any]] = field(default_factory=list)
    scorecard: list[dict[str, Any]] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[dict[str, Any]] = field(default_factory=list)
    reasons_by_payer: list[dict[str, Any]] = field(default_factory=list)
    reasons_by_category: list[dict[str, Any]] = field(default_factory=list)
    overdue_payers: list[dict[str, Any]] = field(default_factory=list)
    aging: list[dict[str, Any]] = field(default_factory=list)
    kinds: list[dict[str, Any]] = field(default_factory=list)
    risk_departments: list[dict[str, Any]] = field(default_factory=list)
    risk_payers: list[dict[str, Any]] = field(default_factory=list)
    productivity: list[dict[str, Any]] = field(default_factory=list)
    productivity_totals: list[dict[str, Any]] = field(default_factory=list)
    claims: dict[str, Any] = field(default_factory=dict)
    refreshed: DashboardRefresh | None = None


def build(f: Filters, *, now: dt.datetime | None = None) -> Dashboard:
    """Every figure of the page for these filters, in one read-only transaction.

    The percentile sorts get a larger work_mem for this transaction only, so they stay
    in memory instead of spilling to disk.
    """
    now = now or timezone.now()
    today = clock.local_date(now)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '32MB'")
        board = Dashboard(filters=f, now=now, today=today)
        groups = request_groups(f, now)
        board.summary = turnaround_summary(f, now, groups)
        board.trend = weekly_trend(f, now, groups)
        board.payers = by_payer(f, now, groups)
        board.scorecard = payer_scorecard(f, now, groups)
        board.categories = by_category(f, now, groups)
        board.reasons = denial_reasons(f)
        board.reasons_by_payer = denial_reasons(f, by="payer")
        board.reasons_by_category = denial_reasons(f, by="category")
        board.overdue_payers = payers_overdue_now(f, now)
        board.aging = aging(f, today)
        board.kinds = items_by_kind(f, today)
        risk = appointments_at_risk(f, today)
        board.risk_departments = risk["department"]
        board.risk_payers = risk["payer"]
        board.productivity = productivity(f, today)
        board.productivity_totals = productivity_totals(board.productivity)
        board.claims = claim_denials(f)
        board.refreshed = DashboardRefresh.objects.filter(finished_at__isnull=False).first()
    return board


def departments() -> list[str]:
    """The department filter's choices: those the last refresh saw."""
    last = DashboardRefresh.objects.filter(finished_at__isnull=False).first()
    return list(last.departments) if last else []
