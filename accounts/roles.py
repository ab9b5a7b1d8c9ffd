"""The roles of authq, as Django groups with model permissions.

Groups are (re)built after every migrate (ensure_roles, connected by worklists.apps, whose
permissions are made last), so a permission added here reaches every existing user of the
role. Views and the API check permissions, never group names.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

SPECIALIST = "specialist"
SCHEDULER = "scheduler"
MANAGER = "manager"
ADMIN = "admin"
INTEGRATION = "integration"

RECORD_MODELS = {
    "payers": ["payer", "payerrule", "reviewvendor", "authorization"],
    "patients": ["patient", "coverage", "order", "appointment"],
}


def _perms(actions: list[str], models: dict[str, list[str]]) -> list[str]:
    return [
        f"{app}.{action}_{model}"
        for app, names in models.items()
        for model in names
        for action in actions
    ]


# Records of the work on an item: clinical documents among them, so never schedulers'.
WORK_MODELS = {
    "payers": ["peertopeerreview", "appeal", "document"],
    "worklists": ["workitemnote", "patientnotification"],
}

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Works the queues: reads and writes every record of the workflow.
    SPECIALIST: _perms(["view", "add", "change"], RECORD_MODELS)
    + _perms(["view", "add"], WORK_MODELS)
    + ["worklists.view_workitem", "worklists.change_workitem", "worklists.view_workitemevent"]
    + ["patients.view_diagnosis"],
    # Books visits: sees patients, orders, appointments and whether a date is covered.
    SCHEDULER: _perms(["view"], {"patients": ["patient", "order", "appointment"]})
    + ["payers.view_authorization"],
    # Watches the work: reads everything, changes nothing but assignments.
    MANAGER: _perms(["view"], RECORD_MODELS)
    + _perms(["view"], WORK_MODELS)
    + ["worklists.view_workitem", "worklists.change_workitem", "worklists.view_workitemevent"]
    + ["patients.view_accessevent", "patients.view_diagnosis"]
    + ["worklists.view_dashboard", "worklists.reassign_workitem"]
    # Lifts sign-in lockouts (the lockouts page).
    + ["axes.view_accessattempt", "axes.delete_accessattempt"],
    # Runs the practice's set-up.
    ADMIN: _perms(["view", "add", "change", "delete"], RECORD_MODELS)
    + _perms(["view"], WORK_MODELS)
    + _perms(["view", "change"], {"worklists": ["workitem"]})
    + ["worklists.view_workitemevent", "worklists.view_scanrun"]
    + ["patients.view_accessevent", "patients.view_diagnosis"]
    + ["worklists.view_dashboard", "worklists.reassign_workitem"]
    # API tokens (issue, revoke) and sign-in lockouts (see, lift by deleting the attempt).
    + ["accounts.view_apitoken", "accounts.add_apitoken", "accounts.change_apitoken"]
    + ["axes.view_accessattempt", "axes.delete_accessattempt", "axes.view_accesslog"],
    # An interface engine pushing records through the REST API.
    INTEGRATION: _perms(["view", "add", "change"], RECORD_MODELS)
    + ["worklists.view_workitem", "patients.view_diagnosis"],
}


def ensure_roles(**_: Any) -> None:
    """Create each role's group and set its permissions exactly (post_migrate receiver)."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        perms = []
        for dotted in names:
            app_label, codename = dotted.split(".")
            perms.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(perms)
