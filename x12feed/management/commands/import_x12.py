"""manage.py import_x12 PATH: apply one X12 interchange (271, 278 or 835) now."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from x12feed import services
from x12feed.models import InterchangeStatus


class Command(BaseCommand):
    help = "Import one X12 5010 interchange of 271, 278 or 835 and print its report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        try:
            record, created = services.receive(content, name=path.name, by=None)
        except services.NotX12 as exc:
            raise CommandError(str(exc)) from exc
        if not created:
            self.stdout.write(f"Interchange {record.pk} was imported before: nothing new.")
            return
        if record.status == InterchangeStatus.REFUSED:
            for error in record.ack.get("errors", []):
                self.stderr.write(f"{error['level']} {error['code']}: {error['message']}")
            raise CommandError(f"Interchange {record.pk} refused: {record.error}")
        record = services.apply_interchange(record.pk) or record
        for line in record.lines.all():
            self.stdout.write(
                f"{line.set_id} {line.transaction} seg {line.position} "
                f"{line.subject} {line.outcome}: {line.message}"
            )
        self.stdout.write(self.style.SUCCESS(f"Interchange {record.pk}: {record.status}."))
