"""Signing in and permissions: Django's ModelBackend, with a person's permissions and role
names read by one query per request instead of three (own permissions, the groups'
permissions, the group names the page header shows)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import connection

_PERMISSIONS_AND_ROLES = """
SELECT 'perm', ct.app_label || '.' || p.codename
FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
WHERE p.id IN (
    SELECT permission_id FROM auth_user_user_permissions WHERE user_id = %(user)s
    UNION
    SELECT gp.permission_id FROM auth_group_permissions gp
    JOIN auth_user_groups ug ON ug.group_id = gp.group_id WHERE ug.user_id = %(user)s
)
UNION ALL
SELECT 'role', g.name FROM auth_group g
JOIN auth_user_groups ug ON ug.group_id = g.id WHERE ug.user_id = %(user)s
"""


def load_permissions_and_roles(user: Any) -> None:
    """Read the person's permissions and role names once and keep them on the object
    (Django's `_perm_cache` and `role_names`); later checks in the request cost nothing."""
    with connection.cursor() as cursor:
        cursor.execute(_PERMISSIONS_AND_ROLES, {"user": user.pk})
        rows = cursor.fetchall()
    user._perm_cache = {name for kind, name in rows if kind == "perm"}
    user.role_names = sorted(name for kind, name in rows if kind == "role")


class PermissionsBackend(ModelBackend):
    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            load_permissions_and_roles(user_obj)
        return user_obj._perm_cache


def role_names(user: Any) -> list[str]:
    """The person's groups by name (read with the permissions when not yet read)."""
    if not getattr(user, "is_authenticated", False):
        return []
    if not hasattr(user, "role_names"):
        if user.is_superuser or hasattr(user, "_perm_cache"):
            user.role_names = sorted(user.groups.values_list("name", flat=True))
        else:
            load_permissions_and_roles(user)
    return user.role_names
