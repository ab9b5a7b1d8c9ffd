from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in and the people who sign in: session ends, default-account checks, sign-in
    lockouts (django-axes) and API tokens."""

    name = "accounts"

    def ready(self) -> None:
        from . import checks, lockout, signals  # noqa: F401  (registers the check and receivers)
