from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User

from worklists import roles


class SignInForm(AuthenticationForm):
    """Django's sign-in form, refusing accounts that exist only for the REST API."""

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        names = set(user.groups.values_list("name", flat=True))
        if names and names <= {roles.INTEGRATION} and not user.is_staff:
            raise forms.ValidationError(
                "This account is for the REST API only and cannot sign in to the pages.",
                code="api_only",
            )
