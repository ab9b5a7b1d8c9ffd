"""Session rules for people signed in to the pages: idle logoff, shift length, no caching.

Idle means no request the person made: requests sent by a page on its own (the queue's
auto-refresh) carry the header ``X-Authq-Background: 1`` and do not count as activity,
so a screen left open does not keep a session alive.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers
from django_htmx.http import HttpResponseClientRedirect

# Session keys: epoch seconds of the last request by the person, and of the sign-in.
LAST_ACTIVITY = "authq_last_activity"
STARTED = "authq_started"
BACKGROUND_HEADER = "X-Authq-Background"


def clock() -> float:
    """Now, in epoch seconds (one place, so it reads the same everywhere)."""
    return time.time()


def is_background(request: HttpRequest) -> bool:
    return request.headers.get(BACKGROUND_HEADER) == "1"


class SessionTimeoutMiddleware:
    """Ends a session after AUTHQ_IDLE_TIMEOUT_MINUTES idle or AUTHQ_SESSION_MAX_HOURS in all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        # Token-authenticated API calls have no session user here and pass untouched.
        if user is not None and user.is_authenticated:
            now = clock()
            session = request.session
            last = session.get(LAST_ACTIVITY)
            started = session.setdefault(STARTED, now)
            idle_limit = settings.AUTHQ_IDLE_TIMEOUT_MINUTES * 60
            if (last is not None and now - last >= idle_limit) or (
                now - started >= settings.AUTHQ_SESSION_MAX_HOURS * 3600
            ):
                logout(request)  # flushes the session row and rotates the key
                return self._to_login(request)
            if last is None or not is_background(request):
                session[LAST_ACTIVITY] = now
        return self.get_response(request)

    @staticmethod
    def _to_login(request: HttpRequest) -> HttpResponse:
        if getattr(request, "htmx", False):
            # htmx would swap a login page into a table cell: send the whole page there.
            return HttpResponseClientRedirect(resolve_url(settings.LOGIN_URL))
        return redirect_to_login(request.get_full_path())


class NoStoreMiddleware:
    """Cache-Control: no-store on every response to a signed-in person (pages hold PHI)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
