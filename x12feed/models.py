"""X12 interchanges received (one file each) and the report of what each did."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class InterchangeStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    REFUSED = "refused", "Refused (envelope)"
    FAILED = "failed", "Failed"


class Interchange(models.Model):
    """One X12 file: who sent it (ISA06, ISA13), who uploaded it, its 999-style
    acknowledgment, and the counts of what its transactions did."""

    file = models.FileField(upload_to="x12/%Y/%m/", max_length=200)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField(default=0)
    sender = models.CharField(max_length=15, blank=True, default="")
    control_number = models.CharField(max_length=9, blank=True, default="")
    status = models.CharField(
        max_length=8, choices=InterchangeStatus.choices, default=InterchangeStatus.QUEUED
    )
    ack = models.JSONField(default=dict, blank=True, help_text="The 999-style acknowledgment.")
    counts = models.JSONField(default=dict, blank=True, help_text="Outcome -> how many.")
    error = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InterchangeStatus.values),
                name="x12feed_interchange_status_valid",
            ),
            # The same interchange sent again (even re-encoded) is applied once.
            models.UniqueConstraint(
                fields=["sender", "control_number"],
                condition=~Q(status=InterchangeStatus.REFUSED) & ~Q(control_number=""),
                name="x12feed_interchange_once_per_sender",
            ),
        ]
        indexes = [
            # Serves the Imports page's list of interchanges, newest first.
            models.Index(fields=["-created_at", "-id"], name="x12feed_interchange_newest"),
        ]

    def __str__(self) -> str:
        return f"interchange {self.control_number or self.pk} ({self.file_name})"

    @property
    def finished(self) -> bool:
        return self.status in (
            InterchangeStatus.DONE,
            InterchangeStatus.REFUSED,
            InterchangeStatus.FAILED,
        )


class Outcome(models.TextChoices):
    APPLIED = "applied", "Applied"
    UNCHANGED = "unchanged", "Unchanged (applied before)"
    REJECTED = "rejected", "Rejected"
    UNMATCHED = "unmatched", "Matched nothing in authq"
    IGNORED = "ignored", "Nothing to do"


class ReportLine(models.Model):
    """What one transaction, or one claim line or benefit of it, did; with the segments
    as received, to correct and send again."""

    interchange = models.ForeignKey(Interchange, on_delete=models.CASCADE, related_name="lines")
    seq = models.PositiveIntegerField()
    set_id = models.CharField(max_length=3)
    transaction = models.CharField(max_length=9, help_text="ST02")
    position = models.PositiveIntegerField(help_text="Segment position in the interchange.")
    subject = models.CharField(max_length=16, help_text="transaction, decision, benefits, line")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    message = models.CharField(max_length=500)
    raw = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["interchange", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["interchange", "seq"], name="x12feed_reportline_once"),
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="x12feed_reportline_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.set_id} {self.transaction} @{self.position}: {self.outcome}"
