"""Working an item: the actions of the work-item page.

Each records its change through the owning app's service, appends an event to the item
(ids and codes only), and re-evaluates the order in the same transaction, so the item
leaves or changes queue at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from authq.lib.clock import today as practice_today
from authq.lib.exceptions import ActionRefused
from patients import services as patient_services
from patients.models import Coverage
from payers import services as payer_services
from payers.models import (
    Appeal,
    Authorization,
    Document,
    Payer,
    PeerToPeerReview,
    ReviewOutcome,
)
from worklists.claiming import claim_if_unclaimed, locked_item
from worklists.models import (
    DismissalReason,
    EventKind,
    Resolution,
    WorkItem,
    WorkItemEvent,
    WorkItemNote,
    status_after,
)
from worklists.scan.apply import reevaluate_order


def record_work(item: WorkItem, kind: str, by: object, data: dict[str, object]) -> None:
    WorkItemEvent.objects.create(
        work_item_id=item.pk, kind=kind, actor_id=getattr(by, "pk", None), data=data
    )
    reevaluate_order(item.order_id)


def _set_status(item: WorkItem, action: str) -> None:
    """Apply `action` to an item that is still active (the re-evaluation may have
    resolved it), by ITEM_TRANSITIONS."""
    WorkItem.objects.filter(pk=item.pk).move(action, updated_at=timezone.now())


def verify_item_benefits(
    item: WorkItem, coverage: Coverage, *, by: User, source: str = "", **benefits: Any
) -> Coverage:
    """The benefits form's service; `source` names where they came from when not the
    form (an X12 271)."""
    with transaction.atomic():
        claim_if_unclaimed(item, by)
        coverage = patient_services.verify_benefits(coverage, by=by, **benefits)
        data: dict[str, object] = {"coverage": coverage.pk}
        if source:
            data["source"] = source
        record_work(item, EventKind.BENEFITS_VERIFIED, by, data)
    return coverage


def submit_for_item(item: WorkItem, *, by: User, **request: Any) -> Authorization:
    """A request sent to the payer; the item now waits on the payer (if still open)."""
    with transaction.atomic():
        claim_if_unclaimed(item, by)
        auth = payer_services.record_submission(item.order, by=by, **request)
        _set_status(item, "submit")
        record_work(
            item,
            EventKind.SUBMITTED,
            by,
            {
                "authorization": auth.pk,
                "channel": auth.submission_channel,
                "expedited": auth.expedited,
            },
        )
    return auth


def decide_for_item(
    item: WorkItem,
    authorization: Authorization | None,
    *,
    by: User,
    channel: str = "",
    payer: Payer | None = None,
    **decision: Any,
) -> Authorization:
    """The payer's answer on a submitted request, or (authorization None) a request
    answered at once. `payer` is the payer that answered; an approval needs one (on the
    request or given here)."""
    with transaction.atomic():
        claim_if_unclaimed(item, by)
        if authorization is None:
            auth = payer_services.record_answer_at_once(
                item.order, by=by, channel=channel or "phone", payer=payer, **decision
            )
        else:
            auth = payer_services.record_decision(authorization, payer=payer, **decision)
        if decision["outcome"] != "pended":
            _set_status(item, "decide")
        record_work(
            item,
            EventKind.DECIDED,
            by,
            {
                "authorization": auth.pk,
                "outcome": decision["outcome"],
                "status": auth.status,
                "determination": auth.determination_code,
                "approved_visits": auth.approved_visits,
                "denial_reason": auth.denial_reason_code,
            },
        )
    return auth


# A pending appeal or peer-to-peer review parks its denied item out of the work queue
# until this many days before the review's deadline.
PARK_LEAD_DAYS = 2


def _park(item: WorkItem, deadline: dt.date) -> dt.date | None:
    """Snooze the item (its follow-up date) until PARK_LEAD_DAYS before `deadline`; the
    date, or None when that day has come already or an earlier follow-up date stands."""
    back_on = deadline - dt.timedelta(days=PARK_LEAD_DAYS)
    today = practice_today()
    if back_on <= today:
        return None
    locked = locked_item(item)
    current = locked.follow_up_on
    if not locked.is_active or (current is not None and today < current <= back_on):
        return None
    locked.follow_up_on = back_on
    locked.save(update_fields=["follow_up_on", "updated_at"])
    return back_on


def _unpark(item: WorkItem) -> bool:
    """A review's outcome brings its item back now: a follow-up date ahead is cleared."""
    return bool(
        WorkItem.objects.filter(pk=item.pk, follow_up_on__gt=practice_today()).update(
            follow_up_on=None, updated_at=timezone.now()
        )
    )


def _review_recorded(
    item: WorkItem,
    review: PeerToPeerReview | Appeal,
    kind: str,
    *,
    deadline: dt.date,
    by: User,
    **names: object,
) -> None:
    """A review just recorded on the item's order: a pending one parks the item until
    near `deadline`; the event names the review (`names`), its outcome and the parking."""
    parked = _park(item, deadline) if review.outcome == ReviewOutcome.PENDING else None
    data: dict[str, object] = {
        "authorization": review.authorization_id,
        **names,
        "outcome": review.outcome,
    }
    if parked:
        data["parked_until"] = parked.isoformat()
    record_work(item, kind, by, data)


