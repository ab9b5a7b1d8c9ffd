"""Who sees the bundles received: managers and administrators, as for file imports.

Added to accounts' table of roles when this app loads (fhirapi stands before worklists in
INSTALLED_APPS, so its permissions exist when the roles are built after migrate).
"""

from __future__ import annotations

from accounts import roles

BUNDLE_PERMISSIONS = ["fhirapi.view_bundleimport", "fhirapi.view_rejectedentry"]


def grant_bundle_roles() -> None:
    for role in (roles.MANAGER, roles.ADMIN):
        granted = roles.ROLE_PERMISSIONS.setdefault(role, [])
        granted.extend(name for name in BUNDLE_PERMISSIONS if name not in granted)
