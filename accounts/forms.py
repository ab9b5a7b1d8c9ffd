from __future__ import annotations

from allauth.account.forms import LoginForm
from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm
from django import forms
from django.contrib.auth.models import User

from . import lockout, roles


def is_api_only(user: User) -> bool:
    """An account that exists only for the REST API (an integration engine)."""
    names = set(user.groups.values_list("name", flat=True))
    return bool(names) and names <= {roles.INTEGRATION} and not user.is_staff


class SignInForm(LoginForm):
    """allauth's sign-in form, refusing accounts that exist only for the REST API."""

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.user is not None and is_api_only(self.user):
            raise forms.ValidationError(
                "This account is for the REST API only and cannot sign in to the pages.",
                code="api_only",
            )
        return cleaned


class SecondFactorForm(AuthenticateForm):
    """allauth's second step of sign-in, refusing an account locked out from this address
    (S15) before a code is checked. A wrong code counts as a failure: accounts.lockout."""

    def clean_code(self) -> str:
        if lockout.refuse_if_locked(context.request, self.user):
            raise forms.ValidationError("Sign-in is locked.", code="locked_out")
        return super().clean_code()
