"""`GET /api/v1/hl7-messages/`: the feed's stored messages, their ACK codes and errors
(administrators: a message holds PHI)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from authq.lib.records import ChoiceFilter, QueryFilter, apply_filters
from feeds.models import AckCode, Hl7Message, MessageStatus


class Hl7MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Hl7Message
        fields = [
            "id",
            "control_id",
            "message_type",
            "received_at",
            "status",
            "ack_code",
            "error_field",
            "error",
            "times_received",
            "applied_at",
            "replays",
        ]
        read_only_fields = fields


MESSAGE_FILTERS: list[QueryFilter] = [
    ChoiceFilter("status", "status", MessageStatus.values),
    ChoiceFilter("ack_code", "ack_code", AckCode.values),
]


@extend_schema_view(list=extend_schema(parameters=[f.parameter() for f in MESSAGE_FILTERS]))
class Hl7MessageViewSet(viewsets.ReadOnlyModelViewSet):
    """HL7 v2 messages the listener received, newest first, with their ACK and error."""

    serializer_class = Hl7MessageSerializer
    queryset = Hl7Message.objects.newest_first()

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        if self.action == "list":
            queryset = apply_filters(queryset, self.request.query_params, MESSAGE_FILTERS)
        return queryset
