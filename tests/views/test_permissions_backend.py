"""authq.backends: permissions and role names in one query, the same answers as Django's."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from accounts import roles
from authq.backends import PermissionsBackend, role_names

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no permission cache


def test_same_permissions_as_djangos_backend(make_user) -> None:  # type: ignore[no-untyped-def]
    specialist = make_user("s", roles.SPECIALIST)
    both = make_user("b", roles.MANAGER)
    both.groups.add(Group.objects.get(name=roles.SCHEDULER))
    both.user_permissions.add(Permission.objects.get(codename="delete_workitem"))
    nobody = make_user("n", None)
    inactive = make_user("i", roles.SPECIALIST)
    inactive.is_active = False
    inactive.save()
    admin = User.objects.create_superuser("root", password="x")
    ours, django = PermissionsBackend(), ModelBackend()
    for user in (specialist, both, nobody, inactive, admin):
        expected = django.get_all_permissions(fresh(user))
        assert ours.get_all_permissions(fresh(user)) == expected
        for perm in ("worklists.change_workitem", "worklists.delete_workitem", "x.y"):
            assert fresh(user).has_perm(perm) == (perm in expected or admin == user)
    assert "worklists.delete_workitem" in ours.get_all_permissions(fresh(both))
    assert role_names(fresh(both)) == sorted([roles.MANAGER, roles.SCHEDULER])
    assert role_names(fresh(admin)) == []


def test_permissions_and_roles_cost_one_query(
    make_user,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    user = fresh(make_user("m", roles.MANAGER))
    with django_assert_num_queries(1):
        assert user.has_perm("worklists.view_dashboard")
        assert not user.has_perm("worklists.claim_anything")
        assert role_names(user) == [roles.MANAGER]


def test_the_page_header_names_the_roles(specialist_web: Client) -> None:
    html = specialist_web.get("/queue/").content.decode()
    assert f'<span class="role">{roles.SPECIALIST}</span>' in html
