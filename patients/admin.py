"""Admin for patients, coverage, orders and appointments, and the audited admin bases.

Writes go through the apps' services, as the API's do (authq.lib.admin): the forms ask the
services' own checks (allowed status moves, natural keys) so that a refusal is a form
error, and inlines are read-only lists with links to the pages where rows are edited.

Minimum necessary: list pages name a patient by MRN only. Names, birth dates, contact
details and member ids appear on change pages (the patient's own page and its inlines,
a coverage's page), never in list columns. Foreign keys use autocomplete or raw ids so
that no page loads every patient or order. What a person is shown of patient data is
recorded in the access audit (AuditedAdmin); changes are recorded by the database.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from authq.lib.admin import ReadOnlyInline, ServiceAdmin, ViewOnlyAdmin
from patients import services
from patients.audit import record_view
from patients.models import AccessEvent, Appointment, Coverage, Order, Patient


class AuditedViews(admin.ModelAdmin):
    """Records the rows of patient data a list page or a change page (with its inlines) shows.

    `patient_id_of` gives a row's patient from what the page already loaded
    (list_select_related), so auditing a page costs one insert per model shown.
    """

    def patient_id_of(self, obj: Any) -> int:
        raise NotImplementedError

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            shown = list(changelist.result_list)
            record_view(
                request, shown, self.model, patient_ids=[self.patient_id_of(o) for o in shown]
            )
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        context = getattr(response, "context_data", None) or {}
        original = context.get("original")
        if original is not None:
            patient_ids = [self.patient_id_of(original)]
            record_view(request, [original], self.model, patient_ids=patient_ids)
            for inline in context.get("inline_admin_formsets", ()):
                rows = [form.instance for form in inline.formset.initial_forms]
                record_view(request, rows, inline.formset.model, patient_ids=patient_ids)
        return response


class AuditedAdmin(AuditedViews, ServiceAdmin):
    """Patient data edited through the services, with every view recorded."""


class AuditedViewOnlyAdmin(AuditedViews, ViewOnlyAdmin):
    """Patient data written by other services (notes, documents), with every view recorded."""


class CoverageInline(ReadOnlyInline):
    model = Coverage
    fields = ("rank", "payer", "plan", "member_id", "start", "end", "plan_year_visit_limit")
    readonly_fields = fields


class OrderInline(ReadOnlyInline):
    model = Order
    fields = ("external_id", "service_category", "code", "priority", "visits_ordered")
    readonly_fields = fields


@admin.register(Patient)
class PatientAdmin(AuditedAdmin):
    list_display = ("mrn", "created_at", "updated_at")
    search_fields = ("mrn",)
    ordering = ("mrn",)
    # Filtered pages skip the second count over the whole table.
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("mrn",)}),
        ("Demographics", {"fields": ("first_name", "last_name", "birth_date", "phone", "email")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    readonly_fields = ("created_at", "updated_at")
    inlines = (CoverageInline, OrderInline)

    def create(self, request: HttpRequest, fields: dict[str, Any]) -> Patient:
        patient, _ = services.upsert_patient(**fields)
        return patient

    def update(self, request: HttpRequest, obj: Patient, changes: dict[str, Any]) -> Patient:
        return services.update_patient(obj, **changes)

    def patient_id_of(self, obj: Patient) -> int:
        return obj.pk


class CoverageForm(forms.ModelForm):
    """Adds the service's key check: one coverage per card and start date."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        patient, payer = data.get("patient"), data.get("payer")
        member_id, start = data.get("member_id"), data.get("start")
        if (
            patient is not None
            and payer is not None
            and member_id is not None
            and start is not None
        ):
            found = services.find_coverage(
                patient, payer=payer, member_id=member_id, start=start, exclude_id=self.instance.pk
            )
            if found is not None:
                self.add_error(
                    "member_id",
                    "The patient already has this payer's coverage for this member id from this date.",
                )
        return data


