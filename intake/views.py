"""The Imports page (managers and admins): upload a file, watch it run, read its report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from authq.lib.http import SignedInRequest
from intake import reports, services
from intake.forms import UploadForm
from intake.models import ImportRun
from intake.readers import FileRefused
from intake.roles import can_import

# Past imports listed on the page, and rejected rows shown on a run's page (the CSV has all).
RUNS_SHOWN = 50
REJECTED_SHOWN = 200


def _run_for(request: HttpRequest, pk: int) -> ImportRun:
    """A run, for those who may see imports."""
    if not request.user.has_perm("intake.view_importrun"):
        raise PermissionDenied
    return get_object_or_404(ImportRun.objects.select_related("profile", "created_by"), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def imports(request: SignedInRequest) -> HttpResponse:
    if not can_import(request.user):
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            with transaction.atomic():
                run = services.start_run(
                    form.cleaned_data["profile"], upload=upload, name=upload.name, by=request.user
                )
                services.enqueue(run)
        except FileRefused as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("intake:run", pk=run.pk)
    runs = ImportRun.objects.select_related("profile", "created_by").newest_first()
    return render(
        request,
        "intake/imports.html",
        {"form": form, "runs": runs[:RUNS_SHOWN]},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def run(request: SignedInRequest, pk: int) -> HttpResponse:
    current = _run_for(request, pk)
    context = {"run": current, "rejected_shown": REJECTED_SHOWN}
    if current.finished:
        context["rejected"] = list(current.rejected_rows.order_by("row")[:REJECTED_SHOWN])
    template = "intake/run.html#progress" if request.htmx else "intake/run.html"
    return render(request, template, context)


@login_required
@require_GET
def rejected_csv(request: HttpRequest, pk: int) -> HttpResponse:
    current = _run_for(request, pk)
    response = HttpResponse(reports.rejected_csv(current), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{reports.csv_name(current)}"'
    return response
