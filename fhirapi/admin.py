"""The bundles received (read only), for administrators and managers."""

from __future__ import annotations

from django.contrib import admin

from fhirapi.models import BundleImport, RejectedEntry
from patients.admin import ReadOnlyInline, ViewOnlyAdmin


class RejectedEntryInline(ReadOnlyInline):
    model = RejectedEntry
    fields = ("index", "path", "message", "raw")
    readonly_fields = ("index", "path", "message", "raw")
    show_change_link = False
    max_num = 0


@admin.register(BundleImport)
class BundleImportAdmin(ViewOnlyAdmin):
    list_display = [
        "id", "received_at", "kind", "created_by", "source_id", "entries", "created",
        "updated", "unchanged", "rejected", "applied", "duration_ms",
    ]  # fmt: skip
    list_filter = ["kind", "applied"]
    list_select_related = ["created_by"]
    search_fields = ["source_id"]
    inlines = [RejectedEntryInline]
