"""The home page, the queues, and claiming items from them."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from patients.audit import record_view
from patients.models import Appointment, Coverage
from worklists import scan, services
from worklists.forms import AssignForm, QueueFilterForm, query_without
from worklists.models import ItemKind, Queue, WorkItem

PAGE_SIZE = 50


def _url_or_none(name: str, *args: object) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def item_url(item: WorkItem) -> str:
    """The item's own page (the work-item view), or the queue until that page exists."""
    return _url_or_none("worklists:item", item.pk) or reverse("worklists:queue")


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to the page of their role."""
    user = request.user
    if user.has_perm("worklists.view_workitem"):
        return redirect("worklists:queue")
    scheduler_url = _url_or_none("worklists:scheduler")
    if scheduler_url and user.has_perm("patients.view_appointment"):
        return redirect(scheduler_url)
    raise PermissionDenied


def _can_view_queues(user: object) -> bool:
    return user.has_perm("worklists.view_workitem")  # type: ignore[attr-defined]


def scoped_item(user: object, pk: int) -> WorkItem:
    """The work item pk if this person may see work items (403 otherwise, 404 if none)."""
    if not _can_view_queues(user):
        raise PermissionDenied
    return get_object_or_404(WorkItem.objects.all(), pk=pk)


DEPARTMENTS_CACHE_KEY = "worklists:queue:departments"
DEPARTMENTS_TTL = 300  # seconds


def _departments(wanted: str = "") -> list[str]:
    """Every department of an appointment, for the filter's choices.

    Listing them reads every appointment (a million at a large practice), so the list is
    cached for a few minutes; a department asked for but not in the cached list (booked
    since) reads it again, so a filter never refuses a department that exists.
    """
    names = cache.get(DEPARTMENTS_CACHE_KEY)
    if names is None or (wanted and wanted not in names):
        names = list(
            Appointment.objects.exclude(department="")
            .order_by("department")
            .values_list("department", flat=True)
            .distinct()
        )
        cache.set(DEPARTMENTS_CACHE_KEY, names, DEPARTMENTS_TTL)
    return names


def _overview(today: dt.date) -> list[dict[str, object]]:
    """Counts of every open item by queue and kind, whatever the filters: one small query."""
    counts = services.queue_counts(today)
    summary = []
    for queue_value, queue_label in Queue.choices:
        kinds = [
            {"value": kind, "label": label, **counts[(queue_value, kind)]}
            for kind, label in ItemKind.choices
            if (queue_value, kind) in counts
        ]
        summary.append(
            {
                "value": queue_value,
                "label": queue_label,
                "n": sum(k["n"] for k in kinds),
                "overdue": sum(k["overdue"] for k in kinds),
                "unclaimed": sum(k["unclaimed"] for k in kinds),
                "kinds": kinds,
            }
        )
    return summary


def _queue_context(request: HttpRequest) -> dict[str, object]:
    today = scan.today()
    workers = list(services.workers())
    departments = _departments(request.GET.get("department", ""))
    form = QueueFilterForm(request.GET or None, workers=workers, departments=departments)
    items = WorkItem.objects.open()
    filtered = form.is_bound and form.is_valid() and form.active_count() > 0
    if filtered:
        items = form.filter(items, user=request.user, today=today)
    summary = _overview(today)

    # Page the ids first: an index walk on the queue order (worklists_item_queue_rank),
    # whatever the depth; only the page's rows then get their payer and department.
    paginator = Paginator(items.in_queue_order().values_list("id", flat=True), PAGE_SIZE)
    # Unfiltered, the overview has already counted every open item.
    paginator.count = sum(q["n"] for q in summary) if not filtered else items.order_by().count()
    page = paginator.get_page(request.GET.get("page"))
    primary_payer = (
        Coverage.objects.primary()
        .active_on(today)
        .filter(patient_id=OuterRef("order__patient_id"))
        .order_by("start", "id")
        .values("payer__name")[:1]
    )
    next_department = (
        Appointment.objects.filter(order_id=OuterRef("order_id"), start__date__gte=today)
        .exclude(department="")
        .order_by("start")
        .values("department")[:1]
    )
    # The page's ids stay a subquery (ORDER BY ... LIMIT 50 OFFSET n): one query.
    shown = list(
        WorkItem.objects.filter(pk__in=page.object_list)
        .select_related("order__patient", "assignee")
        .annotate(payer_name=Subquery(primary_payer), department=Subquery(next_department))
        .in_queue_order()
    )
    page.object_list = shown
    for item in shown:
        item.is_overdue = item.due_date < today
        item.age_days = (today - timezone.localdate(item.created_at)).days
    # S25: the rows on the page name patients; one audit insert for the page.
    record_view(request, shown, WorkItem, patient_ids=[i.order.patient_id for i in shown])

    return {
        "form": form,
        "page": page,
        "summary": summary,
        "today": today,
        "query": request.GET.urlencode(),
        "page_query": query_without(request.GET, "page"),
        "can_work": services.can_work_items(request.user),
        "can_assign": services.can_assign_items(request.user),
        "workers": workers,
        "PAGE_SIZE": PAGE_SIZE,
    }


@require_GET
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The STAT and routine queues in queue order, filtered, paged, refreshing itself."""
    if not _can_view_queues(request.user):
        raise PermissionDenied
    context = _queue_context(request)
    template = "worklists/queue.html#results" if request.htmx else "worklists/queue.html"
    return render(request, template, context)


