from __future__ import annotations

from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "feeds"
    verbose_name = "Live feeds from the practice's systems (HL7 v2)"

    def ready(self) -> None:
        from feeds.roles import grant_feed_roles

        grant_feed_roles()
