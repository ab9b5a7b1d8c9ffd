from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reports.refresh import refresh_request_facts


class Command(BaseCommand):
    help = "Bring the managers' dashboard facts up to date (as the beat does every few minutes)."

    def handle(self, *args: Any, **options: Any) -> None:
        run = refresh_request_facts()
        if run is None:
            raise CommandError("Another dashboard refresh is running; try again shortly.")
        self.stdout.write("Dashboard facts refreshed.")
