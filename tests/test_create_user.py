"""`manage.py create_user USERNAME --role ROLE`: accounts for the people of the practice."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from accounts import roles

GOOD_PASSWORD = "violet-harbor-lantern-42"


@pytest.fixture(autouse=True)
def _roles(db: None) -> None:
    roles.ensure_roles()


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def create_user(*args: str) -> str:
    out = StringIO()
    call_command("create_user", *args, stdout=out)
    return out.getvalue()


def role_names(user: User) -> list[str]:
    return list(user.groups.values_list("name", flat=True))


def test_create_user_makes_a_user_with_the_role_and_the_password_from_the_environment(
    monkeypatch,
):
    monkeypatch.setenv("AUTHQ_NEW_USER_PASSWORD", GOOD_PASSWORD)

    out = create_user("rivera", "--role", "specialist", "--email", "rivera@example.com")

    user = User.objects.get(username="rivera")
    assert role_names(user) == ["specialist"]
    assert user.check_password(GOOD_PASSWORD)
    assert user.email == "rivera@example.com"
    assert not user.is_staff
    assert "specialist" in out
    assert GOOD_PASSWORD not in out


def test_the_admin_role_also_opens_the_admin_site(monkeypatch):
    monkeypatch.setenv("AUTHQ_NEW_USER_PASSWORD", GOOD_PASSWORD)

    create_user("boss", "--role", "admin")

    user = User.objects.get(username="boss")
    assert user.is_staff
    assert not user.is_superuser


def test_an_unknown_role_is_refused_naming_the_roles(monkeypatch):
    monkeypatch.setenv("AUTHQ_NEW_USER_PASSWORD", GOOD_PASSWORD)

    with pytest.raises(CommandError) as caught:
        create_user("rivera", "--role", "superhero")

    message = str(caught.value)
    assert "superhero" in message
    assert all(role in message for role in roles.ROLE_PERMISSIONS)
    assert not User.objects.filter(username="rivera").exists()


def test_a_password_the_validators_refuse_creates_nobody(monkeypatch):
    monkeypatch.setenv("AUTHQ_NEW_USER_PASSWORD", "short")

    with pytest.raises(CommandError, match="Password refused"):
        create_user("rivera", "--role", "scheduler")

    assert not User.objects.filter(username="rivera").exists()


def test_without_a_password_and_without_a_terminal_the_command_says_how_to_give_one(
    monkeypatch,
):
    monkeypatch.delenv("AUTHQ_NEW_USER_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", StringIO())

    with pytest.raises(CommandError, match="AUTHQ_NEW_USER_PASSWORD"):
        create_user("rivera", "--role", "manager")


def test_in_a_terminal_the_password_is_asked_twice(monkeypatch):
    monkeypatch.delenv("AUTHQ_NEW_USER_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", Terminal())
    answers = iter([GOOD_PASSWORD, GOOD_PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    create_user("rivera", "--role", "manager")

    assert User.objects.get(username="rivera").check_password(GOOD_PASSWORD)


def test_an_existing_user_is_refused_without_update(monkeypatch):
    monkeypatch.setenv("AUTHQ_NEW_USER_PASSWORD", GOOD_PASSWORD)
    create_user("rivera", "--role", "scheduler")

    with pytest.raises(CommandError, match="--update"):
        create_user("rivera", "--role", "manager")

    assert role_names(User.objects.get(username="rivera")) == ["scheduler"]


def test_update_replaces_the_role_and_keeps_the_password(monkeypatch):
    monkeypatch.setenv("AUTHQ_NEW_USER_PASSWORD", GOOD_PASSWORD)
    create_user("rivera", "--role", "admin")
    monkeypatch.delenv("AUTHQ_NEW_USER_PASSWORD")

    create_user("rivera", "--role", "specialist", "--update")

    user = User.objects.get(username="rivera")
    assert role_names(user) == ["specialist"]
    assert not user.is_staff
    assert user.check_password(GOOD_PASSWORD)


def test_update_of_a_missing_user_is_refused():
    with pytest.raises(CommandError, match="No user"):
        create_user("nobody", "--role", "manager", "--update")
