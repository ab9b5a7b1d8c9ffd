"""Rate limits shared by every web process (security promise S24).

A limit is "N/period" (second, minute, hour or day). Calls are counted per person (or per
address when anonymous) in fixed windows of one period, in Django's cache (Redis, failing
open: with Redis down nothing is limited). The API's limit is the `api` scope; bulk
exports have a stricter `export` scope. Rates come from settings.AUTHQ_THROTTLE_RATES.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}

# The clock windows are read from (tests move it instead of waiting).
clock = time.time


def parse_rate(rate: str) -> tuple[int, int]:
    """'120/minute' -> (120, 60). Raises ValueError naming the rate when malformed."""
    count, _, period = rate.partition("/")
    if not count.isdigit() or int(count) < 1 or period not in PERIODS:
        raise ValueError(
            f"a rate is N/second, N/minute, N/hour or N/day with N at least 1, got {rate!r}"
        )
    return int(count), PERIODS[period]


def _ident(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"addr:{request.META.get('REMOTE_ADDR', '')}"


def _count(key: str, window: int) -> int:
    """This call's number in its window; 0 when the cache cannot count (fail open)."""
    try:
        return cache.incr(key)
    except ValueError:  # the window's first call
        if cache.add(key, 1, timeout=window + 1):
            return 1
        try:
            return cache.incr(key)
        except ValueError:
            return 0


def seconds_to_wait(request: HttpRequest, scope: str, *, now: float) -> int | None:
    """Count one call of the scope; None when allowed, else whole seconds until the next
    window opens."""
    limit, window = parse_rate(settings.AUTHQ_THROTTLE_RATES[scope])
    started = int(now // window) * window
    number = _count(f"throttle:{scope}:{_ident(request)}:{started}", window)
    if number <= limit:
        return None
    return max(1, int(started + window - now + 0.999))


class ScopedRateThrottle(BaseThrottle):
    """DRF throttle over seconds_to_wait(); DRF answers 429 with Retry-After."""

    scope = "api"

    def allow_request(self, request: Request, view: Any) -> bool:
        self._wait = seconds_to_wait(request, self.scope, now=clock())
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait


class ApiRateThrottle(ScopedRateThrottle):
    scope = "api"


class ExportRateThrottle(ScopedRateThrottle):
    scope = "export"


def export_throttled(request: HttpRequest) -> HttpResponse | None:
    """For an HTML view's bulk export: None when allowed, else a 429 page in the site's
    layout with Retry-After."""
    wait = seconds_to_wait(request, "export", now=clock())
    if wait is None:
        return None
    response = TemplateResponse(
        request, "throttled.html", {"wait_minutes": (wait + 59) // 60}, status=429
    )
    response["Retry-After"] = str(wait)
    return response