def _queue_redirect(request: HttpRequest) -> HttpResponse:
    """Back to the queue with the filters the person was looking at."""
    query = request.POST.get("return_query", "")
    return redirect(reverse("worklists:queue") + (f"?{query}" if query else ""))


def _conflict(request: HttpRequest, message: str) -> HttpResponse:
    """An action that could not happen: a 409 message for htmx, a flash message otherwise."""
    if request.htmx:
        response = render(request, "worklists/queue.html#flash", {"flash": message}, status=409)
        return reswap(retarget(response, "#flash"), "outerHTML")
    messages.error(request, message)
    return _queue_redirect(request)


def _after_action(request: HttpRequest, message: str) -> HttpResponse:
    """Refresh the list in place for htmx (keeping the filters), else redirect back."""
    if request.htmx:
        query = request.POST.get("return_query", "")
        request.GET = QueryDict(query)
        context = _queue_context(request)
        context["flash"] = message
        context["flash_ok"] = True
        return render(request, "worklists/queue.html#results", context)
    messages.success(request, message)
    return _queue_redirect(request)


def _require_worker(request: HttpRequest) -> None:
    if not services.can_work_items(request.user):
        raise PermissionDenied


@require_POST
@login_required
def claim_next(request: HttpRequest) -> HttpResponse:
    _require_worker(request)
    queue_value = request.POST.get("queue") or None
    if queue_value not in (None, *Queue.values):
        queue_value = None
    item = services.claim_next(request.user, queue=queue_value)
    if item is None:
        return _conflict(request, "The queue is empty: every open item has been claimed.")
    url = item_url(item)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    messages.success(request, f"You claimed item {item.pk}.")
    return redirect(url)


@require_POST
@login_required
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    item = scoped_item(request.user, pk)
    _require_worker(request)
    try:
        services.claim(item, by=request.user)
    except services.ClaimError as exc:
        return _conflict(request, str(exc))
    return _after_action(request, f"You claimed item {item.pk}.")


@require_POST
@login_required
def release(request: HttpRequest, pk: int) -> HttpResponse:
    item = scoped_item(request.user, pk)
    if not services.can_assign_items(request.user):
        raise PermissionDenied
    try:
        services.release(item, by=request.user)
    except services.ClaimError as exc:
        return _conflict(request, str(exc))
    return _after_action(request, f"Item {item.pk} is back in the queue.")


@require_GET
@login_required
def assign_menu(request: HttpRequest, pk: int) -> HttpResponse:
    """The colleagues an item can go to: fetched when its Assign menu opens (or a small page)."""
    item = scoped_item(request.user, pk)
    if not services.can_assign_items(request.user):
        raise PermissionDenied
    context = {
        "item": item,
        "workers": services.workers(),
        "query": request.GET.get("return_query", ""),
    }
    template = "worklists/queue.html#assign-form" if request.htmx else "worklists/assign.html"
    return render(request, template, context)


@require_POST
@login_required
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    item = scoped_item(request.user, pk)
    if not services.can_assign_items(request.user):
        raise PermissionDenied
    form = AssignForm(request.POST, workers=services.workers())
    if not form.is_valid():
        return _conflict(request, "Choose an authorization specialist to assign the item to.")
    to: User = form.cleaned_data["to"]
    try:
        services.assign(item, to=to, by=request.user)
    except services.ClaimError as exc:
        return _conflict(request, str(exc))
    return _after_action(request, f"Item {item.pk} is now assigned to {to.username}.")
