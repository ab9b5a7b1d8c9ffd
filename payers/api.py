"""REST API for payers, their review vendors and rules, and authorizations.

The contract and the bases (RecordSerializer, RecordViewSet, ...) are authq.lib.records.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.validators import URLValidator
from rest_framework import serializers

from authq.lib.bounds import validate_key
from authq.lib.records import (
    KeyFilter,
    KeyRelatedField,
    RecordSerializer,
    RecordViewSet,
    record_schema,
)
from patients.models import Order
from payers import services
from payers.models import (
    Authorization,
    Payer,
    PayerRule,
    ReviewVendor,
)

# Payers


def portal_url_field() -> serializers.URLField:
    """DRF drops a model URLField's own URLValidator: restate the http(s)-only rule."""
    return serializers.URLField(
        max_length=300,
        required=False,
        allow_blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="An http or https address.",
    )


class PayerSerializer(RecordSerializer):
    """A payer and its directory; the vendors that review its service lines are the
    `review-vendors/` resource (`?payer=CODE`)."""

    portal_url = portal_url_field()
    fixed_fields = ("code",)

    class Meta:
        model = Payer
        fields = ["code", "name", "kind", "phone", "fax", "portal_url", "appeal_address", "hours"]
        # The upsert replaces the uniqueness check: a known code updates that payer.
        extra_kwargs = {"code": {"validators": [validate_key]}}

    def upsert(self, data: dict[str, Any]) -> tuple[Payer, bool]:
        return services.upsert_payer(**data)

    def change(self, record: Payer, data: dict[str, Any]) -> Payer:
        return services.update_payer(record, **data)


@record_schema(PayerSerializer, key="code")
class PayerViewSet(RecordViewSet):
    """Payers, keyed by code."""

    queryset = Payer.objects.all()
    serializer_class = PayerSerializer
    lookup_field = "code"


# Utilization-review vendors


class ReviewVendorSerializer(RecordSerializer):
    """The vendor that reviews one service line of a payer; keyed by (payer,
    service_category): a POST for a pair that has a vendor replaces its details."""

    payer = KeyRelatedField(slug_field="code", queryset=Payer.objects.all())
    portal_url = portal_url_field()
    fixed_fields = ("payer",)

    class Meta:
        model = ReviewVendor
        # The key is looked up by the upsert service under a lock, not refused here.
        validators: list = []
        fields = ["id", "payer", "service_category", "vendor", "phone", "fax", "portal_url"]

    def find_existing(self, attrs: dict[str, Any]) -> ReviewVendor | None:
        return services.find_review_vendor(
            attrs["payer"], service_category=attrs["service_category"]
        )

    def check(self, attrs: dict[str, Any]) -> dict[str, list[str]]:
        if self.instance is not None and "service_category" in attrs:
            clash = services.find_review_vendor(
                self.instance.payer,
                service_category=attrs["service_category"],
                exclude_id=self.instance.pk,
            )
            if clash is not None:
                return {
                    "service_category": [
                        f"Review vendor {clash.pk} already reviews this service for the payer."
                    ]
                }
        return {}

    def upsert(self, data: dict[str, Any]) -> tuple[ReviewVendor, bool]:
        return services.upsert_review_vendor(data.pop("payer"), **data)

    def change(self, record: ReviewVendor, data: dict[str, Any]) -> ReviewVendor:
        return services.update_review_vendor(record, **data)


_vendor_payer_filter = KeyFilter("payer", "payer", Payer, "code")


@record_schema(ReviewVendorSerializer, [_vendor_payer_filter])
class ReviewVendorViewSet(RecordViewSet):
    """Who reviews each service line a payer delegates (eviCore for imaging, ...), with
    the vendor's phone, fax and portal for that payer."""

    queryset = ReviewVendor.objects.select_related("payer")
    lookup_value_regex = "[0-9]+"
    serializer_class = ReviewVendorSerializer
    filters = [_vendor_payer_filter]


# Payer rules

_rule_numbers = [
    "auth_required",
    "lead_time_days",
    "renewal_window_days",
    "visit_threshold",
    "standard_turnaround_days",
    "expedited_turnaround_hours",
    "appeal_window_days",
]


