"""The trail's reads: the timeline of orders and a page of the access audit. Returns data
and writes nothing: the views (worklists.views.trail, workspace) record what they show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from authq.lib import clock
from patients.models import AccessEvent, Patient
from payers.models import Authorization
from worklists.event_text import EventWords
from worklists.models import WorkItemEvent, event_label

AUDIT_PAGE_SIZE = 100
AUDIT_PATIENTS_SHOWN = 12  # patients named per audit row; the rest are counted


@dataclass(slots=True)
class Entry:
    """One line of a timeline: when, who, what, on which order, with ids and codes."""

    at: dt.datetime
    who: str
    what: str
    order: str
    subject: str = ""
    details: list[tuple[str, Any]] = field(default_factory=list)


def timeline(order_ids: list[int], *, note_ids: list[int] | None = None) -> list[Entry]:
    """Every work-item event and authorization milestone of these orders, newest first.

    Two queries, whatever the number of orders, items or events, and one per kind of
    record the events name (people, notes, authorizations...: worklists.event_text).
    The ids of the notes quoted are added to `note_ids`, for the access audit.
    """
    entries: list[Entry] = []
    events = list(
        WorkItemEvent.objects.filter(work_item__order_id__in=order_ids)
        .select_related("actor", "work_item", "work_item__order")
        .order_by("-at", "-id")
    )
    words = EventWords(events)
    if note_ids is not None:
        note_ids.extend(words.notes)
    for event in events:
        item = event.work_item
        entries.append(
            Entry(
                at=event.at,
                who=event.actor.username if event.actor else "the scan",
                what=event_label(event.kind),
                order=item.order.external_id,
                subject=f"{item.get_kind_display()} item #{item.pk}",
                details=words.pairs(event),
            )
        )
    auths = (
        Authorization.objects.filter(order_id__in=order_ids)
        .select_related("created_by", "order")
        .order_by("-id")
    )
    for auth in auths:
        name = f"Authorization {auth.auth_number or '#' + str(auth.pk)}"
        order = auth.order.external_id
        entries.append(
            Entry(
                at=auth.created_at,
                who=auth.created_by.username if auth.created_by else "interface",
                what="Authorization recorded",
                order=order,
                subject=name,
                details=[("status", auth.status)],
            )
        )
        if auth.submitted_at:
            entries.append(
                Entry(
                    at=auth.submitted_at,
                    who="",
                    what="Sent to the payer",
                    order=order,
                    subject=name,
                    details=[("channel", auth.submission_channel)]
                    if auth.submission_channel
                    else [],
                )
            )
        if auth.decided_at:
            details: list[tuple[str, Any]] = [("status", auth.status)]
            if auth.determination_code:
                details.append(("determination", auth.determination_code))
            if auth.approved_visits is not None:
                details.append(("visits", auth.approved_visits))
            if auth.start_date and auth.end_date:
                details.append(("span", f"{auth.start_date} to {auth.end_date}"))
            entries.append(
                Entry(
                    at=auth.decided_at,
                    who="",
                    what=f"Payer answered: {auth.get_status_display().lower()}",
                    order=order,
                    subject=name,
                    details=details,
                )
            )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def model_label(label: str) -> str:
    """'patients.appointment' as people say it: 'Appointments'."""
    try:
        return str(apps.get_model(label)._meta.verbose_name_plural).capitalize()
    except (LookupError, ValueError):
        return label


def access_events(filters: dict[str, Any] | None) -> QuerySet[AccessEvent]:
    """The access audit's rows the filters (an AuditFilterForm's cleaned data) keep."""
    rows = AccessEvent.objects.all()
    if filters is None:
        return rows
    if filters["user"]:
        user = User.objects.filter(username=filters["user"]).first()
        rows = rows.filter(user_id=user.pk if user else -1)
    if filters["mrn"]:
        patient = Patient.objects.filter(mrn=filters["mrn"]).first()
        rows = rows.filter(patient_ids__contains=[patient.pk if patient else -1])
    if filters["action"]:
        rows = rows.filter(action=filters["action"])
    if filters["start"]:
        rows = rows.filter(at__gte=clock.day_start(filters["start"]))
    if filters["end"]:
        rows = rows.filter(at__lt=clock.day_start(filters["end"] + dt.timedelta(days=1)))
    return rows


@dataclass(slots=True)
class AuditRow:
    """An access event as the audit page shows it: its patients by MRN, the rest counted."""

    event: AccessEvent
    model_label: str
    mrns: list[str]
    more_patients: int


def audit_page(
    filters: dict[str, Any] | None, number: str | None
) -> tuple[Page, list[AuditRow], dict[int, str]]:
    """Page `number` of the audit rows the filters keep, newest first, each with its model's
    name and its first patients' MRNs; and those patients' MRNs by id (one query)."""
    page = Paginator(
        access_events(filters).select_related("user").order_by("-at", "-id"), AUDIT_PAGE_SIZE
    ).get_page(number)
    rows_shown = list(page.object_list)
    patient_ids = {pid for row in rows_shown for pid in row.patient_ids[:AUDIT_PATIENTS_SHOWN]}
    mrns = dict(Patient.objects.filter(pk__in=patient_ids).values_list("pk", "mrn"))
    rows = [
        AuditRow(
            event=row,
            model_label=model_label(row.model),
            mrns=[mrns.get(pid, f"#{pid}") for pid in row.patient_ids[:AUDIT_PATIENTS_SHOWN]],
            more_patients=max(0, len(row.patient_ids) - AUDIT_PATIENTS_SHOWN),
        )
        for row in rows_shown
    ]
    return page, rows, mrns
