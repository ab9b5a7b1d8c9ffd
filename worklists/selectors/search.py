"""Search's reads: the patients a query finds, with their newest orders, open items and
authorizations. Returns data and writes nothing: worklists.views.search records what
it shows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber

from patients.models import Order, Patient
from payers.models import Authorization
from worklists.models import WorkItem

MAX_PATIENTS = 20
ORDERS_PER_PATIENT = 10
AUTHS_PER_ORDER = 5
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
# A last name to match by prefix: letters, spaces, hyphens and apostrophes.
NAME = re.compile(r"^[^\W\d_]+(?:['\- ][^\W\d_]+)*$")


def parse_date(q: str) -> dt.date | None:
    """q as a date typed YYYY-MM-DD or MM/DD/YYYY; None if it is not one."""
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(q, fmt).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    return None


def patient_match(q: str) -> Q:
    """Which patients q finds.

    `Last, First`: both by prefix, any case. A date: the birth date. Anything else: the
    exact MRN, order id, auth number or payer reference, or a last name by prefix.
    """
    day = parse_date(q)
    if day is not None:
        return Q(birth_date=day)
    if "," in q:
        last, first = (part.strip() for part in q.split(",", 1))
        return Q(last_name__istartswith=last, first_name__istartswith=first)
    by_auth = Authorization.objects.filter(Q(auth_number=q) | Q(payer_reference=q))
    match = (
        Q(mrn=q)
        | Q(pk__in=Order.objects.filter(external_id=q).values("patient_id"))
        | Q(pk__in=by_auth.values("order__patient_id"))
    )
    if NAME.match(q):
        match |= Q(last_name__istartswith=q)
    return match


@dataclass(slots=True)
class OrderHit:
    order: Order
    open_items: list[WorkItem] = field(default_factory=list)
    auths: list[Authorization] = field(default_factory=list)
    more_auths: int = 0
    matched: bool = False


@dataclass(slots=True)
class PatientHit:
    patient: Patient
    orders: list[OrderHit] = field(default_factory=list)
    more_orders: int = 0


@dataclass(slots=True)
class Results:
    patients: list[PatientHit]
    more: bool  # more patients matched than are shown


def search(q: str) -> Results:
    """The patients q finds, each with their newest orders, open items and authorizations.

    Four queries, whatever the number of results: every list is bounded.
    """
    patients = list(
        Patient.objects.filter(patient_match(q)).order_by("last_name", "first_name", "id")[
            : MAX_PATIENTS + 1
        ]
    )
    more = len(patients) > MAX_PATIENTS
    hits = {p.pk: PatientHit(p) for p in patients[:MAX_PATIENTS]}
    orders = (
        Order.objects.filter(patient_id__in=list(hits))
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("patient_id")], order_by=F("id").desc()),
            of=Window(Count("id"), partition_by=[F("patient_id")]),
        )
        .filter(rank__lte=ORDERS_PER_PATIENT)
        .order_by("patient_id", "-id")
    )
    by_order: dict[int, OrderHit] = {}
    for order in orders:
        hit = hits[order.patient_id]
        order.patient = hit.patient
        by_order[order.pk] = OrderHit(order, matched=order.external_id == q)
        hit.orders.append(by_order[order.pk])
        hit.more_orders = order.of - ORDERS_PER_PATIENT if order.of > ORDERS_PER_PATIENT else 0
    items = WorkItem.objects.open().filter(order_id__in=list(by_order)).in_queue_order()
    for work_item in items.select_related("assignee"):
        by_order[work_item.order_id].open_items.append(work_item)
    auths = (
        Authorization.objects.filter(order_id__in=list(by_order))
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("order_id")], order_by=F("id").desc()),
            of=Window(Count("id"), partition_by=[F("order_id")]),
        )
        .filter(rank__lte=AUTHS_PER_ORDER)
        .order_by("order_id", "-id")
    )
    for auth in auths:
        order_hit = by_order[auth.order_id]
        order_hit.auths.append(auth)
        order_hit.more_auths = max(0, auth.of - AUTHS_PER_ORDER)
        if q in (auth.auth_number, auth.payer_reference):
            order_hit.matched = True
    return Results(list(hits.values()), more)
