"""Claiming: who works an item (claim, claim next, release, assign, the lease, and the
claim an action takes on an unclaimed item).

These change who works an item, not the records the scan reads, so they do not
re-evaluate the order.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from authq.lib.clock import today as practice_today
from authq.lib.exceptions import ActionRefused
from authq.lib.sql import Literal
from worklists.models import (
    ACTIVE_STATUSES,
    EventKind,
    ItemStatus,
    WorkItem,
    WorkItemEvent,
    WorkItemQuerySet,
    status_after,
)

log = logging.getLogger(__name__)


class ClaimError(Exception):
    """A claim, release or assignment that cannot happen; the message is safe to show."""


class NotYourItem(ClaimError):
    """Releasing or reassigning a colleague's item, by someone who is neither its owner
    nor a manager (views answer 403 with the message)."""


def can_work_items(user: object) -> bool:
    """Works items: may claim them. Specialists (and admins), not managers or schedulers."""
    return bool(
        getattr(user, "is_active", False)
        and user.has_perm("worklists.change_workitem")  # type: ignore[attr-defined]
        and user.has_perm("payers.change_authorization")  # type: ignore[attr-defined]
    )


def can_assign_items(user: object) -> bool:
    """May hand items to a colleague: specialists for cross-coverage, and managers."""
    return bool(
        getattr(user, "is_active", False) and user.has_perm("worklists.change_workitem")  # type: ignore[attr-defined]
    )


def can_reassign_items(user: object) -> bool:
    """May release or reassign an item a colleague has claimed: managers (and admins)."""
    return bool(
        getattr(user, "is_active", False) and user.has_perm("worklists.reassign_workitem")  # type: ignore[attr-defined]
    )


def workers() -> QuerySet[User]:
    """Active people who may be given items: those with both permissions of can_work_items."""
    from django.contrib.auth.models import Permission

    def holders(app_label: str, codename: str) -> Q:
        perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        return Q(is_superuser=True) | Q(groups__permissions__in=perm) | Q(user_permissions__in=perm)

    ids = (
        User.objects.filter(is_active=True)
        .filter(holders("worklists", "change_workitem"))
        .filter(holders("payers", "change_authorization"))
        .values("id")
    )
    return User.objects.filter(id__in=ids).order_by("username")


def record_event(item: WorkItem, kind: str, by: object, **data: object) -> None:
    WorkItemEvent.objects.create(
        work_item=item, kind=kind, actor_id=getattr(by, "pk", None), data=data
    )


def _take(item: WorkItem, user: object) -> None:
    """Make an active item the user's (callers check it is active)."""
    item.assignee_id = user.pk  # type: ignore[attr-defined]
    item.claim_active_at = timezone.now()
    item.status = status_after("claim", item.status) or item.status
    item.save(update_fields=["assignee", "claim_active_at", "status", "updated_at"])


def claim_candidates(queue: str | None = None, *, today: dt.date | None = None) -> WorkItemQuerySet:
    """Unclaimed open items of the work queue (not snoozed) in queue order, locked as
    read, skipping rows being claimed."""
    # A literal status: the one plan a prepared statement keeps can use the queue index.
    candidates = WorkItem.objects.filter(
        status=Literal(ItemStatus.OPEN.value), assignee=None
    ).in_work_queue(today or practice_today())
    if queue:
        candidates = candidates.in_queue(queue)
    return candidates.in_queue_order().select_for_update(skip_locked=True, of=("self",))


def claim_next(user: object, *, queue: str | None = None) -> WorkItem | None:
    """The top unclaimed open item in queue order, now the user's; None when none is left.

    Rows another transaction is claiming are skipped, not waited for, so people who
    click at the same moment get different items.
    """
    with transaction.atomic():
        item = claim_candidates(queue).first()
        if item is None:
            return None
        _take(item, user)
        record_event(item, EventKind.CLAIMED, user, queue=item.queue, next=True)
    return item


def locked_item(item: WorkItem | int) -> WorkItem:
    pk = item if isinstance(item, int) else item.pk
    return WorkItem.objects.select_for_update(of=("self",)).get(pk=pk)


def claim(item: WorkItem | int, *, by: object) -> WorkItem:
    """Take a chosen item. Claiming one's own item again changes nothing."""
    with transaction.atomic():
        item = locked_item(item)
        if not item.is_active:
            raise ClaimError("This item is closed.")
        if item.assignee_id == by.pk:  # type: ignore[attr-defined]
            return item
        if item.assignee_id is not None:
            raise ClaimError("Someone else has already claimed this item.")
        _take(item, by)
        record_event(item, EventKind.CLAIMED, by, queue=item.queue)
    return item


