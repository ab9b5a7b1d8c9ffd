"""A deactivated person is signed out everywhere at once: sessions and API tokens go.
The session's note that its person has a second factor follows their authenticators."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_removed
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from . import middleware, services


@receiver(pre_save, sender=User, dispatch_uid="accounts.note_was_active")
def note_was_active(sender: type[User], instance: User, **kwargs: Any) -> None:
    if instance.pk is None or kwargs.get("raw"):
        instance._was_active = instance.is_active  # type: ignore[attr-defined]
        return
    before = User.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    instance._was_active = before  # type: ignore[attr-defined]


@receiver(post_save, sender=User, dispatch_uid="accounts.end_access_on_deactivation")
def end_access_on_deactivation(sender: type[User], instance: User, **kwargs: Any) -> None:
    if getattr(instance, "_was_active", False) and not instance.is_active:
        services.end_access(instance)


@receiver(user_logged_in, dispatch_uid="accounts.note_mfa_on_sign_in")
def note_mfa_on_sign_in(sender: Any, request: HttpRequest | None, user: User, **kw: Any) -> None:
    if request is not None and hasattr(request, "session"):
        middleware.forget(request)
        middleware.has_totp(request, user)


@receiver(authenticator_removed, sender=Authenticator, dispatch_uid="accounts.mfa_removed")
def forget_mfa_on_removal(sender: Any, request: HttpRequest, **kw: Any) -> None:
    middleware.forget(request)


@receiver(post_delete, sender=Authenticator, dispatch_uid="accounts.mfa_deleted")
def forget_mfa_on_deletion(sender: Any, instance: Authenticator, **kw: Any) -> None:
    # Deleted elsewhere (the admin): the person's other sessions check again.
    if instance.type == Authenticator.Type.TOTP:
        services.forget_second_factor(instance.user)
