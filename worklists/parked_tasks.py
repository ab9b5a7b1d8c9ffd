"""Parked tasks: Celery tasks that failed for good, kept for an administrator."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from django.db import DatabaseError

from worklists.models import ParkedTask

log = logging.getLogger(__name__)


def park_task(
    *,
    name: str,
    task_id: str,
    args: list[Any],
    kwargs: dict[str, Any],
    attempts: int,
    exc: BaseException,
    tb: TracebackType | None,
) -> ParkedTask | None:
    """Record a task that failed for good (a second report of the same task is ignored).
    The error's message may quote data, so only its type, SQLSTATE and place are kept.
    None when the database itself cannot take the record: then the log has it."""
    cause = exc.__cause__ or exc
    frames = traceback.extract_tb(tb) if tb is not None else []
    where = (
        f"{Path(frames[-1].filename).name}:{frames[-1].lineno} {frames[-1].name}" if frames else ""
    )
    error_type = f"{type(exc).__module__}.{type(exc).__qualname__}"
    log.error("task %s %s parked after %d attempts: %s at %s", name, task_id, attempts,
              error_type, where)  # fmt: skip
    try:
        parked, _ = ParkedTask.objects.get_or_create(
            task_id=task_id,
            defaults={
                "task_name": name[:200],
                "args": args,
                "kwargs": kwargs,
                "attempts": attempts,
                "error_type": error_type[:200],
                "error_code": (getattr(cause, "sqlstate", None) or "")[:5],
                "error_where": where[:300],
            },
        )
    except DatabaseError:
        log.exception("task %s %s could not be parked", name, task_id)
        return None
    return parked
