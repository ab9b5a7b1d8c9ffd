"""Telling the patient: messages that match the records, a preview of the exact text,
email through a task that records what really happened, letters and calls."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone

from authq.lib.exceptions import ActionRefused
from authq.mail import RedactedConsoleBackend
from patients.models import AccessEvent
from payers.models import Authorization, AuthStatus
from tests.smtp_server import closed_port, smtp_mailers, smtp_server
from tests.views.conftest import HTMX
from tests.views.item_fixtures import missing_auth_item, soon
from worklists import item_actions, notices, notifying
from worklists.models import ItemKind, PatientNotification, WorkItemEvent
from worklists.tasks import send_patient_email

pytestmark = pytest.mark.django_db

T = "worklists:item-notify"


def url(item, name="notify", *args):
    return reverse(f"worklists:item-{name}", args=[item.pk, *args])


def post_data(template="requesting", channel="email", **kw):
    data = {"notify-template": template, "notify-channel": channel, "notify-extra": ""}
    data.update({f"notify-{k}": v for k, v in kw.items()})
    return data


def preview(client, item, **kw):
    return client.post(url(item, "notify-preview"), post_data(**kw), **HTMX)


def digest_in(html: str) -> str:
    match = re.search(r'name="notify-digest" value="([0-9a-f]+)"', html)
    assert match, "the preview carries the digest of its text"
    return match.group(1)


def send(client, item, **kw):
    """Preview, then send what was previewed, as the page does."""
    shown = preview(client, item, **kw)
    return client.post(url(item), post_data(digest=digest_in(shown.text), **kw), **HTMX)


def approve(item, specialist, visits=12):
    return item_actions.decide_for_item(
        item,
        None,
        by=specialist,
        outcome="approved",
        auth_number="AUTH-1",
        start_date=soon(0),
        end_date=soon(60),
        approved_visits=visits,
    )


# Which messages are offered.


def auth(status, *, end=None, decided=None, pk=1):
    return Authorization(pk=pk, status=status, end_date=end, decided_at=decided)


TODAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("auths", "open_kinds", "expected"),
    [
        ([], [ItemKind.MISSING_AUTH], ["requesting"]),
        ([], [ItemKind.UNKNOWN_RULE], ["requesting"]),
        ([], [ItemKind.NO_COVERAGE], ["no_coverage"]),
        # Expiring: the authorization is approved today, but not for the visits after it.
        ([auth("approved", decided=NOW)], [ItemKind.AUTH_EXPIRING], ["requesting"]),
        ([auth("submitted")], [ItemKind.MISSING_AUTH], ["requesting", "pending"]),
        ([auth("submitted")], [ItemKind.PENDING_FOLLOW_UP], ["pending"]),
        ([auth("partial", decided=NOW)], [ItemKind.VISIT_LIMIT], ["limited"]),
        ([auth("denied", decided=NOW)], [ItemKind.DENIED], ["denied"]),
        # Nothing open: what the authorizations say.
        ([auth("approved", decided=NOW)], [], ["approved"]),
        ([auth("partial", decided=NOW)], [], ["limited"]),
        ([auth("submitted")], [], ["pending"]),
        (
            [auth("denied", decided=NOW), auth("approved", decided=NOW + dt.timedelta(1), pk=2)],
            [],
            ["approved"],
        ),
        # Ended or cancelled authorizations say nothing any more.
        ([auth("approved", decided=NOW, end=TODAY - dt.timedelta(1))], [], []),
        ([auth("cancelled")], [], []),
    ],
)
def test_the_messages_offered_follow_the_records(auths, open_kinds, expected):
    assert notices.allowed_templates(auths, open_kinds, TODAY) == expected


def test_no_open_gap_ever_offers_approved():
    approved = [auth("approved", decided=NOW)]
    for kind in ItemKind.values:
        assert "approved" not in notices.allowed_templates(approved, [kind], TODAY)


def test_the_page_offers_only_matching_messages_and_chooses_none(specialist_web):
    item = missing_auth_item()
    page = specialist_web.get(reverse("worklists:item", args=[item.pk]))
    form = page.context["forms"]["notify"]
    assert [value for value, _label in form.fields["template"].choices] == ["requesting"]
    assert form.initial.get("template") is None
    assert "Authorization approved" not in page.text
    radios = re.findall(r'<input type="radio" name="notify-template"[^>]*>', page.text)
    assert len(radios) == 1 and 'value="requesting"' in radios[0]
    assert "checked" not in radios[0]


def test_after_an_approval_the_approved_message_is_offered(specialist, specialist_web):
    item = missing_auth_item()
    approve(item, specialist)
    page = specialist_web.get(reverse("worklists:item", args=[item.pk]))
    choices = page.context["forms"]["notify"].fields["template"].choices
    assert [v for v, _ in choices] == ["approved"]


def test_the_server_refuses_a_message_the_records_contradict(specialist, specialist_web):
    item = missing_auth_item()
    # Through the form, in both steps ...
    shown = preview(specialist_web, item, template="approved")
    assert "does not match this item now" in shown.text
    forged = notices.compose(item.order, template="approved").digest
    sent = specialist_web.post(url(item), post_data(template="approved", digest=forged), **HTMX)
    assert "does not match this item now" in sent.text
    # ... and in the service itself, whoever calls it.
    with pytest.raises(ActionRefused, match="does not match this item"):
        notifying.notify_patient(item, by=specialist, template="approved")
    with pytest.raises(ActionRefused, match="does not match this item"):
        notifying.preview_notice(item, template="approved")
    assert not PatientNotification.objects.exists()


# Preview, then send.


def test_the_preview_shows_the_exact_text_and_sends_nothing(specialist_web):
    item = missing_auth_item()
    shown = preview(specialist_web, item, extra="Call us at 555-0100.")
    assert shown.status_code == 200
    notice = shown.context["notice"]
    assert "has not yet authorized" in notice.subject
    assert "you may be responsible" in notice.body and "Call us at 555-0100." in notice.body
    assert notice.subject in shown.text
    assert "Call us at 555-0100." in shown.text and "Send email" in shown.text
    assert not PatientNotification.objects.exists()


def test_sending_keeps_the_previewed_text_and_says_queued(specialist_web):
    item = missing_auth_item()
    shown = preview(specialist_web, item, extra="Bring your card.")
    response = specialist_web.post(
        url(item), post_data(extra="Bring your card.", digest=digest_in(shown.text)), **HTMX
    )
    assert "Email queued" in response.text and "Email sent" not in response.text
    record = PatientNotification.objects.get(work_item=item)
    assert (record.channel, record.status, record.attempts) == ("email", "queued", 0)
    assert record.body == shown.context["notice"].body
    assert record.to_address == "pat@example.org" and record.sent_at is None
    event = WorkItemEvent.objects.get(work_item=item, kind="notified")
    assert event.data["channel"] == "email" and event.data["status"] == "queued"


def test_sending_without_a_preview_is_refused(specialist_web):
    item = missing_auth_item()
    response = specialist_web.post(url(item), post_data(), **HTMX)
    assert "Preview the message first" in response.text
    assert not PatientNotification.objects.exists()


def test_a_message_changed_since_the_preview_is_refused(specialist_web):
    item = missing_auth_item()
    shown = preview(specialist_web, item, extra="First text")
    response = specialist_web.post(
        url(item), post_data(extra="Other text", digest=digest_in(shown.text)), **HTMX
    )
    assert "no longer the one previewed" in response.text
    assert not PatientNotification.objects.exists()


def test_without_javascript_the_preview_is_a_page_and_sending_redirects(specialist_web):
    item = missing_auth_item()
    shown = specialist_web.post(url(item, "notify-preview"), post_data())
    assert shown.status_code == 200 and "<html" in shown.text and "Send email" in shown.text
    sent = specialist_web.post(url(item), post_data(digest=digest_in(shown.text)))
    assert sent.status_code == 302
    page = specialist_web.get(sent["Location"])
    assert "Email queued" in page.text


# A patient without email: letter or call.


def test_a_patient_without_email_is_offered_a_letter_or_a_call_only(specialist_web):
    item = missing_auth_item(email="")
    page = specialist_web.get(reverse("worklists:item", args=[item.pk]))
    channels = [v for v, _ in page.context["forms"]["notify"].fields["channel"].choices]
    assert channels == ["letter", "phone"]
    assert "No email address on file" in page.text
    refused = preview(specialist_web, item, channel="email")
    assert "no email address on file" in refused.text
    assert not PatientNotification.objects.exists()


def test_a_letter_is_recorded_and_prints_as_a_pdf(specialist_web):
    item = missing_auth_item(email="")
    response = send(specialist_web, item, channel="letter")
    assert "Letter recorded" in response.text
    record = PatientNotification.objects.get(work_item=item)
    assert (record.channel, record.status, record.to_address) == ("letter", "sent", "")
    assert "Letter (PDF)" in response.text
    pdf = specialist_web.get(url(item, "notification-letter", record.pk))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert b"has not yet authorized" in pdf.content
    audit = AccessEvent.objects.filter(model="worklists.patientnotification", action="view")
    assert audit.filter(object_ids=[record.pk], patient_ids=[item.order.patient_id]).exists()


def test_only_letters_print(specialist_web):
    item = missing_auth_item()
    send(specialist_web, item)
    record = PatientNotification.objects.get()
    assert specialist_web.get(url(item, "notification-letter", record.pk)).status_code == 404


def test_a_call_is_logged_with_its_outcome(specialist_web):
    item = missing_auth_item(email="")
    response = send(specialist_web, item, channel="phone", phone_outcome="no_answer")
    assert "Call logged as not completed (no answer)" in response.text
    failed = PatientNotification.objects.get()
    assert (failed.channel, failed.status, failed.phone_outcome) == ("phone", "failed", "no_answer")
    assert failed.failure_reason == "Call not completed: No answer."
    send(specialist_web, item, channel="phone", phone_outcome="reached")
    reached = PatientNotification.objects.latest("id")
    assert (reached.status, reached.sent_at is not None) == ("sent", True)


def test_a_call_needs_its_outcome(specialist_web):
    item = missing_auth_item(email="")
    response = preview(specialist_web, item, channel="phone")
    assert "Say how the call went." in response.text


# The email task: real SMTP on loopback.


def queued_email(specialist):
    item = missing_auth_item()
    return notifying.notify_patient(item, by=specialist, template="requesting")


def test_the_task_sends_the_email_and_marks_it_sent(specialist, settings):
    record = queued_email(specialist)
    with smtp_server() as (port, box):
        settings.MAILERS = smtp_mailers(port)
        assert send_patient_email.apply(args=[record.pk]).get() == "sent"
    (sender, rcpts, data) = box.messages[0]
    assert rcpts == ["<pat@example.org>"] and "has not yet authorized" in data
    record.refresh_from_db()
    assert (record.status, record.attempts, record.failure_reason) == ("sent", 1, "")
    assert record.sent_at is not None
    assert WorkItemEvent.objects.filter(kind="notification_sent").count() == 1
    # Delivered again (a worker died before acknowledging): nothing is sent twice.
    assert send_patient_email.apply(args=[record.pk]).get() is None
    assert len(box.messages) == 1


def test_a_refused_connection_is_retried_then_marked_failed_with_the_reason(
    specialist, specialist_web, settings
):
    settings.AUTHQ_EMAIL_MAX_ATTEMPTS = 3
    port = closed_port()
    settings.MAILERS = smtp_mailers(port)
    record = queued_email(specialist)
    # apply() runs the task's retries in this process, one after the other.
    assert send_patient_email.apply(args=[record.pk]).get() == "failed"
    record.refresh_from_db()
    assert (record.status, record.attempts) == ("failed", 3)
    reason = f"The mail server at 127.0.0.1:{port} refused the connection."
    assert record.failure_reason == reason
    assert WorkItemEvent.objects.filter(kind="notification_failed").count() == 1
    page = specialist_web.get(reverse("worklists:item", args=[record.work_item_id]))
    assert f"failed: {reason}" in page.text and "Send again" in page.text


def test_a_permanent_refusal_fails_at_once_without_quoting_the_server(specialist, settings):
    record = queued_email(specialist)
    with smtp_server(rcpt_reply="550 5.1.1 <pat@example.org>: no such user") as (port, box):
        settings.MAILERS = smtp_mailers(port)
        assert send_patient_email.apply(args=[record.pk]).get() == "failed"
    record.refresh_from_db()
    assert (record.status, record.attempts) == ("failed", 1)
    assert record.failure_reason == "The mail server refused the patient's address (550)."
    assert not box.messages


def test_a_failed_email_can_be_sent_again(specialist, specialist_web, settings):
    settings.AUTHQ_EMAIL_MAX_ATTEMPTS = 1
    settings.MAILERS = smtp_mailers(closed_port())
    record = queued_email(specialist)
    send_patient_email.apply(args=[record.pk])
    response = specialist_web.post(url(record.work_item, "notification-resend", record.pk), **HTMX)
    assert "Email queued again" in response.text
    record.refresh_from_db()
    assert (record.status, record.attempts) == ("queued", 0)
    with smtp_server() as (port, box):
        settings.MAILERS = smtp_mailers(port)
        assert send_patient_email.apply(args=[record.pk]).get() == "sent"
    assert len(box.messages) == 1
    again = specialist_web.post(url(record.work_item, "notification-resend", record.pk), **HTMX)
    assert "This email is sent" in again.text


def test_the_notification_log_polls_while_an_email_is_queued(
    specialist, specialist_web, django_assert_max_num_queries
):
    record = queued_email(specialist)
    with django_assert_max_num_queries(10):
        log = specialist_web.get(url(record.work_item, "notifications"), **HTMX)
    assert 'hx-trigger="every 3s"' in log.text and "queued" in log.text
    record.status, record.sent_at = "sent", timezone.now()
    record.save()
    log = specialist_web.get(url(record.work_item, "notifications"), **HTMX)
    assert "every 3s" not in log.text and "sent" in log.text


# Roles and the audit.


def test_a_manager_can_neither_preview_nor_send(manager_web):
    item = missing_auth_item()
    assert manager_web.post(url(item, "notify-preview"), post_data()).status_code == 403
    assert manager_web.post(url(item), post_data(digest="x" * 32)).status_code == 403
    assert not PatientNotification.objects.exists()


def test_notifying_leaves_audit_rows(specialist, specialist_web, settings):
    item = missing_auth_item()
    patient_id = item.order.patient_id
    preview_start = AccessEvent.objects.count()
    preview(specialist_web, item)
    shown = AccessEvent.objects.filter(
        id__gt=0, model="patients.patient", action="view", user_id=specialist.pk
    )
    assert AccessEvent.objects.count() > preview_start and shown.exists()
    send(specialist_web, item)
    record = PatientNotification.objects.get()
    created = AccessEvent.objects.get(model="worklists.patientnotification", action="create")
    assert (created.user_id, created.object_ids, created.patient_ids) == (
        specialist.pk,
        [record.pk],
        [patient_id],
    )
    assert created.request_id and created.remote_addr == "127.0.0.1"
    # The task's update (no person acting) is recorded too.
    with smtp_server() as (port, _box):
        settings.MAILERS = smtp_mailers(port)
        send_patient_email.apply(args=[record.pk])
    updated = AccessEvent.objects.get(model="worklists.patientnotification", action="update")
    assert (updated.user_id, updated.patient_ids) == (None, [patient_id])


def test_events_and_audit_hold_no_patient_text(specialist_web):
    item = missing_auth_item(email="jane.roe@example.org")
    send(specialist_web, item, extra="Jane, call us")
    stored = str(list(WorkItemEvent.objects.values_list("data", flat=True)))
    stored += str(list(AccessEvent.objects.values_list("model", "object_ids", "patient_ids")))
    assert "jane" not in stored.lower()


# The development mail backend.


def test_the_console_backend_prints_no_address_and_no_name():
    stream = io.StringIO()
    backend = RedactedConsoleBackend(alias="default", stream=stream)
    message = EmailMessage(
        "Your physical therapy is authorized",
        "Dear Jane Roe,\n\nYour appointments can go ahead.",
        "authq@clinic.example",
        ["jane.roe@example.org"],
    )
    assert backend.send_messages([message]) == 1
    out = stream.getvalue()
    assert "Your physical therapy is authorized" in out and "1 recipient, redacted" in out
    assert "jane" not in out.lower() and "roe" not in out.lower()


def test_debug_settings_use_the_redacting_console_backend():
    from authq import settings as project_settings

    assert project_settings.MAILERS["default"]["BACKEND"] == "authq.mail.RedactedConsoleBackend"


def test_an_approved_status_elsewhere_does_not_leak_into_an_open_gap(specialist, specialist_web):
    """An approval for fewer visits than booked: the order still has a gap (visit limit),
    so even on the resolved item the patient cannot be told the visits are approved."""
    item = missing_auth_item(visits=4)
    approve(item, specialist, visits=1)
    page = specialist_web.get(reverse("worklists:item", args=[item.pk]))
    choices = [v for v, _ in page.context["forms"]["notify"].fields["template"].choices]
    assert "approved" not in choices and choices
    assert Authorization.objects.get(order_id=item.order_id).status == AuthStatus.APPROVED
