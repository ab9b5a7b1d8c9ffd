from __future__ import annotations

from django.apps import AppConfig


class X12FeedConfig(AppConfig):
    name = "x12feed"
    verbose_name = "X12 from payers and clearinghouses"

    def ready(self) -> None:
        from x12feed.roles import grant_x12_roles

        grant_x12_roles()
