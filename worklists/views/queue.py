"""The home page, the queues, and claiming items from them."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from authq.lib import clock
from authq.lib.http import SignedInRequest
from patients.audit import record_view
from worklists import claiming, paging
from worklists.forms import UNASSIGNED, AssignForm, QueueFilterForm, query_without
from worklists.models import Queue, WorkItem
from worklists.scan import counts as queue_counts
from worklists.selectors import queue as queue_sel
from worklists.views.access import can_view_items, scoped_item
from worklists.views.queue_rows import RowMarkup

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
def home(request: SignedInRequest) -> HttpResponse:
    """Send each person to the page of their role."""
    user = request.user
    if user.has_perm("worklists.view_workitem"):
        return redirect("worklists:queue")
    scheduler_url = _url_or_none("worklists:scheduler")
    if scheduler_url and user.has_perm("patients.view_appointment"):
        return redirect(scheduler_url)
    raise PermissionDenied


MAX_BACK_LENGTH = 2000


def back_to_queue(request: HttpRequest) -> str:
    """The queue page the person came from, filters included, for an item page's back link.

    Taken from the `back` parameter (queue rows put it in their links; for htmx requests it
    is read from the page's own address), else the Referer; used only when it is this
    site's queue page, so the link can never lead elsewhere. Otherwise the plain queue.
    """
    queue_path = reverse("worklists:queue")
    candidates = [request.GET.get("back", "")]
    current = getattr(getattr(request, "htmx", None), "current_url", None) or ""
    if current:
        candidates += QueryDict(urlsplit(current).query).getlist("back")
    candidates.append(request.headers.get("referer", ""))
    for url in candidates:
        if not url or len(url) > MAX_BACK_LENGTH:
            continue
        if not url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            continue
        parts = urlsplit(url)
        if parts.path == queue_path:
            return f"{queue_path}?{parts.query}" if parts.query else queue_path
    return queue_path


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


def _page(query: paging.PageQuery, markup: RowMarkup, today: dt.date) -> paging.QueuePage:
    """The page `query` asks for, its ids and rows read by one statement."""
    page, shown = paging.page_from(query, queue_sel.page_records(query, today))
    page.rows = markup.rows(shown)
    return page


SHOWN_HEADER = "X-Authq-Shown"


def _shown_signer(request: SignedInRequest) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"worklists.queue.shown:{request.user.pk}")


def _shown_token(request: SignedInRequest, ids: list[int]) -> str:
    """A signed digest of the items a page shows, carried by its 30-second refresh.

    A refresh that brings back the same items (same person, same order of rows) is not
    a new view of them: the page view, or the change that showed them, was recorded. The
    signature keeps a browser from claiming rows it was never shown.
    """
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:24]
    return _shown_signer(request).sign(digest)


def _shows_again(request: SignedInRequest, token: str) -> bool:
    """Whether the page asking already showed (and recorded) what `token` stands for."""
    sent = request.headers.get(SHOWN_HEADER, "")
    if not sent or len(sent) > 200:
        return False
    try:
        before = _shown_signer(request).unsign(
            sent, max_age=settings.AUTHQ_SESSION_MAX_HOURS * 3600
        )
    except signing.BadSignature:
        return False
    return before == _shown_signer(request).unsign(token)


def _queue_context(request: SignedInRequest, params: QueryDict) -> dict[str, object]:
    """The queue page for `params`, its filters and place: the page's own query string,
    or, after a row action, the one the action was posted from (its return_query)."""
    today = clock.today()
    wanted = params.get
    assignee = wanted("assignee", "")
    form = QueueFilterForm(
        params or None,
        workers=_cached_choices(
            # "Unassigned" is the form's own choice, never a colleague to look for.
            "worklists:queue:workers",
            queue_sel.workers,
            "" if assignee == UNASSIGNED else assignee,
        ),
        departments=_cached_choices(
            "worklists:queue:departments", queue_sel.departments, wanted("department", "")
        ),
        payers=_cached_choices("worklists:queue:payers", queue_sel.payers, wanted("payer", "")),
    )
    # Snoozed items (a follow-up date still ahead) wait on the pending page.
    items = WorkItem.objects.open().in_work_queue(today)
    filtered = form.is_bound and form.is_valid() and form.active_count() > 0
    if filtered:
        items = form.filter(items, user=request.user, today=today)
    summary = queue_sel.overview(today)

    # Unfiltered, the overview has already counted every open item; the filters on queue,
    # kind, due date and unclaimed are counted from the same rows (counts.count_open).
    if not filtered:
        count = sum(q["n"] for q in summary)
    else:
        counts_by = form.counted_by()
        if counts_by is not None:
            count = queue_counts.count_open(today, **counts_by)
        else:
            count = items.order_by().count()
    query = params.urlencode()
    can_work = claiming.can_work_items(request.user)
    can_assign = claiming.can_assign_items(request.user)
    markup = RowMarkup(
        today=today,
        me=request.user.pk,
        can_work=can_work,
        can_assign=can_assign,
        can_reassign=claiming.can_reassign_items(request.user),
        csrf_token=get_token(request),
        query=query,
        query_param=urlencode({"return_query": query}),
        back=urlencode({"back": f"{reverse('worklists:queue')}?{query}"}) if query else "",
    )
    # The page's ids by the queue-order index (worklists/paging.py) and their rows.
    page_query = paging.page_query(items, params, count=count, size=PAGE_SIZE)
    page = _page(page_query, markup, today)
    rows = page.rows
    if rows:
        paging.link_pages(page, params, rows[0].key, rows[-1].key)
    elif page.has_previous:
        page.previous_query = query_without(params, "page", "after", "before")
    # S25: the rows on the page name patients; one audit insert for the page, except for a
    # background refresh showing the very rows the page already recorded (_shown_token).
    shown_ids = [r.pk for r in rows]
    shown_token = _shown_token(request, shown_ids)
    background = request.headers.get("X-Authq-Background") == "1"  # authq/middleware.py
    if not (background and _shows_again(request, shown_token)):
        record_view(request, shown_ids, WorkItem, patient_ids=[r.patient_id for r in rows])
    return {
        "form": form,
        "page": page,
        "summary": summary,
        "today": today,
        "query": query,
        "can_work": can_work,
        "can_assign": can_assign,
        "PAGE_SIZE": PAGE_SIZE,
        "shown_token": shown_token,
        "rows_html": markup.render(rows),
    }


@require_GET
@login_required
def queue(request: SignedInRequest) -> HttpResponse:
    """The STAT, routine and billing queues in queue order, filtered, paged, refreshing itself."""
    if not can_view_items(request.user):
        raise PermissionDenied
    context = _queue_context(request, request.GET)
    template = "worklists/queue.html#results" if request.htmx else "worklists/queue.html"
    return render(request, template, context)


def _queue_redirect(request: SignedInRequest) -> HttpResponse:
    """Back to the queue with the filters the person was looking at."""
    query = request.POST.get("return_query", "")
    return redirect(reverse("worklists:queue") + (f"?{query}" if query else ""))


def _conflict(request: SignedInRequest, message: str) -> HttpResponse:
    """An action that could not happen: a 409 message for htmx, a flash message otherwise."""
    if request.htmx:
        response = render(request, "worklists/queue.html#flash", {"flash": message}, status=409)
        return reswap(retarget(response, "#flash"), "outerHTML")
    messages.error(request, message)
    return _queue_redirect(request)


def _refreshed(
    request: SignedInRequest, message: str, *, ok: bool, status: int = 200
) -> HttpResponse:
    """The list as it is now, with the filters it was posted from and a message."""
    context = _queue_context(request, QueryDict(request.POST.get("return_query", "")))
    context["flash"] = message
    context["flash_ok"] = ok
    return render(request, "worklists/queue.html#results", context, status=status)


def _after_action(request: SignedInRequest, message: str) -> HttpResponse:
    """Refresh the list in place for htmx (keeping the filters), else redirect back."""
    if request.htmx:
        return _refreshed(request, message, ok=True)
    messages.success(request, message)
    return _queue_redirect(request)


def _row_refused(request: SignedInRequest, message: str) -> HttpResponse:
    """A row action a colleague got to first: for htmx, a 409 with the list redrawn, so the
    row shows who has the item now; without htmx, the message and back to the queue."""
    if request.htmx:
        return _refreshed(request, message, ok=False, status=409)
    messages.error(request, message)
    return _queue_redirect(request)


def _require_worker(request: SignedInRequest) -> None:
    if not claiming.can_work_items(request.user):
        raise PermissionDenied


@require_POST
@login_required
def claim_next(request: SignedInRequest) -> HttpResponse:
    _require_worker(request)
    queue_value = request.POST.get("queue") or None
    if queue_value not in (None, *Queue.values):
        queue_value = None
    item = claiming.claim_next(request.user, queue=queue_value)
    if item is None:
        return _conflict(request, "The queue is empty: every open item has been claimed.")
    url = item_url(item)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    messages.success(request, f"You claimed item {item.pk}.")
    return redirect(url)


@require_POST
@login_required
def claim(request: SignedInRequest, pk: int) -> HttpResponse:
    item = scoped_item(request.user, pk)
    _require_worker(request)
    try:
        claiming.claim(item, by=request.user)
    except claiming.ClaimError as exc:
        return _row_refused(request, str(exc))
    return _after_action(request, f"You claimed item {item.pk}.")


@require_POST
@login_required
def release(request: SignedInRequest, pk: int) -> HttpResponse:
    item = scoped_item(request.user, pk)
    if not claiming.can_assign_items(request.user):
        raise PermissionDenied
    try:
        claiming.release(item, by=request.user)
    except claiming.ClaimError as exc:
        return _row_refused(request, str(exc))
    return _after_action(request, f"Item {item.pk} is back in the queue.")


@require_GET
@login_required
def assign_menu(request: SignedInRequest, pk: int) -> HttpResponse:
    """The colleagues an item can go to: fetched when its Assign menu opens (or a small page)."""
    item = scoped_item(request.user, pk)
    if not claiming.can_assign_items(request.user):
        raise PermissionDenied
    context = {
        "item": item,
        "workers": claiming.workers(),
        "query": request.GET.get("return_query", ""),
    }
    template = "worklists/queue.html#assign-form" if request.htmx else "worklists/assign.html"
    return render(request, template, context)


@require_POST
@login_required
def assign(request: SignedInRequest, pk: int) -> HttpResponse:
    item = scoped_item(request.user, pk)
    if not claiming.can_assign_items(request.user):
        raise PermissionDenied
    form = AssignForm(request.POST, workers=claiming.workers())
    if not form.is_valid():
        return _conflict(request, "Choose an authorization specialist to assign the item to.")
    to: User = form.cleaned_data["to"]
    try:
        claiming.assign(item, to=to, by=request.user)
    except claiming.ClaimError as exc:
        return _row_refused(request, str(exc))
    return _after_action(request, f"Item {item.pk} is now assigned to {to.username}.")
