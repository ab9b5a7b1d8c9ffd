"""The bases of every app's admin: saves through the app's services, view-only records,
read-only inlines. The audited bases (AuditedAdmin, ...) are patients.admin's: patients
owns the access audit."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest


class ServiceAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves go through `create` and `update`, which call a service."""

    def create(self, request: HttpRequest, fields: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def update(self, request: HttpRequest, obj: Any, changes: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        # The inlines are read-only lists: nothing to list on an add page.
        return self.inlines if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        names = {f.name for f in obj._meta.concrete_fields}
        if change:
            changes = {n: form.cleaned_data[n] for n in form.changed_data if n in names}
            saved = self.update(request, obj, changes) if changes else obj
        else:
            fields = {n: v for n, v in form.cleaned_data.items() if n in names}
            saved = self.create(request, fields)
        # The admin logs and redirects with the object it built from the form.
        obj.pk = saved.pk
        obj._state.adding = False


class NoWrites:
    """Nothing is added, changed or deleted here (an admin or an inline)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ViewOnlyAdmin(NoWrites, admin.ModelAdmin):
    """Records that other services write: viewable, never added, changed or deleted here."""


class ReadOnlyInline(NoWrites, admin.TabularInline):
    """A list of related rows with links to their own pages, where they are edited."""

    extra = 0
    can_delete = False
    show_change_link = True
