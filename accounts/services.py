"""What happens to a person's access, in one place."""

from __future__ import annotations

import logging

from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from . import tokens as api_tokens

log = logging.getLogger(__name__)


def sessions_of(user: User) -> list[str]:
    """Keys of the unexpired sessions signed in as user (sessions live in the database)."""
    keys = []
    wanted = str(user.pk)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == wanted:
            keys.append(session.session_key)
    return keys


@transaction.atomic
def end_access(user: User) -> tuple[int, int]:
    """End every session of user and revoke their API tokens; returns (sessions, tokens)."""
    keys = sessions_of(user)
    sessions, _ = Session.objects.filter(session_key__in=keys).delete()
    tokens = api_tokens.revoke_tokens_of(user)
    log.info("access ended for user id %s: %s sessions, %s tokens", user.pk, sessions, tokens)
    return sessions, tokens


def forget_second_factor(user: User) -> int:
    """Drop the note "has TOTP" from user's sessions, so the next page checks again
    (an administrator removed the authenticator); returns the sessions changed."""
    from .middleware import MFA_OK

    changed = 0
    for key in sessions_of(user):
        session = SessionStore(session_key=key)
        if session.pop(MFA_OK, None) is not None:
            session.save()
            changed += 1
    return changed
