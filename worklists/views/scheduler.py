"""The scheduler's page: find a patient or an order, check a date, ask for an authorization.

Schedulers see status, dates and visits left: never diagnoses or clinical documents,
and member ids only masked. worklists.selectors.scheduler reads the records; the views
record what they show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from authq.lib.bounds import WindowDateField
from authq.lib.http import SignedInRequest
from patients.audit import record_view
from patients.models import Appointment, Coverage, Order, Patient
from payers.models import Authorization
from worklists import auth_requests
from worklists.models import ItemKind, Queue
from worklists.scan import evaluate, visit_check
from worklists.selectors.scheduler import find, scheduling_facts
from worklists.views.access import can_use_scheduler, order_for_scheduling


def _require(user: object) -> None:
    if not can_use_scheduler(user):
        raise PermissionDenied


def mask_member_id(member_id: str) -> str:
    """All but the last four characters hidden: enough to match a card, no more."""
    if len(member_id) <= 4:
        return "•" * len(member_id)
    return "•" * (len(member_id) - 4) + member_id[-4:]


class FindForm(forms.Form):
    q = forms.CharField(
        label="Patient or order",
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs={
                "placeholder": "MRN, last name (Smith, Jo) or order id",
                "autofocus": True,
                "autocomplete": "off",
                "type": "search",
            }
        ),
    )


class CheckForm(forms.Form):
    day = WindowDateField(label="Visit date", widget=forms.DateInput(attrs={"type": "date"}))

    def clean_day(self) -> dt.date:
        day = self.cleaned_data["day"]
        error = visit_check.check_date_error(day)
        if error is not None:
            raise forms.ValidationError(error)
        return day


@dataclass(frozen=True, slots=True)
class Answer:
    """A visit check in plain words: tone is ok, wait or stop (green, amber, red)."""

    tone: str
    headline: str
    detail: str


def explain(check: visit_check.VisitCheck, day: dt.date) -> Answer:
    auth = check.authorization
    number = (auth.auth_number or f"#{auth.pk}") if auth is not None else ""
    ends = f"ends {check.auth_end_date:%a %-d %b %Y}" if check.auth_end_date else ""
    if check.status == evaluate.COVERED:
        left = (
            f"{check.visits_left} visit{'s' if check.visits_left != 1 else ''} left"
            if check.visits_left is not None
            else "no visit limit"
        )
        if check.displaces is not None:
            # Covered only by taking the visit a later booked one had.
            return Answer(
                "wait",
                f"Covered, but it displaces the visit of {check.displaces:%a %-d %b %Y}",
                f"Authorization {number} has no visit left for both: booking this date "
                f"leaves the visit of {check.displaces:%a %-d %b} without coverage.",
            )
        return Answer("ok", f"Covered, {left}, {ends}", f"Authorization {number}")
    if check.status == evaluate.NOT_REQUIRED:
        return Answer("ok", "Covered, no authorization needed", "The payer's rule needs none.")
    if check.status == evaluate.PENDING:
        return Answer(
            "wait",
            "Pending at the payer",
            "A request was sent and has no answer yet. Book only if the patient accepts the risk.",
        )
    reasons: dict[str, str] = {
        ItemKind.NO_COVERAGE: "No active insurance on that date.",
        ItemKind.UNKNOWN_RULE: "The payer's rule for this service is unknown: ask a specialist.",
        ItemKind.MISSING_AUTH: "No authorization covers this visit.",
        ItemKind.AUTH_EXPIRING: f"The authorization {number} ended on "
        f"{check.auth_end_date:%a %-d %b %Y}."
        if check.auth_end_date
        else "The authorization has ended.",
        ItemKind.VISIT_LIMIT: f"The visits of authorization {number} are used up.",
        ItemKind.DENIED: "The payer denied the request.",
    }
    tone = "wait" if check.status == ItemKind.UNKNOWN_RULE else "stop"
    return Answer(tone, f"Not covered on {day:%a %-d %b}", reasons.get(check.status, ""))


def _order_context(order: Order, day: dt.date | None) -> dict[str, object]:
    facts = scheduling_facts(order, day)
    today = facts.today
    context: dict[str, object] = {
        "order": order,
        "patient": order.patient,
        "coverage": facts.coverage,
        "member_id": mask_member_id(facts.coverage.member_id) if facts.coverage else "",
        "auths": facts.auths,
        "upcoming": facts.upcoming,
        "items": facts.items,
        "stat_item": next((i for i in facts.items if i.queue == Queue.STAT), None),
        "today": today,
        "form": CheckForm(initial={"day": day or today}),
        "day": day,
        "day_value": (day or today).isoformat(),
    }
    if day is not None and facts.check is not None:
        context["check"] = facts.check
        context["answer"] = explain(facts.check, day)
    return context


@require_GET
@login_required
def scheduler(request: SignedInRequest) -> HttpResponse:
    """Find a patient or an order (the search box answers as you type)."""
    _require(request.user)
    form = FindForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    orders, patients = find(q)
    if len(orders) == 1 and not patients and not request.htmx:
        return redirect("worklists:scheduler-order", orders[0].pk)
    record_view(request, patients, Patient)
    shown_orders = [o.pk for o in orders] + [o.pk for p in patients for o in p.orders.all()]
    record_view(request, shown_orders, Order)
    context = {"form": form, "q": q, "orders": orders, "patients": patients}
    template = "worklists/scheduler.html#results" if request.htmx else "worklists/scheduler.html"
    return render(request, template, context)


@require_GET
@login_required
def scheduler_order(request: SignedInRequest, pk: int) -> HttpResponse:
    """One order: would a visit on a date be covered, its authorizations, ask for one."""
    order = order_for_scheduling(request.user, pk)
    day = None
    if "day" in request.GET:
        check_form = CheckForm(request.GET)
        if check_form.is_valid():
            day = check_form.cleaned_data["day"]
    context = _order_context(order, day)
    if "day" in request.GET and day is None:
        context["form"] = CheckForm(request.GET)
        context["day_value"] = request.GET["day"]
    record_view(request, [order.patient_id], Patient, patient_ids=[order.patient_id])
    record_view(request, [order.pk], Order, patient_ids=[order.patient_id])
    auths = context["auths"]
    assert isinstance(auths, list)
    if auths:
        record_view(request, auths, Authorization, patient_ids=[order.patient_id])
    upcoming = context["upcoming"]
    assert isinstance(upcoming, list)
    if upcoming:
        record_view(request, upcoming, Appointment, patient_ids=[order.patient_id])
    coverage = context["coverage"]
    if coverage is not None:
        assert isinstance(coverage, Coverage)
        record_view(request, [coverage], Coverage, patient_ids=[order.patient_id])
    context["find_form"] = FindForm()
    template = (
        "worklists/scheduler_order.html#check"
        if request.htmx and "day" in request.GET
        else "worklists/scheduler_order.html"
    )
    return render(request, template, context)


@require_POST
@login_required
def scheduler_request_auth(request: SignedInRequest, pk: int) -> HttpResponse:
    """Ask the specialists for an authorization: the order's item goes to the STAT queue."""
    order = order_for_scheduling(request.user, pk)
    item = auth_requests.request_authorization(order, by=request.user)
    text = f"Asked for an authorization: item #{item.pk} is in the STAT queue."
    if request.htmx:
        context = _order_context(order, None)
        context["flash"] = text
        return render(request, "worklists/scheduler_order.html#request", context)
    messages.success(request, text)
    return redirect(reverse("worklists:scheduler-order", args=[order.pk]))
