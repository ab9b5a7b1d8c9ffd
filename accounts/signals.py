"""A deactivated person is signed out everywhere at once: sessions and API tokens go."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from . import services


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
