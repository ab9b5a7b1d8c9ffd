"""Bench only: the server's own time and query count for each response, in headers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse


class ServerTiming:
    """Outermost middleware: times everything Django does for the request (sessions,
    audit, the view, the session save) and counts its queries."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        queries = 0

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        start = time.perf_counter()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        response["X-Bench-Time"] = f"{time.perf_counter() - start:.6f}"
        response["X-Bench-Queries"] = str(queries)
        return response
