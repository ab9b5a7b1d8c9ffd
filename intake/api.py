"""REST API for import profiles and file imports (../shared/spec/interop.md section 5)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from authq.lib.api import BoundedJSONParser
from authq.lib.bounds import validate_key
from authq.lib.permissions import ViewAndAddPermissions
from authq.lib.records import KeyRelatedField, RecordSerializer, RecordViewSet, record_schema
from intake import batches, reports, services
from intake.models import ImportProfile, ImportRun
from intake.readers import FileRefused

# The rejected rows a run's JSON lists; the CSV has them all.
MAX_ERRORS_SHOWN = 1000


def _mapping(help_text: str) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.CharField(max_length=200), required=False, help_text=help_text
    )


class ImportProfileSerializer(RecordSerializer):
    """How one source system's export reads; keyed by name: a POST with a known name
    updates that profile."""

    columns = _mapping("Canonical column -> the source's header.")
    statuses = _mapping(
        "The source's status word -> FHIR appointment status (authorization status for "
        "an authorization log)."
    )
    payers = _mapping("The source's payer id -> authq payer code.")
    fixed_fields = ("name",)

    class Meta:
        model = ImportProfile
        fields = [
            "name",
            "kind",
            "columns",
            "date_format",
            "datetime_format",
            "time_format",
            "statuses",
            "payers",
            "assigning_authority",
            "snapshot_days",
        ]
        extra_kwargs = {"name": {"validators": [validate_key]}}

    def upsert(self, data: dict[str, Any]) -> tuple[ImportProfile, bool]:
        return services.upsert_profile(**data)

    def change(self, record: ImportProfile, data: dict[str, Any]) -> ImportProfile:
        return services.update_profile(record, **data)


@record_schema(ImportProfileSerializer, key="name")
class ImportProfileViewSet(RecordViewSet):
    """Import profiles, keyed by name (managers and administrators)."""

    queryset = ImportProfile.objects.all()
    serializer_class = ImportProfileSerializer
    lookup_field = "name"


def _is_json(request: Request) -> bool:
    return request.content_type.split(";")[0].strip() == "application/json"


class ImportPermissions(ViewAndAddPermissions):
    """Reading imports needs the view permission, a file import the add permission. A
    JSON batch needs send_batch (the view then checks the resource's write permissions);
    a sender of batches without the view permission reads its own runs (get_queryset)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user.has_perm("intake.send_batch") and (
            request.method in ("GET", "HEAD", "OPTIONS")
            or (request.method == "POST" and _is_json(request))
        ):
            return True
        if request.method == "POST" and _is_json(request):
            return False
        return super().has_permission(request, view)


class RejectedRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row number as a spreadsheet shows it (header: 1).")
    column = serializers.CharField(help_text="The column at fault, as the file names it.")
    message = serializers.CharField()


class CountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class ImportRunSerializer(serializers.ModelSerializer):
    """A file import: its progress, counts and rejected rows."""

    url = serializers.SerializerMethodField()
    profile: serializers.SlugRelatedField[ImportProfile] = serializers.SlugRelatedField(
        slug_field="name", read_only=True, allow_null=True, help_text="Null for a JSON batch."
    )
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    created = serializers.SerializerMethodField()
    updated = serializers.SerializerMethodField()
    unchanged = serializers.SerializerMethodField()
    rejected = serializers.IntegerField(source="rows_rejected", read_only=True)
    by_type = serializers.SerializerMethodField()
    # The API's field is named errors; DRF's Serializer.errors is a property of its own.
    errors = serializers.SerializerMethodField()  # type: ignore[assignment]
    rejected_csv = serializers.SerializerMethodField()
    rows_per_second = serializers.SerializerMethodField()
    seconds_left = serializers.SerializerMethodField()

    class Meta:
        model = ImportRun
        fields = [
            "id", "url", "profile", "resource", "file_name", "sha256", "size", "status", "error",
            "rows_total", "rows_done", "created", "updated", "unchanged", "rejected",
            "by_type", "snapshot_cancelled", "errors", "rejected_csv", "rows_per_second",
            "seconds_left", "created_by", "created_at", "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def _absolute(self, url: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    def get_url(self, run: ImportRun) -> str:
        return self._absolute(reverse("api:import-detail", args=[run.pk]))

    def get_rejected_csv(self, run: ImportRun) -> str:
        return self._absolute(reverse("api:import-rejected", args=[run.pk]))

    def get_created(self, run: ImportRun) -> int:
        return run.total("created")

    def get_updated(self, run: ImportRun) -> int:
        return run.total("updated")

    def get_unchanged(self, run: ImportRun) -> int:
        return run.total("unchanged")

    @extend_schema_field(serializers.DictField(child=CountsSerializer()))
    def get_by_type(self, run: ImportRun) -> dict[str, dict[str, int]]:
        return {
            line["type"]: {k: v for k, v in line.items() if k != "type"} for line in run.report()
        }

    @extend_schema_field(RejectedRowSerializer(many=True))
    def get_errors(self, run: ImportRun) -> list[dict[str, Any]]:
        rows = run.rejected_rows.order_by("row").values("row", "column", "message")
        return [dict(row) for row in rows[:MAX_ERRORS_SHOWN]]

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_rows_per_second(self, run: ImportRun) -> float | None:
        rate = run.rate()
        return round(rate, 1) if rate else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_seconds_left(self, run: ImportRun) -> int | None:
        return run.seconds_left()


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The export: .csv (UTF-8 or Windows-1252) or .xlsx.")
    profile = KeyRelatedField(
        slug_field="name", queryset=ImportProfile.objects.all(), help_text="The profile's name."
    )


class ImportBatchSerializer(serializers.Serializer):
    resource = serializers.ChoiceField(
        choices=list(batches.RESOURCES), help_text="The API collection the records are of."
    )
    records = serializers.ListField(
        child=serializers.JSONField(),
        max_length=batches.MAX_RECORDS,
        help_text="The records, each as a POST to the resource takes it (at most "
        f"{batches.MAX_RECORDS:,}). A record at fault is reported with its index (`row`, "
        "from 0) and field (`column`); the others are applied.",
    )


_WAIT = OpenApiParameter(
    "wait",
    bool,
    description="JSON batches: `1` applies the batch before answering, 200 with the report.",
)


class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """File imports: POST a file with its profile (202 and the URL to poll), GET its
    progress and report, GET its rejected rows as CSV."""

    queryset = ImportRun.objects.select_related("profile", "created_by").newest_first()
    serializer_class = ImportRunSerializer
    permission_classes = [IsAuthenticated, ImportPermissions]
    # The upload is multipart (a file); every other answer is JSON or CSV.
    parser_classes = [MultiPartParser, BoundedJSONParser]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        if self.request.user.has_perm("intake.view_importrun"):
            return queryset
        return queryset.filter(created_by=self.request.user)

    @extend_schema(
        request={
            "multipart/form-data": ImportUploadSerializer,
            "application/json": ImportBatchSerializer,
        },
        parameters=[_WAIT],
        responses={202: ImportRunSerializer, 200: ImportRunSerializer},
        description="Upload a file to import with a profile, or send a JSON batch of "
        "records of one resource; answers 202 with the import and its `url` to poll (a "
        "JSON batch with `?wait=1`: 200 with the import's report once applied). A file "
        "that cannot be read, is empty, has no header row or lacks a required column is "
        "refused with a 400 naming what is wrong. A JSON batch needs the permissions of "
        "its resource's POST too.",
    )
    def create(self, request: Request) -> Response:
        if _is_json(request):
            return self.create_batch(request)
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        try:
            with transaction.atomic():
                run = services.start_run(
                    data["profile"],
                    upload=data["file"],
                    name=data["file"].name,
                    by=cast(User, request.user),
                )
                services.enqueue(run)
        except FileRefused as exc:
            raise ValidationError({"file": [str(exc)]}) from exc
        body = ImportRunSerializer(run, context={"request": request}).data
        return Response(body, status=202, headers={"Location": body["url"]})

    def create_batch(self, request: Request) -> Response:
        wait = request.query_params.get("wait", "0")
        if wait not in ("0", "1", "true", "false"):
            raise ValidationError({"wait": ["Give 1 or 0."]})
        if not isinstance(request.data, dict):
            raise ValidationError(
                {"non_field_errors": ["Give an object with resource and records."]}
            )
        batch = ImportBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        resource = batch.validated_data["resource"]
        if not request.user.has_perms(batches.write_permissions(resource)):
            raise PermissionDenied(f"You may not write {resource}.")
        with transaction.atomic():
            run = batches.start_batch(
                resource, batch.validated_data["records"], by=cast(User, request.user)
            )
            if wait in ("0", "false"):
                services.enqueue(run)
        if wait in ("1", "true"):
            run = services.run_import(run.pk) or run
            body = ImportRunSerializer(run, context={"request": request}).data
            return Response(body, status=200)
        body = ImportRunSerializer(run, context={"request": request}).data
        return Response(body, status=202, headers={"Location": body["url"]})

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The rejected rows as the file had them, with an added `error` "
                "column (cells a spreadsheet would read as formulas get a leading quote).",
            )
        }
    )
    @action(detail=True, methods=["get"], url_path="rejected-rows", url_name="rejected")
    def rejected(self, request: Request, pk: str | None = None) -> HttpResponse:
        run = self.get_object()
        response = HttpResponse(reports.rejected_csv(run), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{reports.csv_name(run)}"'
        return response
