"""Import profiles (how a source system's export reads) and import runs (one file each)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from authq.lib.bounds import MAX_DAYS, bounded, validate_key
from patients.models import AppointmentStatus
from payers.models import AuthStatus


class ProfileKind(models.TextChoices):
    SCHEDULE = "schedule", "Schedule export (one row per appointment)"
    AUTHORIZATIONS = "authorizations", "Authorization log (one row per authorization)"


# The canonical columns of each kind (../shared/spec/interop.md section 1).
SCHEDULE_COLUMNS = (
    "mrn",
    "last_name",
    "first_name",
    "birth_date",
    "phone",
    "email",
    "payer_code",
    "member_id",
    "plan",
    "coverage_start",
    "coverage_end",
    "payer2_code",
    "member2_id",
    "plan2",
    "coverage2_start",
    "coverage2_end",
    "order_id",
    "service_category",
    "code",
    "diagnosis_codes",
    "priority",
    "visits_ordered",
    "ordering_provider",
    "appointment_id",
    "start",
    "date",
    "time",
    "status",
    "department",
)
AUTHORIZATION_COLUMNS = (
    "order_id",
    "mrn",
    "code",
    "payer_code",
    "auth_number",
    "status",
    "start_date",
    "end_date",
    "approved_visits",
    "submitted_at",
    "decided_at",
    "denial_reason",
)
COLUMNS: dict[str, tuple[str, ...]] = {
    ProfileKind.SCHEDULE: SCHEDULE_COLUMNS,
    ProfileKind.AUTHORIZATIONS: AUTHORIZATION_COLUMNS,
}


def _validate_mapping(value: object, what: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip()
        for k, v in value.items()
    ):
        raise ValidationError(f"Give {what} as an object of non-blank texts.")
    return value


def validate_strftime(value: str) -> None:
    if "%" not in value or len(value) > 40:
        raise ValidationError("Give a strftime pattern such as %m/%d/%Y.")


class ImportProfileManager(models.Manager["ImportProfile"]):
    def get_by_natural_key(self, name: str) -> ImportProfile:
        return self.get(name=name)


class ImportProfile(models.Model):
    """How one source system's export reads: its headers, date formats, words and ids."""

    name = models.CharField(max_length=64, unique=True, validators=[validate_key])
    kind = models.CharField(max_length=16, choices=ProfileKind.choices)
    columns = models.JSONField(
        default=dict,
        blank=True,
        help_text="Canonical column -> the source's header. Unmapped canonical columns are "
        "read under their own names (case and spacing ignored).",
    )
    date_format = models.CharField(
        max_length=40, default="%m/%d/%Y", validators=[validate_strftime]
    )
    datetime_format = models.CharField(
        max_length=40, default="%m/%d/%Y %H:%M", validators=[validate_strftime]
    )
    time_format = models.CharField(
        max_length=40,
        default="%H:%M",
        validators=[validate_strftime],
        help_text="For exports that give the visit's date and time in two columns.",
    )
    statuses = models.JSONField(
        default=dict,
        blank=True,
        help_text="The source's status word -> FHIR appointment status (or authorization "
        "status for an authorization log). Case is ignored.",
    )
    payers = models.JSONField(
        default=dict, blank=True, help_text="The source's payer id -> authq payer code."
    )
    assigning_authority = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="HL7 feed: the assigning authority (PID-3's CX-4) whose identifier is the "
        "MRN. Empty: the first identifier of PID-3.",
    )
    snapshot_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_DAYS)],
        help_text="Snapshot mode: the export holds every booked visit from the file's day "
        "to this many days after; a booked visit of this source in that window that is "
        "absent from a new file is cancelled. Empty: off.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # A fixture loaded again updates its profiles by name.
    objects = ImportProfileManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ProfileKind.values), name="intake_importprofile_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(name=""), name="intake_importprofile_name_not_blank"
            ),
            bounded("intake_importprofile", "snapshot_days", MAX_DAYS),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.name,)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        known = COLUMNS.get(self.kind, ())
        try:
            columns = _validate_mapping(self.columns, "the columns")
            unknown = sorted(set(columns) - set(known))
            if known and unknown:
                errors["columns"] = f"Not a column of this kind: {', '.join(unknown)}."
        except ValidationError as exc:
            errors["columns"] = exc.messages[0]
        try:
            words = _validate_mapping(self.statuses, "the status words")
            allowed = (
                AuthStatus.values
                if self.kind == ProfileKind.AUTHORIZATIONS
                else AppointmentStatus.values
            )
            bad = sorted({v for v in words.values() if v not in allowed})
            if bad:
                errors["statuses"] = (
                    f"Not a status: {', '.join(bad)} (allowed: {', '.join(allowed)})."
                )
        except ValidationError as exc:
            errors["statuses"] = exc.messages[0]
        try:
            _validate_mapping(self.payers, "the payer ids")
        except ValidationError as exc:
            errors["payers"] = exc.messages[0]
        if self.kind == ProfileKind.AUTHORIZATIONS and self.snapshot_days is not None:
            errors["snapshot_days"] = "Snapshot mode is for schedule exports."
        if errors:
            raise ValidationError(errors)


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# The record types a run counts, in report order.
RECORD_TYPES = (
    "payers", "payer-rules", "patients", "coverages", "orders", "appointments", "authorizations",
)  # fmt: skip
COUNT_NAMES = ("created", "updated", "unchanged", "rejected")


