"""API tokens in the admin: issue (the key is shown once), replace and revoke."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from authq.lib.http import SignedInRequest

from . import tokens
from .models import APIToken


class IssueTokenForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        to_field_name="username",
    )
    days = forms.IntegerField(
        min_value=1,
        max_value=tokens.MAX_DAYS,
        help_text=f"How long the token is valid (1 to {tokens.MAX_DAYS} days).",
    )


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "created", "expires", "last_used", "revoked", "status")
    list_select_related = ("user",)
    search_fields = ("prefix", "user__username")
    date_hierarchy = "created"
    fields = ("prefix", "user", "created", "expires", "last_used", "revoked")
    readonly_fields = fields
    actions = ["revoke_selected", "replace_selected"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a token is issued or revoked, never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked tokens stay, for the record

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_apitoken")

    def has_issue_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.add_apitoken") and self.has_revoke_permission(
            request
        )

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke_selected(self, request: SignedInRequest, queryset: QuerySet[APIToken]) -> None:
        revoked = [t for t in queryset if t.revoked is None]
        for token in revoked:
            tokens.revoke_token(token, by=request.user)
        self.message_user(request, f"Revoked {len(revoked)} tokens.", messages.SUCCESS)

    @admin.action(
        description="Replace the selected tokens (revoke, and issue new keys shown once)",
        permissions=["issue"],
    )
    def replace_selected(
        self, request: SignedInRequest, queryset: QuerySet[APIToken]
    ) -> HttpResponse | None:
        issued = []
        for token in queryset.select_related("user"):
            if not token.user.is_active:
                continue
            tokens.revoke_token(token, by=request.user)
            issued.append(tokens.issue_token(token.user, by=request.user))
        if not issued:
            self.message_user(request, "No token of an active user selected.", messages.WARNING)
            return None
        return self._show_keys(request, issued)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Issuing replaces the add form: pick a user and a length, see the key once."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IssueTokenForm(request.POST or None, initial={"days": settings.AUTHQ_API_TOKEN_DAYS})
        if request.method == "POST" and form.is_valid():
            assert isinstance(request.user, User)  # the admin serves signed-in staff only
            issued = tokens.issue_token(
                form.cleaned_data["user"], days=form.cleaned_data["days"], by=request.user
            )
            return self._show_keys(request, [issued])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Issue an API token",
            "form": form,
        }
        return TemplateResponse(request, "admin/accounts/apitoken/issue.html", context)

    def _show_keys(self, request: HttpRequest, issued: list[tuple[APIToken, str]]) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "API keys: copy them now",
            "issued": issued,
        }
        return TemplateResponse(request, "admin/accounts/apitoken/issued.html", context)
