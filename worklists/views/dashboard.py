"""The managers' dashboard: one page of figures (worklists/dashboards.py) with charts,
filters updating the regions over htmx, and a CSV export of every table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from authq.lib.throttling import export_throttled
from payers.models import Payer, ServiceCategory
from worklists import charts, dashboards, scan

MAX_RANGE_DAYS = 731


class DashboardFilterForm(forms.Form):
    """Date range of submissions, payer, service and department; empty means everything."""

    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    payer = forms.ModelChoiceField(
        queryset=Payer.objects.order_by("name"), required=False, empty_label="Any payer"
    )
    category = forms.ChoiceField(
        label="Service", choices=[("", "Any service"), *ServiceCategory.choices], required=False
    )
    department = forms.ChoiceField(required=False)
    grain = forms.ChoiceField(
        label="Productivity by",
        choices=[("week", "Week"), ("day", "Day")],
        required=False,
    )

    def __init__(self, *args: Any, departments: list[str], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["department"].choices = [("", "Any department")] + [
            (name, name) for name in departments
        ]
        self.fields["payer"].label_from_instance = lambda p: p.name  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError("The range ends before it starts.")
            if (end - start).days > MAX_RANGE_DAYS:
                raise forms.ValidationError("Choose at most two years.")
        return data

    def filters(self, today: dt.date) -> dashboards.Filters:
        """The chosen filters; defaults (the last 90 days, everything) fill the gaps."""
        default = dashboards.Filters.default(today)
        if not self.is_bound or not self.is_valid():
            return default
        data = self.cleaned_data
        end = data.get("end") or default.end
        start = data.get("start") or end - (default.end - default.start)
        payer = data.get("payer")
        return dashboards.Filters(
            start=start,
            end=end,
            payer_id=payer.pk if payer else None,
            category=data.get("category") or "",
            department=data.get("department") or "",
            grain=data.get("grain") or "week",
        )


def _can_view(user: object) -> bool:
    return user.has_perm("worklists.view_dashboard")  # type: ignore[attr-defined]


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The dashboard, its regions for htmx (`#board`), or one table as CSV (`?export=`)."""
    if not _can_view(request.user):
        raise PermissionDenied
    today = scan.today()
    departments = dashboards.departments()
    form = DashboardFilterForm(request.GET or None, departments=departments)
    if form.is_bound and not form.is_valid():
        form_errors = form.non_field_errors() or form.errors
    else:
        form_errors = None
    filters = form.filters(today)
    if not form.is_bound:
        # Show the range in effect in the date fields.
        form = DashboardFilterForm(
            initial={"start": filters.start, "end": filters.end}, departments=departments
        )
    export = request.GET.get("export")
    if export is not None and export not in dashboards.TABLES:
        raise Http404("no such table")
    if export and (throttled := export_throttled(request)) is not None:
        return throttled
    board = dashboards.build(filters)
    if export:
        response = HttpResponse(
            dashboards.to_csv(board, export), content_type="text/csv; charset=utf-8"
        )
        name = f"authq-{export}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    query = request.GET.copy()
    query.pop("export", None)
    context = {
        "form": form,
        "form_errors": form_errors,
        "board": board,
        "f": filters,
        "query": query.urlencode(),
        "charts": charts.for_board(board),
        "clock": {
            "expedited": dashboards.EXPEDITED_CLOCK_HOURS,
            "standard": dashboards.STANDARD_CLOCK_HOURS,
        },
    }
    template = "worklists/dashboard.html"
    if getattr(request, "htmx", False):
        template += "#board"
    return render(request, template, context)
