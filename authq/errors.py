"""Error answers: JSON for JSON clients (the API, or an Accept of JSON without HTML),
Django's pages for everyone else. Wired as handler400/403/404/500 in authq.urls and
by authq.middleware.BadInputMiddleware, so a JSON client never gets an HTML page,
whether the body was too large, the server failed or the database is away.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults


def wants_json(request: HttpRequest) -> bool:
    if request.path.startswith("/api/"):
        return True
    accept = request.headers.get("Accept", "")
    return "json" in accept and "html" not in accept


def error_response(
    request: HttpRequest, status: int, body: dict[str, Any], page_text: str
) -> HttpResponse:
    """`body` as JSON for JSON clients, else a short plain page saying `page_text`."""
    if wants_json(request):
        return JsonResponse(body, status=status)
    return HttpResponse(page_text, status=status, content_type="text/plain; charset=utf-8")


def too_large(request: HttpRequest) -> HttpResponse:
    return error_response(
        request,
        413,
        {"detail": "The request body is too large."},
        "The request body is too large.",
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        return too_large(request)
    if wants_json(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if wants_json(request):
        return JsonResponse(
            {"detail": "You do not have permission to perform this action."}, status=403
        )
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    response = error_response(
        request,
        503,
        {"detail": "The database is unavailable; try again shortly."},
        "The database is unavailable; try again shortly.",
    )
    response["Retry-After"] = "30"
    return response