class PayerRuleSerializer(RecordSerializer):
    """A rule's key, for POST: payer, plan, service_category, codes (as a set), effective_from."""

    payer = KeyRelatedField(slug_field="code", queryset=Payer.objects.all())
    codes = serializers.ListField(
        child=serializers.CharField(max_length=16), required=False, help_text="CPT/HCPCS codes."
    )
    fixed_fields = ("payer",)

    class Meta:
        model = PayerRule
        fields = [
            "id",
            "payer",
            "plan",
            "service_category",
            "codes",
            *_rule_numbers,
            "effective_from",
            "effective_to",
        ]

    def find_existing(self, attrs: dict[str, Any]) -> PayerRule | None:
        return services.find_rule(
            attrs["payer"],
            plan=attrs.get("plan", ""),
            service_category=attrs.get("service_category", ""),
            codes=attrs.get("codes", []),
            effective_from=attrs["effective_from"],
        )

    def upsert(self, data: dict[str, Any]) -> tuple[PayerRule, bool]:
        return services.upsert_rule(data.pop("payer"), **data)

    def change(self, record: PayerRule, data: dict[str, Any]) -> PayerRule:
        return services.update_rule(record, **data)


_payer_filter = KeyFilter("payer", "payer", Payer, "code")


@record_schema(PayerRuleSerializer, [_payer_filter])
class PayerRuleViewSet(RecordViewSet):
    """When a payer requires prior authorization, and the clocks around it."""

    queryset = PayerRule.objects.select_related("payer")
    lookup_value_regex = "[0-9]+"
    serializer_class = PayerRuleSerializer
    filters = [_payer_filter]


# Authorizations


class AuthorizationSerializer(RecordSerializer):
    """An order's authorization; POST with an auth number the order already has updates it."""

    order = KeyRelatedField(slug_field="external_id", queryset=Order.objects.all())
    payer = KeyRelatedField(
        slug_field="code", queryset=Payer.objects.all(), required=False, allow_null=True
    )
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    fixed_fields = ("order",)

    class Meta:
        model = Authorization
        # The key is looked up by the upsert service under a lock, not refused here.
        validators: list = []
        fields = [
            "id",
            "order",
            "payer",
            "auth_number",
            "status",
            "start_date",
            "end_date",
            "approved_visits",
            "submitted_at",
            "decided_at",
            "denial_reason",
            "denial_reason_code",
            "requested_visits",
            "requested_start_date",
            "requested_end_date",
            "expedited",
            "payer_reference",
            "submission_channel",
            "determination_code",
            "created_by",
        ]

    def find_existing(self, attrs: dict[str, Any]) -> Authorization | None:
        return services.find_authorization(attrs["order"], attrs.get("auth_number", ""))

    def check(self, attrs: dict[str, Any]) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        status = self.value(attrs, "status")
        if isinstance(self.existing, Authorization):
            try:
                services.check_transition(self.existing.status, status)
            except services.TransitionNotAllowed as exc:
                errors["status"] = [str(exc)]
        if self.instance is not None and "auth_number" in attrs:
            clash = services.find_authorization(
                self.instance.order, attrs["auth_number"], exclude_id=self.instance.pk
            )
            if clash is not None:
                errors["auth_number"] = [
                    f"Authorization {clash.pk} of this order already has this auth number."
                ]
        return errors

    def upsert(self, data: dict[str, Any]) -> tuple[Authorization, bool]:
        return services.upsert_authorization(
            data.pop("order"), by=self.context["request"].user, **data
        )

    def change(self, record: Authorization, data: dict[str, Any]) -> Authorization:
        return services.update_authorization(record, **data)


_order_filter = KeyFilter("order", "order", Order, "external_id")


@record_schema(AuthorizationSerializer, [_order_filter])
class AuthorizationViewSet(RecordViewSet):
    """Authorizations of orders: requests, decisions, spans and visit counts."""

    queryset = Authorization.objects.select_related("order", "payer", "created_by")
    lookup_value_regex = "[0-9]+"
    serializer_class = AuthorizationSerializer
    filters = [_order_filter]
