"""manage.py import_file PATH --profile NAME: import an export file, with a progress bar."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from intake import services
from intake.models import ImportProfile, ImportRun, RunStatus
from intake.readers import FileRefused

BAR_WIDTH = 30


def progress_line(run: ImportRun) -> str:
    """`[#####.....]  4,000/10,000 rows  1,234 rows/s  0:05 left`"""
    filled = BAR_WIDTH * run.percent() // 100
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    line = f"[{bar}] {run.rows_done:,}/{run.rows_total:,} rows"
    rate = run.rate()
    if rate:
        line += f"  {rate:,.0f} rows/s"
    left = run.seconds_left()
    if left is not None:
        line += f"  {left // 60}:{left % 60:02d} left"
    return line


class Command(BaseCommand):
    help = "Import a schedule export or authorization log with an import profile."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--profile", required=True, help="The import profile's name.")
        parser.add_argument(
            "--user", help="The person the import is recorded for (and the audit names)."
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Hand the import to a Celery worker instead of running it here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            profile = ImportProfile.objects.get(name=options["profile"])
        except ImportProfile.DoesNotExist:
            names = ", ".join(ImportProfile.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"No profile {options['profile']!r} (profiles: {names}).") from None
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        try:
            with path.open("rb") as handle:
                run = services.start_run(profile, upload=File(handle), name=path.name, by=user)
        except FileRefused as exc:
            raise CommandError(f"{path.name} refused: {exc}") from None
        if options["queue"]:
            services.enqueue(run)
            self.stdout.write(f"Import {run.pk} queued.")
            return
        tty = sys.stderr.isatty()

        def show(current: ImportRun) -> None:
            end = "\r" if tty and not current.finished else "\n"
            self.stderr.write(progress_line(current), ending=end)
            self.stderr.flush()

        run = services.run_import(run.pk, progress=show) or run
        show(run)
        if run.status == RunStatus.FAILED:
            raise CommandError(f"Import {run.pk} failed: {run.error}")
        self.stdout.write(f"Import {run.pk} of {run.file_name} (sha256 {run.sha256[:12]}...):")
        for line in run.report():
            counts = ", ".join(f"{line[n]:,} {n}" for n in ("created", "updated", "unchanged"))
            self.stdout.write(f"  {line['type']}: {counts}")
        self.stdout.write(f"  rejected rows: {run.rows_rejected:,}")
