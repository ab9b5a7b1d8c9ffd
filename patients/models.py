"""Patients, their coverage, the orders for their care, and the appointments of each order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery

from authq.lib.bounds import (
    MAX_RANK,
    MAX_VISITS,
    at_most,
    bounded,
    key_without_slash,
    validate_date_in_window,
    validate_key,
    validate_not_future,
)
from patients.validators import validate_icd10cm


class ServiceCategory(models.TextChoices):
    PHYSICAL_THERAPY = "physical_therapy", "Physical therapy"
    OCCUPATIONAL_THERAPY = "occupational_therapy", "Occupational therapy"
    IMAGING = "imaging", "Imaging"
    DIAGNOSTIC_TESTING = "diagnostic_testing", "Diagnostic testing"
    INFUSION = "infusion", "Infusion"
    SURGERY = "surgery", "Surgery"
    MEDICATION = "medication", "Medication"
    BEHAVIORAL_HEALTH = "behavioral_health", "Behavioral health"
    SPECIALTY_CONSULT = "specialty_consult", "Specialty consult"


class Patient(models.Model):
    mrn = models.CharField("MRN", max_length=32, unique=True, validators=[validate_key])
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    birth_date = models.DateField(validators=[validate_date_in_window, validate_not_future])
    phone = models.CharField(max_length=32, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(mrn=""), name="patients_patient_mrn_not_blank"),
            key_without_slash("patients_patient", "mrn"),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="patients_patient_name"),
        ]

    def __str__(self) -> str:
        # Admin lists and logs show the MRN only; names are PHI.
        return self.mrn


# "The patient's primary coverage on a day" (docs/domain.md): the rank-1 coverage whose
# [start, end] contains the day (no end: open); among several, the latest start, then the
# highest id. Written three ways, here only, and tested to agree
# (tests/test_primary_coverage.py): CoverageQuerySet.primary_on for the ORM,
# primary_among for facts already in memory (the scan), and the SQL function
# patients_primary_payer (migration 0008) for raw SQL.


class CoverageQuerySet(models.QuerySet["Coverage"]):
    def primary(self) -> CoverageQuerySet:
        return self.filter(rank=1)

    def active_on(self, day: object) -> CoverageQuerySet:
        return self.filter(Q(end__isnull=True) | Q(end__gte=day), start__lte=day)

    def primary_on(self, day: object) -> CoverageQuerySet:
        """The rank-1 coverages in force on `day`, the primary one first: `.first()`
        of one patient's is that patient's primary coverage on the day."""
        return self.primary().active_on(day).order_by("-start", "-id")


def primary_payer_on(day: object, patient: str = "patient_id") -> Subquery:
    """The payer id of the primary coverage on `day` of the patient at OuterRef(`patient`)
    (null when none), for annotations and filters."""
    return Subquery(
        Coverage.objects.primary_on(day)
        .filter(patient_id=OuterRef(patient))
        .values("payer_id")[:1],
        output_field=models.BigIntegerField(),
    )


class CoverageSpan(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def start(self) -> dt.date: ...
    @property
    def end(self) -> dt.date | None: ...


def primary_among[C: CoverageSpan](coverages: Iterable[C], day: dt.date) -> C | None:
    """The primary coverage on `day` among one patient's rank-1 coverages."""
    best: C | None = None
    for cov in coverages:
        in_force = cov.start <= day and (cov.end is None or day <= cov.end)
        if in_force and (best is None or (cov.start, cov.id) > (best.start, best.id)):
            best = cov
    return best


