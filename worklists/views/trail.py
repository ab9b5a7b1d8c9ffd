"""The trail: a timeline per patient and per order, and the search of the access audit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from authq.lib import clock
from authq.lib.bounds import WindowDateField
from patients.audit import record_view
from patients.models import AccessAction, AccessEvent, Order, Patient
from payers.models import Authorization
from worklists.event_text import EventWords
from worklists.models import WorkItemEvent, WorkItemNote, event_label

AUDIT_PAGE_SIZE = 100
AUDIT_PATIENTS_SHOWN = 12  # patients named per audit row; the rest are counted


def can_view_trail(user: User | AnonymousUser) -> bool:
    return bool(user.has_perm("worklists.view_workitemevent"))


def can_search_audit(user: User | AnonymousUser) -> bool:
    return bool(user.has_perm("patients.view_accessevent"))


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


def _require_trail(user: User | AnonymousUser) -> None:
    if not can_view_trail(user):
        raise PermissionDenied


@require_GET
@login_required
def order_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    _require_trail(request.user)
    order = get_object_or_404(Order.objects.select_related("patient"), pk=pk)
    record_view(request, [order.pk], Order, patient_ids=[order.patient_id])
    notes: list[int] = []
    entries = timeline([order.pk], note_ids=notes)
    if notes:
        record_view(request, notes, WorkItemNote, patient_ids=[order.patient_id])
    context = {"order": order, "patient": order.patient, "entries": entries}
    return render(request, "worklists/timeline.html", context)


@require_GET
@login_required
def patient_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    _require_trail(request.user)
    patient = get_object_or_404(Patient, pk=pk)
    orders = list(Order.objects.filter(patient=patient).order_by("-id"))
    record_view(request, [patient.pk], Patient, patient_ids=[patient.pk])
    if orders:
        record_view(request, orders, Order, patient_ids=[patient.pk])
    notes: list[int] = []
    entries = timeline([o.pk for o in orders], note_ids=notes)
    if notes:
        record_view(request, notes, WorkItemNote, patient_ids=[patient.pk])
    context = {"patient": patient, "orders": orders, "entries": entries}
    return render(request, "worklists/timeline.html", context)


@dataclass(slots=True)
class AuditRow:
    """An access event as the audit page shows it: its patients by MRN, the rest counted."""

    event: AccessEvent
    model_label: str
    mrns: list[str]
    more_patients: int


class AuditFilterForm(forms.Form):
    user = forms.CharField(label="User", required=False, max_length=150)
    mrn = forms.CharField(label="Patient MRN", required=False, max_length=32)
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "any"), *AccessAction.choices]
    )
    start = WindowDateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = WindowDateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _model_label(label: str) -> str:
    """'patients.appointment' as people say it: 'Appointments'."""
    try:
        return str(apps.get_model(label)._meta.verbose_name_plural).capitalize()
    except (LookupError, ValueError):
        return label


@require_GET
@login_required
def audit(request: HttpRequest) -> HttpResponse:
    """Search who read or changed patient data, newest first (managers and admins)."""
    if not can_search_audit(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    rows = AccessEvent.objects.all()
    if form.is_valid():
        data = form.cleaned_data
        if data["user"]:
            user = User.objects.filter(username=data["user"]).first()
            rows = rows.filter(user_id=user.pk if user else -1)
        if data["mrn"]:
            patient = Patient.objects.filter(mrn=data["mrn"]).first()
            rows = rows.filter(patient_ids__contains=[patient.pk if patient else -1])
        if data["action"]:
            rows = rows.filter(action=data["action"])
        if data["start"]:
            rows = rows.filter(at__gte=clock.day_start(data["start"]))
        if data["end"]:
            rows = rows.filter(at__lt=clock.day_start(data["end"] + dt.timedelta(days=1)))
    page = Paginator(rows.select_related("user").order_by("-at", "-id"), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows_shown = list(page.object_list)
    # The patients by MRN: one query for the page, and that read is audited like any other.
    patient_ids = {pid for row in rows_shown for pid in row.patient_ids[:AUDIT_PATIENTS_SHOWN]}
    mrns = dict(Patient.objects.filter(pk__in=patient_ids).values_list("pk", "mrn"))
    audit_rows = [
        AuditRow(
            event=row,
            model_label=_model_label(row.model),
            mrns=[mrns.get(pid, f"#{pid}") for pid in row.patient_ids[:AUDIT_PATIENTS_SHOWN]],
            more_patients=max(0, len(row.patient_ids) - AUDIT_PATIENTS_SHOWN),
        )
        for row in rows_shown
    ]
    if mrns:
        record_view(request, list(mrns), Patient, patient_ids=list(mrns))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows": audit_rows, "query": query.urlencode()}
    return render(request, "worklists/audit.html", context)
