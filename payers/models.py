"""Payers, their prior-authorization rules, and the authorizations they issue."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.db.models import F, Q

from authq.lib.bounds import (
    MAX_DAYS,
    MAX_HOURS,
    MAX_VISITS,
    at_most,
    bounded,
    key_without_slash,
    validate_date_in_window,
    validate_key,
)
from patients.models import Coverage, ServiceCategory

WINDOW = [validate_date_in_window]


def validate_procedure_code(code: str) -> None:
    """One CPT/HCPCS code of a rule: no spaces or commas (a list is several codes)."""
    if not code or any(ch.isspace() or ch == "," for ch in code):
        raise ValidationError(
            "%(code)r is not one code: give each code separately (95910, 95911).",
            code="invalid_procedure_code",
            params={"code": code},
        )


class PayerKind(models.TextChoices):
    COMMERCIAL = "commercial", "Commercial"
    MEDICARE = "medicare", "Medicare"
    MEDICARE_ADVANTAGE = "medicare_advantage", "Medicare Advantage"
    MEDICAID = "medicaid", "Medicaid"
    WORKERS_COMP = "workers_comp", "Workers' compensation"
    AUTO = "auto", "Auto"
    TRICARE = "tricare", "TRICARE"
    OTHER = "other", "Other"


# A phone or fax number as people write it: digits with spaces, dots, dashes, brackets,
# a leading + and an extension ("x123", "ext. 12").
phone_number = RegexValidator(
    r"^\+?[0-9 ().-]{7,24}( ?(x|ext\.?) ?[0-9]{1,6})?$",
    "Enter a phone number: digits, spaces, ( ) . - and an optional extension (x123).",
)


def phone_field(label: str) -> models.CharField:
    return models.CharField(label, max_length=32, blank=True, default="", validators=[phone_number])


def portal_field() -> models.URLField:
    """A web address people open from the page: http or https only."""
    return models.URLField(
        "portal URL",
        max_length=300,
        blank=True,
        default="",
        validators=[URLValidator(schemes=["http", "https"])],
    )


class Payer(models.Model):
    """A payer, with the directory a specialist reaches it by.

    The directory (phone, fax, portal, appeal address, hours) is the payer's own; a
    service line the payer delegates to a utilization-review vendor has that vendor's
    contacts in ReviewVendor.
    """

    code = models.CharField(max_length=32, unique=True, validators=[validate_key])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=PayerKind.choices, default=PayerKind.COMMERCIAL)
    phone = phone_field("phone")
    fax = phone_field("fax")
    portal_url = portal_field()
    appeal_address = models.TextField(
        max_length=500, blank=True, default="", help_text="Where written appeals are sent."
    )
    hours = models.CharField(
        max_length=200, blank=True, default="", help_text="e.g. Mon-Fri 8 am - 6 pm ET"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PayerKind.values), name="payers_payer_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(code=""), name="payers_payer_code_not_blank"),
            key_without_slash("payers_payer", "code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class ReviewVendor(models.Model):
    """The utilization-review vendor a payer delegates one service line to (imaging to
    eviCore, therapy to another), with the vendor's own contacts for that payer."""

    payer = models.ForeignKey(Payer, on_delete=models.CASCADE, related_name="review_vendors")
    service_category = models.CharField(max_length=32, choices=ServiceCategory.choices)
    vendor = models.CharField(max_length=200, help_text="e.g. eviCore, Carelon")
    phone = phone_field("phone")
    fax = phone_field("fax")
    portal_url = portal_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["payer", "service_category"]
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "service_category"],
                name="payers_reviewvendor_one_per_service",
            ),
            models.CheckConstraint(
                condition=Q(service_category__in=ServiceCategory.values),
                name="payers_reviewvendor_category_valid",
            ),
            models.CheckConstraint(
                condition=~Q(vendor=""), name="payers_reviewvendor_vendor_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor} for {self.payer.code} {self.service_category}"


class RuleDefaults:
    """The spec's defaults for a rule's numbers, used also when no rule matches."""

    lead_time_days = 7
    renewal_window_days = 14
    visit_threshold = 2
    standard_turnaround_days = 7
    expedited_turnaround_hours = 72
    appeal_window_days = 60


class PayerRuleQuerySet(models.QuerySet["PayerRule"]):
    def effective_on(self, day: object) -> PayerRuleQuerySet:
        return self.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=day), effective_from__lte=day
        )