class Coverage(models.Model):
    """A patient's insurance with one payer over a span, with the benefits last verified."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="coverages")
    payer = models.ForeignKey("payers.Payer", on_delete=models.PROTECT, related_name="coverages")
    member_id = models.CharField(max_length=64)
    plan = models.CharField(max_length=100, blank=True, default="")
    rank = models.PositiveSmallIntegerField(
        default=1, help_text="1 primary, 2 secondary, ...", validators=at_most(MAX_RANK)
    )
    start = models.DateField(validators=[validate_date_in_window])
    end = models.DateField(
        null=True, blank=True, help_text="Empty: open-ended.", validators=[validate_date_in_window]
    )
    # Benefits, as verified with the payer.
    copay = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    coinsurance_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    deductible = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    deductible_met = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    plan_year_visit_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Visits per plan year; a separate counter from auths.",
        validators=at_most(MAX_VISITS),
    )
    benefits_verified_at = models.DateTimeField(
        null=True, blank=True, validators=[validate_date_in_window]
    )
    benefits_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CoverageQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "rank", "-start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="patients_coverage_span_ordered",
                violation_error_message="The coverage ends before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(rank__gte=1), name="patients_coverage_rank_positive"
            ),
            # The API's key for a coverage.
            models.UniqueConstraint(
                fields=["patient", "payer", "member_id", "start"],
                name="patients_coverage_key_unique",
            ),
            models.CheckConstraint(
                condition=~Q(member_id=""), name="patients_coverage_member_id_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(coinsurance_percent__isnull=True)
                | Q(coinsurance_percent__gte=0, coinsurance_percent__lte=100),
                name="patients_coverage_coinsurance_percent",
            ),
            models.CheckConstraint(
                condition=Q(copay__isnull=True) | Q(copay__gte=0),
                name="patients_coverage_copay_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(deductible__isnull=True) | Q(deductible__gte=0),
                name="patients_coverage_deductible_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(deductible_met__isnull=True) | Q(deductible_met__gte=0),
                name="patients_coverage_deductible_met_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(deductible__isnull=True)
                | Q(deductible_met__isnull=True)
                | Q(deductible_met__lte=F("deductible")),
                name="patients_coverage_deductible_met_within",
                violation_error_message="The deductible met is more than the deductible.",
            ),
            bounded("patients_coverage", "rank", MAX_RANK),
            bounded("patients_coverage", "plan_year_visit_limit", MAX_VISITS),
        ]

    def __str__(self) -> str:
        return f"{self.payer_id} rank {self.rank} from {self.start}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start is not None and self.end is not None and self.end < self.start:
            errors["end"] = f"Must be on or after start ({self.start})."
        met, deductible = self.deductible_met, self.deductible
        if met is not None and deductible is not None and met > deductible:
            errors["deductible_met"] = f"More than the deductible ({deductible})."
        if errors:
            raise ValidationError(errors)


class Priority(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    STAT = "stat", "STAT"


EXPEDITED_PRIORITIES = (Priority.URGENT, Priority.STAT)


class Order(models.Model):
    """A service ordered for a patient: a therapy series, a scan, a surgery, a drug."""

    external_id = models.CharField(max_length=64, unique=True, validators=[validate_key])
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="orders")
    service_category = models.CharField(max_length=32, choices=ServiceCategory.choices)
    code = models.CharField("CPT/HCPCS code", max_length=16)
    diagnosis_codes = ArrayField(
        models.CharField(max_length=10, validators=[validate_icd10cm]),
        blank=True,
        default=list,
        help_text="ICD-10-CM codes, with the dot (M54.50).",
    )
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.ROUTINE)
    visits_ordered = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Visits in the plan of care.",
        validators=at_most(MAX_VISITS),
    )
    ordering_provider = models.CharField(max_length=200, blank=True, default="")
    ordered_at = models.DateTimeField(null=True, blank=True, validators=[validate_date_in_window])
    auth_requested_at = models.DateTimeField(
        null=True,
        blank=True,
        validators=[validate_date_in_window],
        help_text="When a scheduler last asked for an authorization; the scan keeps the "
        "order's items in the STAT queue until an authorization is submitted or decided after it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        permissions = [
            # Schedulers see status, dates and visits left; diagnoses need this (S22).
            ("view_diagnosis", "Can see an order's diagnoses and clinical documents"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(service_category__in=ServiceCategory.values),
                name="patients_order_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="patients_order_priority_valid"
            ),
            models.CheckConstraint(condition=~Q(code=""), name="patients_order_code_not_blank"),
            models.CheckConstraint(
                condition=~Q(external_id=""), name="patients_order_external_id_not_blank"
            ),
            key_without_slash("patients_order", "external_id"),
            bounded("patients_order", "visits_ordered", MAX_VISITS),
        ]

    def __str__(self) -> str:
        return self.external_id

    def clean(self) -> None:
        # A stored order stays with its patient: a different patient is a different order.
        if self.pk is not None and self.patient_id is not None:
            owner = Order.objects.filter(pk=self.pk).values_list("patient_id", flat=True).first()
            if owner is not None and owner != self.patient_id:
                raise ValidationError(
                    {"patient": "An order cannot move to another patient; create a new order."}
                )

    @property
    def is_expedited(self) -> bool:
        return self.priority in EXPEDITED_PRIORITIES


class AppointmentStatus(models.TextChoices):
    """FHIR Appointment.status."""

    PROPOSED = "proposed", "Proposed"
    PENDING = "pending", "Pending"
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    FULFILLED = "fulfilled", "Fulfilled"
    CANCELLED = "cancelled", "Cancelled"
    NOSHOW = "noshow", "No-show"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    CHECKED_IN = "checked-in", "Checked in"
    WAITLIST = "waitlist", "Wait-listed"


# Visits that consume an authorized visit; cancellations and no-shows never do.
USED_STATUSES = (
    AppointmentStatus.ARRIVED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.FULFILLED,
)


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def used(self) -> AppointmentQuerySet:
        return self.filter(status__in=USED_STATUSES)

    def booked(self) -> AppointmentQuerySet:
        return self.filter(status=AppointmentStatus.BOOKED)


class Appointment(models.Model):
    external_id = models.CharField(max_length=64, unique=True, validators=[validate_key])
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="appointments")
    start = models.DateTimeField(validators=[validate_date_in_window])
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    department = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AppointmentStatus.values),
                name="patients_appointment_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(external_id=""), name="patients_appointment_external_id_not_blank"
            ),
            key_without_slash("patients_appointment", "external_id"),
        ]
        indexes = [
            # Serves the scan's per-chunk load of an order's booked and used visits.
            models.Index(fields=["order", "start"], name="patients_appt_order_start"),
        ]

    def __str__(self) -> str:
        return self.external_id

    def clean(self) -> None:
        # An appointment may move to another order of its patient, never to another patient.
        if self.pk is not None and self.order_id is not None:
            before = (
                Appointment.objects.filter(pk=self.pk)
                .values_list("order_id", "order__patient_id")
                .first()
            )
            if before is not None and before[0] != self.order_id:
                patient = (
                    Order.objects.filter(pk=self.order_id)
                    .values_list("patient_id", flat=True)
                    .first()
                )
                if patient != before[1]:
                    raise ValidationError(
                        {"order": "An appointment cannot move to an order of another patient."}
                    )


class AccessAction(models.TextChoices):
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"


class AccessEvent(models.Model):
    """One read or change of patient data: who, which records, when, from where.

    Views are recorded by patients.audit.record_view; creates, updates and deletes by
    PostgreSQL triggers on the patient-data tables (so bulk operations and raw SQL leave
    events too), which read the acting user from the connection's `authq.*` settings. The
    database refuses UPDATE and DELETE on this table (migration 0004). Ids and codes only:
    no names, dates of birth, member ids or any other PHI text.
    """

    at = models.DateTimeField(db_default=models.functions.Now())
    # No foreign key: the row must outlive the user, and SET NULL would be an UPDATE.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, default="")
    action = models.CharField(max_length=8, choices=AccessAction.choices)
    model = models.CharField(max_length=64, help_text="app_label.model, or the table name.")
    object_ids = ArrayField(models.BigIntegerField(), default=list)
    patient_ids = ArrayField(models.BigIntegerField(), default=list)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AccessAction.values),
                name="patients_accessevent_action_valid",
            ),
        ]
        indexes = [
            # Serves the audit search: newest first, optionally for one user.
            models.Index(fields=["at"], name="patients_access_at"),
            models.Index(fields=["user", "at"], name="patients_access_user_at"),
            # Serves the search by patient (patient_ids @> ARRAY[id]).
            GinIndex(fields=["patient_ids"], name="patients_access_patients"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.model} by {self.user_id} at {self.at}"
