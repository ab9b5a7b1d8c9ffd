"""Import profiles (edited through the services, like the API) and runs (read only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from intake import services
from intake.models import ImportProfile, ImportRun, RejectedRow, SnapshotCancellation
from patients.admin import ReadOnlyInline, ServiceAdmin, ViewOnlyAdmin


@admin.register(ImportProfile)
class ImportProfileAdmin(ServiceAdmin):
    list_display = ["name", "kind", "date_format", "snapshot_days", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["name"]

    def create(self, request: HttpRequest, fields: dict[str, Any]) -> ImportProfile:
        return services.upsert_profile(**fields)[0]

    def update(self, request: HttpRequest, obj: Any, changes: dict[str, Any]) -> ImportProfile:
        return services.update_profile(obj, **changes)


class RejectedRowInline(ReadOnlyInline):
    model = RejectedRow
    readonly_fields = ("row", "column", "message")
    fields = readonly_fields
    show_change_link = False
    max_num = 0


@admin.register(ImportRun)
class ImportRunAdmin(ViewOnlyAdmin):
    list_display = [
        "id", "file_name", "profile", "status", "created_by", "created_at", "rows_total",
        "rows_rejected",
    ]  # fmt: skip
    list_filter = ["status", "profile"]
    list_select_related = ["profile", "created_by"]
    search_fields = ["file_name", "sha256"]
    exclude = ["header"]
    inlines = [RejectedRowInline]


@admin.register(SnapshotCancellation)
class SnapshotCancellationAdmin(ViewOnlyAdmin):
    """Booked visits cancelled because a snapshot file no longer listed them."""

    list_display = ["appointment", "run", "at"]
    list_select_related = ["appointment", "run"]
    search_fields = ["appointment__external_id", "run__file_name"]
