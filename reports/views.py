"""The managers' dashboard: one page of figures (reports/figures.py) with charts,
filters updating the regions over htmx, and a CSV export of every table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from allauth.account.decorators import reauthentication_required
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from authq.lib import clock
from authq.lib.bounds import WindowDateField
from authq.lib.throttling import export_throttled
from patients.models import ServiceCategory
from payers.models import Payer
from reports import charts, figures
from reports.export import TABLES, to_csv
from worklists.forms import choice_field

MAX_RANGE_DAYS = 731


class DashboardFilterForm(forms.Form):
    """Date range of submissions, payer, service and department; empty means everything."""

    start = WindowDateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = WindowDateField(
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
        choice_field(self, "department").choices = [("", "Any department")] + [
            (name, name) for name in departments
        ]
        self.fields["payer"].label_from_instance = lambda p: p.name  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error(
                    "end",
                    f"The range ends before it starts: {end:%b %d, %Y} is before "
                    f"{start:%b %d, %Y}.",
                )
            elif (end - start).days > MAX_RANGE_DAYS:
                self.add_error("end", "Choose at most two years.")
        return data

    def messages(self) -> list[str]:
        """Each error with the label of its field ("To: ..."), for the message above the board."""
        return [
            f"{self.fields[name].label}: {message}" if name in self.fields else str(message)
            for name, errors in self.errors.items()
            for message in errors
        ]

    def filters(self, today: dt.date) -> figures.Filters:
        """The chosen filters; defaults (the last 90 days, everything) fill the gaps.

        A field in error falls back to its default alone (a wrong range: the default
        range, with the payer, service and department still applied), and the page says so.
        """
        default = figures.Filters.default(today)
        if not self.is_bound:
            return default
        self.is_valid()
        data = self.cleaned_data
        if self.has_error("start") or self.has_error("end"):
            start, end = default.start, default.end
        else:
            end = data.get("end") or default.end
            start = data.get("start") or end - (default.end - default.start)
        payer = data.get("payer")
        return figures.Filters(
            start=start,
            end=end,
            payer_id=payer.pk if payer else None,
            category=data.get("category") or "",
            department=data.get("department") or "",
            grain=data.get("grain") or "week",
        )


def _can_view(user: object) -> bool:
    return user.has_perm("worklists.view_dashboard")  # type: ignore[attr-defined]


# A bulk export asks for the password (or a TOTP code) again unless given in the last few
# minutes (S18); allauth sends the person there and back to the export.
@reauthentication_required
def _export(request: HttpRequest, filters: figures.Filters, export: str) -> HttpResponse:
    # Counted once the person is confirmed, so a trip to re-authenticate costs no export.
    if (throttled := export_throttled(request)) is not None:
        return throttled
    board = figures.build(filters)
    response = HttpResponse(to_csv(board, export), content_type="text/csv; charset=utf-8")
    name = f"authq-{export}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The dashboard, its regions for htmx (`#board`), or one table as CSV (`?export=`)."""
    if not _can_view(request.user):
        raise PermissionDenied
    today = clock.today()
    departments = figures.departments()
    form = DashboardFilterForm(request.GET or None, departments=departments)
    form_errors = form.messages() if form.is_bound and not form.is_valid() else None
    filters = form.filters(today)
    if not form.is_bound:
        # Show the range in effect in the date fields.
        form = DashboardFilterForm(
            initial={"start": filters.start, "end": filters.end}, departments=departments
        )
    export = request.GET.get("export")
    if export is not None and export not in TABLES:
        raise Http404("no such table")
    if export:
        return _export(request, filters, export)
    board = figures.build(filters)
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
            "expedited": figures.EXPEDITED_CLOCK_HOURS,
            "standard": figures.STANDARD_CLOCK_HOURS,
        },
    }
    template = "reports/dashboard.html"
    if getattr(request, "htmx", False):
        template += "#board"
    return render(request, template, context)
