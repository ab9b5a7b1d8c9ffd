from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WorklistsConfig(AppConfig):
    name = "worklists"
    verbose_name = "Work items and the scan"

    def ready(self) -> None:
        from accounts.roles import ensure_roles
        from patients.signals import orders_changed
        from worklists.scan.apply import reevaluate_when_committed

        # Once every app's permissions exist: worklists migrates last.
        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="worklists.ensure_roles")
        # Records changed through the API or the admin refresh their orders' items at once.
        orders_changed.connect(reevaluate_when_committed, dispatch_uid="worklists.reevaluate")
