"""Admin for payers, their rules, authorizations, and the work on denials.

Saves go through payers.services and views of authorizations are audited, with the
bases in authq.lib.admin (ServiceAdmin) and patients.admin (AuditedAdmin). Peer-to-peer
reviews, appeals and documents are recorded by the work-item page's services, so they are
view-only here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.postgres.forms import SimpleArrayField
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from authq.lib.admin import ReadOnlyInline, ServiceAdmin, ViewOnlyAdmin
from patients.admin import AuditedAdmin, AuditedViewOnlyAdmin, OrderAdmin
from payers import services
from payers.models import (
    Appeal,
    Authorization,
    Document,
    Payer,
    PayerRule,
    PeerToPeerReview,
    ReviewVendor,
)


class PayerRuleInline(ReadOnlyInline):
    model = PayerRule
    fields = (
        "plan",
        "service_category",
        "codes",
        "effective_from",
        "effective_to",
        "auth_required",
        "lead_time_days",
    )
    readonly_fields = fields


class ReviewVendorInline(admin.TabularInline):
    """The directory's vendors, edited on the payer's page; saved by PayerAdmin.save_formset
    through the services."""

    model = ReviewVendor
    fields = ("service_category", "vendor", "phone", "fax", "portal_url")
    extra = 1


VENDOR_FIELDS = ReviewVendorInline.fields


@admin.register(Payer)
class PayerAdmin(ServiceAdmin):
    list_display = ("code", "name", "kind", "phone", "rule_count")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "name", "kind")}),
        ("Directory", {"fields": ("phone", "fax", "portal_url", "hours", "appeal_address")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    inlines = (ReviewVendorInline, PayerRuleInline)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not ReviewVendor:
            super().save_formset(request, form, formset, change)
            return
        payer = form.instance
        # What the admin's history message reads.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.deleted_forms:
            if row.instance.pk is not None:
                services.remove_review_vendor(row.instance)
                formset.deleted_objects.append(row.instance)
        for row in formset.forms:
            if row in formset.deleted_forms or not row.has_changed():
                continue
            if row.instance.pk is None:
                data = {name: row.cleaned_data[name] for name in VENDOR_FIELDS}
                vendor, _ = services.upsert_review_vendor(payer, **data)
                formset.new_objects.append(vendor)
            else:
                changed = [n for n in row.changed_data if n in VENDOR_FIELDS]
                vendor = services.update_review_vendor(
                    row.instance, **{n: row.cleaned_data[n] for n in changed}
                )
                formset.changed_objects.append((vendor, changed))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Payer]:
        # The count groups rows, which drops Meta.ordering: order again (the autocomplete pages).
        return super().get_queryset(request).annotate(rule_count=Count("rules")).order_by("code")

    @admin.display(description="Rules", ordering="rule_count")
    def rule_count(self, payer: Any) -> int:
        return payer.rule_count

    def create(self, request: HttpRequest, fields: dict[str, Any]) -> Payer:
        payer, _ = services.upsert_payer(**fields)
        return payer

    def update(self, request: HttpRequest, obj: Payer, changes: dict[str, Any]) -> Payer:
        return services.update_payer(obj, **changes)


class CodeListField(SimpleArrayField):
    """CPT/HCPCS codes typed with commas, spaces or new lines between them."""

    # As SimpleArrayField's stub, which narrows CharField's str to a sequence.
    def to_python(self, value: Any) -> Sequence[str]:  # type: ignore[override]
        if isinstance(value, str):
            value = ",".join(dict.fromkeys(value.replace(",", " ").split()))
        return super().to_python(value)


class PayerRuleForm(forms.ModelForm):
    """The admin builds the fields from the fieldsets; this adds the service's key check."""

    codes = CodeListField(
        forms.CharField(max_length=16),
        required=False,
        help_text="CPT/HCPCS codes, separated by commas or spaces. Empty: every code.",
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        payer, start = data.get("payer"), data.get("effective_from")
        if payer is not None and start is not None:
            same = services.find_rule(
                payer,
                plan=data.get("plan", ""),
                service_category=data.get("service_category", ""),
                codes=data.get("codes") or [],
                effective_from=start,
                exclude_id=self.instance.pk,
            )
            if same is not None:
                self.add_error(
                    "effective_from",
                    "The payer already has a rule with this plan, category and codes from this date.",
                )
        return data


@admin.register(PayerRule)
class PayerRuleAdmin(ServiceAdmin):
    form = PayerRuleForm
    list_display = (
        "id",
        "payer",
        "plan",
        "service_category",
        "code_list",
        "effective_from",
        "effective_to",
        "auth_required",
        "lead_time_days",
        "visit_threshold",
    )
    list_filter = ("auth_required", "service_category", "payer__kind", "payer")
    search_fields = ("payer__code", "payer__name", "plan")
    list_select_related = ("payer",)
    autocomplete_fields = ("payer",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (
            "Matching (blank plan, category or codes match everything)",
            {
                "fields": (
                    "payer",
                    "plan",
                    "service_category",
                    "codes",
                    "effective_from",
                    "effective_to",
                    "auth_required",
                )
            },
        ),
        (
            "Clocks",
            {
                "fields": (
                    "lead_time_days",
                    "renewal_window_days",
                    "visit_threshold",
                    "standard_turnaround_days",
                    "expedited_turnaround_hours",
                    "appeal_window_days",
                )
            },
        ),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="Codes")
    def code_list(self, rule: PayerRule) -> str:
        return ", ".join(rule.codes)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[PayerRule], search_term: str
    ) -> tuple[QuerySet[PayerRule], bool]:
        """Also find the rules that list a code: searching 97110 finds codes {97110, 97140}."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            results = queryset.filter(Q(pk__in=results.values("pk")) | Q(codes__contains=[term]))
        return results, may_have_duplicates

    def create(self, request: HttpRequest, fields: dict[str, Any]) -> PayerRule:
        rule, _ = services.upsert_rule(fields.pop("payer"), **fields)
        return rule

    def update(self, request: HttpRequest, obj: PayerRule, changes: dict[str, Any]) -> PayerRule:
        return services.update_rule(obj, **changes)


class AuthorizationForm(forms.ModelForm):
    """Adds the service's checks: allowed status moves, one auth number per order."""

    previous_status: str | None = None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        status = data.get("status")
        if self.instance.pk is not None and status:
            current = Authorization.objects.values_list("status", flat=True).get(
                pk=self.instance.pk
            )
            self.previous_status = current
            try:
                services.check_transition(current, status)
            except services.TransitionNotAllowed as exc:
                self.add_error("status", str(exc))
        order = data.get("order")
        number = data.get("auth_number", "")
        if order is not None and services.find_authorization(
            order, number, exclude_id=self.instance.pk
        ):
            self.add_error("auth_number", "Another authorization of this order has this number.")
        return data

    def _post_clean(self) -> None:
        # After the model's clean() (which fills an approval's payer from the coverage):
        # what a person recording the payer's answer must also give, and on a change of
        # status the rules of a decision, as on the work-item page and in the API.
        super()._post_clean()  # type: ignore[misc]  # the stubs leave out this private hook
        errors = self.instance.answer_errors()
        if self.previous_status is not None:
            errors |= self.instance.decision_errors(self.previous_status)
        for name, message in errors.items():
            if name not in self.errors:
                self.add_error(name, message)


