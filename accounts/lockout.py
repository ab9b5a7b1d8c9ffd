"""Sign-in lockouts (security promise S15): what is logged, and the page a person sees.

django-axes counts failures and locks (settings: AXES_*). A locked-out pair is logged here
with the username typed (staff names, never patient data) and the address. To unlock:
the admin's Access attempts (delete the row) or `manage.py axes_reset_username NAME`.
"""

from __future__ import annotations

import logging
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

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
