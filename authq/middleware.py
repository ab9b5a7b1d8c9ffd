"""Session rules for people signed in to the pages: idle logoff, shift length, no caching.

Idle means no request the person made: requests sent by a page on its own (the queue's
auto-refresh) carry the header ``X-Authq-Background: 1`` and do not count as activity,
so a screen left open does not keep a session alive.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers
from django_htmx.http import HttpResponseClientRedirect

from authq.errors import database_unavailable, error_response, too_large

log = logging.getLogger(__name__)

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


class BadInputMiddleware:
    """Input that would otherwise break a request, answered first and by name.

    - A NUL character in the path or a query parameter: a 400 naming the parameter, or
      the URL's key (mrn, external_id, ...), as PostgreSQL refuses NUL in text.
    - A body larger than Django's DATA_UPLOAD_MAX_MEMORY_SIZE (documents: up to
      AUTHQ_MAX_DOCUMENT_BYTES, plus room for the form): 413, before anything reads it.
    - The database unreachable while a view runs: 503.
    JSON clients get JSON (authq.errors).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if errors := nul_errors(request):
            return errors_response(request, errors)
        if body_too_large(request):
            return too_large(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return too_large(request)
        if isinstance(exception, (OperationalError, InterfaceError)):
            log.error("database unavailable: %s", type(exception).__name__)
            return database_unavailable(request)
        return None


NUL_MESSAGE = "Cannot contain a NUL character."


def nul_errors(request: HttpRequest) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "\x00" in request.path_info:
        name = "path"
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
        if match is not None:
            name = next(
                (k for k, v in match.kwargs.items() if isinstance(v, str) and "\x00" in v), name
            )
        errors[name] = [NUL_MESSAGE]
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            errors[key.replace("\x00", "") or "query"] = [NUL_MESSAGE]
    return errors


def errors_response(request: HttpRequest, errors: dict[str, list[str]]) -> HttpResponse:
    text = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
    return error_response(request, 400, errors, text)


def body_too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return False
    if request.content_type == "multipart/form-data":
        limit = max(limit, settings.AUTHQ_MAX_DOCUMENT_BYTES + 1024 * 1024)
        if _uploads_an_import(request):
            limit = max(limit, settings.AUTHQ_MAX_IMPORT_BYTES + 1024 * 1024)
    return length > limit


# The pages that take an export file to import (a schedule is larger than a document).
IMPORT_UPLOADS = frozenset({"intake:imports", "api:import-list"})


def _uploads_an_import(request: HttpRequest) -> bool:
    try:
        return resolve(request.path_info).view_name in IMPORT_UPLOADS
    except Resolver404:
        return False
