"""Admin for work items, their history, and scan runs.

The scan owns work items (worklists.services), so the admin shows them and edits
nothing a scan writes; an item's history and the scan runs are read-only records.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from worklists.models import ScanRun, WorkItem, WorkItemEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class WorkItemEventInline(admin.TabularInline):
    model = WorkItemEvent
    extra = 0
    fields = ("at", "kind", "actor", "data")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WorkItem)
class WorkItemAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "queue",
        "status",
        "due_date",
        "first_service_date",
        "affected_appointments",
        "order",
        "assignee",
    )
    list_filter = ("kind", "queue", "status", "resolution", "due_date")
    search_fields = ("order__external_id", "order__patient__mrn")
    list_select_related = ("order", "assignee")
    ordering = ("due_date", "id")
    show_full_result_count = False
    inlines = (WorkItemEventInline,)


@admin.register(WorkItemEvent)
class WorkItemEventAdmin(ReadOnlyAdmin):
    """Append-only history: written by the services that change an item, never here."""

    list_display = ("id", "work_item", "kind", "at", "actor")
    list_filter = ("at",)
    search_fields = ("=work_item__id", "work_item__order__external_id")
    list_select_related = ("work_item", "actor")
    show_full_result_count = False


@admin.register(ScanRun)
class ScanRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "as_of",
        "trigger",
        "started_at",
        "finished_at",
        "orders_scanned",
        "items_opened",
        "items_updated",
        "items_resolved",
    )
    list_filter = ("trigger", "as_of")
