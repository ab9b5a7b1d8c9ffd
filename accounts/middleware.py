"""Every person signed in to the pages has a second factor (S16).

allauth signs a person in only after their TOTP code, so a password alone reaches nothing.
A person who has no TOTP authenticator yet (a new account) is signed in after the password,
and this middleware lets them do nothing but enrol (or sign out) until they have one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

# Session key: the id of the signed-in person once they were seen to have TOTP.
MFA_OK = "authq_mfa_ok"
# What a person without a second factor may reach: enrolment, the password check that
# enrolment asks for first, the recovery codes shown after it, and signing out.
ENROLMENT_URL_NAMES = frozenset(
    {
        "mfa_activate_totp",
        "account_reauthenticate",
        "mfa_view_recovery_codes",
        "logout",
        "account_logout",
    }
)


def has_totp(request: HttpRequest, user: Any) -> bool:
    """Whether user, signed in on request, has an active TOTP authenticator.

    The answer yes is kept in the session, so pages cost no query for it.
    """
    if request.session.get(MFA_OK) == str(user.pk):
        return True
    if is_mfa_enabled(user, [Authenticator.Type.TOTP]):
        request.session[MFA_OK] = str(user.pk)
        return True
    return False


def forget(request: HttpRequest) -> None:
    request.session.pop(MFA_OK, None)


class RequireMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        # Token-authenticated API calls have no session user here and pass untouched.
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        if match is not None and match.url_name in ENROLMENT_URL_NAMES:
            return None
        if has_totp(request, user):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": "Set up two-factor sign-in in the pages before using the API."},
                status=403,
            )
        url = reverse("mfa_activate_totp")
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return redirect(url)
