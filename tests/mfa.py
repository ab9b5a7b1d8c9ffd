"""Second factors for test people, made through allauth's own API (S16).

Every persona gets an active TOTP authenticator and recovery codes, as a real person has
after enrolling; browser tests type the code an authenticator app would show.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.mfa.utils import decrypt
from django.contrib.auth.models import User


def enrol(user: User) -> str:
    """Give user a TOTP authenticator and recovery codes; returns the TOTP secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def secret_of(user: User) -> str:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return decrypt(authenticator.data["secret"])


def code_for(secret: str) -> str:
    """The code an authenticator app holding secret shows now (RFC 6238)."""
    counters = list(yield_hotp_counters_from_time())
    now = counters[len(counters) // 2]
    return format_hotp_value(hotp_value(secret, now))


def totp_code(user: User) -> str:
    """The code user's authenticator app shows now."""
    return code_for(secret_of(user))


def recovery_codes(user: User) -> list[str]:
    """user's unused recovery codes."""
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    return RecoveryCodes(authenticator).get_unused_codes()


# (user id, code) pairs typed in this run: a TOTP code works once (S17), so a second sign-in
# within the same 30 seconds uses a recovery code instead, as a person would.
_typed: set[tuple[int, str]] = set()


def second_factor(user: User) -> str:
    """What user types at the second step: the app's code, or a recovery code if used."""
    code = totp_code(user)
    if (user.pk, code) in _typed:
        return recovery_codes(user)[0]
    _typed.add((user.pk, code))
    return code


def sign_in(client: Any, user: User, password: str, **extra: Any) -> Any:
    """Sign client in through the real forms: the password, then the second factor.

    Returns the response to the second step (a redirect to the person's page).
    """
    response = client.post(
        "/accounts/login/", {"login": user.username, "password": password}, **extra
    )
    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/authenticate/")
    return client.post("/accounts/2fa/authenticate/", {"code": second_factor(user)}, **extra)


def reauthenticate(client: Any, password: str) -> None:
    """Confirm the password again on client's session, as allauth asks before S18's actions."""
    response = client.post("/accounts/reauthenticate/", {"password": password})
    assert response.status_code == 302, response.content[:500]
