"""API tokens: issued, checked and revoked here, and nowhere else.

A key is 32 random bytes (URL-safe text of 43 characters). The database keeps its SHA-256
only (a random key of that size needs no slow hash) and its first 8 characters to tell
tokens apart; the key is printed or shown once, when issued.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from .models import APIToken

log = logging.getLogger(__name__)

PREFIX_LENGTH = 8
MAX_DAYS = 365
# last_used is written at most this often per token, not on every call.
LAST_USED_EVERY = dt.timedelta(minutes=1)


class TokenError(ValueError):
    """A token cannot be issued as asked."""


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(
    user: User, *, days: int | None = None, by: User | None = None
) -> tuple[APIToken, str]:
    """A new token for user, valid `days` (AUTHQ_API_TOKEN_DAYS by default, 1 to 365).
    Returns the token and its key; the key is not kept anywhere."""
    days = settings.AUTHQ_API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"days must be between 1 and {MAX_DAYS}, got {days}.")
    if not user.is_active:
        raise TokenError(f"{user.username} is inactive.")
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = APIToken.objects.create(
        user=user,
        prefix=key[:PREFIX_LENGTH],
        digest=digest_of(key),
        created=now,
        expires=now + dt.timedelta(days=days),
    )
    log.info(
        "api token %s issued for user id %s by user id %s, %s days",
        token.prefix,
        user.pk,
        by.pk if by else None,
        days,
    )
    return token, key


@transaction.atomic
def revoke_token(token: APIToken, *, by: User | None = None) -> APIToken:
    """Revoke one token (a revoked token stays, for the record)."""
    token = APIToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked is None:
        token.revoked = timezone.now()
        token.save(update_fields=["revoked"])
        log.info(
            "api token %s of user id %s revoked by user id %s",
            token.prefix,
            token.user_id,
            by.pk if by else None,
        )
    return token


def revoke_tokens_of(user: User, *, by: User | None = None) -> int:
    """Revoke every unrevoked token of user; returns how many."""
    count = APIToken.objects.filter(user=user, revoked__isnull=True).update(revoked=timezone.now())
    if count:
        log.info(
            "%s api tokens of user id %s revoked by user id %s",
            count,
            user.pk,
            by.pk if by else None,
        )
    return count


def authenticate_key(key: str) -> APIToken | None:
    """The usable token of this key, with its user, or None. Notes when it was used."""
    now = timezone.now()
    token = (
        APIToken.objects.usable(now).select_related("user").filter(digest=digest_of(key)).first()
    )
    if token is not None and (token.last_used is None or token.last_used < now - LAST_USED_EVERY):
        APIToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return token
