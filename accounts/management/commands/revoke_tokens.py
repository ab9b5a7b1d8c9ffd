from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import tokens


class Command(BaseCommand):
    help = "Revoke every API token of USERNAME (the tokens stay listed, marked revoked)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        count = tokens.revoke_tokens_of(user)
        self.stdout.write(f"Revoked {count} token{'s' if count != 1 else ''} of {username}.")