def release(item: WorkItem | int, *, by: object) -> WorkItem:
    """Give an item back to the queue: unassigned, and open again if it was in progress.

    The assignee may release it; so may a manager (can_reassign_items), nobody else.
    """
    with transaction.atomic():
        item = locked_item(item)
        if item.assignee_id is None:
            return item
        if item.assignee_id != by.pk and not can_reassign_items(by):  # type: ignore[attr-defined]
            raise NotYourItem("Only the person working this item or a manager can release it.")
        previous = item.assignee_id
        item.assignee = None
        item.status = status_after("release", item.status) or item.status
        item.save(update_fields=["assignee", "status", "updated_at"])
        record_event(item, EventKind.RELEASED, by, previous_assignee=previous)
    return item


def release_lapsed_claims(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Give back to their queues the items whose assignee has not claimed or acted for
    AUTHQ_CLAIM_LEASE_MINUTES, each with a `released` event marked `lease`. Safe to run
    twice at once: locked rows are skipped, and each is checked again once locked."""
    now = now or timezone.now()
    lapsed = Q(
        assignee__isnull=False,
        status__in=ACTIVE_STATUSES,
        claim_active_at__lt=now - dt.timedelta(minutes=settings.AUTHQ_CLAIM_LEASE_MINUTES),
    )
    released = 0
    while True:
        with transaction.atomic():
            items = list(
                WorkItem.objects.filter(lapsed)
                .order_by("claim_active_at")
                .select_for_update(skip_locked=True)[:batch]
            )
            for item in items:
                previous = item.assignee_id
                item.assignee = None
                item.status = status_after("release", item.status) or item.status
                item.save(update_fields=["assignee", "status", "updated_at"])
                record_event(item, EventKind.RELEASED, None, previous_assignee=previous, lease=True)
        released += len(items)
        if len(items) < batch:
            break
    if released:
        log.info("released %d lapsed claims", released)
    return released


def assign(item: WorkItem | int, *, to: User, by: object) -> WorkItem:
    """Hand an item to a colleague (cross-coverage); only people who work items qualify.

    An unclaimed item or one's own may be handed on by anyone who may assign; an item a
    colleague has claimed only by a manager (can_reassign_items).
    """
    if not can_work_items(to):
        raise ClaimError("Items can only be assigned to authorization specialists.")
    with transaction.atomic():
        item = locked_item(item)
        if not item.is_active:
            raise ClaimError("This item is closed.")
        if item.assignee_id == to.pk:
            return item
        if (
            item.assignee_id is not None
            and item.assignee_id != by.pk  # type: ignore[attr-defined]
            and not can_reassign_items(by)
        ):
            raise NotYourItem(
                "This item is claimed by a colleague: only they or a manager can reassign it."
            )
        previous = item.assignee_id
        _take(item, to)
        record_event(item, EventKind.ASSIGNED, by, previous_assignee=previous, assignee=to.pk)
    return item


# --- The claim an action takes (worklists.item_actions, worklists.notifying). ----------


class ClaimLapsed(ActionRefused):
    """An action by someone whose claim on the item ran out (R11): they claim it again,
    seeing what happened meanwhile, before their work is saved."""


def _claim_lapsed(item: WorkItem, by: object) -> bool:
    """Whether `by` last held the item through a claim or assignment that the lease then
    released, and has not claimed it since."""
    pk = by.pk  # type: ignore[attr-defined]
    last = (
        WorkItemEvent.objects.filter(work_item=item)
        .filter(
            Q(kind=EventKind.CLAIMED, actor_id=pk)
            | Q(kind=EventKind.ASSIGNED, data__assignee=pk)
            | Q(kind=EventKind.RELEASED, data__lease=True, data__previous_assignee=pk)
        )
        .order_by("-id")
        .values_list("kind", flat=True)
        .first()
    )
    return last == EventKind.RELEASED


def claim_if_unclaimed(item: WorkItem, by: object) -> None:
    """Acting claims: the first action on an unclaimed active item makes it the actor's
    (a specialist's; a manager's action claims nothing), with a `claimed` event marked
    `acting`. Called inside the action's transaction, so a refused action claims nothing.
    An item a colleague holds stays theirs. The assignee's action renews their lease; an
    action by someone whose claim lapsed is refused (ClaimLapsed)."""
    if not can_work_items(by):
        return
    locked = locked_item(item)
    if locked.assignee_id == by.pk:  # type: ignore[attr-defined]
        WorkItem.objects.filter(pk=locked.pk).update(claim_active_at=timezone.now())
        return
    if _claim_lapsed(locked, by):
        raise ClaimLapsed(
            "Your claim on this item ran out while you were away and it went back to the "
            "queue: claim it again, check what changed, then save."
        )
    if locked.assignee_id is not None or not locked.is_active:
        return
    _take(locked, by)
    record_event(locked, EventKind.CLAIMED, by, queue=locked.queue, acting=True)
    item.assignee_id, item.status = locked.assignee_id, locked.status
