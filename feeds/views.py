"""The Interfaces page (administrators): the feed's messages by status, one message, and
the replay of a rejected one once its cause is fixed."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from authq.lib.exceptions import ActionRefused
from authq.lib.http import SignedInRequest
from feeds import selectors, services
from feeds.models import Hl7Message, MessageStatus
from feeds.roles import can_replay, can_see_feed
from patients.audit import record_view


def _message_for(request: HttpRequest, pk: int) -> Hl7Message:
    if not can_see_feed(request.user):
        raise PermissionDenied
    return get_object_or_404(Hl7Message.objects.select_related("replayed_by"), pk=pk)


@login_required
@require_GET
def interfaces(request: HttpRequest) -> HttpResponse:
    if not can_see_feed(request.user):
        raise PermissionDenied
    status = request.GET.get("status", MessageStatus.REJECTED)
    if status not in MessageStatus.values:
        status = MessageStatus.REJECTED
    page = selectors.overview(status)
    # The errors shown may quote a patient's values: the listing is an access.
    record_view(request, [m.pk for m in page.messages], Hl7Message, patient_ids=[])
    return render(
        request,
        "feeds/interfaces.html",
        {"page": page, "statuses": MessageStatus.choices},
    )


@login_required
@require_GET
def message(request: HttpRequest, pk: int) -> HttpResponse:
    shown = _message_for(request, pk)
    record_view(request, [shown.pk], Hl7Message, patient_ids=[])
    return render(
        request,
        "feeds/message.html",
        {
            "message": shown,
            "segments": shown.raw.replace("\r\n", "\r").replace("\n", "\r").split("\r"),
            "ack_segments": shown.ack.split("\r"),
            "can_replay": can_replay(request.user) and shown.status == MessageStatus.REJECTED,
        },
    )


@login_required
@require_POST
def replay(request: SignedInRequest, pk: int) -> HttpResponse:
    shown = _message_for(request, pk)
    if not can_replay(request.user):
        raise PermissionDenied
    try:
        done = services.replay(shown, by=request.user)
    except ActionRefused as exc:
        flash.error(request, str(exc))
    else:
        if done.status == MessageStatus.REJECTED:
            flash.error(request, "Replayed: still rejected (see the error below).")
        else:
            flash.success(request, f"Replayed: {done.get_status_display().lower()}.")
    return redirect("feeds:message", pk=shown.pk)
