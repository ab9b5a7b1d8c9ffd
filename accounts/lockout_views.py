"""The lockouts page: managers and administrators see who is locked out and unlock."""

from __future__ import annotations

import datetime as dt

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from authq.lib.http import SignedInRequest

from . import lockout

PAGE_SIZE = 200


def _can_unlock(user: User | AnonymousUser) -> bool:
    return user.has_perm("axes.delete_accessattempt")


@require_GET
@login_required
def lockouts(request: HttpRequest) -> HttpResponse:
    if not _can_unlock(request.user):
        raise PermissionDenied
    rows = list(lockout.current_lockouts()[:PAGE_SIZE])
    wait = settings.AXES_COOLOFF_TIME
    for row in rows:
        row.unlocks_at = row.attempt_time + wait
    context = {"rows": rows, "page_size": PAGE_SIZE, "minutes": wait // dt.timedelta(minutes=1)}
    return render(request, "accounts/lockouts.html", context)


@require_POST
@login_required
def unlock(request: SignedInRequest, pk: int) -> HttpResponse:
    if not _can_unlock(request.user):
        raise PermissionDenied
    attempt = AccessAttempt.objects.filter(pk=pk).first()
    if attempt is None:
        raise Http404("no such lockout")
    lockout.unlock(attempt, by=request.user)
    messages.success(request, f"{attempt.username} may sign in again from {attempt.ip_address}.")
    return redirect("lockouts")
