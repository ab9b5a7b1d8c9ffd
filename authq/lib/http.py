"""Types of the requests views get, for annotations only (nothing here runs on a request)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxRequest(HttpRequest):
    """A request as django-htmx's middleware (in every stack here) leaves it: `htmx` set."""

    htmx: HtmxDetails


class SignedInRequest(HtmxRequest):
    """A request behind sign-in (login_required, the admin): `user` is never anonymous."""

    user: User
