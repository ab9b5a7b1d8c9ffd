"""A missing-authorization item on a therapy order, built relative to today."""

from __future__ import annotations

import datetime as dt

from authq.lib import clock
from patients.models import Order
from tests import factories as f
from worklists.models import ItemKind, WorkItem
from worklists.scan import apply


def soon(days: int) -> dt.date:
    return clock.today() + dt.timedelta(days=days)


def missing_auth_item(
    visits: int = 3, *, email: str = "pat@example.org", **order_kw: object
) -> WorkItem:
    """An order with `visits` booked visits from 3 days out, no authorization: one item."""
    _payer, patient = f.practice()
    patient.email = email
    patient.save(update_fields=["email"])
    order_kw.setdefault("diagnosis_codes", ["M54.50"])
    order_kw.setdefault("visits_ordered", 12)
    order = f.order(patient, **order_kw)
    for i in range(visits):
        f.visit(order, soon(3 + 2 * i))
    apply.reevaluate_order(order)
    return WorkItem.objects.get(order=order, kind=ItemKind.MISSING_AUTH)


def order_of(item: WorkItem) -> Order:
    return Order.objects.get(pk=item.order_id)
