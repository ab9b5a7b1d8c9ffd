"""The scheduler's request for an authorization of an order."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from patients.models import Order
from worklists.claiming import record_event
from worklists.models import EventKind, Queue, WorkItem
from worklists.scan.apply import reevaluate_order

log = logging.getLogger(__name__)


def can_request_authorization(user: object) -> bool:
    """Schedulers and specialists: whoever may see orders and their authorizations."""
    return bool(
        getattr(user, "is_active", False)
        and user.has_perm("patients.view_order")  # type: ignore[attr-defined]
        and user.has_perm("payers.view_authorization")  # type: ignore[attr-defined]
    )


def request_authorization(order: Order | int, *, by: object) -> WorkItem:
    """Ask the specialists for an authorization of `order`: its item goes to the STAT queue.

    The request is kept on the order (`auth_requested_at`), so every later scan keeps the
    order's items in STAT, and opens a missing-authorization item when it finds no other
    gap, until an authorization is submitted or decided after the request (docs/scan.md).
    Returns the order's STAT item, with an `auth_requested` event by `by`.
    """

    order_id = order if isinstance(order, int) else order.pk
    with transaction.atomic():
        locked = Order.objects.select_for_update(no_key=True).get(pk=order_id)
        locked.auth_requested_at = timezone.now()
        locked.save(update_fields=["auth_requested_at", "updated_at"])
        reevaluate_order(locked)
        item = (
            WorkItem.objects.open()
            .filter(order_id=order_id, queue=Queue.STAT)
            .in_queue_order()
            .first()
        )
        if item is None:
            # Only a dismissed request of the same day can leave no active item.
            item = WorkItem.objects.filter(order_id=order_id).order_by("-updated_at", "-id").first()
            assert item is not None
        record_event(item, EventKind.AUTH_REQUESTED, by, order=order_id)
    log.info(
        "authorization requested order=%s by=%s item=%s", order_id, getattr(by, "pk", None), item.pk
    )
    return item
