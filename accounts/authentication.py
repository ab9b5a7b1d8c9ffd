from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from . import tokens


class APITokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, as integrators send it, checked against the hashed
    keys of accounts.APIToken. Expired and revoked keys are refused like unknown ones."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = tokens.authenticate_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token
