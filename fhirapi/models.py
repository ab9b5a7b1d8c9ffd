"""The record of each bundle POSTed to /fhir/ (interop.md's "every import is a record"):
who sent it, when, what it did, and the entries refused with their paths and JSON."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class BundleKind(models.TextChoices):
    BATCH = "batch", "Batch"
    TRANSACTION = "transaction", "Transaction"


class BundleImport(models.Model):
    received_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=BundleKind.choices)
    # The sender's Bundle.id or Bundle.identifier.value, to find its bundle again.
    source_id = models.CharField(max_length=200, blank=True, default="")
    entries = models.PositiveIntegerField()
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    applied = models.BooleanField(
        help_text="False: a transaction with a refused entry, kept nothing."
    )
    duration_ms = models.PositiveIntegerField()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=BundleKind.values),
                name="fhirapi_bundleimport_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.entries} entries, {self.received_at:%Y-%m-%d %H:%M}"


class RejectedEntry(models.Model):
    """An entry of a bundle that was refused: where, why, and the entry as sent."""

    bundle = models.ForeignKey(
        BundleImport, on_delete=models.CASCADE, related_name="rejected_entries"
    )
    index = models.PositiveIntegerField(help_text="The entry's place in Bundle.entry (from 0).")
    path = models.CharField(max_length=300, help_text="The FHIRPath at fault.")
    message = models.TextField()
    raw = models.JSONField(help_text="The entry as sent, to correct and send again.")

    class Meta:
        ordering = ["bundle", "index"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "index"], name="fhirapi_rejectedentry_once"),
        ]

    def __str__(self) -> str:
        return f"entry {self.index}: {self.path}"
