"""Who imports X12: managers and administrators, as for files (intake.roles), and the
integration engines that relay a clearinghouse's files."""

from __future__ import annotations

from accounts import roles

X12_PERMISSIONS: dict[str, list[str]] = {
    roles.MANAGER: ["x12feed.view_interchange", "x12feed.add_interchange"],
    roles.ADMIN: ["x12feed.view_interchange", "x12feed.add_interchange"],
    roles.INTEGRATION: ["x12feed.view_interchange", "x12feed.add_interchange"],
}


def grant_x12_roles() -> None:
    for role, names in X12_PERMISSIONS.items():
        granted = roles.ROLE_PERMISSIONS.setdefault(role, [])
        granted.extend(name for name in names if name not in granted)


def can_import_x12(user: object) -> bool:
    return bool(getattr(user, "has_perm", None)) and user.has_perm("x12feed.add_interchange")  # type: ignore[attr-defined]