class ImportRunQuerySet(models.QuerySet["ImportRun"]):
    def newest_first(self) -> ImportRunQuerySet:
        return self.order_by("-created_at", "-id")


class ImportRun(models.Model):
    """One file imported with a profile: who, when, which file, how far, and what it did."""

    # A file has its profile; a JSON batch of the API has none, and names its resource.
    profile = models.ForeignKey(
        ImportProfile, on_delete=models.PROTECT, related_name="runs", null=True, blank=True
    )
    resource = models.CharField(
        max_length=32,
        blank=True,
        default="",
        help_text="A JSON batch's resource (appointments, patients...); empty for a file.",
    )
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=200)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    error = models.TextField(blank=True, default="", help_text="Why the file was refused.")
    header = models.JSONField(default=list, blank=True, help_text="The file's header row.")
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    counts = models.JSONField(
        default=dict, blank=True, help_text="Per record type: created, updated, unchanged."
    )
    snapshot_cancelled = models.PositiveIntegerField(default=0)

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # Files are imported with add_importrun; JSON batches of the API need this one
        # (and the resource's write permissions), and see only the runs of their sender.
        permissions = [("send_batch", "Can send a JSON batch of records")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values), name="intake_importrun_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(profile__isnull=False, resource="")
                | Q(profile__isnull=True, resource__gt=""),
                name="intake_importrun_profile_or_resource",
            ),
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("rows_total")),
                name="intake_importrun_done_within_total",
            ),
        ]
        indexes = [
            # Serves the Imports page's list of past imports, newest first.
            models.Index(fields=["-created_at", "-id"], name="intake_run_newest"),
        ]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.file_name})"

    @property
    def source(self) -> str:
        """The profile a file was read with, or the resource of a JSON batch."""
        return self.profile.name if self.profile else f"API batch of {self.resource}"

    @property
    def finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)

    def rate(self, now: dt.datetime | None = None) -> float | None:
        """Rows applied per second so far, or None before the first chunk."""
        if not self.started_at or not self.rows_done:
            return None
        end = self.finished_at or now or timezone.now()
        seconds = (end - self.started_at).total_seconds()
        return self.rows_done / seconds if seconds > 0 else None

    def seconds_left(self, now: dt.datetime | None = None) -> int | None:
        rate = self.rate(now)
        if rate is None or self.finished:
            return None
        return round((self.rows_total - self.rows_done) / rate)

    def percent(self) -> int:
        if self.finished and self.status == RunStatus.DONE:
            return 100
        return (100 * self.rows_done // self.rows_total) if self.rows_total else 0

    def count(self, record_type: str, name: str) -> int:
        return int(self.counts.get(record_type, {}).get(name, 0))

    def total(self, name: str) -> int:
        if name == "rejected":
            return self.rows_rejected
        return sum(int(c.get(name, 0)) for c in self.counts.values())

    @property
    def created_total(self) -> int:
        return self.total("created")

    @property
    def updated_total(self) -> int:
        return self.total("updated")

    @property
    def unchanged_total(self) -> int:
        return self.total("unchanged")

    def report(self) -> list[dict[str, Any]]:
        """Rows of the report: each record type the run touched with its counts."""
        return [
            {"type": t, **{n: self.count(t, n) for n in COUNT_NAMES if n != "rejected"}}
            for t in RECORD_TYPES
            if t in self.counts
        ]


class RejectedRow(models.Model):
    """A row of a file that was not imported: where, why, and the row as it was."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rejected_rows")
    row = models.PositiveIntegerField(help_text="Row number as a spreadsheet shows it (header: 1).")
    column = models.CharField(max_length=200, blank=True, default="")
    message = models.TextField()
    raw = models.JSONField(default=list, help_text="The row's cells as read.")

    class Meta:
        ordering = ["run", "row"]
        constraints = [
            models.UniqueConstraint(fields=["run", "row"], name="intake_rejectedrow_once"),
        ]

    def __str__(self) -> str:
        return f"row {self.row}: {self.column}"


class SourcedAppointment(models.Model):
    """Which snapshot source last listed an appointment, and in which run (snapshot mode)."""

    appointment = models.OneToOneField(
        "patients.Appointment", on_delete=models.CASCADE, related_name="+"
    )
    profile = models.ForeignKey(ImportProfile, on_delete=models.CASCADE, related_name="+")
    last_run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [
            # Serves the snapshot's search for a source's visits absent from its new file.
            models.Index(fields=["profile", "last_run"], name="intake_sourced_profile_run"),
        ]

    def __str__(self) -> str:
        return f"appointment {self.appointment_id} from {self.profile_id}"


class SnapshotCancellation(models.Model):
    """A booked visit cancelled because a snapshot file no longer listed it."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="cancellations")
    appointment = models.ForeignKey(
        "patients.Appointment", on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "appointment"], name="intake_snapshotcancel_once"
            ),
        ]

    def __str__(self) -> str:
        return f"absent from the snapshot of {self.run.file_name}"


class TouchedOrder(models.Model):
    """An order a run changed, waiting for the run's one re-evaluation at its end."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey("patients.Order", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "order"], name="intake_touchedorder_once"),
        ]

    def __str__(self) -> str:
        return f"order {self.order_id} of run {self.run_id}"
