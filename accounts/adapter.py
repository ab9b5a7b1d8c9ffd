"""How allauth behaves here: accounts are made by an administrator, never by sign-up;
failed passwords are counted by django-axes alone (S15)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Skip allauth's own count of failed passwords per username (its 'login_failed'
        limit, kept in the fail-open Redis cache). axes counts every failure made through
        authenticate() in PostgreSQL and shows the lockout page (S15); allauth's count would
        answer the sixth try itself, so axes would neither count it nor show that page.
        Sign-in posts stay capped per address by allauth's 'login' limit, second-factor
        codes by its 'login_failed' limit (and by axes: accounts.lockout)."""
