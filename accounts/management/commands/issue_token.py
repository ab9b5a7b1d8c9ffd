from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import tokens


class Command(BaseCommand):
    help = (
        "Issue an API token for USERNAME and print its key, once: authq keeps only its hash. "
        "Send it as `Authorization: Token <key>`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"days the token is valid (1 to {tokens.MAX_DAYS}; default AUTHQ_API_TOKEN_DAYS)",
        )

    def handle(self, *args: Any, username: str, days: int | None, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            token, key = tokens.issue_token(user, days=days)
        except tokens.TokenError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            f"Token {token.prefix}… for {username}, valid until {token.expires:%Y-%m-%d %H:%M %Z}. "
            "The key is shown only now:"
        )
        self.stdout.write(key)
