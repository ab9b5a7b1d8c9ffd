"""Template context every page gets."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from authq.backends import role_names


def roles(request: HttpRequest) -> dict[str, Any]:
    """`roles`: the signed-in person's group names, read only if a template shows them."""
    user = getattr(request, "user", None)
    return {"roles": SimpleLazyObject(lambda: role_names(user))}