class AuthorizationInline(ReadOnlyInline):
    model = Authorization
    fields = ("status", "payer", "auth_number", "start_date", "end_date", "approved_visits")
    readonly_fields = fields


# An order's page lists its authorizations after its appointments: patients.admin cannot
# import payers, so the inline joins the order's admin from here.
OrderAdmin.inlines = (*OrderAdmin.inlines, AuthorizationInline)


@admin.register(Authorization)
class AuthorizationAdmin(AuditedAdmin):
    form = AuthorizationForm
    list_display = (
        "id",
        "order",
        "payer",
        "status",
        "determination_code",
        "auth_number",
        "start_date",
        "end_date",
        "approved_visits",
        "submitted_at",
        "decided_at",
    )
    list_filter = (
        "status",
        "determination_code",
        "denial_reason_code",
        "submission_channel",
        "expedited",
        "payer__kind",
    )
    search_fields = ("auth_number", "payer_reference", "order__external_id", "order__patient__mrn")
    list_select_related = ("order", "payer")
    autocomplete_fields = ("order", "payer")
    show_full_result_count = False
    # Who created it is recorded by the service, from the signed-in user.
    readonly_fields = ("created_by", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("order", "payer", "status", "expedited", "submission_channel")}),
        ("Request", {"fields": ("requested_visits", "requested_start_date", "requested_end_date")}),
        (
            "Payer's answer",
            {
                "fields": (
                    "determination_code",
                    "auth_number",
                    "payer_reference",
                    "start_date",
                    "end_date",
                    "approved_visits",
                    "denial_reason_code",
                    "denial_reason",
                )
            },
        ),
        (
            "Record",
            {"fields": ("submitted_at", "decided_at", "created_by", "created_at", "updated_at")},
        ),
    )

    def create(self, request: HttpRequest, fields: dict[str, Any]) -> Authorization:
        order = fields.pop("order")
        assert isinstance(request.user, User)  # the admin serves signed-in staff only
        auth, _ = services.upsert_authorization(order, by=request.user, **fields)
        return auth

    def update(
        self, request: HttpRequest, obj: Authorization, changes: dict[str, Any]
    ) -> Authorization:
        return services.update_authorization(obj, **changes)

    def patient_id_of(self, obj: Authorization) -> int:
        return obj.order.patient_id


@admin.register(PeerToPeerReview)
class PeerToPeerReviewAdmin(ViewOnlyAdmin):
    list_display = ("id", "authorization", "request_by", "window_start", "outcome", "created_at")
    list_filter = ("outcome", "request_by")
    search_fields = ("=authorization__auth_number", "authorization__order__external_id")
    list_select_related = ("authorization",)


@admin.register(Appeal)
class AppealAdmin(ViewOnlyAdmin):
    list_display = ("id", "authorization", "level", "deadline", "channel", "outcome", "filed_at")
    list_filter = ("level", "outcome", "channel", "deadline")
    search_fields = ("=authorization__auth_number", "authorization__order__external_id")
    list_select_related = ("authorization",)


@admin.register(Document)
class DocumentAdmin(AuditedViewOnlyAdmin):
    """File names may name the patient: they stay on the document's own page."""

    list_display = ("id", "order", "authorization", "kind", "content_type", "size", "uploaded_at")
    list_filter = ("kind", "content_type")
    search_fields = ("order__external_id", "order__patient__mrn")
    list_select_related = ("order", "authorization")
    show_full_result_count = False

    def patient_id_of(self, obj: Document) -> int:
        return obj.order.patient_id