class PayerRule(models.Model):
    """When a payer requires prior authorization, and the clocks around it.

    Blank `plan`, blank `service_category` and empty `codes` match everything; the most
    specific matching rule wins (see worklists.scan.rules.RuleBook.match).
    """

    payer = models.ForeignKey(Payer, on_delete=models.CASCADE, related_name="rules")
    plan = models.CharField(max_length=100, blank=True, default="")
    service_category = models.CharField(
        max_length=32, choices=ServiceCategory.choices, blank=True, default=""
    )
    codes = ArrayField(
        models.CharField(max_length=16, validators=[validate_procedure_code]),
        blank=True,
        default=list,
    )
    effective_from = models.DateField(validators=WINDOW)
    effective_to = models.DateField(null=True, blank=True, validators=WINDOW)
    auth_required = models.BooleanField(default=True)
    lead_time_days = models.PositiveIntegerField(
        default=RuleDefaults.lead_time_days, validators=at_most(MAX_DAYS)
    )
    renewal_window_days = models.PositiveIntegerField(
        default=RuleDefaults.renewal_window_days, validators=at_most(MAX_DAYS)
    )
    visit_threshold = models.PositiveIntegerField(
        default=RuleDefaults.visit_threshold, validators=at_most(MAX_VISITS)
    )
    standard_turnaround_days = models.PositiveIntegerField(
        default=RuleDefaults.standard_turnaround_days, validators=at_most(MAX_DAYS)
    )
    expedited_turnaround_hours = models.PositiveIntegerField(
        default=RuleDefaults.expedited_turnaround_hours, validators=at_most(MAX_HOURS)
    )
    appeal_window_days = models.PositiveIntegerField(
        default=RuleDefaults.appeal_window_days, validators=at_most(MAX_DAYS)
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PayerRuleQuerySet.as_manager()

    class Meta:
        ordering = ["payer", "effective_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="payers_payerrule_span_ordered",
                violation_error_message="The rule ends (effective_to) before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(service_category="") | Q(service_category__in=ServiceCategory.values),
                name="payers_payerrule_category_valid",
            ),
            bounded("payers_payerrule", "lead_time_days", MAX_DAYS),
            bounded("payers_payerrule", "renewal_window_days", MAX_DAYS),
            bounded("payers_payerrule", "visit_threshold", MAX_VISITS),
            bounded("payers_payerrule", "standard_turnaround_days", MAX_DAYS),
            bounded("payers_payerrule", "expedited_turnaround_hours", MAX_HOURS),
            bounded("payers_payerrule", "appeal_window_days", MAX_DAYS),
        ]
        indexes = [
            # Serves the scan's load of every rule of a payer.
            models.Index(fields=["payer", "effective_from"], name="payers_rule_payer_from"),
        ]

    def __str__(self) -> str:
        scope = "/".join(
            part for part in (self.plan, self.service_category, ",".join(self.codes)) if part
        )
        return f"{self.payer.code} {scope or 'all'} from {self.effective_from}"

    def clean(self) -> None:
        start, end = self.effective_from, self.effective_to
        if start is not None and end is not None and end < start:
            raise ValidationError(
                {"effective_to": f"Must be on or after effective_from ({start})."}
            )


class AuthStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted (pending at payer)"
    APPROVED = "approved", "Approved"
    PARTIAL = "partial", "Partially approved"
    DENIED = "denied", "Denied"
    CANCELLED = "cancelled", "Cancelled"


