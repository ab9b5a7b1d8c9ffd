"""Who may open which record from the pages: the lookups the views share.

Each answers 403 to a person without the permission (before looking, so an id reveals
nothing) and 404 to an id that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from patients.models import Order
from worklists import auth_requests
from worklists.models import WorkItem

VIEW_PERM = "worklists.view_workitem"


def can_view_items(user: Any) -> bool:
    """Whether this person works or watches work items (specialists, managers)."""
    return user.has_perm(VIEW_PERM)


def can_use_scheduler(user: Any) -> bool:
    """Whether this person may use the scheduler's page (find, check, ask)."""
    return auth_requests.can_request_authorization(user)


def scoped_item(user: Any, pk: int) -> WorkItem:
    """The work item pk, with its order, patient and assignee, for people who work or
    watch items: the item page, its actions and the queue's row actions."""
    if not can_view_items(user):
        raise PermissionDenied
    return get_object_or_404(WorkItem.objects.select_related("order__patient", "assignee"), pk=pk)


def order_for_item_work(user: Any, pk: int) -> Order:
    """The order pk, with its patient, for the order's workspace: people who work or watch
    items, who see all of the order (diagnoses, documents, every item).

    Not the same door as order_for_scheduling: a scheduler may ask about an order but
    must not see its clinical side, and a manager watching items need not schedule.
    """
    if not can_view_items(user):
        raise PermissionDenied
    return get_object_or_404(Order.objects.select_related("patient"), pk=pk)


def order_for_scheduling(user: Any, pk: int) -> Order:
    """The order pk, with its patient, for the scheduler's order page: people who may ask
    for an authorization, who see status, dates and visits left (member ids masked) and
    nothing clinical. See order_for_item_work for the other door."""
    if not can_use_scheduler(user):
        raise PermissionDenied
    return get_object_or_404(Order.objects.select_related("patient"), pk=pk)