@admin.register(Coverage)
class CoverageAdmin(AuditedAdmin):
    form = CoverageForm
    list_display = (
        "id",
        "patient",
        "payer",
        "plan",
        "rank",
        "start",
        "end",
        "benefits_verified_at",
    )
    list_filter = ("rank", "payer__kind", "payer")
    search_fields = ("patient__mrn",)
    list_select_related = ("patient", "payer")
    autocomplete_fields = ("patient", "payer")
    raw_id_fields = ("benefits_verified_by",)
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("patient", "payer", "plan", "member_id", "rank", "start", "end")}),
        (
            "Benefits",
            {
                "fields": (
                    "copay",
                    "coinsurance_percent",
                    "deductible",
                    "deductible_met",
                    "plan_year_visit_limit",
                    "benefits_verified_at",
                    "benefits_verified_by",
                )
            },
        ),
    )

    def create(self, request: HttpRequest, fields: dict[str, Any]) -> Coverage:
        coverage, _ = services.upsert_coverage(fields.pop("patient"), **fields)
        return coverage

    def update(self, request: HttpRequest, obj: Coverage, changes: dict[str, Any]) -> Coverage:
        return services.update_coverage(obj, **changes)

    def patient_id_of(self, obj: Coverage) -> int:
        return obj.patient_id


class AppointmentInline(ReadOnlyInline):
    model = Appointment
    fields = ("external_id", "start", "status", "department")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(AuditedAdmin):
    list_display = (
        "external_id",
        "patient",
        "service_category",
        "code",
        "priority",
        "visits_ordered",
        "ordered_at",
    )
    list_filter = ("service_category", "priority")
    search_fields = ("external_id", "patient__mrn", "=code")
    list_select_related = ("patient",)
    autocomplete_fields = ("patient",)
    show_full_result_count = False
    readonly_fields = ("created_at", "updated_at")
    # payers.admin adds the order's authorizations (AuthorizationInline).
    inlines: ClassVar[tuple[type[admin.options.InlineModelAdmin[Any, Any]], ...]] = (
        AppointmentInline,
    )

    def create(self, request: HttpRequest, fields: dict[str, Any]) -> Order:
        order, _ = services.upsert_order(**fields)
        return order

    def update(self, request: HttpRequest, obj: Order, changes: dict[str, Any]) -> Order:
        return services.update_order(obj, **changes)

    def patient_id_of(self, obj: Order) -> int:
        return obj.patient_id


@admin.register(Appointment)
class AppointmentAdmin(AuditedAdmin):
    list_display = ("external_id", "order", "start", "status", "department")
    list_filter = ("status", "order__service_category")
    search_fields = ("external_id", "order__external_id", "order__patient__mrn")
    list_select_related = ("order",)
    raw_id_fields = ("order",)
    show_full_result_count = False
    readonly_fields = ("created_at", "updated_at")

    def create(self, request: HttpRequest, fields: dict[str, Any]) -> Appointment:
        appointment, _ = services.upsert_appointment(**fields)
        return appointment

    def update(
        self, request: HttpRequest, obj: Appointment, changes: dict[str, Any]
    ) -> Appointment:
        return services.update_appointment(obj, **changes)

    def patient_id_of(self, obj: Appointment) -> int:
        return obj.order.patient_id


class AuditedModelFilter(admin.SimpleListFilter):
    """The audited models, listed without a DISTINCT over the whole audit table."""

    title = "model"
    parameter_name = "model"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        models_ = (Patient, Coverage, Order, Appointment, apps.get_model("payers", "Authorization"))
        return [(m._meta.label_lower, str(m._meta.verbose_name_plural)) for m in models_]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(model=self.value()) if self.value() else queryset


@admin.register(AccessEvent)
class AccessEventAdmin(ViewOnlyAdmin):
    """The access audit: append-only (the database refuses changes), so view-only here."""

    list_display = ("id", "at", "user", "action", "model", "remote_addr", "request_id")
    list_filter = ("action", AuditedModelFilter, "at")
    search_fields = ("=request_id", "=user__username")
    list_select_related = ("user",)
    show_full_result_count = False

    def get_search_results(
        self, request: HttpRequest, queryset: Any, search_term: str
    ) -> tuple[Any, bool]:
        """A number finds the events about that patient id (the GIN index on patient_ids)."""
        term = search_term.strip()
        if term.isdigit():
            return queryset.filter(patient_ids__contains=[int(term)]), False
        return super().get_search_results(request, queryset, search_term)
