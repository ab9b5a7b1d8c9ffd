"""What a spawned scan process runs (worklists.services.run_scan with processes > 1).

Kept apart from worklists.services: a spawned process imports this module before Django
is set up, so nothing here may import models at import time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def start(database_name: str) -> None:
    """Set Django up from the parent's environment, on the parent's database (a test
    database has a name of its own)."""
    import django
    from django.conf import settings

    django.setup()
    settings.DATABASES["default"]["NAME"] = database_name


def scan_chunk(ids: list[int], as_of: dt.date) -> Any:
    """One chunk, one transaction: the same as run_scan does in process."""
    from worklists import scan, services

    return services._apply_findings(ids, as_of, scan.RuleBook.load())  # noqa: SLF001
