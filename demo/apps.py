from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The synthetic demo practice (`manage.py seed_demo`): above every app, imported by none."""

    name = "demo"
    verbose_name = "Demo practice"
