"""Admin for patients, coverage, orders and appointments.

Writes go through patients.services, as the API's do (see payers.admin.ServiceAdmin).

Minimum necessary: list pages name a patient by MRN only. Names, birth dates, contact
details and member ids appear on change pages (the patient's own page and its inlines,
a coverage's page), never in list columns. Foreign keys use autocomplete or raw ids so
that no page loads every patient or order.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from patients import services
from patients.models import Appointment, Coverage, Order, Patient
from payers.admin import ReadOnlyInline, ServiceAdmin
from payers.models import Authorization


class CoverageInline(ReadOnlyInline):
    model = Coverage
    fields = ("rank", "payer", "plan", "member_id", "start", "end", "plan_year_visit_limit")
    readonly_fields = fields


class OrderInline(ReadOnlyInline):
    model = Order
    fields = ("external_id", "service_category", "code", "priority", "visits_ordered")
    readonly_fields = fields


@admin.register(Patient)
class PatientAdmin(ServiceAdmin):
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


class CoverageForm(forms.ModelForm):
    """Adds the service's key check: one coverage per card and start date."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        key = {name: data.get(name) for name in ("patient", "payer", "member_id", "start")}
        if all(value is not None for value in key.values()):
            patient = key.pop("patient")
            if services.find_coverage(patient, exclude_id=self.instance.pk, **key) is not None:
                self.add_error(
                    "member_id",
                    "The patient already has this payer's coverage for this member id from this date.",
                )
        return data


@admin.register(Coverage)
class CoverageAdmin(ServiceAdmin):
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


class AppointmentInline(ReadOnlyInline):
    model = Appointment
    fields = ("external_id", "start", "status", "department")
    readonly_fields = fields


class AuthorizationInline(ReadOnlyInline):
    model = Authorization
    fields = ("status", "payer", "auth_number", "start_date", "end_date", "approved_visits")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ServiceAdmin):
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
    inlines = (AppointmentInline, AuthorizationInline)

    def create(self, request: HttpRequest, fields: dict[str, Any]) -> Order:
        order, _ = services.upsert_order(**fields)
        return order

    def update(self, request: HttpRequest, obj: Order, changes: dict[str, Any]) -> Order:
        return services.update_order(obj, **changes)


@admin.register(Appointment)
class AppointmentAdmin(ServiceAdmin):
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