APPROVED_STATUSES = (AuthStatus.APPROVED, AuthStatus.PARTIAL)
DECIDED_STATUSES = (AuthStatus.APPROVED, AuthStatus.PARTIAL, AuthStatus.DENIED)

# Moves a person or an integration may make; the payer can revise a decision.
AUTH_TRANSITIONS: dict[str, set[str]] = {
    AuthStatus.DRAFT: {AuthStatus.SUBMITTED, AuthStatus.CANCELLED},
    AuthStatus.SUBMITTED: {
        AuthStatus.APPROVED,
        AuthStatus.PARTIAL,
        AuthStatus.DENIED,
        AuthStatus.CANCELLED,
    },
    AuthStatus.APPROVED: {AuthStatus.PARTIAL, AuthStatus.DENIED, AuthStatus.CANCELLED},
    AuthStatus.PARTIAL: {AuthStatus.APPROVED, AuthStatus.DENIED, AuthStatus.CANCELLED},
    AuthStatus.DENIED: {AuthStatus.SUBMITTED, AuthStatus.APPROVED, AuthStatus.PARTIAL},
    AuthStatus.CANCELLED: set(),
}


class SubmissionChannel(models.TextChoices):
    PORTAL = "portal", "Payer portal"
    FAX = "fax", "Fax"
    PHONE = "phone", "Phone"
    ELECTRONIC = "electronic", "Electronic (X12 278 / FHIR)"


class Determination(models.TextChoices):
    """X12 278 HCR01 action codes."""

    A1 = "A1", "A1 certified in total"
    A2 = "A2", "A2 certified partial"
    A3 = "A3", "A3 not certified"
    A4 = "A4", "A4 pended"
    A6 = "A6", "A6 modified"
    C = "C", "C cancelled"
    CT = "CT", "CT contact payer"
    NA = "NA", "NA no action required"


# The determination codes that agree with each status a payer's answer gives (a pended
# request stays submitted, A4).
STATUS_DETERMINATIONS: dict[str, tuple[str, ...]] = {
    AuthStatus.APPROVED: (Determination.A1,),
    AuthStatus.PARTIAL: (Determination.A2, Determination.A6),
    AuthStatus.DENIED: (Determination.A3,),
    AuthStatus.SUBMITTED: (Determination.A4,),
}


class DenialReason(models.TextChoices):
    """Why a payer denied a request, in the taxonomy payers' letters use."""

    MEDICAL_NECESSITY = "medical_necessity", "Medical necessity not established"
    MISSING_INFORMATION = "missing_information", "Missing information or records"
    NOT_COVERED = "not_covered", "Not a covered benefit"
    OUT_OF_NETWORK = "out_of_network", "Out of network"
    EXCEEDED_FREQUENCY = "exceeded_frequency", "Exceeded frequency or visit limit"
    PEER_TO_PEER_REQUIRED = "peer_to_peer_required", "Peer-to-peer required"
    NOT_ELIGIBLE = "not_eligible", "Member not eligible"
    LATE_REQUEST = "late_request", "Request too late (retro or past deadline)"
    OTHER = "other", "Other"


class AuthorizationQuerySet(models.QuerySet["Authorization"]):
    def approved(self) -> AuthorizationQuerySet:
        return self.filter(status__in=APPROVED_STATUSES)

    def submitted(self) -> AuthorizationQuerySet:
        return self.filter(status=AuthStatus.SUBMITTED)

    def counted(self) -> AuthorizationQuerySet:
        """Authorizations the scan looks at: drafts and cancelled ones are ignored."""
        return self.exclude(status__in=(AuthStatus.DRAFT, AuthStatus.CANCELLED))


