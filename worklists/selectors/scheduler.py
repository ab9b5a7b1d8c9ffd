"""The scheduler's reads: patients and orders found by a query, and what one order's page
shows (primary coverage, authorizations, booked visits, open items, a date's check).
Returns data and writes nothing: worklists.views.scheduler records what it shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q

from authq.lib import clock
from patients.models import Appointment, Coverage, Order, Patient
from payers.models import Authorization
from worklists.models import WorkItem
from worklists.scan import visit_check

MAX_PATIENTS = 25


def find(q: str) -> tuple[list[Order], list[Patient]]:
    """Orders whose external id is q, and patients by MRN or name prefix, with their orders."""
    q = q.strip()
    if not q:
        return [], []
    orders = list(Order.objects.filter(external_id__iexact=q).select_related("patient"))
    if "," in q:
        last, first = (part.strip() for part in q.split(",", 1))
        match = Q(last_name__istartswith=last, first_name__istartswith=first)
    else:
        match = Q(mrn__istartswith=q) | Q(last_name__istartswith=q)
    patients = list(
        Patient.objects.filter(match)
        .order_by("last_name", "first_name", "id")
        .prefetch_related(Prefetch("orders", queryset=Order.objects.order_by("-id")))[:MAX_PATIENTS]
    )
    return orders, patients


@dataclass(slots=True)
class SchedulingFacts:
    today: dt.date
    coverage: Coverage | None  # the primary coverage in force today
    auths: list[Authorization]  # the newest ten, with their visits counted
    upcoming: list[Appointment]  # the next twenty booked visits
    items: list[WorkItem]  # the order's open items, in queue order
    check: visit_check.VisitCheck | None  # a visit on `day`, when one was asked about


def scheduling_facts(order: Order, day: dt.date | None) -> SchedulingFacts:
    """What the scheduler's order page shows; `day`: the date to check, if any."""
    today = clock.today()
    coverage = (
        Coverage.objects.primary_on(today)
        .filter(patient_id=order.patient_id)
        .select_related("payer")
        .first()
    )
    auths = Authorization.objects.counted().filter(order=order).order_by("-id")[:10]
    upcoming = list(
        Appointment.objects.filter(order=order, start__gte=clock.day_start(today))
        .booked()
        .order_by("start")[:20]
    )
    items = list(
        WorkItem.objects.open().filter(order=order).select_related("assignee").in_queue_order()
    )
    check = visit_check.check_visit(order, day) if day is not None else None
    return SchedulingFacts(today, coverage, list(auths), upcoming, items, check)
