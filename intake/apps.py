from __future__ import annotations

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Imports from the practice's files"

    def ready(self) -> None:
        from intake.roles import grant_import_roles

        grant_import_roles()
