"""Search from every page's header: a patient by name or birth date, or one of their ids.

The query is PHI (a name, a birth date, an MRN), so the form is a POST: the text never
reaches a URL, the browser history or an access log. Results are grouped by patient,
each with their orders, the orders' open items and their authorizations
(worklists.selectors.search finds them; this view records what it shows).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from authq.lib import clock
from patients.audit import record_views
from patients.models import Order, Patient
from payers.models import Authorization
from worklists import auth_requests
from worklists.models import WorkItem
from worklists.selectors.search import MAX_PATIENTS, Results, parse_date, search

OLDEST_BIRTH_YEAR = 1900


def can_search(user: Any) -> bool:
    """Specialists and managers (who work or watch items) and schedulers."""
    return bool(
        user.has_perm("worklists.view_workitem") or auth_requests.can_request_authorization(user)
    )


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search patients and orders",
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Last, First · birth date · MRN · order · auth #",
                "autocomplete": "off",
            }
        ),
    )

    def clean_q(self) -> str:
        q = " ".join(self.cleaned_data["q"].split())
        if len(q) < 2:
            raise forms.ValidationError("Type at least two characters.")
        day = parse_date(q)
        if day is not None:
            if not OLDEST_BIRTH_YEAR <= day.year <= clock.today().year:
                raise forms.ValidationError(
                    f"A birth date between {OLDEST_BIRTH_YEAR} and this year, please."
                )
        elif "," in q and not q.split(",", 1)[0].strip():
            raise forms.ValidationError("Give the last name before the comma (Last, First).")
        return q


def _record_shown(request: HttpRequest, results: Results) -> None:
    """Every patient, order, item and authorization on the page: one audit insert."""
    patients: list[int] = []
    orders: tuple[list[int], set[int]] = ([], set())
    items: tuple[list[int], set[int]] = ([], set())
    auths: tuple[list[int], set[int]] = ([], set())
    for hit in results.patients:
        pid = hit.patient.pk
        patients.append(pid)
        for order_hit in hit.orders:
            orders[0].append(order_hit.order.pk)
            orders[1].add(pid)
            for work_item in order_hit.open_items:
                items[0].append(work_item.pk)
                items[1].add(pid)
            for auth in order_hit.auths:
                auths[0].append(auth.pk)
                auths[1].add(pid)
    record_views(
        request,
        [
            (Patient, patients, patients),
            (Order, *orders),
            (WorkItem, *items),
            (Authorization, *auths),
        ],
    )


@require_http_methods(["GET", "POST"])
@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    """GET: the empty form. POST: the results (the query never goes in a URL)."""
    if not can_search(request.user):
        raise PermissionDenied
    if request.method == "GET":
        return render(request, "worklists/search.html", {"form": SearchForm()})
    form = SearchForm(request.POST)
    if not form.is_valid():
        return render(request, "worklists/search.html", {"form": form}, status=400)
    results = search(form.cleaned_data["q"])
    _record_shown(request, results)
    context = {
        "form": form,
        "q": form.cleaned_data["q"],
        "results": results,
        "max_patients": MAX_PATIENTS,
        "workspace": request.user.has_perm("worklists.view_workitem"),
    }
    return render(request, "worklists/search.html", context)
