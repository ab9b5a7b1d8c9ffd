"""The REST API's permission rule, kept apart from the views so settings can name it."""

from __future__ import annotations

from rest_framework.permissions import DjangoModelPermissions


class ViewAndAddPermissions(DjangoModelPermissions):
    """The model's view permission to read, its add permission to POST (uploads that
    start an import: files, X12 interchanges)."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


class RecordPermissions(DjangoModelPermissions):
    """The model's view permission to read, change to PATCH, and add and change to POST.

    POST needs both because a POST with an existing natural key updates that record.
    It is also the API's default (REST_FRAMEWORK in settings).
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s", "%(app_label)s.change_%(model_name)s"],
    }
