"""What a scan process runs (worklists.services.run_scan with processes > 1).

The processes are forked from the scan's own process, Django already set up. They must
not use, nor close, the database connection they inherit: it is the parent's, holding
the scan's advisory lock (closing it would end the parent's session). `start` sets it
aside, and each process opens its own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

# The parent's connections, kept referenced so they are never closed or collected here
# (a forked worker ends with os._exit, running no finalizer).
_inherited: list[Any] = []


def start() -> None:
    """In a freshly forked scan process: forget the parent's database connections."""
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            _inherited.append(conn.connection)
            conn.connection = None


def scan_chunk(ids: list[int], as_of: dt.date) -> Any:
    """One chunk, one transaction: the same as run_scan does in process."""
    from worklists import scan, services

    return services._apply_findings(ids, as_of, scan.RuleBook.load())  # noqa: SLF001
