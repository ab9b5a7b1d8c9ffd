from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from demo import build as demo
from demo.x12_samples import write_samples
from patients.models import Patient
from payers.models import Payer


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of must be YYYY-MM-DD, got {value!r}") from exc


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise CommandError(f"expected a whole number, got {value!r}") from exc
    if number < 1:
        raise CommandError(f"expected at least 1, got {number}")
    return number


class Command(BaseCommand):
    help = (
        "Build a synthetic practice (payers, rules, patients, coverage, orders, appointments, "
        "authorizations) into an empty database, and with DJANGO_DEBUG on a sign-in per role."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=_positive, default=300, help="Default 300.")
        parser.add_argument("--seed", type=int, default=2026, help="Same seed, same practice.")
        parser.add_argument(
            "--as-of",
            type=_date,
            default=None,
            help="The day the demo's dates are built around (YYYY-MM-DD); default today "
            "in the practice time zone.",
        )
        parser.add_argument(
            "--x12-dir",
            type=Path,
            default=None,
            help="Where the sample X12 files go; default var/demo-x12/.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds patients or payers.",
        )

    def handle(
        self,
        *args: Any,
        patients: int,
        seed: int,
        as_of: dt.date | None,
        if_empty: bool,
        x12_dir: Path | None = None,
        **options: Any,
    ) -> None:
        if Patient.objects.exists() or Payer.objects.exists():
            if if_empty:
                self.stdout.write("The database already holds a practice: nothing seeded.")
                return
            raise CommandError(
                "The database already holds patients or payers; seed_demo builds into an "
                "empty practice. Use --if-empty to skip, or `manage.py flush` first."
            )
        if as_of is None:
            as_of = timezone.now().astimezone(ZoneInfo(settings.AUTHQ_TIME_ZONE)).date()

        verbosity = options.get("verbosity", 1)

        def progress(done: int, total: int) -> None:
            if total >= 10 * demo.CHUNK_PATIENTS and verbosity >= 1:
                self.stderr.write(f"  {done:,} / {total:,} patients")

        try:
            # The demo's shared sign-ins with a known password are for development only.
            summary = demo.seed(
                patients=patients,
                seed=seed,
                as_of=as_of,
                progress=progress,
                with_users=settings.DEBUG,
            )
        except (RuntimeError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self._report(summary)
        samples = write_samples(x12_dir or Path(settings.BASE_DIR) / "var" / "demo-x12", as_of)
        if samples:
            names = ", ".join(p.name for p in samples)
            where = samples[0].parent
            self.stdout.write(f"Sample X12 files to import (Imports page), in {where}: {names}")
        # The import profiles of the demo's PM system, when the imports app is installed.
        try:
            call_command("loaddata", "demo_import_profiles", verbosity=0)
        except CommandError:
            return
        self.stdout.write("Import profiles for the Imports page: nextgen, auth-log.")
        self.stdout.write("Import profile of the HL7 feed (payer ids): hl7.")

    def _report(self, s: demo.Summary) -> None:
        out = self.stdout.write
        out(f"Demo practice as of {s.as_of} (seed {s.seed}), built in {s.seconds:.1f} s:")
        out(f"  {s.payers} payers, {s.rules} payer rules")
        out(f"  {s.patients:,} patients, {s.coverages:,} coverages, {s.orders:,} orders")
        out(f"  {s.appointments:,} appointments: " + _counts(s.appointment_status))
        out(f"  {s.authorizations:,} authorizations: " + _counts(s.auth_status))
        out("  orders by category: " + _counts(s.category))
        if not s.users:
            out(
                "No demo sign-ins: DJANGO_DEBUG is off. Give each person an account of their "
                "own (manage.py create_user)."
            )
            return
        source = (
            f"the value of {demo.PASSWORD_ENV}"
            if s.password_from_env
            else f'"{demo.DEFAULT_PASSWORD}" (set {demo.PASSWORD_ENV} to choose another)'
        )
        out(f"Sign in at /admin/ or the app with password {source} as:")
        for username, role in s.users:
            out(f"  {username:<12} {role}")


def _counts(counter: Any) -> str:
    return ", ".join(f"{key} {value:,}" for key, value in sorted(counter.items()))
