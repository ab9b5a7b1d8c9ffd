"""The "Pending at payer" page: what is waiting on someone else, and when it comes back.

Three lists, each in a fixed number of queries:
- requests waiting on the payer (submitted authorizations), with the payer's clock
  (expedited: the matched rule's expedited_turnaround_hours for a stat or urgent order or
  an expedited request; else standard_turnaround_days), the answer's due time, the time
  left or overdue, and the follow-up date;
- appeals and peer-to-peer reviews still pending, with their deadline: their denied
  item is parked out of the work queue until PARK_LEAD_DAYS before it;
- items snoozed to a follow-up date still ahead (out of the work queue until then).

worklists.selectors.pending reads the lists; the view records what it shows.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from authq.lib import clock
from patients.audit import record_views
from patients.models import Order, Patient
from payers.models import Appeal, Authorization, PeerToPeerReview
from worklists import item_actions
from worklists.models import WorkItem
from worklists.selectors.pending import LIMIT, pending_lists


def may_view_pending(user: Any) -> bool:
    return user.has_perm("worklists.view_workitem") and user.has_perm("payers.view_authorization")


@require_GET
@login_required
def pending(request: HttpRequest) -> HttpResponse:
    """Requests waiting on the payer, reviews in progress and snoozed items."""
    if not may_view_pending(request.user):
        raise PermissionDenied
    today = clock.today()
    lists = pending_lists(today)
    waiting, reviews, snoozed = lists.waiting, lists.reviews, lists.snoozed
    orders = {r.auth.order for r in waiting} | {r.order for r in reviews}
    orders |= {i.order for i in snoozed}
    record_views(
        request,
        [
            (Patient, {o.patient_id for o in orders}, {o.patient_id for o in orders}),
            (Order, {o.pk for o in orders}, {o.patient_id for o in orders}),
            (
                Authorization,
                [r.auth.pk for r in waiting],
                {r.auth.order.patient_id for r in waiting},
            ),
            (
                Appeal,
                [r.record.pk for r in reviews if isinstance(r.record, Appeal)],
                {r.order.patient_id for r in reviews if isinstance(r.record, Appeal)},
            ),
            (
                PeerToPeerReview,
                [r.record.pk for r in reviews if isinstance(r.record, PeerToPeerReview)],
                {r.order.patient_id for r in reviews if isinstance(r.record, PeerToPeerReview)},
            ),
            (WorkItem, [i.pk for i in snoozed], {i.order.patient_id for i in snoozed}),
        ],
    )
    context = {
        "today": today,
        "waiting": waiting,
        "waiting_total": lists.waiting_total,
        "reviews": reviews,
        "reviews_total": lists.reviews_total,
        "snoozed": snoozed,
        "snoozed_total": lists.snoozed_total,
        "limit": LIMIT,
        "park_days": item_actions.PARK_LEAD_DAYS,
    }
    return render(request, "worklists/pending.html", context)
