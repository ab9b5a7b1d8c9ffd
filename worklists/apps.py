from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WorklistsConfig(AppConfig):
    name = "worklists"
    verbose_name = "Work items and the scan"

    def ready(self) -> None:
        from worklists.roles import ensure_roles

        # Once every app's permissions exist: worklists migrates last.
        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="worklists.ensure_roles")
