"""Sign-in lockouts (security promise S15): what is logged, and the page a person sees.

django-axes counts failures and locks (settings: AXES_*). A locked-out pair is logged here
with the username typed (staff names, never patient data) and the address. To unlock:
the lockouts page (managers, administrators: accounts/lockout_views.py), the admin's Access
attempts (delete the row), or `manage.py axes_reset_username NAME`.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authentication_failed
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

log = logging.getLogger(__name__)


@receiver(user_locked_out, dispatch_uid="accounts.log_lockout")
def log_lockout(
    sender: Any,
    request: Any = None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    log.warning("sign-in locked out: username %r from %s", username, ip_address)


def count_failure(request: HttpRequest, user: User) -> None:
    """One failed sign-in for user from this address, as axes counts a wrong password
    (a lockout marks the request, and axes' middleware answers with locked_out_page)."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )


@receiver(authentication_failed, sender=Authenticator, dispatch_uid="accounts.wrong_code")
def count_wrong_second_factor(
    sender: Any, request: HttpRequest, user: User, reauthentication: bool = False, **kw: Any
) -> None:
    """A wrong code at sign-in's second step counts like a wrong password. (Re-confirming
    while signed in is left to allauth's limits; a wrong password there counts already.)"""
    if not reauthentication:
        count_failure(request, user)


def refuse_if_locked(request: HttpRequest, user: User) -> bool:
    """At the second step: True if user is locked out from this address. The try counts
    (the wait starts again) and the person gets the lockout page."""
    if not AxesProxyHandler.is_locked(request, {"username": user.get_username()}):
        return False
    count_failure(request, user)
    return True


def locked_out_page(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """What a locked-out person sees instead of the sign-in form (AXES_LOCKOUT_CALLABLE)."""
    response = TemplateResponse(
        request,
        "accounts/locked_out.html",
        {"lockout_minutes": settings.AUTHQ_LOCKOUT_MINUTES},
        status=429,
    )
    response["Retry-After"] = str(settings.AUTHQ_LOCKOUT_MINUTES * 60)
    return response.render()


def current_lockouts() -> QuerySet[AccessAttempt]:
    """Username-and-address pairs locked out now, the latest try first."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(
        attempt_time__gte=since, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    ).order_by("-attempt_time", "-id")


@transaction.atomic
def unlock(attempt: AccessAttempt, *, by: User) -> None:
    """Lift one lockout: its failures are forgotten, the person may sign in at once."""
    attempt = AccessAttempt.objects.select_for_update().get(pk=attempt.pk)
    attempt.delete()
    log.warning(
        "sign-in lockout of username %r from %s lifted by user id %s",
        attempt.username,
        attempt.ip_address,
        by.pk,
    )
