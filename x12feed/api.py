"""POST /api/v1/x12/: one X12 interchange (271, 278 or 835), answered 202 like a file
import; GET its acknowledgment and the report of each transaction and claim line."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from authq.lib.permissions import ViewAndAddPermissions
from x12feed import services
from x12feed.models import Interchange, InterchangeStatus

# Report lines an interchange's JSON lists.
MAX_LINES_SHOWN = 2000


class ReportLineSerializer(serializers.Serializer):
    set = serializers.CharField(source="set_id")
    transaction = serializers.CharField(help_text="ST02 of the transaction.")
    position = serializers.IntegerField(help_text="Segment position in the interchange.")
    subject = serializers.CharField(help_text="transaction, decision, benefits or line")
    outcome = serializers.CharField()
    message = serializers.CharField()


class InterchangeSerializer(serializers.ModelSerializer):
    """An interchange: its envelope's acknowledgment, its status and what it did."""

    url = serializers.SerializerMethodField()
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    report = serializers.SerializerMethodField()

    class Meta:
        model = Interchange
        fields = [
            "id", "url", "file_name", "sha256", "size", "sender", "control_number", "status",
            "error", "ack", "counts", "report", "created_by", "created_at", "started_at",
            "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_url(self, record: Interchange) -> str:
        url = reverse("api:x12-detail", args=[record.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    @extend_schema_field(ReportLineSerializer(many=True))
    def get_report(self, record: Interchange) -> list[dict[str, Any]]:
        lines = record.lines.order_by("seq")[:MAX_LINES_SHOWN]
        return list(ReportLineSerializer(lines, many=True).data)


class X12UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="One interchange of 271, 278 or 835 (5010).")


def receive_upload(upload: Any, by: Any) -> tuple[Interchange, bool]:
    """The upload kept and queued (the API's and the Imports page's path); raises
    services.NotX12 for what cannot be X12, ValueError for a file too large."""
    if upload.size > settings.AUTHQ_MAX_IMPORT_BYTES:
        raise ValueError(f"The file is larger than {settings.AUTHQ_MAX_IMPORT_BYTES} bytes.")
    with transaction.atomic():
        record, created = services.receive(upload.read(), name=upload.name, by=by)
        if created:
            services.enqueue(record)
    return record, created


class X12ViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """X12 interchanges: POST one (202 and the URL to poll; 200 with the earlier record
    when it was sent before; 400 naming what failed when its envelope fails, its
    999-style report at the URL in Location)."""

    queryset = Interchange.objects.select_related("created_by").order_by("-created_at", "-id")
    serializer_class = InterchangeSerializer
    permission_classes = [IsAuthenticated, ViewAndAddPermissions]
    parser_classes = [MultiPartParser]
    lookup_value_regex = "[0-9]+"

    @extend_schema(
        request={"multipart/form-data": X12UploadSerializer},
        responses={202: InterchangeSerializer, 200: InterchangeSerializer},
    )
    def create(self, request: Request) -> Response:
        upload = X12UploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            record, created = receive_upload(upload.validated_data["file"], request.user)
        except (services.NotX12, ValueError) as exc:
            raise ValidationError({"file": [str(exc)]}) from exc
        body = InterchangeSerializer(record, context={"request": request}).data
        if record.status == InterchangeStatus.REFUSED:
            # The whole 999-style report is the interchange's, at its URL.
            return Response({"file": [record.error]}, status=400, headers={"Location": body["url"]})
        return Response(body, status=202 if created else 200, headers={"Location": body["url"]})
