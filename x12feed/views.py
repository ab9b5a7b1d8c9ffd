"""The X12 part of the Imports page (managers and admins): upload an interchange, read
its 999-style acknowledgment and what each transaction and claim line did."""

from __future__ import annotations

import csv
import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from authq.lib.http import HtmxRequest
from authq.lib.spreadsheets import csv_cell
from x12feed import services
from x12feed.api import receive_upload
from x12feed.forms import X12UploadForm
from x12feed.models import Interchange, Outcome
from x12feed.roles import can_import_x12

SHOWN = 50
LINES_SHOWN = 500


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    if not can_import_x12(request.user):
        raise PermissionDenied
    form = X12UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            record, _created = receive_upload(form.cleaned_data["file"], request.user)
        except (services.NotX12, ValueError) as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("x12feed:interchange", pk=record.pk)
    recent = Interchange.objects.select_related("created_by").order_by("-created_at", "-id")
    return render(
        request,
        "x12feed/upload.html",
        {"x12_form": form, "interchanges": recent[:SHOWN]},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def interchange(request: HtmxRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("x12feed.view_interchange"):
        raise PermissionDenied
    record = get_object_or_404(Interchange.objects.select_related("created_by"), pk=pk)
    lines = list(record.lines.order_by("seq")[:LINES_SHOWN])
    template = "x12feed/interchange.html#report" if request.htmx else "x12feed/interchange.html"
    return render(request, template, {"record": record, "lines": lines})


@login_required
@require_GET
def rejected_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The lines that were rejected or matched nothing, as received, with an added
    `error` column, to correct and send again."""
    if not request.user.has_perm("x12feed.view_interchange"):
        raise PermissionDenied
    record = get_object_or_404(Interchange, pk=pk)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["set", "transaction", "position", "subject", "segments", "error"])
    lines = record.lines.filter(outcome__in=(Outcome.REJECTED, Outcome.UNMATCHED))
    for line in lines.order_by("seq"):
        cells = [line.set_id, line.transaction, line.position, line.subject, line.raw]
        writer.writerow([csv_cell(str(c)) for c in [*cells, line.message]])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="x12-{record.pk}-rejected.csv"'
    return response
