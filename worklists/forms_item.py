"""Forms of the work-item page: each validates one action's input for its service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from authq.lib.bounds import MAX_VISITS, WindowDateField, WindowDateTimeField
from payers.models import (
    AppealLevel,
    Authorization,
    AuthStatus,
    DenialReason,
    Determination,
    DocumentKind,
    Payer,
    ReviewOutcome,
    SubmissionChannel,
)
from payers.services import OUTCOME_CODES, max_document_bytes
from worklists.forms import choice_field, model_choice_field
from worklists.models import (
    DismissalReason,
    NotificationChannel,
    NotificationTemplate,
    PhoneOutcome,
)

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class BenefitsForm(forms.Form):
    copay = forms.DecimalField(min_value=0, max_digits=9, decimal_places=2, required=False)
    coinsurance_percent = forms.DecimalField(
        label="Coinsurance %",
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        required=False,
    )
    deductible = forms.DecimalField(min_value=0, max_digits=9, decimal_places=2, required=False)
    deductible_met = forms.DecimalField(
        label="Met", min_value=0, max_digits=9, decimal_places=2, required=False
    )
    plan_year_visit_limit = forms.IntegerField(
        label="Visits / plan year", min_value=0, max_value=MAX_VISITS, required=False
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        deductible, met = data.get("deductible"), data.get("deductible_met")
        if deductible is not None and met is not None and met > deductible:
            self.add_error("deductible_met", "More than the deductible.")
        return data


class SubmissionForm(forms.Form):
    draft = forms.ModelChoiceField(
        queryset=Authorization.objects.none(),
        required=False,
        empty_label="New request",
        label="Request",
    )
    channel = forms.ChoiceField(choices=SubmissionChannel.choices)
    payer_reference = forms.CharField(max_length=64, required=False, label="Payer ref.")
    requested_visits = forms.IntegerField(
        min_value=1, max_value=MAX_VISITS, required=False, label="Visits"
    )
    requested_start_date = WindowDateField(required=False, widget=DATE, label="From")
    requested_end_date = WindowDateField(required=False, widget=DATE, label="To")
    expedited = forms.BooleanField(required=False)

    def __init__(self, *args: Any, authorizations: QuerySet[Authorization], **kw: Any) -> None:
        super().__init__(*args, **kw)
        model_choice_field(self, "draft").queryset = authorizations.filter(
            status__in=(AuthStatus.DRAFT, AuthStatus.DENIED)
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("requested_start_date"), data.get("requested_end_date")
        if start and end and end < start:
            self.add_error("requested_end_date", "Before the start date.")
        return data


OUTCOMES = [
    ("approved", "Approved"),
    ("partial", "Partial / modified"),
    ("denied", "Denied"),
    ("pended", "Pended"),
]


class DecisionForm(forms.Form):
    authorization = forms.ModelChoiceField(
        queryset=Authorization.objects.none(),
        required=False,
        empty_label="New — answered at once",
        label="Request",
    )
    outcome = forms.ChoiceField(choices=OUTCOMES, widget=forms.RadioSelect)
    determination_code = forms.ChoiceField(
        choices=[("", "by outcome")]
        + [(c.value, c.label) for c in Determination if c.value in ("A1", "A2", "A3", "A4", "A6")],
        required=False,
        label="X12",
    )
    auth_number = forms.CharField(max_length=64, required=False, label="Auth #")
    start_date = WindowDateField(required=False, widget=DATE, label="From")
    end_date = WindowDateField(required=False, widget=DATE, label="To")
    approved_visits = forms.IntegerField(
        min_value=0,
        max_value=MAX_VISITS,
        required=False,
        label="Visits",
        help_text="Empty: not limited by count.",
    )
    denial_reason_code = forms.ChoiceField(
        choices=[("", "choose…"), *DenialReason.choices], required=False, label="Denial reason"
    )
    denial_reason = forms.CharField(
        max_length=500, required=False, label="Payer's words", help_text="Optional."
    )
    channel = forms.ChoiceField(
        choices=SubmissionChannel.choices,
        initial=SubmissionChannel.PHONE,
        required=False,
        label="Asked by",
    )
    payer = forms.ModelChoiceField(
        queryset=Payer.objects.order_by("name"),
        required=False,
        empty_label="the request's payer",
        label="Payer",
        help_text="Empty: the payer the request went to, or else the primary coverage's.",
    )

    def __init__(self, *args: Any, authorizations: QuerySet[Authorization], **kw: Any) -> None:
        super().__init__(*args, **kw)
        open_ = authorizations.exclude(status__in=(AuthStatus.DRAFT, AuthStatus.CANCELLED))
        model_choice_field(self, "authorization").queryset = open_
        submitted = [a for a in open_ if a.status == AuthStatus.SUBMITTED]
        if submitted and not self.is_bound:
            self.initial.setdefault("authorization", submitted[-1].pk)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        outcome = data.get("outcome")
        code = data.get("determination_code")
        if outcome and code and code not in OUTCOME_CODES[outcome]:
            self.add_error(
                "determination_code",
                f"{code} does not fit {outcome}: use {' or '.join(OUTCOME_CODES[outcome])}.",
            )
        if outcome == "denied" and not data.get("denial_reason_code"):
            self.add_error("denial_reason_code", "Choose the payer's reason for the denial.")
        if outcome in ("approved", "partial"):
            for name in ("start_date", "end_date"):
                if not data.get(name):
                    self.add_error(name, "Needed for an approval.")
        if outcome == "pended" and data.get("authorization") is None:
            self.add_error("authorization", "Only a submitted request can be pended.")
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "Before the start date.")
        return data


class DeniedAuthField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Authorization) -> str:
        return f"{obj.auth_number or f'#{obj.pk}'} denied {obj.decided_at:%Y-%m-%d}"


class PeerReviewForm(forms.Form):
    authorization = DeniedAuthField(queryset=Authorization.objects.none(), empty_label=None)
    request_by = WindowDateField(widget=DATE, label="Request by")
    window_start = WindowDateTimeField(required=False, widget=DATETIME, label="Call from")
    window_end = WindowDateTimeField(required=False, widget=DATETIME, label="Call to")
    call_windows = forms.CharField(
        max_length=300,
        required=False,
        label="Windows (text)",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Tue/Thu 1–3 pm ET"}),
    )
    reviewing_physician = forms.CharField(max_length=200, required=False, label="Physician")
    outcome = forms.ChoiceField(choices=ReviewOutcome.choices, initial=ReviewOutcome.PENDING)

    def __init__(self, *args: Any, authorizations: QuerySet[Authorization], **kw: Any) -> None:
        super().__init__(*args, **kw)
        model_choice_field(self, "authorization").queryset = authorizations.filter(
            status=AuthStatus.DENIED
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and end < start:
            self.add_error("window_end", "Before the start of the window.")
        return data


class AppealForm(forms.Form):
    authorization = DeniedAuthField(queryset=Authorization.objects.none(), empty_label=None)
    level = forms.ChoiceField(choices=AppealLevel.choices)
    deadline = WindowDateField(widget=DATE)
    channel = forms.ChoiceField(choices=SubmissionChannel.choices)
    outcome = forms.ChoiceField(choices=ReviewOutcome.choices, initial=ReviewOutcome.PENDING)

    def __init__(self, *args: Any, authorizations: QuerySet[Authorization], **kw: Any) -> None:
        super().__init__(*args, **kw)
        model_choice_field(self, "authorization").queryset = authorizations.filter(
            status=AuthStatus.DENIED
        )


class ReviewOutcomeForm(forms.Form):
    """The result of a pending peer-to-peer review or appeal, once the payer gives it."""

    outcome = forms.ChoiceField(
        choices=[("", "choose…"), *[c for c in ReviewOutcome.choices if c[0] != "pending"]],
        label="Outcome",
    )


class DocumentForm(forms.Form):
    file = forms.FileField()
    kind = forms.ChoiceField(choices=DocumentKind.choices)
    authorization = forms.ModelChoiceField(
        queryset=Authorization.objects.none(),
        required=False,
        empty_label="(order)",
        label="For",
    )

    def __init__(self, *args: Any, authorizations: QuerySet[Authorization], **kw: Any) -> None:
        super().__init__(*args, **kw)
        model_choice_field(self, "authorization").queryset = authorizations
        self.fields["file"].widget.attrs["accept"] = ".pdf,.png,.jpg,.jpeg,.tif,.tiff"

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = max_document_bytes()
        if upload.size > limit:
            raise forms.ValidationError(f"Larger than {limit // (1024 * 1024)} MB.")
        return upload


class NoteForm(forms.Form):
    text = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 2}), label="Note")

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("Write something.")
        return text


class FollowUpForm(forms.Form):
    follow_up_on = WindowDateField(required=False, widget=DATE, label="Follow up on")


class NotifyForm(forms.Form):
    """A message to the patient. `allowed` are the messages that match the order's state
    (notices.allowed_templates): nothing else can be chosen, and nothing is chosen for
    the specialist. Sending (`confirm`) needs the digest of the previewed text."""

    template = forms.ChoiceField(choices=(), widget=forms.RadioSelect, label="Message")
    channel = forms.ChoiceField(choices=(), widget=forms.RadioSelect, label="Send by")
    phone_outcome = forms.ChoiceField(
        choices=[("", "—"), *PhoneOutcome.choices],
        required=False,
        label="Call outcome (calls only)",
    )
    extra = forms.CharField(
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Added text",
    )
    digest = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, allowed: list[str], has_email: bool, confirm: bool = False, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        labels = dict(NotificationTemplate.choices)
        choice_field(self, "template").choices = [(t, labels[t]) for t in allowed]
        channels = [c for c in NotificationChannel.choices if has_email or c[0] != "email"]
        choice_field(self, "channel").choices = channels
        self.fields["template"].error_messages["invalid_choice"] = (
            "That message does not match this item now; choose one of those offered."
        )
        self.fields["channel"].error_messages["invalid_choice"] = (
            "The patient has no email address on file: send a letter or call instead."
        )
        self.confirm = confirm
        if confirm:
            self.fields["digest"].required = True
            self.fields["digest"].error_messages["required"] = "Preview the message first."

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("channel") == NotificationChannel.PHONE:
            if not data.get("phone_outcome"):
                self.add_error("phone_outcome", "Say how the call went.")
        elif data.get("phone_outcome"):
            self.add_error("phone_outcome", "Only for a phone call.")
        if self.confirm and "digest" in self.errors:
            # Shown where the send button would be: there is no digest field to show it by.
            self.add_error(None, self.errors.pop("digest")[0])
        return data


class DismissForm(forms.Form):
    reason = forms.ChoiceField(choices=DismissalReason.choices)
    note = forms.CharField(max_length=500, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("reason") == DismissalReason.OTHER and not data.get("note", "").strip():
            self.add_error("note", "Say why.")
        return data
