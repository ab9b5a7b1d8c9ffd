"""REST API for patients, coverages, orders and appointments (the contract and the bases:
authq.lib.records)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from rest_framework import serializers

from authq.lib.bounds import validate_key
from authq.lib.records import (
    KeyFilter,
    KeyRelatedField,
    RecordSerializer,
    RecordViewSet,
    record_schema,
)
from patients import services
from patients.models import Appointment, Coverage, Order, Patient
from patients.validators import is_icd10cm_code

# Patients


class PatientSerializer(RecordSerializer):
    """A patient, keyed by mrn: a POST with a known mrn updates that patient."""

    fixed_fields = ("mrn",)

    class Meta:
        model = Patient
        fields = ["mrn", "first_name", "last_name", "birth_date", "phone", "email"]
        # The upsert replaces the uniqueness check: a known MRN updates that patient.
        extra_kwargs = {"mrn": {"validators": [validate_key]}}

    def upsert(self, data: dict[str, Any]) -> tuple[Patient, bool]:
        return services.upsert_patient(**data)

    def change(self, record: Patient, data: dict[str, Any]) -> Patient:
        return services.update_patient(record, **data)


@record_schema(PatientSerializer, key="mrn")
class PatientViewSet(RecordViewSet):
    """Patients, keyed by MRN."""

    queryset = Patient.objects.all()
    serializer_class = PatientSerializer
    lookup_field = "mrn"


# Coverages

_ZERO = Decimal(0)


class CoverageSerializer(RecordSerializer):
    """A patient's coverage; POST with the same payer, member_id and start updates it."""

    patient = KeyRelatedField(slug_field="mrn", queryset=Patient.objects.all())
    # The payer model through the string foreign key: patients does not import payers.
    payer = KeyRelatedField(
        slug_field="code",
        queryset=Coverage._meta.get_field("payer").related_model._default_manager.all(),
    )
    benefits_verified_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    fixed_fields = ("patient",)

    class Meta:
        model = Coverage
        # The key is looked up by the upsert service under a lock, not refused here.
        validators: list = []
        fields = [
            "id",
            "patient",
            "payer",
            "member_id",
            "plan",
            "rank",
            "start",
            "end",
            "copay",
            "coinsurance_percent",
            "deductible",
            "deductible_met",
            "plan_year_visit_limit",
            "benefits_verified_at",
            "benefits_verified_by",
        ]
        extra_kwargs = {
            "rank": {"min_value": 1},
            "copay": {"min_value": _ZERO},
            "coinsurance_percent": {"min_value": _ZERO, "max_value": Decimal(100)},
            "deductible": {"min_value": _ZERO},
            "deductible_met": {"min_value": _ZERO},
        }

    def find_existing(self, attrs: dict[str, Any]) -> Coverage | None:
        return services.find_coverage(
            attrs["patient"],
            payer=attrs["payer"],
            member_id=attrs["member_id"],
            start=attrs["start"],
        )

    def with_verifier(self, data: dict[str, Any]) -> dict[str, Any]:
        # Whoever sends the verification time is recorded as having verified the benefits.
        if data.get("benefits_verified_at") is not None:
            data["benefits_verified_by"] = self.context["request"].user
        return data

    def upsert(self, data: dict[str, Any]) -> tuple[Coverage, bool]:
        data = self.with_verifier(data)
        return services.upsert_coverage(data.pop("patient"), **data)

    def change(self, record: Coverage, data: dict[str, Any]) -> Coverage:
        return services.update_coverage(record, **self.with_verifier(data))


_patient_filter = KeyFilter("patient", "patient", Patient, "mrn")


@record_schema(CoverageSerializer, [_patient_filter])
class CoverageViewSet(RecordViewSet):
    """Patients' insurance coverages, with the benefits last verified."""

    queryset = Coverage.objects.select_related("patient", "payer", "benefits_verified_by")
    lookup_value_regex = "[0-9]+"
    serializer_class = CoverageSerializer
    filters = [_patient_filter]


# Orders


class OrderSerializer(RecordSerializer):
    """An order for a patient's care, keyed by external_id: a POST with a known
    external_id updates that order."""

    patient = KeyRelatedField(slug_field="mrn", queryset=Patient.objects.all())
    diagnosis_codes = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=True),
        required=False,
        help_text="ICD-10-CM codes, with the dot (M54.50).",
    )
    fixed_fields = ("external_id",)

    class Meta:
        model = Order
        fields = [
            "external_id",
            "patient",
            "service_category",
            "code",
            "diagnosis_codes",
            "priority",
            "visits_ordered",
            "ordering_provider",
            "ordered_at",
        ]
        # The upsert replaces the uniqueness check: a known external_id updates that order.
        extra_kwargs = {
            "external_id": {"validators": [validate_key]},
            "code": {"help_text": "CPT or HCPCS code, an opaque string."},
        }

    def validate_diagnosis_codes(self, codes: list[str]) -> list[str]:
        bad = [code for code in codes if not is_icd10cm_code(code)]
        if bad:
            raise serializers.ValidationError(
                [
                    f"'{code}' is not a billable ICD-10-CM code (expected a form like M54.50)."
                    for code in bad
                ]
            )
        return codes

    def to_representation(self, instance: Order) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        # Minimum necessary (S22): no diagnoses for those who book visits.
        if request is not None and not request.user.has_perm("patients.view_diagnosis"):
            data.pop("diagnosis_codes", None)
        return data

    def upsert(self, data: dict[str, Any]) -> tuple[Order, bool]:
        return services.upsert_order(**data)

    def change(self, record: Order, data: dict[str, Any]) -> Order:
        return services.update_order(record, **data)


@record_schema(OrderSerializer, [_patient_filter], key="external_id")
class OrderViewSet(RecordViewSet):
    """Orders for a patient's care, keyed by external_id."""

    queryset = Order.objects.select_related("patient")
    serializer_class = OrderSerializer
    lookup_field = "external_id"
    filters = [_patient_filter]


# Appointments


class AppointmentSerializer(RecordSerializer):
    """A visit of an order, keyed by external_id: a POST with a known external_id updates
    that appointment."""

    order = KeyRelatedField(slug_field="external_id", queryset=Order.objects.all())
    fixed_fields = ("external_id",)

    class Meta:
        model = Appointment
        fields = ["external_id", "order", "start", "status", "department"]
        # The upsert replaces the uniqueness check: a known external_id updates it.
        extra_kwargs = {
            "external_id": {"validators": [validate_key]},
            "status": {"help_text": "FHIR Appointment.status."},
        }

    def upsert(self, data: dict[str, Any]) -> tuple[Appointment, bool]:
        return services.upsert_appointment(**data)

    def change(self, record: Appointment, data: dict[str, Any]) -> Appointment:
        return services.update_appointment(record, **data)


_order_filter = KeyFilter("order", "order", Order, "external_id")


@record_schema(AppointmentSerializer, [_order_filter], key="external_id")
class AppointmentViewSet(RecordViewSet):
    """Appointments of orders, keyed by external_id."""

    queryset = Appointment.objects.select_related("order")
    serializer_class = AppointmentSerializer
    lookup_field = "external_id"
    filters = [_order_filter]
