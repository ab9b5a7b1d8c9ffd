"""The managers' reports' fact tables, written only by reports.refresh.

The tables keep the names they had in worklists (db_table), where they were first created.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q


class RequestFact(models.Model):
    """One submitted authorization request, flattened for the managers' dashboard.

    Written only by reports.refresh.refresh_request_facts (a beat job, incremental
    and idempotent); the dashboard reads this table instead of joining authorizations,
    orders and appointments on every page view. See reports/figures.py for what each
    column means.
    """

    authorization = models.OneToOneField(
        "payers.Authorization", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    payer = models.ForeignKey(
        "payers.Payer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    service_category = models.CharField(max_length=32)
    department = models.CharField(max_length=100, blank=True, default="")
    expedited = models.BooleanField()
    status = models.CharField(max_length=16)
    submitted_at = models.DateTimeField()
    submitted_on = models.DateField(help_text="Local date of submitted_at.")
    decided_at = models.DateTimeField(null=True, blank=True)
    hours = models.FloatField(
        null=True, blank=True, help_text="Submission to decision, in hours (decided only)."
    )
    clock_hours = models.PositiveIntegerField(help_text="The CMS-0057-F clock: 72 or 168.")
    approved_after_appeal = models.BooleanField(default=False)
    denial_reason = models.CharField(max_length=500, blank=True, default="")
    denial_reason_code = models.CharField(
        max_length=32, blank=True, default="", help_text="payers.DenialReason; blank: not coded."
    )
    refreshed_at = models.DateTimeField()

    class Meta:
        db_table = "worklists_requestfact"
        indexes = [
            # Serves every dashboard figure over a date range of submissions.
            models.Index(fields=["submitted_on"], name="worklists_fact_submitted_on"),
            # Serves "payers overdue now" and "pended past the clock": requests still pending.
            models.Index(
                fields=["submitted_at"],
                name="worklists_fact_pending",
                condition=Q(status="submitted"),
            ),
            # Serves the top denial reasons.
            models.Index(
                fields=["submitted_on"],
                name="worklists_fact_denied",
                condition=Q(status="denied"),
            ),
        ]

    def __str__(self) -> str:
        return f"fact for auth {self.authorization_id}"


class AtRiskVisit(models.Model):
    """A booked visit in the next 30 days with a gap, as of the last dashboard refresh.

    Rewritten whole by reports.refresh.refresh_request_facts; see
    reports.figures.appointments_at_risk for what counts.
    """

    appointment = models.OneToOneField(
        "patients.Appointment", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    start = models.DateTimeField()
    department = models.CharField(max_length=100, blank=True, default="")
    service_category = models.CharField(max_length=32)
    payer = models.ForeignKey(
        "payers.Payer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        db_table = "worklists_atriskvisit"

    def __str__(self) -> str:
        return f"visit {self.appointment_id} at risk"


class DashboardRefresh(models.Model):
    """One run of refresh_request_facts: the next run starts from this one's started_at."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    full = models.BooleanField(default=False)
    rows = models.PositiveIntegerField(default=0)
    departments = ArrayField(
        models.CharField(max_length=100),
        default=list,
        blank=True,
        help_text="Every department seen in the facts, for the filter's choices.",
    )

    class Meta:
        db_table = "worklists_dashboardrefresh"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"dashboard refresh {self.started_at:%Y-%m-%d %H:%M}"
