"""Telling the patient: a notice previewed, sent (email, letter, phone call), delivered
by a task, and sent again. The texts are composed by `worklists.notices`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.utils import timezone

from authq.lib.clock import today
from authq.lib.exceptions import ActionRefused
from patients.models import Order
from worklists import notices
from worklists.claiming import claim_if_unclaimed
from worklists.item_actions import record_work
from worklists.models import (
    PHONE_FAILURES,
    EventKind,
    NotificationChannel,
    NotificationStatus,
    PatientNotification,
    PhoneOutcome,
    WorkItem,
    WorkItemEvent,
)

log = logging.getLogger(__name__)


def preview_notice(item: WorkItem, *, template: str, extra: str = "") -> notices.Notice:
    """The exact message notify_patient would keep and send now; refused if it does not
    match the order's state (see notices.allowed_templates)."""
    if template not in notices.order_state(item.order_id, today()):
        raise ActionRefused(notices.why_not(template))
    order = Order.objects.select_related("patient").get(pk=item.order_id)
    return notices.compose(order, template=template, extra=extra)


def notify_patient(
    item: WorkItem,
    *,
    by: User,
    template: str,
    channel: str = NotificationChannel.EMAIL,
    extra: str = "",
    phone_outcome: str = "",
    digest: str | None = None,
) -> PatientNotification:
    """Tell the patient about the item by email, printed letter or phone call.

    The message must match the order's state now (notices.allowed_templates); with
    `digest` (from the preview) it must also be word for word the text previewed. The
    text as composed is kept. An email is queued and sent by a task after the commit
    (send_patient_email); a letter is kept for printing (notices.letter_pdf); a call is
    logged with its outcome, and one that reached nobody is recorded as failed.
    """
    with transaction.atomic():
        # The item's lock orders this after a decision being recorded on it.
        item = WorkItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        claim_if_unclaimed(item, by)
        order = Order.objects.select_related("patient").get(pk=item.order_id)
        patient = order.patient
        if template not in notices.order_state(order.pk, today()):
            raise ActionRefused(notices.why_not(template))
        if channel == NotificationChannel.EMAIL and not patient.email:
            raise ActionRefused(
                "The patient has no email address on file: send a letter or call instead."
            )
        if channel == NotificationChannel.PHONE and phone_outcome not in PhoneOutcome.values:
            raise ActionRefused("Say how the call went.")
        if channel != NotificationChannel.PHONE and phone_outcome:
            raise ActionRefused("A call outcome goes with a phone call only.")
        notice = notices.compose(order, template=template, extra=extra)
        if digest is not None and digest != notice.digest:
            raise ActionRefused(
                "The message is no longer the one previewed (the item or its "
                "authorizations changed): preview it again."
            )
        now = timezone.now()
        row: dict[str, Any] = {"status": NotificationStatus.SENT, "sent_at": now, "attempts": 1}
        if channel == NotificationChannel.EMAIL:
            row = {"status": NotificationStatus.QUEUED, "to_address": patient.email}
        elif channel == NotificationChannel.PHONE and phone_outcome in PHONE_FAILURES:
            row = {
                "status": NotificationStatus.FAILED,
                "failure_reason": f"Call not completed: {PhoneOutcome(phone_outcome).label}.",
                "attempts": 1,
            }
        notification = PatientNotification.objects.create(
            work_item=item,
            template=template,
            channel=channel,
            phone_outcome=phone_outcome,
            subject=notice.subject,
            body=notice.body,
            financial_responsibility=notice.financial_responsibility,
            created_at=now,
            sent_by=by,
            **row,
        )
        if channel == NotificationChannel.EMAIL:
            transaction.on_commit(partial(_queue_patient_email, notification.pk))
        record_work(
            item,
            EventKind.NOTIFIED,
            by,
            {
                "notification": notification.pk,
                "template": template,
                "channel": channel,
                "status": notification.status,
                "financial": notice.financial_responsibility,
            },
        )
    return notification


