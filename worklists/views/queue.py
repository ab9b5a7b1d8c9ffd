"""The home page, the queues, and claiming items from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from patients.audit import record_view
from patients.models import Appointment
from payers.models import Payer, ServiceCategory
from worklists import paging, scan, services
from worklists.forms import AssignForm, QueueFilterForm, query_without
from worklists.models import ItemKind, ItemStatus, Queue, WorkItem, queue_key_of
from worklists.views.queue_rows import render_rows

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


CHOICES_TTL = 300  # seconds


def _cached_choices(key: str, load: Callable[[], list[tuple[str, str]]], wanted: str) -> list:
    """A filter's choices, cached for a few minutes in Django's cache.

    Listing departments reads every appointment (a million at a large practice) and
    listing workers joins permissions; they change seldom. A value asked for that the
    cached list lacks (added since) reads the list again, so a filter never refuses one.
    """
    choices = cache.get(key)
    if choices is None or (wanted and wanted not in {value for value, _ in choices}):
        choices = load()
        cache.set(key, choices, CHOICES_TTL)
    return choices


def _departments() -> list[tuple[str, str]]:
    names = (
        Appointment.objects.exclude(department="")
        .order_by("department")
        .values_list("department", flat=True)
        .distinct()
    )
    return [(name, name) for name in names]


def _workers() -> list[tuple[str, str]]:
    return [(str(u.pk), u.get_full_name() or u.username) for u in services.workers()]


def _payers() -> list[tuple[str, str]]:
    return [
        (str(pk), name) for pk, name in Payer.objects.order_by("name").values_list("id", "name")
    ]


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


def url_maker(name: str) -> Callable[[int], str]:
    """reverse(name, args=[pk]) for every row of a page at the cost of one reverse()."""
    marker = 918273645
    head, _, tail = reverse(name, args=[marker]).partition(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


# The rows of one page, by id. The payer is the patient's primary coverage on the day (as
# the scan picks it: rank 1, latest start, then highest id); the department is that of
# the order's next visit from today on.
_ROWS_SQL = """
SELECT w.id, w.queue, w.kind, w.status, w.due_date, w.first_service_date,
       w.affected_appointments, w.assignee_id, u.username, w.created_at,
       o.patient_id, p.mrn, p.last_name, p.first_name, o.external_id, o.code,
       o.service_category,
       (SELECT py.name FROM patients_coverage c JOIN payers_payer py ON py.id = c.payer_id
        WHERE c.patient_id = o.patient_id AND c.rank = 1 AND c.start <= %(today)s
          AND (c."end" IS NULL OR c."end" >= %(today)s)
        ORDER BY c.start DESC, c.id DESC LIMIT 1),
       (SELECT a.department FROM patients_appointment a
        WHERE a.order_id = w.order_id AND a.start >= %(from)s AND a.department <> ''
        ORDER BY a.start LIMIT 1)
