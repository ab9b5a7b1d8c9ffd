"""No shared or default accounts in production (security promise S19)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

# Names that are guessed first, and the demo practice's sign-ins (demo.build).
DEFAULT_ACCOUNT_NAMES = frozenset(
    {
        "admin",
        "administrator",
        "root",
        "test",
        "tester",
        "guest",
        "demo",
        "user",
        "integration",
        "api",
        "admin-demo",
        "specialist",
        "specialist2",
        "scheduler",
        "manager",
    }
)


def default_accounts() -> list[str]:
    from django.contrib.auth.models import User

    return sorted(
        User.objects.filter(username__in=[n for n in DEFAULT_ACCOUNT_NAMES]).values_list(
            "username", flat=True
        )
    )


@checks.register(checks.Tags.security, deploy=True)
def no_default_accounts(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.DEBUG:
        return []
    try:
        found = default_accounts()
    except DatabaseError:
        # Not migrated yet (or no database at hand): nothing to check.
        return []
    if not found:
        return []
    return [
        checks.Error(
            f"Default or shared accounts exist: {', '.join(found)}.",
            hint="Give each person an account of their own (manage.py create_user) and "
            "delete or rename these. The demo's sign-ins are for DJANGO_DEBUG only.",
            id="accounts.E001",
        )
    ]
