"""The trail: a timeline per patient and per order, and the search of the access audit.

The timelines and the audit's rows are read by worklists.selectors.trail; these views
check who asks, record what they show and render it.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from authq.lib.bounds import WindowDateField
from patients.audit import record_view
from patients.models import AccessAction, Order, Patient
from worklists.models import WorkItemNote
from worklists.selectors.trail import audit_page, timeline


def can_view_trail(user: User | AnonymousUser) -> bool:
    return bool(user.has_perm("worklists.view_workitemevent"))


def can_search_audit(user: User | AnonymousUser) -> bool:
    return bool(user.has_perm("patients.view_accessevent"))


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


@require_GET
@login_required
def audit(request: HttpRequest) -> HttpResponse:
    """Search who read or changed patient data, newest first (managers and admins)."""
    if not can_search_audit(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else None
    page, audit_rows, mrns = audit_page(filters, request.GET.get("page"))
    # The patients named by MRN are patient data read like any other.
    if mrns:
        record_view(request, list(mrns), Patient, patient_ids=list(mrns))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows": audit_rows, "query": query.urlencode()}
    return render(request, "worklists/audit.html", context)
