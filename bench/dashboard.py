"""The dashboard page timed for `make bench`."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse


def render_dashboard_for_bench(user: User | None = None, query: str = "") -> float:
    """GET the dashboard once as a manager through Django's test client (every middleware,
    the view, the template); returns the seconds it took. For `make bench`.

    The figures read RequestFact: run reports.refresh.refresh_request_facts() (the beat
    job) first.
    """
    if user is None:
        user = next(
            u for u in User.objects.filter(is_active=True) if u.has_perm("worklists.view_dashboard")
        )
    client = Client()
    client.force_login(user)
    url = reverse("reports:dashboard") + (f"?{query}" if query else "")
    hosts = [h for h in settings.ALLOWED_HOSTS if h not in ("*", "") and not h.startswith(".")]
    began = time.perf_counter()
    response = client.get(url, HTTP_HOST=hosts[0] if hosts else "localhost")
    took = time.perf_counter() - began
    if response.status_code != 200:
        raise RuntimeError(f"dashboard answered {response.status_code}")
    return took
