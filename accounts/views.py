from __future__ import annotations

from typing import Any

from allauth.account.views import LogoutView
from django.http import HttpRequest, HttpResponse


class SignOutView(LogoutView):
    """Sign out (a POST only), and tell the browser to drop all it kept of the site (S9)."""

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
        return response