FROM worklists_workitem w
JOIN patients_order o ON o.id = w.order_id
JOIN patients_patient p ON p.id = o.patient_id
LEFT JOIN auth_user u ON u.id = w.assignee_id
WHERE w.id = ANY(%(ids)s::bigint[])
"""

QUEUE_LABELS = dict(Queue.choices)
KIND_LABELS = dict(ItemKind.choices)
CATEGORY_LABELS = dict(ServiceCategory.choices)


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(value: dt.date | None) -> str:
    """'Nov 5', as the date filter "M j" prints it (without a strftime per cell)."""
    return f"{MONTHS[value.month - 1]} {value.day}" if value else "—"


def _rows(request: HttpRequest, ids: list[int], today: dt.date) -> list[dict[str, Any]]:
    """The page's rows as plain values, in the order of `ids`: the template only prints."""
    with connection.cursor() as cursor:
        cursor.execute(
            _ROWS_SQL, {"ids": scan.id_array(ids), "today": today, "from": scan.day_start(today)}
        )
        found = {row[0]: row for row in cursor.fetchall()}
    me = request.user.pk
    tz = timezone.get_current_timezone()
    urls = {
        name: url_maker(f"worklists:{name}") for name in ("item", "claim", "release", "assign-menu")
    }
    rows, previous_queue = [], None
    for pk in ids:
        if pk not in found:
            continue  # closed or removed between the two reads
        (_, queue, kind, status, due, first, visits, assignee_id, username, created,
         patient_id, mrn, last, first_name, external_id, code, category, payer, dept) = found[pk]  # fmt: skip
        rows.append(
            {
                "pk": pk,
                "key": queue_key_of(queue, due, first, pk),
                "queue": queue,
                "queue_label": QUEUE_LABELS.get(queue, queue),
                "group_start": queue != previous_queue,
                "overdue": due < today,
                "due": _day(due),
                "kind": kind,
                "kind_label": KIND_LABELS.get(kind, kind),
                "waiting": status == ItemStatus.WAITING_ON_PAYER,
                "patient_id": patient_id,
                "mrn": mrn,
                "patient": f"{last}, {first_name}",
                "order": f"{external_id} · {code}",
                "category": CATEGORY_LABELS.get(category, category),
                "payer": payer or "",
                "first_visit": _day(first),
                "visits": visits,
                "department": dept or "",
                "assignee_id": assignee_id,
                "assignee": username,
                "mine": assignee_id is not None and assignee_id == me,
                "age": (today - created.astimezone(tz).date()).days,
                "url": urls["item"](pk),
                "claim_url": urls["claim"](pk),
                "release_url": urls["release"](pk),
                "assign_url": urls["assign-menu"](pk),
            }
        )
        previous_queue = queue
    return rows


def _queue_context(request: HttpRequest) -> dict[str, object]:
    today = scan.today()
    wanted = request.GET.get
    form = QueueFilterForm(
        request.GET or None,
        workers=_cached_choices("worklists:queue:workers", _workers, wanted("assignee", "")),
        departments=_cached_choices(
            "worklists:queue:departments", _departments, wanted("department", "")
        ),
        payers=_cached_choices("worklists:queue:payers", _payers, wanted("payer", "")),
    )
    items = WorkItem.objects.open()
    filtered = form.is_bound and form.is_valid() and form.active_count() > 0
    if filtered:
        items = form.filter(items, user=request.user, today=today)
    summary = _overview(today)

    # Unfiltered, the overview has already counted every open item; the filters on queue,
    # kind, due date and unclaimed are counted from the same rows (services.count_open).
    if not filtered:
        count = sum(q["n"] for q in summary)
    else:
        counts_by = form.counted_by()
        if counts_by is not None:
            count = services.count_open(today, **counts_by)
        else:
            count = items.order_by().count()
    # The page's ids by the queue-order index (worklists/paging.py), then its rows by id.
    page = paging.page_of(items, request.GET, count=count, size=PAGE_SIZE)
    rows = page.rows = _rows(request, page.ids, today)
    if rows:
        paging.link_pages(page, request.GET, rows[0]["key"], rows[-1]["key"])
    elif page.has_previous:
        page.previous_query = query_without(request.GET, "page", "after", "before")
    # S25: the rows on the page name patients; one audit insert for the page.
    record_view(
        request, [r["pk"] for r in rows], WorkItem, patient_ids=[r["patient_id"] for r in rows]
    )
    query = request.GET.urlencode()
    can_work = services.can_work_items(request.user)
    can_assign = services.can_assign_items(request.user)
    render_rows(
        rows,
        can_work=can_work,
        can_assign=can_assign,
        csrf_token=get_token(request),
        query=query,
        query_param=urlencode({"return_query": query}),
    )
    return {
        "form": form,
        "page": page,
        "summary": summary,
        "today": today,
        "query": query,
        "can_work": can_work,
        "can_assign": can_assign,
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
