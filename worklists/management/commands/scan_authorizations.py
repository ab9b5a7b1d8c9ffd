from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from worklists.scan import runs


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of must be YYYY-MM-DD, got {value!r}") from exc


class Command(BaseCommand):
    help = "Scan every order for authorization gaps and update the work queues (as the beat does)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", type=_date, default=None, help="Scan date (YYYY-MM-DD); default today."
        )

    def handle(self, *args: Any, as_of: dt.date | None, **options: Any) -> None:
        run = runs.run_scan(as_of=as_of, trigger="command")
        if run is None:
            raise CommandError("Another scan is running; try again when it has finished.")
        self.stdout.write(
            f"Scanned {run.orders_scanned} orders as of {run.as_of}: "
            f"{run.items_opened} opened, {run.items_updated} updated, "
            f"{run.items_resolved} resolved."
        )
