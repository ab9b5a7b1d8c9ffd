"""Who imports: managers and administrators import files; administrators and the
integration role (the practice's interface engine) send JSON batches of the records
they may write (the batch checks the resource's add and change permissions too).

accounts.roles builds the groups and must not know this app, so the import
permissions are added to its table of roles when this app loads (intake is listed
before worklists in INSTALLED_APPS, so its permissions exist when the roles are built).
"""

from __future__ import annotations

from accounts import roles

IMPORT_PERMISSIONS: dict[str, list[str]] = {
    roles.MANAGER: [
        "intake.view_importrun",
        "intake.add_importrun",
        "intake.view_importprofile",
        "intake.add_importprofile",
        "intake.change_importprofile",
    ],
    roles.ADMIN: [
        "intake.view_importrun",
        "intake.add_importrun",
        "intake.view_importprofile",
        "intake.add_importprofile",
        "intake.change_importprofile",
        "intake.delete_importprofile",
        "intake.send_batch",
    ],
    # Sees only the runs it sent (ImportViewSet.get_queryset), never the Imports page.
    roles.INTEGRATION: ["intake.send_batch"],
}


def grant_import_roles() -> None:
    for role, names in IMPORT_PERMISSIONS.items():
        granted = roles.ROLE_PERMISSIONS.setdefault(role, [])
        granted.extend(name for name in names if name not in granted)


def can_import(user: object) -> bool:
    return bool(getattr(user, "has_perm", None)) and user.has_perm("intake.add_importrun")  # type: ignore[attr-defined]
