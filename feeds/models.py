"""The HL7 v2 messages the listener received: each with its status, its ACK and its error.

A message's raw text names the patient: only administrators see it (feeds.roles), and it
is never logged.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q


class MessageStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    HELD = "held", "Held (its order is not known yet)"
    REJECTED = "rejected", "Rejected"


class AckCode(models.TextChoices):
    AA = "AA", "AA: applied"
    AE = "AE", "AE: error in the data"
    AR = "AR", "AR: rejected, cannot be read"


class Hl7MessageQuerySet(models.QuerySet["Hl7Message"]):
    def newest_first(self) -> Hl7MessageQuerySet:
        return self.order_by("-received_at", "-id")

    def held_for(self, order_key: str) -> Hl7MessageQuerySet:
        """Held messages waiting for this order, in the order they were received."""
        return self.filter(status=MessageStatus.HELD, order_key=order_key).order_by("id")


class Hl7Message(models.Model):
    """One message as received (MSH-10 remembered: a resent one is not applied twice)."""

    # NULL, not "": unique when given, absent when a message was unreadable.
    control_id = models.CharField(  # noqa: DJ001
        max_length=199, null=True, blank=True, help_text="MSH-10; empty when unreadable."
    )
    message_type = models.CharField(max_length=16, blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=8, choices=MessageStatus.choices)
    ack_code = models.CharField(max_length=2, choices=AckCode.choices)
    error_field = models.CharField(
        max_length=16, blank=True, default="", help_text="The field at fault, like PID-7."
    )
    error = models.TextField(blank=True, default="")
    raw = models.TextField(help_text="The message as received (PHI).")
    ack = models.TextField(help_text="The ACK answered (sent again to a resent message).")
    order_key = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="The placer order number a held message waits for.",
    )
    pending_orders = ArrayField(
        models.BigIntegerField(),
        null=True,
        blank=True,
        help_text="Orders the message changed whose queue is not re-evaluated yet "
        "(the listener's re-evaluator empties it within a second of the commit).",
    )
    times_received = models.PositiveIntegerField(default=1)
    applied_at = models.DateTimeField(null=True, blank=True)
    replays = models.PositiveIntegerField(default=0)
    replayed_at = models.DateTimeField(null=True, blank=True)
    replayed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = Hl7MessageQuerySet.as_manager()

    class Meta:
        verbose_name = "HL7 message"
        ordering = ["-received_at", "-id"]
        constraints = [
            # A resent message (same MSH-10) is acknowledged, not applied again.
            models.UniqueConstraint(
                fields=["control_id"],
                condition=Q(control_id__isnull=False),
                name="feeds_hl7message_control_id_once",
            ),
            models.CheckConstraint(
                condition=Q(status__in=MessageStatus.values), name="feeds_hl7message_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(ack_code__in=AckCode.values), name="feeds_hl7message_ack_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=MessageStatus.HELD) | ~Q(order_key=""),
                name="feeds_hl7message_held_waits_for_order",
            ),
        ]
        indexes = [
            # Serves the Interfaces page: messages of one status, newest first.
            models.Index(fields=["status", "-received_at"], name="feeds_msg_status_newest"),
            # Serves the counts per hour of the last day.
            models.Index(fields=["received_at"], name="feeds_msg_received"),
            # Serves the re-evaluator: applied messages whose orders wait for the scan.
            models.Index(
                fields=["id"],
                condition=Q(pending_orders__isnull=False),
                name="feeds_msg_pending_orders",
            ),
            # Serves the release of held messages when their order arrives.
            models.Index(
                fields=["order_key", "id"],
                condition=Q(status="held"),
                name="feeds_msg_held_by_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_type or 'HL7'} {self.control_id or self.pk}"