class Authorization(models.Model):
    """A payer's answer (or pending request) for one order; an order may have several."""

    order = models.ForeignKey(
        "patients.Order", on_delete=models.CASCADE, related_name="authorizations"
    )
    payer = models.ForeignKey(
        Payer, on_delete=models.PROTECT, null=True, blank=True, related_name="authorizations"
    )
    status = models.CharField(max_length=16, choices=AuthStatus.choices, default=AuthStatus.DRAFT)
    auth_number = models.CharField(max_length=64, blank=True, default="")
    payer_reference = models.CharField(max_length=64, blank=True, default="")
    submission_channel = models.CharField(
        max_length=16, choices=SubmissionChannel.choices, blank=True, default=""
    )
    expedited = models.BooleanField(default=False)
    requested_visits = models.PositiveIntegerField(
        null=True, blank=True, validators=at_most(MAX_VISITS)
    )
    requested_start_date = models.DateField(null=True, blank=True, validators=WINDOW)
    requested_end_date = models.DateField(null=True, blank=True, validators=WINDOW)
    start_date = models.DateField(null=True, blank=True, validators=WINDOW)
    end_date = models.DateField(null=True, blank=True, validators=WINDOW)
    approved_visits = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Empty: not limited by count.",
        validators=at_most(MAX_VISITS),
    )
    determination_code = models.CharField(
        max_length=2, choices=Determination.choices, blank=True, default=""
    )
    denial_reason = models.CharField(
        max_length=500, blank=True, default="", help_text="The payer's words, free text."
    )
    denial_reason_code = models.CharField(
        max_length=32,
        choices=DenialReason.choices,
        blank=True,
        default="",
        help_text="Why the payer denied it, as a code; blank when not coded.",
    )
    submitted_at = models.DateTimeField(null=True, blank=True, validators=WINDOW)
    decided_at = models.DateTimeField(null=True, blank=True, validators=WINDOW)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AuthorizationQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AuthStatus.values), name="payers_authorization_status_valid"
            ),
            # The API's key for an authorization: a re-sent decision never doubles visits.
            models.UniqueConstraint(
                fields=["order", "auth_number"],
                condition=~Q(auth_number=""),
                name="payers_authorization_number_unique_per_order",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=APPROVED_STATUSES)
                | Q(start_date__isnull=False, end_date__isnull=False),
                name="payers_authorization_approved_has_span",
                violation_error_message="An approval needs its start_date and end_date.",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="payers_authorization_span_ordered",
                violation_error_message="The end_date is before the start_date.",
            ),
            models.CheckConstraint(
                condition=Q(requested_start_date__isnull=True)
                | Q(requested_end_date__isnull=True)
                | Q(requested_end_date__gte=F("requested_start_date")),
                name="payers_authorization_requested_span_ordered",
                violation_error_message="The requested_end_date is before the requested_start_date.",
            ),
            bounded("payers_authorization", "requested_visits", MAX_VISITS),
            bounded("payers_authorization", "approved_visits", MAX_VISITS),
            models.CheckConstraint(
                condition=~Q(status=AuthStatus.SUBMITTED) | Q(submitted_at__isnull=False),
                name="payers_authorization_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=DECIDED_STATUSES) | Q(decided_at__isnull=False),
                name="payers_authorization_decided_has_time",
            ),
            models.CheckConstraint(
                condition=Q(determination_code="") | Q(determination_code__in=Determination.values),
                name="payers_authorization_determination_valid",
            ),
            models.CheckConstraint(
                condition=Q(submission_channel="")
                | Q(submission_channel__in=SubmissionChannel.values),
                name="payers_authorization_channel_valid",
            ),
            models.CheckConstraint(
                condition=Q(denial_reason_code="") | Q(denial_reason_code__in=DenialReason.values),
                name="payers_authorization_denial_code_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["order", "status"], name="payers_auth_order_status"),
            models.Index(
                fields=["auth_number"], name="payers_auth_number", condition=~Q(auth_number="")
            ),
        ]

    def __str__(self) -> str:
        return f"Auth {self.auth_number or self.pk} ({self.status})"

    @property
    def is_approved(self) -> bool:
        return self.status in APPROVED_STATUSES

    def decision_errors(self, previous_status: str | None = None) -> dict[str, str]:
        """What recording a payer's decision requires, by whichever path it comes: the
        work-item page (payers.services.record_decision), the API (PATCH, or POST with a
        known auth number) and the admin (update_authorization). A decision is a move
        from `previous_status` into approved, partial or denied (None: an answer being
        recorded, whatever the status was); a change that keeps the status is a
        correction, and a record created already decided (the practice's own records,
        through the API) is not one either: neither is checked here.

        On a decision: answer_errors(), a denial's reason code, and a determination code
        (when given) that agrees with the new status.
        """
        if self.status not in DECIDED_STATUSES or self.status == previous_status:
            return {}
        errors = self.answer_errors()
        if self.status == AuthStatus.DENIED and not self.denial_reason_code:
            errors["denial_reason_code"] = (
                "A denial needs the payer's reason (a denial reason code)."
            )
        fitting = STATUS_DETERMINATIONS[self.status]
        if self.determination_code and self.determination_code not in fitting:
            errors["determination_code"] = (
                f"Determination {self.determination_code} does not fit the status "
                f"{self.status} (use {' or '.join(fitting)})."
            )
        return errors

    def answer_errors(self) -> dict[str, str]:
        """What a person recording the payer's answer (the work-item page, the admin)
        must also give: the payer of an approval, and a decision not dated before the
        request it answers.

        The API takes records as the practice's systems hold them: the spec's payload
        has no payer, and its example practices hold approvals for patients without
        coverage and denials dated before a later submission (docs/bounds.md).
        """
        errors: dict[str, str] = {}
        if self.status in APPROVED_STATUSES and self.payer_id is None:
            errors["payer"] = (
                "An approval needs the payer that gave it: choose it, or give the patient "
                "a primary coverage on the day of the request."
            )
        submitted, decided = self.submitted_at, self.decided_at
        if self.status in DECIDED_STATUSES and submitted and decided and decided < submitted:
            errors["decided_at"] = f"Must be on or after submitted_at ({submitted:%Y-%m-%d %H:%M})."
        return errors

    def primary_payer(self) -> Payer | None:
        """The payer the request went to, when none is named: the payer of the patient's
        primary coverage on the day it was submitted (else on its start date, else today),
        the spec's "primary coverage on date d"."""
        from django.utils import timezone

        if self.submitted_at is not None:
            day = timezone.localdate(self.submitted_at)
        else:
            day = self.start_date or timezone.localdate()
        coverage = (
            Coverage.objects.primary_on(day)
            .filter(patient__orders=self.order_id)
            .select_related("payer")
            .first()
        )
        return coverage.payer if coverage is not None else None

    def clean(self) -> None:
        """What every path (work-item page, API, admin) requires of an authorization.

        An approved or partial one has its span (and gets the payer of the primary
        coverage when none is named, see primary_payer); a submitted one its
        submission time; a decided one its decision time.
        """
        errors: dict[str, str | list[str]] = {}
        status = self.status
        if status in APPROVED_STATUSES:
            if self.payer_id is None:
                self.payer = self.primary_payer()
            for name in ("start_date", "end_date"):
                if getattr(self, name) is None:
                    errors[name] = f"Required when status is {status}."
        if status == AuthStatus.SUBMITTED and self.submitted_at is None:
            errors["submitted_at"] = "Required when status is submitted."
        if status in DECIDED_STATUSES and self.decided_at is None:
            errors["decided_at"] = f"Required when status is {status}."
        if self.denial_reason_code and status != AuthStatus.DENIED:
            errors["denial_reason_code"] = [
                f"Only a denied authorization has one (status {status})."
            ]
        for start, end in (
            ("start_date", "end_date"),
            ("requested_start_date", "requested_end_date"),
        ):
            first, last = getattr(self, start), getattr(self, end)
            if first is not None and last is not None and last < first:
                errors.setdefault(end, f"Must be on or after {start} ({first}).")
        if errors:
            raise ValidationError(errors)


class ReviewOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    OVERTURNED = "overturned", "Overturned (approved)"
    PARTIAL = "partial", "Partly overturned"
    UPHELD = "upheld", "Denial upheld"
    WITHDRAWN = "withdrawn", "Withdrawn / not held"


class PeerToPeerReview(models.Model):
    """The ordering physician's call with the payer's physician about a denial."""

    authorization = models.ForeignKey(
        Authorization, on_delete=models.CASCADE, related_name="peer_reviews"
    )
    request_by = models.DateField(
        help_text="Last day the payer accepts a request.", validators=WINDOW
    )
    window_start = models.DateTimeField(null=True, blank=True, validators=WINDOW)
    window_end = models.DateTimeField(null=True, blank=True, validators=WINDOW)
    call_windows = models.CharField(max_length=300, blank=True, default="")
    reviewing_physician = models.CharField(max_length=200, blank=True, default="")
    outcome = models.CharField(
        max_length=16, choices=ReviewOutcome.choices, default=ReviewOutcome.PENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["authorization", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=ReviewOutcome.values),
                name="payers_peertopeerreview_outcome_valid",
            ),
            models.CheckConstraint(
                condition=Q(window_start__isnull=True)
                | Q(window_end__isnull=True)
                | Q(window_end__gte=F("window_start")),
                name="payers_peertopeerreview_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"P2P {self.pk} on auth {self.authorization_id} ({self.outcome})"


class AppealLevel(models.TextChoices):
    FIRST = "1", "Level 1"
    SECOND = "2", "Level 2"
    EXTERNAL = "external", "External review"


class Appeal(models.Model):
    """A written appeal of a denied authorization."""

    authorization = models.ForeignKey(
        Authorization, on_delete=models.CASCADE, related_name="appeals"
    )
    level = models.CharField(max_length=8, choices=AppealLevel.choices)
    deadline = models.DateField(validators=WINDOW)
    channel = models.CharField(max_length=16, choices=SubmissionChannel.choices)
    outcome = models.CharField(
        max_length=16, choices=ReviewOutcome.choices, default=ReviewOutcome.PENDING
    )
    filed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["authorization", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=AppealLevel.values), name="payers_appeal_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=SubmissionChannel.values),
                name="payers_appeal_channel_valid",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=ReviewOutcome.values), name="payers_appeal_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Appeal {self.pk} level {self.level} on auth {self.authorization_id}"


