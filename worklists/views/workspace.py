"""The order's workspace: one order and everything about it, beyond any one item.

It shows the sections of the item page for the order (reusing its partials), every item
of the order open or closed, the notes and notifications of all of them, and the order's
timeline. The actions are the item page's own forms for one open item (the first in queue
order, or the one picked with ?item=), posting to the item's action URLs with back=order,
so the answer comes back here. With nothing open, a specialist can ask for an
authorization, which opens an item.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from authq.lib.http import SignedInRequest
from patients.audit import record_views
from patients.models import Order
from worklists import auth_requests
from worklists.models import (
    PatientNotification,
    WorkItem,
    WorkItemNote,
)
from worklists.selectors.trail import timeline
from worklists.selectors.workspace import workspace
from worklists.views import item as item_views
from worklists.views.access import order_for_item_work
from worklists.views.trail import can_view_trail

TIMELINE_ENTRIES = 30


def may_request_auth(user: Any) -> bool:
    """Asking for an authorization here is a specialist's move, like recording a submission."""
    return auth_requests.can_request_authorization(user) and item_views._may(user, "submit")


def _selected_pk(request: SignedInRequest) -> int | None:
    raw = request.GET.get("item", "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def render_workspace(
    request: SignedInRequest,
    order: Order,
    selected_pk: int | None = None,
    bound: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page; `bound` is an item action's form that came back with errors (400)."""
    # The item whose form came back with errors stays selected, even if it closed meanwhile.
    ws = workspace(order, selected_pk, keep_closed=bool(bound))
    selected = ws.selected
    context = item_views._page_context(request, selected, bound, order=order)
    # The item page records the selected item's notes and emails; here, those of every item.
    pid = [order.patient_id]
    selected_id = selected.pk if selected else None
    record_views(
        request,
        [
            (WorkItem, [i.pk for i in ws.closed], pid),
            (WorkItemNote, [n.pk for n in ws.notes if n.work_item_id != selected_id], pid),
            (
                PatientNotification,
                [n.pk for n in ws.notifications if n.work_item_id != selected_id],
                pid,
            ),
        ],
    )
    show_trail = can_view_trail(request.user)
    entries = timeline([order.pk]) if show_trail else []
    context.update(
        {
            "item": selected,
            "open_items": ws.open_items,
            "closed_items": ws.closed,
            "notes": ws.notes,
            "notifications": ws.notifications,
            "entries": entries[:TIMELINE_ENTRIES],
            "more_entries": max(0, len(entries) - TIMELINE_ENTRIES),
            "show_trail": show_trail,
            # Every action form carries back=order, so its answer returns here.
            "back": "order" if selected else "",
            "may_request_auth": not ws.open_items and may_request_auth(request.user),
        }
    )
    status = 400 if bound else 200
    return render(request, "worklists/workspace.html", context, status=status)


@require_GET
@login_required
def order_workspace(request: SignedInRequest, pk: int) -> HttpResponse:
    order = order_for_item_work(request.user, pk)
    return render_workspace(request, order, _selected_pk(request))


@require_GET
@login_required
def order_document(request: SignedInRequest, pk: int, document_pk: int) -> FileResponse:
    """A document of the order, to people who may see documents only."""
    order = order_for_item_work(request.user, pk)
    return item_views.send_document(request, order, document_pk)


@require_POST
@login_required
def request_auth(request: SignedInRequest, pk: int) -> HttpResponse:
    """Ask for an authorization of an order with nothing open: its item goes to STAT."""
    order = order_for_item_work(request.user, pk)
    if not may_request_auth(request.user):
        raise PermissionDenied
    work_item = auth_requests.request_authorization(order, by=request.user)
    messages.success(
        request, f"Asked for an authorization: item #{work_item.pk} is in the STAT queue."
    )
    url = reverse("worklists:order", args=[order.pk])
    return redirect(f"{url}?item={work_item.pk}")
