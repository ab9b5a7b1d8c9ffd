"""Who sees the feed: administrators only (the stored messages hold PHI in full).

accounts.roles builds the groups and must not know this app, so the permissions are added
to its table when this app loads (feeds is listed before worklists in INSTALLED_APPS, whose
post-migrate receiver builds the groups).
"""

from __future__ import annotations

from accounts import roles

FEED_PERMISSIONS: dict[str, list[str]] = {
    roles.ADMIN: ["feeds.view_hl7message", "feeds.change_hl7message"],
}


def grant_feed_roles() -> None:
    for role, names in FEED_PERMISSIONS.items():
        granted = roles.ROLE_PERMISSIONS.setdefault(role, [])
        granted.extend(name for name in names if name not in granted)


def can_see_feed(user: object) -> bool:
    return bool(getattr(user, "has_perm", None)) and user.has_perm("feeds.view_hl7message")  # type: ignore[attr-defined]


def can_replay(user: object) -> bool:
    return bool(getattr(user, "has_perm", None)) and user.has_perm("feeds.change_hl7message")  # type: ignore[attr-defined]