def record_item_peer_review(
    item: WorkItem, authorization: Authorization, *, by: User, **review: Any
) -> PeerToPeerReview:
    with transaction.atomic():
        claim_if_unclaimed(item, by)
        p2p = payer_services.record_peer_review(authorization, by=by, **review)
        _review_recorded(
            item, p2p, EventKind.PEER_REVIEW, deadline=p2p.request_by, by=by, peer_review=p2p.pk
        )
    return p2p


def record_item_appeal(
    item: WorkItem, authorization: Authorization, *, by: User, **appeal: Any
) -> Appeal:
    with transaction.atomic():
        claim_if_unclaimed(item, by)
        record = payer_services.record_appeal(authorization, by=by, **appeal)
        _review_recorded(
            item,
            record,
            EventKind.APPEAL,
            deadline=record.deadline,
            by=by,
            appeal=record.pk,
            level=record.level,
        )
    return record


def set_item_review_outcome(
    item: WorkItem, review: PeerToPeerReview | Appeal, *, by: User, outcome: str
) -> PeerToPeerReview | Appeal:
    """The result of a peer-to-peer review or an appeal of the item's order, recorded once."""
    if review.authorization.order_id != item.order_id:
        raise ActionRefused("That review is not on this item's order.")
    kind, key = (
        (EventKind.PEER_REVIEW_OUTCOME, "peer_review")
        if isinstance(review, PeerToPeerReview)
        else (EventKind.APPEAL_OUTCOME, "appeal")
    )
    with transaction.atomic():
        claim_if_unclaimed(item, by)
        review = payer_services.set_review_outcome(review, outcome=outcome)
        unparked = _unpark(item)
        record_work(
            item,
            kind,
            by,
            {
                "authorization": review.authorization_id,
                key: review.pk,
                "outcome": review.outcome,
                **({"unparked": True} if unparked else {}),
            },
        )
    return review


def attach_item_document(item: WorkItem, *, by: User, **document: Any) -> Document:
    with transaction.atomic():
        claim_if_unclaimed(item, by)
        doc = payer_services.attach_document(item.order, by=by, **document)
        record_work(
            item,
            EventKind.DOCUMENT,
            by,
            {"document": doc.pk, "kind": doc.kind, "type": doc.content_type, "size": doc.size},
        )
    return doc


def add_item_note(item: WorkItem, *, by: User, text: str) -> WorkItemNote:
    """A note; its text stays in the note (it may name the patient), the event holds its id."""
    with transaction.atomic():
        claim_if_unclaimed(item, by)
        note = WorkItemNote.objects.create(work_item=item, text=text.strip(), author=by)
        record_work(item, EventKind.NOTE, by, {"note": note.pk})
    return note


# The latest follow-up date a person may set, in days from today.
MAX_FOLLOW_UP_DAYS = 365


def set_item_follow_up(item: WorkItem, *, by: User, follow_up_on: dt.date | None) -> WorkItem:
    """Set (or clear, None) the item's follow-up date: from today to a year ahead. A date
    ahead snoozes the item out of the work queue until that day (WorkItem.in_work_queue)."""
    today = practice_today()
    if follow_up_on is not None and not (
        today <= follow_up_on <= today + dt.timedelta(days=MAX_FOLLOW_UP_DAYS)
    ):
        raise ActionRefused(
            f"The follow-up date must be between today and {MAX_FOLLOW_UP_DAYS} days from today."
        )
    with transaction.atomic():
        claim_if_unclaimed(item, by)
        item = WorkItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        if not item.is_active:
            raise ActionRefused("This item is closed; a follow-up date would never come up.")
        item.follow_up_on = follow_up_on
        item.save(update_fields=["follow_up_on", "updated_at"])
        record_work(
            item,
            EventKind.FOLLOW_UP,
            by,
            {"follow_up_on": follow_up_on.isoformat() if follow_up_on else None},
        )
    return item


def dismiss_item(item: WorkItem, *, by: User, reason: str, note: str = "") -> WorkItem:
    """Close an item a person decided needs no work. Rescans leave the same gap dismissed
    (see apply_findings); a gap with a new first service date opens a new item."""
    if reason == DismissalReason.OTHER and not note.strip():
        raise ActionRefused("Say why in the note when the reason is 'Other'.")
    with transaction.atomic():
        claim_if_unclaimed(item, by)
        item = WorkItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        dismissed = status_after("dismiss", item.status)
        if dismissed is None:
            raise ActionRefused(f"This item is already {item.get_status_display().lower()}.")
        item.status = dismissed
        item.resolution = Resolution.DISMISSED
        item.resolved_at = timezone.now()
        item.dismissal_reason = reason
        item.dismissal_note = note.strip()
        item.save(
            update_fields=[
                "status",
                "resolution",
                "resolved_at",
                "dismissal_reason",
                "dismissal_note",
                "updated_at",
            ]
        )
        record_work(item, EventKind.DISMISSED, by, {"reason": reason})
    return item