class DocumentKind(models.TextChoices):
    CLINICAL_NOTE = "clinical_note", "Clinical note"
    PAYER_LETTER = "payer_letter", "Payer letter"
    OTHER = "other", "Other"


class DocumentType(models.TextChoices):
    PDF = "application/pdf", "PDF"
    PNG = "image/png", "PNG"
    JPEG = "image/jpeg", "JPEG"
    TIFF = "image/tiff", "TIFF"


class Document(models.Model):
    """A file sent to or received from a payer, kept in default_storage (never under /media).

    `storage_name` is the name in storage, made by the service (no user text in it).
    """

    order = models.ForeignKey("patients.Order", on_delete=models.CASCADE, related_name="documents")
    authorization = models.ForeignKey(
        Authorization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
    )
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    content_type = models.CharField(max_length=32, choices=DocumentType.choices)
    size = models.PositiveIntegerField()
    storage_name = models.CharField(max_length=200, unique=True)
    original_name = models.CharField(max_length=200, blank=True, default="")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DocumentKind.values), name="payers_document_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(content_type__in=DocumentType.values),
                name="payers_document_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Document {self.pk} ({self.kind})"


class RuleBookVersion(models.Model):
    """One row: a number that changes with every write to the payer rules.

    A statement trigger on payers_payerrule (migration 0004) sets it from a sequence in
    the writing transaction, so it is seen together with the change and never repeats
    (even after a rollback). worklists.scan.rules.RuleBook keeps its parsed rules while it is
    unchanged.
    """

    version = models.BigIntegerField()

    def __str__(self) -> str:
        return f"rule book version {self.version}"