def _queue_patient_email(notification_id: int) -> bool:
    """Hand the email to the task queue and note when it took it. If the broker cannot be
    reached the email stays queued, not handed over: queue_waiting_emails tries again."""
    from worklists.tasks import send_patient_email

    try:
        send_patient_email.delay(notification_id)
    except Exception as exc:  # noqa: BLE001 - any broker failure: handed over later
        log.warning(
            "patient email %s waits for the task queue: %s", notification_id, type(exc).__name__
        )
        return False
    PatientNotification.objects.filter(pk=notification_id).update(handed_over_at=timezone.now())
    return True


def queue_waiting_emails(*, batch: int = 500) -> int:
    """Hand to the task queue the queued emails it never took (the broker was down when
    they were sent); returns how many it took. One handed over twice is sent once: the
    delivery locks the row and sends only a queued email."""
    waiting = PatientNotification.objects.filter(
        channel=NotificationChannel.EMAIL,
        status=NotificationStatus.QUEUED,
        handed_over_at__isnull=True,
    ).order_by("pk")
    taken = 0
    for notification_id in waiting.values_list("pk", flat=True)[:batch]:
        if not _queue_patient_email(notification_id):
            break  # the broker is still away; the next run tries again
        taken += 1
    return taken


def resend_patient_email(notification: PatientNotification, *, by: User) -> PatientNotification:
    """Queue a failed email again, the same text to the same address, with fresh attempts."""
    with transaction.atomic():
        notification = PatientNotification.objects.select_for_update().get(pk=notification.pk)
        if notification.channel != NotificationChannel.EMAIL:
            raise ActionRefused("Only an email can be sent again.")
        if notification.status != NotificationStatus.FAILED:
            raise ActionRefused(f"This email is {notification.get_status_display().lower()}.")
        notification.status = NotificationStatus.QUEUED
        notification.attempts = 0
        notification.handed_over_at = None
        notification.save(update_fields=["status", "attempts", "handed_over_at"])
        transaction.on_commit(partial(_queue_patient_email, notification.pk))
        WorkItemEvent.objects.create(
            work_item_id=notification.work_item_id,
            kind=EventKind.NOTIFICATION_RESENT,
            actor=by,
            data={"notification": notification.pk},
        )
    return notification


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one attempt at a patient email did. retry: queued for another attempt."""

    status: str
    retry: bool = False
    attempts: int = 0


def deliver_patient_email(notification_id: int) -> Delivery | None:
    """One attempt at sending a queued patient email (the task's body).

    The row stays locked while the mail server is talked to, so two deliveries of the
    same task cannot both send. A transient failure leaves it queued (retry=True) until
    AUTHQ_EMAIL_MAX_ATTEMPTS; then, or on a permanent failure, it is failed with the
    reason. None when there is nothing to send (already sent, failed or not an email).
    """
    with transaction.atomic():
        notification = (
            PatientNotification.objects.select_for_update()
            .filter(
                pk=notification_id,
                channel=NotificationChannel.EMAIL,
                status=NotificationStatus.QUEUED,
            )
            .first()
        )
        if notification is None:
            return None
        notification.attempts += 1
        message = EmailMessage(
            notification.subject, notification.body, None, [notification.to_address]
        )
        backend = mailers.default
        try:
            backend.send_messages([message])
        except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
            reason, transient = notices.describe_mail_error(exc, backend)
            last = notification.attempts >= settings.AUTHQ_EMAIL_MAX_ATTEMPTS
            notification.failure_reason = reason
            retry = transient and not last
            if not retry:
                notification.status = NotificationStatus.FAILED
            log.warning(
                "patient email %s attempt %s failed (%s): %s",
                notification.pk,
                notification.attempts,
                "will retry" if retry else "gave up",
                reason,
            )
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = timezone.now()
            notification.failure_reason = ""
            retry = False
        notification.save(update_fields=["status", "sent_at", "attempts", "failure_reason"])
        if notification.status != NotificationStatus.QUEUED:
            WorkItemEvent.objects.create(
                work_item_id=notification.work_item_id,
                kind=(
                    EventKind.NOTIFICATION_SENT
                    if notification.status == NotificationStatus.SENT
                    else EventKind.NOTIFICATION_FAILED
                ),
                data={"notification": notification.pk, "attempts": notification.attempts},
            )
    return Delivery(notification.status, retry, notification.attempts)
