"""The work-item page: everything about one item's order, and every action on it.

Each action is a POST of one form to one service (worklists.services), which records
the change, appends an event and re-evaluates the order. An htmx POST gets the page's
body back (the re-evaluation may change the item, its authorizations and the other
items of the order, so the whole body is the region that changes); a plain POST
redirects to the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.forms import Form
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from authq.lib import clock
from authq.lib.exceptions import ActionRefused, DuplicateKey, TransitionNotAllowed
from authq.lib.http import SignedInRequest
from patients.audit import record_view
from patients.models import (
    Appointment,
    Coverage,
    Order,
    Patient,
)
from payers.models import (
    Appeal,
    Authorization,
    AuthStatus,
    Document,
    PeerToPeerReview,
)
from worklists import claiming, item_actions, notices, notifying
from worklists.forms_item import (
    AppealForm,
    BenefitsForm,
    DecisionForm,
    DismissForm,
    DocumentForm,
    FollowUpForm,
    NoteForm,
    NotifyForm,
    PeerReviewForm,
    ReviewOutcomeForm,
    SubmissionForm,
)
from worklists.models import (
    ACTIVE_STATUSES,
    NotificationChannel,
    NotificationStatus,
    PatientNotification,
    WorkItem,
    WorkItemNote,
)
from worklists.selectors.item import ItemPage, diagnoses, item_page
from worklists.views.access import scoped_item
from worklists.views.queue import back_to_queue

# Who may do what on the page. Managers read it all and change nothing here.
ACTION_PERMS = {
    "benefits": ("patients.change_coverage", "worklists.change_workitem"),
    "submit": ("payers.change_authorization", "worklists.change_workitem"),
    "decide": ("payers.change_authorization", "worklists.change_workitem"),
    "peer_review": ("payers.add_peertopeerreview", "worklists.change_workitem"),
    "appeal": ("payers.add_appeal", "worklists.change_workitem"),
    # An outcome completes the review a specialist recorded: the same permission.
    "peer_review_outcome": ("payers.add_peertopeerreview", "worklists.change_workitem"),
    "appeal_outcome": ("payers.add_appeal", "worklists.change_workitem"),
    "document": ("payers.add_document", "worklists.change_workitem"),
    "note": ("worklists.add_workitemnote", "worklists.change_workitem"),
    "follow_up": ("payers.change_authorization", "worklists.change_workitem"),
    "notify": ("worklists.add_patientnotification", "worklists.change_workitem"),
    "resend": ("worklists.add_patientnotification", "worklists.change_workitem"),
    "dismiss": ("payers.change_authorization", "worklists.change_workitem"),
}
REFUSALS = (ActionRefused, TransitionNotAllowed, DuplicateKey)


def _may(user: Any, action: str) -> bool:
    return all(user.has_perm(p) for p in ACTION_PERMS[action])


# Reading the page: the records come from worklists.selectors.item; the view records
# what it shows and builds the forms.


def _record_shown(request: SignedInRequest, page: ItemPage) -> None:
    """S25: one audit insert per kind of patient record the page shows."""
    order = page.order
    pid = [order.patient_id]
    record_view(request, [order.patient_id], Patient, patient_ids=pid)
    record_view(request, [order.pk], Order, patient_ids=pid)
    for model, rows in (
        (WorkItem, page.shown_items),
        (Coverage, page.coverages),
        (Authorization, page.auths),
        (PeerToPeerReview, page.peer_reviews),
        (Appeal, page.appeals),
        (Appointment, page.appointments),
        (Document, page.documents),
        (WorkItemNote, page.notes),
        (PatientNotification, page.notifications),
    ):
        if rows:
            record_view(request, rows, model, patient_ids=pid)


def _page_context(
    request: SignedInRequest,
    item: WorkItem | None,
    bound: dict[str, Any] | None = None,
    *,
    order: Order | None = None,
    flash: str = "",
    open_panel: str = "",
) -> dict[str, Any]:
    """The page's records (read by the selector), their reads recorded, and the forms.

    Without an item (the order's workspace when nothing is open on it): the order's
    records, with no item history and no actions. `flash`: the message after an action;
    `open_panel`: the action whose panel stays open (a form in `bound` opens its own).
    """
    user = request.user
    order = item.order if item is not None else order
    assert order is not None
    can_docs = user.has_perm("payers.view_document")
    page = item_page(order, item, with_documents=can_docs)
    _record_shown(request, page)
    patient = order.patient
    today = page.today
    auths, others, first_gap = page.auths, page.others, page.first_gap
    current, old, primary = page.current_auths, page.old_auths, page.primary

    may = {action: item is not None and _may(user, action) for action in ACTION_PERMS}
    order_auths = Authorization.objects.filter(order_id=order.pk).order_by("-id")
    forms: dict[str, Any] = {
        "benefits": None,
        "submit": SubmissionForm(
            authorizations=order_auths,
            initial={
                "expedited": order.is_expedited,
                "requested_visits": order.visits_ordered,
                "requested_start_date": first_gap,
                "channel": "portal",
            },
            prefix="submit",
        ),
        "decide": DecisionForm(
            authorizations=order_auths, prefix="decide", initial={"start_date": first_gap}
        ),
        "peer_review": PeerReviewForm(authorizations=order_auths, prefix="p2p"),
        "appeal": AppealForm(authorizations=order_auths, prefix="appeal"),
        "document": DocumentForm(authorizations=order_auths, prefix="doc"),
        "note": NoteForm(prefix="note"),
        "follow_up": FollowUpForm(
            initial={"follow_up_on": item and item.follow_up_on}, prefix="fu"
        ),
        # No message is chosen for the specialist: only those matching the order's state
        # are offered (notices.allowed_templates), and none says more than the records.
        "notify": NotifyForm(
            allowed=notices.allowed_templates(
                auths,
                [o.kind for o in others] + ([item.kind] if item and item.is_active else []),
                today,
            ),
            has_email=bool(patient.email),
            initial={"channel": "email" if patient.email else "letter"},
            prefix="notify",
        ),
        "dismiss": DismissForm(prefix="dismiss"),
        "resend": None,
        "peer_review_outcome": ReviewOutcomeForm(prefix="p2po"),
        "appeal_outcome": ReviewOutcomeForm(prefix="appealo"),
    }
    coverage_forms = {
        c.pk: BenefitsForm(
            initial={
                "copay": c.copay,
                "coinsurance_percent": c.coinsurance_percent,
                "deductible": c.deductible,
                "deductible_met": c.deductible_met,
                "plan_year_visit_limit": c.plan_year_visit_limit,
            },
            prefix=f"cov{c.pk}",
        )
        for c in page.coverages
    }
    # A pending review's outcome form that came back with errors: (action, review id).
    outcome_error: tuple[str, int] | None = None
    refused = ""
    notice = None
    if bound:
        notice = bound.get("notice")
        open_panel = bound["action"]
        if bound["action"] == "benefits":
            coverage_forms[bound["coverage"]] = bound["form"]
        else:
            forms[bound["action"]] = bound["form"]
        if "review" in bound:
            outcome_error = (bound["action"], bound["review"])
            # A refusal (say, an outcome already recorded) may have no form left to sit by.
            refused = " ".join(bound["form"].non_field_errors())
    denied = any(r.auth.status == AuthStatus.DENIED for r in current + old)
    return {
        "item": item,
        "order": order,
        "patient": patient,
        "today": today,
        "coverages": [
            (c, coverage_forms[c.pk], primary is not None and c.pk == primary.id)
            for c in page.coverages
        ],
        "rule": page.rule,
        "primary": primary,
        "diagnoses": diagnoses(order.diagnosis_codes),
        "current_auths": current,
        "old_auths": old,
        "visits": page.visits,
        "counts": page.counts,
        "events": page.events,
        "notes": page.notes,
        "notifications": page.notifications,
        "documents": page.documents,
        "can_docs": can_docs,
        "others": others,
        "denials": page.denials,
        "may": may,
        "forms": forms,
        "open_panel": open_panel,
        "outcome_error": outcome_error,
        "refused": refused,
        "notice": notice,
        "notice_queued": any(n.status == NotificationStatus.QUEUED for n in page.notifications),
        "has_denied": denied,
        "directory": page.directory,
        "has_submitted": any(r.auth.status == AuthStatus.SUBMITTED for r in current),
        "flash": flash,
        "is_active": item is not None and item.status in ACTIVE_STATUSES,
        "back_url": back_to_queue(request),
        "due_standing": item.due_standing(today) if item is not None else None,
        "found_on": clock.local_date(item.created_at) if item is not None else None,
    }


@require_GET
@login_required
def item(request: SignedInRequest, pk: int) -> HttpResponse:
    work_item = scoped_item(request.user, pk)
    return render(request, "worklists/item.html", _page_context(request, work_item))


# Acting on it.


def _act(
    request: SignedInRequest,
    pk: int,
    action: str,
    form: Callable[[WorkItem], Any],
    perform: Callable[[WorkItem, dict[str, Any]], str],
    *,
    open_after: str = "",
    **bound_extra: Any,
) -> HttpResponse:
    """Validate `form`, run `perform` (a service call returning the message to show),
    and answer: htmx gets the page body, a plain POST a redirect (or the page with errors).
    A form posted from the order's workspace (back=order) goes back there. `open_after`:
    the panel the page body keeps open after a success."""
    work_item = scoped_item(request.user, pk)
    if not _may(request.user, action):
        raise PermissionDenied
    bound = form(work_item)
    to_order = request.POST.get("back") == "order"
    status = 400
    if bound.is_valid():
        try:
            message = perform(work_item, bound.cleaned_data)
        except ValidationError as exc:
            # The model's own rules (services.checked): shown at the fields they name.
            by_field = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            for name, errors in by_field.items():
                bound.add_error(name if name in bound.fields else None, errors)
        except REFUSALS as exc:
            field = getattr(exc, "field", None)
            bound.add_error(field if field in bound.fields else None, str(exc))
            if isinstance(exc, claiming.ClaimLapsed):
                status = 409  # a colleague or the queue has the item now
        else:
            if to_order:
                messages.success(request, message)
                url = reverse("worklists:order", args=[work_item.order_id])
                return redirect(f"{url}?item={work_item.pk}")
            if not request.htmx:
                messages.success(request, message)
                return redirect("worklists:item", pk=work_item.pk)
            work_item = scoped_item(request.user, pk)
            context = _page_context(request, work_item, flash=message, open_panel=open_after)
            return render(request, "worklists/item.html#body", context)
    if to_order:
        from worklists.views import workspace  # it imports this module

        bound_info = {"action": action, "form": bound, **bound_extra}
        return workspace.render_workspace(request, work_item.order, work_item.pk, bound_info)
    context = _page_context(request, work_item, {"action": action, "form": bound, **bound_extra})
    if request.htmx:
        return render(
            request, "worklists/item.html#body", context, status=409 if status == 409 else 200
        )
    return render(request, "worklists/item.html", context, status=status)


def _after(item_pk: int, what: str) -> str:
    """The message after an action, saying where the item went."""
    fresh = WorkItem.objects.get(pk=item_pk)
    if fresh.status in ACTIVE_STATUSES:
        return f"{what}. The item is {fresh.get_status_display().lower()}."
    return f"{what}. The item is {fresh.get_status_display().lower()}: it has left the queue."


def _order_auths(item: WorkItem) -> Any:
    return Authorization.objects.filter(order_id=item.order_id).order_by("-id")


@require_POST
@login_required
def benefits(request: SignedInRequest, pk: int, coverage_pk: int) -> HttpResponse:
    work_item = scoped_item(request.user, pk)
    coverage = get_object_or_404(Coverage, pk=coverage_pk, patient_id=work_item.order.patient_id)

    def perform(item: WorkItem, data: dict[str, Any]) -> str:
        item_actions.verify_item_benefits(item, coverage, by=request.user, **data)
        return _after(item.pk, "Benefits verified")

    return _act(
        request,
        pk,
        "benefits",
        lambda item: BenefitsForm(request.POST, prefix=f"cov{coverage.pk}"),
        perform,
        coverage=coverage.pk,
    )


@require_POST
@login_required
def submit(request: SignedInRequest, pk: int) -> HttpResponse:
    def perform(item: WorkItem, data: dict[str, Any]) -> str:
        coverage = (
            Coverage.objects.primary_on(clock.today())
            .filter(patient_id=item.order.patient_id)
            .select_related("payer")
            .first()
        )
        item_actions.submit_for_item(
            item,
            by=request.user,
            draft=data.pop("draft"),
            payer=coverage.payer if coverage else None,
            **data,
        )
        return _after(item.pk, "Request recorded as submitted")

    return _act(
        request,
        pk,
        "submit",
        lambda item: SubmissionForm(
            request.POST, authorizations=_order_auths(item), prefix="submit"
        ),
        perform,
    )


@require_POST
@login_required
def decide(request: SignedInRequest, pk: int) -> HttpResponse:
    def perform(item: WorkItem, data: dict[str, Any]) -> str:
        auth = data.pop("authorization")
        channel = data.pop("channel")
        payer = data.pop("payer")
        if auth is None and payer is None:
            coverage = (
                Coverage.objects.primary_on(clock.today())
                .filter(patient_id=item.order.patient_id)
                .select_related("payer")
                .first()
            )
            payer = coverage.payer if coverage else None
        item_actions.decide_for_item(
            item, auth, by=request.user, channel=channel, payer=payer, **data
        )
        return _after(item.pk, f"Payer's answer recorded ({data['outcome']})")

    return _act(
        request,
        pk,
        "decide",
        lambda item: DecisionForm(request.POST, authorizations=_order_auths(item), prefix="decide"),
        perform,
    )


@require_POST
@login_required
def peer_review(request: SignedInRequest, pk: int) -> HttpResponse:
    def perform(item: WorkItem, data: dict[str, Any]) -> str:
        item_actions.record_item_peer_review(
            item, data.pop("authorization"), by=request.user, **data
        )
        return _after(item.pk, "Peer-to-peer review recorded")

    return _act(
        request,
        pk,
        "peer_review",
        lambda item: PeerReviewForm(request.POST, authorizations=_order_auths(item), prefix="p2p"),
        perform,
    )


@require_POST
@login_required
def appeal(request: SignedInRequest, pk: int) -> HttpResponse:
    def perform(item: WorkItem, data: dict[str, Any]) -> str:
        item_actions.record_item_appeal(item, data.pop("authorization"), by=request.user, **data)
        return _after(item.pk, "Appeal recorded")

    return _act(
        request,
        pk,
        "appeal",
        lambda item: AppealForm(request.POST, authorizations=_order_auths(item), prefix="appeal"),
        perform,
    )


def _review_outcome[R: (PeerToPeerReview, Appeal)](
    request: SignedInRequest,
    pk: int,
    action: str,
    model: type[R],
    review_pk: int,
) -> HttpResponse:
    work_item = scoped_item(request.user, pk)
    if not _may(request.user, action):
        raise PermissionDenied  # before the lookup: no telling which reviews exist
    review = get_object_or_404(
        model.objects.select_related("authorization"),
        pk=review_pk,
        authorization__order_id=work_item.order_id,
    )
    prefix = "p2po" if model is PeerToPeerReview else "appealo"
    what = "Peer-to-peer" if model is PeerToPeerReview else "Appeal"

    def perform(item: WorkItem, data: dict[str, Any]) -> str:
        done = item_actions.set_item_review_outcome(item, review, by=request.user, **data)
        follow = (
            " Record the payer's new answer when it comes."
            if done.outcome in ("overturned", "partial")
            else ""
        )
        return _after(item.pk, f"{what} outcome recorded: {done.get_outcome_display().lower()}") + (
            follow
        )

    return _act(
        request,
        pk,
        action,
        lambda item: ReviewOutcomeForm(request.POST, prefix=prefix),
        perform,
        review=review.pk,
    )


@require_POST
@login_required
def peer_review_outcome(request: SignedInRequest, pk: int, review_pk: int) -> HttpResponse:
    """The outcome of a pending peer-to-peer review of the item's order."""
    return _review_outcome(request, pk, "peer_review_outcome", PeerToPeerReview, review_pk)


@require_POST
@login_required
def appeal_outcome(request: SignedInRequest, pk: int, appeal_pk: int) -> HttpResponse:
    """The outcome of a pending appeal of the item's order."""
    return _review_outcome(request, pk, "appeal_outcome", Appeal, appeal_pk)


@require_POST
@login_required
def document(request: SignedInRequest, pk: int) -> HttpResponse:
    def perform(item: WorkItem, data: dict[str, Any]) -> str:
        upload = data["file"]
        item_actions.attach_item_document(
            item,
            by=request.user,
            content=upload.read(),
            kind=data["kind"],
            original_name=upload.name or "",
            authorization=data["authorization"],
        )
        return "Document attached"

    return _act(
        request,
        pk,
        "document",
        lambda item: DocumentForm(
            request.POST, request.FILES, authorizations=_order_auths(item), prefix="doc"
        ),
        perform,
    )


@require_GET
@login_required
def document_download(request: SignedInRequest, pk: int, document_pk: int) -> FileResponse:
    """Stream a document of the item's order, to people who may see documents only."""
    work_item = scoped_item(request.user, pk)
    return send_document(request, work_item.order, document_pk)


def send_document(request: SignedInRequest, order: Order, document_pk: int) -> FileResponse:
    """A document of `order` as a download (the caller has checked access to the order)."""
    if not request.user.has_perm("payers.view_document"):
        raise PermissionDenied
    doc = get_object_or_404(Document, pk=document_pk, order_id=order.pk)
    record_view(request, [doc], Document, patient_ids=[order.patient_id])
    try:
        handle = default_storage.open(doc.storage_name, "rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc
    ext = doc.storage_name.rsplit(".", 1)[-1]
    response = FileResponse(
        handle,
        content_type=doc.content_type,
        as_attachment=True,
        filename=f"{doc.kind}-{doc.pk}.{ext}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@login_required
def note(request: SignedInRequest, pk: int) -> HttpResponse:
    def perform(item: WorkItem, data: dict[str, Any]) -> str:
        item_actions.add_item_note(item, by=request.user, text=data["text"])
        return "Note added"

    return _act(request, pk, "note", lambda item: NoteForm(request.POST, prefix="note"), perform)


@require_POST
@login_required
def follow_up(request: SignedInRequest, pk: int) -> HttpResponse:
    def perform(item: WorkItem, data: dict[str, Any]) -> str:
        item_actions.set_item_follow_up(item, by=request.user, follow_up_on=data["follow_up_on"])
        day = data["follow_up_on"]
        return f"Follow-up set for {day:%a %b %-d}" if day else "Follow-up date cleared"

    return _act(
        request, pk, "follow_up", lambda item: FollowUpForm(request.POST, prefix="fu"), perform
    )


def _notify_form(request: SignedInRequest, item: WorkItem, *, confirm: bool) -> NotifyForm:
    return NotifyForm(
        request.POST,
        allowed=notices.order_state(item.order_id, clock.today()),
        has_email=bool(item.order.patient.email),
        confirm=confirm,
        prefix="notify",
    )


@require_POST
@login_required
def notify_preview(request: SignedInRequest, pk: int) -> HttpResponse:
    """The exact subject and body the patient would get, with the button that sends it."""
    work_item = scoped_item(request.user, pk)
    if not _may(request.user, "notify"):
        raise PermissionDenied
    form = _notify_form(request, work_item, confirm=False)
    notice = None
    if form.is_valid():
        try:
            notice = notifying.preview_notice(
                work_item, template=form.cleaned_data["template"], extra=form.cleaned_data["extra"]
            )
        except REFUSALS as exc:
            form.add_error(None, str(exc))
    context = _page_context(
        request, work_item, {"action": "notify", "form": form, "notice": notice}
    )
    if request.htmx:
        return render(request, "worklists/item.html#body", context)
    return render(request, "worklists/item.html", context, status=200 if notice else 400)


def _notified(notification: PatientNotification) -> str:
    """What really happened, for the page."""
    if notification.channel == NotificationChannel.EMAIL:
        return (
            "Email queued: it goes out in the background, and the list under "
            "“Notify the patient” says when it is sent or why it failed"
        )
    if notification.channel == NotificationChannel.LETTER:
        return "Letter recorded: print it (PDF link under “Notify the patient”) and mail it"
    if notification.status == NotificationStatus.FAILED:
        return f"Call logged as not completed ({notification.get_phone_outcome_display().lower()})"
    return f"Call logged: {notification.get_phone_outcome_display().lower()}"


@require_POST
@login_required
def notify(request: SignedInRequest, pk: int) -> HttpResponse:
    """Send (or record) the message previewed; its digest must still match the text."""

    def perform(item: WorkItem, data: dict[str, Any]) -> str:
        return _notified(notifying.notify_patient(item, by=request.user, **data))

    # The notification's panel stays open after sending, to show what became of it.
    return _act(
        request,
        pk,
        "notify",
        lambda item: _notify_form(request, item, confirm=True),
        perform,
        open_after="notify",
    )


def _item_notification(
    request: SignedInRequest, pk: int, notification_pk: int
) -> PatientNotification:
    work_item = scoped_item(request.user, pk)
    if not _may(request.user, "notify"):
        raise PermissionDenied
    return get_object_or_404(
        PatientNotification.objects.select_related("work_item__order"),
        pk=notification_pk,
        work_item_id=work_item.pk,
    )


@require_GET
@login_required
def notification_letter(request: SignedInRequest, pk: int, notification_pk: int) -> HttpResponse:
    """A letter notification as a PDF to print, dated the day it was recorded."""
    notification = _item_notification(request, pk, notification_pk)
    if notification.channel != NotificationChannel.LETTER:
        raise Http404("Only a letter can be printed.")
    patient_id = notification.work_item.order.patient_id
    record_view(request, [notification], PatientNotification, patient_ids=[patient_id])
    when = clock.local_date(notification.created_at)
    response = HttpResponse(notices.letter_pdf(notification, when), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="letter-{notification.pk}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@login_required
def notification_resend(request: SignedInRequest, pk: int, notification_pk: int) -> HttpResponse:
    """Queue a failed email again."""
    notification = _item_notification(request, pk, notification_pk)

    def perform(item: WorkItem, data: dict[str, Any]) -> str:
        notifying.resend_patient_email(notification, by=request.user)
        return "Email queued again"

    return _act(
        request, pk, "resend", lambda item: Form(request.POST), perform, open_after="notify"
    )


@require_GET
@login_required
def notification_log(request: SignedInRequest, pk: int) -> HttpResponse:
    """The item's notifications alone: the page polls it while an email is queued."""
    work_item = scoped_item(request.user, pk)
    notifications = list(work_item.notifications.select_related("sent_by")[:50])
    if notifications:
        record_view(
            request, notifications, PatientNotification, patient_ids=[work_item.order.patient_id]
        )
    context = {
        "item": work_item,
        "notifications": notifications,
        "notice_queued": any(n.status == NotificationStatus.QUEUED for n in notifications),
        "may": {"notify": _may(request.user, "notify")},
    }
    return render(request, "worklists/item.html#notice-log", context)


@require_POST
@login_required
def dismiss(request: SignedInRequest, pk: int) -> HttpResponse:
    def perform(item: WorkItem, data: dict[str, Any]) -> str:
        item_actions.dismiss_item(item, by=request.user, **data)
        return "Item dismissed: it has left the queue"

    return _act(
        request, pk, "dismiss", lambda item: DismissForm(request.POST, prefix="dismiss"), perform
    )
