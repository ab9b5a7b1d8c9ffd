from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts import roles

PASSWORD_ENV = "AUTHQ_NEW_USER_PASSWORD"
ROLES = tuple(roles.ROLE_PERMISSIONS)


class Command(BaseCommand):
    help = (
        f"Create a user with one role ({', '.join(ROLES)}). The password comes from "
        f"{PASSWORD_ENV}, or is asked for when run in a terminal. With --update, change "
        f"the role (and email) of an existing user; the password changes only when "
        f"{PASSWORD_ENV} is set. The admin role also makes the user staff (admin site)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        # Checked in handle() so that a wrong role gets our message, not argparse's.
        parser.add_argument("--role", required=True, help=f"One of: {', '.join(ROLES)}.")
        parser.add_argument("--email", default=None)
        parser.add_argument(
            "--update", action="store_true", help="Change the role of an existing user."
        )

    def handle(
        self,
        *args: Any,
        username: str,
        role: str,
        email: str | None,
        update: bool,
        **options: Any,
    ) -> None:
        if role not in ROLES:
            raise CommandError(f"Unknown role {role!r}; the roles are: {', '.join(ROLES)}.")
        group = Group.objects.filter(name=role).first()
        if group is None:
            raise CommandError(f"The {role!r} group does not exist yet: run `manage.py migrate`.")

        user = User.objects.filter(username=username).first()
        if user is None and update:
            raise CommandError(f"No user {username!r} to update.")
        if user is not None and not update:
            raise CommandError(f"User {username!r} exists; use --update to change their role.")
        created = user is None
        if user is None:
            user = User(username=username)
        if email is not None:
            user.email = email

        password = self._password(user, required=created)
        with transaction.atomic():
            if password is not None:
                user.set_password(password)
            # Staff status opens the admin site, which only the admin role uses.
            user.is_staff = role == roles.ADMIN or user.is_superuser
            user.save()
            user.groups.remove(*Group.objects.filter(name__in=ROLES))
            user.groups.add(group)
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} user {username!r} with role {role!r}.")

    def _password(self, user: User, *, required: bool) -> str | None:
        password = os.environ.get(PASSWORD_ENV, "")
        if not password:
            if not required:
                return None
            if not sys.stdin.isatty():
                raise CommandError(
                    f"No password: set {PASSWORD_ENV} or run the command in a terminal."
                )
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from exc
        return password
