from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class APITokenQuerySet(models.QuerySet["APIToken"]):
    def usable(self, now: dt.datetime | None = None) -> APITokenQuerySet:
        """Not revoked and not expired at `now`."""
        return self.filter(revoked__isnull=True, expires__gt=now or timezone.now())


class APIToken(models.Model):
    """A key for the REST API (`Authorization: Token <key>`). Only the key's SHA-256 is
    kept: the key itself is shown once, when issued (accounts/tokens.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    prefix = models.CharField(
        max_length=8, help_text="The key's first characters, to tell it apart."
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    objects = APITokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API token"
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires__gt=models.F("created")),
                name="accounts_apitoken_expires_after_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def status(self) -> str:
        if self.revoked is not None:
            return "revoked"
        return "expired" if self.expires <= timezone.now() else "active"
