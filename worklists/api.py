"""REST API for work items (read-only, in queue order) and the scheduler's auth check."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from authq.lib.bounds import validate_date_in_window
from authq.lib.records import AuditedReadsMixin, ChoiceFilter, KeyFilter, QueryFilter, apply_filters
from patients.audit import record_views
from patients.models import Order, Patient
from payers.models import Authorization
from worklists.models import ACTIVE_STATUSES, ItemKind, ItemStatus, Queue, WorkItem
from worklists.scan.evaluate import COVERED, NOT_REQUIRED, PENDING
from worklists.scan.visit_check import check_date_error, check_visit

# Work items


class WorkItemSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.external_id", read_only=True)
    patient = serializers.CharField(source="order.patient.mrn", read_only=True)
    assignee = serializers.CharField(
        source="assignee.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = WorkItem
        fields = [
            "id",
            "kind",
            "queue",
            "status",
            "order",
            "patient",
            "first_service_date",
            "affected_appointments",
            "due_date",
            "assignee",
            "created_at",
            "resolved_at",
        ]
        read_only_fields = fields


WORK_ITEM_FILTERS: list[QueryFilter] = [
    ChoiceFilter(
        "status",
        "status",
        ItemStatus.values,
        # "open" alone means every state a person still has to act on.
        groups={ItemStatus.OPEN: ACTIVE_STATUSES},
        description="`open` means open, in_progress and waiting_on_payer.",
    ),
    ChoiceFilter("queue", "queue", Queue.values),
    ChoiceFilter("kind", "kind", ItemKind.values),
    KeyFilter("assignee", "assignee", User, "username"),
    KeyFilter("patient", "order__patient", Patient, "mrn"),
    KeyFilter("order", "order", Order, "external_id"),
]


@extend_schema_view(list=extend_schema(parameters=[f.parameter() for f in WORK_ITEM_FILTERS]))
class WorkItemViewSet(AuditedReadsMixin, viewsets.ReadOnlyModelViewSet):
    """Work items found by the scan, in queue order: STAT first, then by due date."""

    serializer_class = WorkItemSerializer
    queryset = WorkItem.objects.select_related("order__patient", "assignee").in_queue_order()

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        if self.action == "list":
            queryset = apply_filters(queryset, self.request.query_params, WORK_ITEM_FILTERS)
        return queryset


# Auth check


class CanViewOrders(BasePermission):
    """Whoever may see orders may ask whether a visit would be covered."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm("patients.view_order"))


class AuthCheckQuery(serializers.Serializer):
    order = serializers.CharField(help_text="The order's external_id.")
    date = serializers.DateField(
        help_text="The visit's date, YYYY-MM-DD, within three years of today (and inside "
        "AUTHQ_MIN_YEAR..AUTHQ_MAX_YEAR).",
        validators=[validate_date_in_window],
    )

    def validate_order(self, value: str) -> Order:
        try:
            return Order.objects.get(external_id=value)
        except Order.DoesNotExist as exc:
            raise serializers.ValidationError(f"No order with external_id '{value}'.") from exc

    def validate_date(self, value: dt.date) -> dt.date:
        error = check_date_error(value)
        if error is not None:
            raise serializers.ValidationError(error)
        return value


AUTH_CHECK_STATUSES = [COVERED, PENDING, NOT_REQUIRED, *ItemKind.values]


class AuthCheckSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=AUTH_CHECK_STATUSES,
        help_text="covered, pending (a request is at the payer), not_required, or the gap kind.",
    )
    authorization = serializers.CharField(
        allow_null=True, help_text="Auth number of the authorization concerned, if any."
    )
    visits_left = serializers.IntegerField(
        allow_null=True,
        help_text=(
            "Approved visits of that authorization not taken by used visits or by the other"
            " booked visits (whatever their date), this visit included; null when the"
            " authorization has no visit count."
        ),
    )
    auth_end_date = serializers.DateField(allow_null=True)
    displaces = serializers.DateField(
        allow_null=True,
        help_text=(
            "Set when the visit is covered only by taking an approved visit that a visit"
            " booked later had: the date of the first booked visit that would lose its"
            " coverage. Null otherwise."
        ),
    )


class AuthCheckView(APIView):
    """Would a visit of this order on this date be covered? By the scan's own rules."""

    permission_classes = [IsAuthenticated, CanViewOrders]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "order",
                {"type": "string", "minLength": 1},
                required=True,
                description="The order's external_id.",
            ),
            OpenApiParameter(
                "date",
                OpenApiTypes.DATE,
                required=True,
                description="The visit's date, YYYY-MM-DD, within three years of today.",
            ),
        ],
        responses=AuthCheckSerializer,
    )
    def get(self, request: Request) -> Response:
        query = AuthCheckQuery(data=request.query_params)
        if not query.is_valid():
            raise ValidationError(query.errors)
        order = query.validated_data["order"]
        check = check_visit(order, query.validated_data["date"])
        # The answer tells about the order and its authorization: a read of patient data,
        # a row per model, both in one insert.
        auth = check.authorization
        record_views(
            request._request,  # noqa: SLF001
            [
                (Order, [order.pk], [order.patient_id]),
                (Authorization, [auth.pk] if auth is not None else [], [order.patient_id]),
            ],
        )
        answer = {
            "status": check.status,
            "authorization": (auth.auth_number or None) if auth is not None else None,
            "visits_left": check.visits_left,
            "auth_end_date": check.auth_end_date,
            "displaces": check.displaces,
        }
        return Response(AuthCheckSerializer(answer).data)
