"""Admin for work items, their history, notes and notifications, and scan runs.

The scan and the work-item page own these records (worklists.scan, worklists.claiming,
worklists.item_actions, worklists.notifying), so the admin shows them and changes none. Notes and patient emails hold free text (PHI): it stays
on each record's own page, never in list columns.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from authq.lib.admin import ViewOnlyAdmin
from patients.admin import AuditedViewOnlyAdmin
from worklists.models import (
    ParkedTask,
    PatientNotification,
    ScanRun,
    WorkItem,
    WorkItemEvent,
    WorkItemNote,
)


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
class WorkItemAdmin(ViewOnlyAdmin):
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
class WorkItemEventAdmin(ViewOnlyAdmin):
    """Append-only history: written by the services that change an item, never here."""

    list_display = ("id", "work_item", "kind", "at", "actor")
    list_filter = ("at",)
    search_fields = ("=work_item__id", "work_item__order__external_id")
    list_select_related = ("work_item", "actor")
    show_full_result_count = False


@admin.register(ScanRun)
class ScanRunAdmin(ViewOnlyAdmin):
    list_display = (
        "id",
        "as_of",
        "trigger",
        "started_at",
        "finished_at",
        "abandoned_at",
        "orders_scanned",
        "items_opened",
        "items_updated",
        "items_resolved",
    )
    list_filter = ("trigger", "as_of")


@admin.register(ParkedTask)
class ParkedTaskAdmin(ViewOnlyAdmin):
    """Tasks that failed for good (docs/reliability.md): which, with which ids, and why."""

    list_display = (
        "id", "task_name", "args", "attempts", "error_type", "error_code", "error_where",
        "parked_at",
    )  # fmt: skip
    list_filter = ("task_name", "parked_at")


@admin.register(WorkItemNote)
class WorkItemNoteAdmin(AuditedViewOnlyAdmin):
    list_display = ("id", "work_item", "author", "created_at")
    list_filter = ("created_at",)
    search_fields = ("=work_item__id", "work_item__order__external_id")
    list_select_related = ("work_item__order", "author")

    def patient_id_of(self, obj: WorkItemNote) -> int:
        return obj.work_item.order.patient_id


@admin.register(PatientNotification)
class PatientNotificationAdmin(AuditedViewOnlyAdmin):
    list_display = ("id", "work_item", "channel", "template", "status", "created_at", "sent_by")
    list_filter = ("channel", "status", "template", "financial_responsibility", "created_at")
    search_fields = ("=work_item__id", "work_item__order__external_id")
    list_select_related = ("work_item__order", "sent_by")

    def patient_id_of(self, obj: PatientNotification) -> int:
        return obj.work_item.order.patient_id
