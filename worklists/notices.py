"""What a patient may be told about an item, and the exact words.

`allowed_templates` decides from the item and the order's authorizations as they stand
now, so no message can claim more coverage than the records show; `compose` renders the
subject and body that the preview shows and the notification keeps; `letter_pdf` prints
a kept notification as a letter.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from patients.models import Order
from payers.models import Authorization, AuthStatus
from worklists.models import (
    FEED_KINDS,
    ItemKind,
    NotificationTemplate,
    PatientNotification,
    WorkItem,
)

T = NotificationTemplate

# While an item is open its gap is real: this is the one message that fits the gap.
# None of them tells the patient the visits are covered.
GAP_TEMPLATES = {
    ItemKind.NO_COVERAGE: T.NO_COVERAGE,
    ItemKind.UNKNOWN_RULE: T.REQUESTING,
    ItemKind.MISSING_AUTH: T.REQUESTING,
    ItemKind.AUTH_EXPIRING: T.REQUESTING,
    ItemKind.VISIT_LIMIT: T.LIMITED,
    ItemKind.DENIED: T.DENIED,
    ItemKind.PENDING_FOLLOW_UP: T.PENDING,
}

# Messages that tell the patient they may have to pay.
FINANCIAL_TEMPLATES = (T.REQUESTING, T.NO_COVERAGE, T.LIMITED, T.DENIED)


def current_authorizations(auths: Iterable[Authorization], today: dt.date) -> list[Authorization]:
    """Authorizations that still say something: sent or decided, not cancelled, not ended."""
    return [
        a
        for a in auths
        if a.status not in (AuthStatus.DRAFT, AuthStatus.CANCELLED)
        and (a.end_date is None or a.end_date >= today)
    ]


def allowed_templates(
    auths: Iterable[Authorization], open_kinds: Iterable[str], today: dt.date
) -> list[str]:
    """The messages that match an order's state, in menu order.

    `open_kinds` are the kinds of the order's open items (gaps the scan still finds).
    With a gap open: the message for each gap (plus "waiting on the payer" when a request
    is out); "approved" is never offered then. With none: what the current authorizations
    say: approved, partly approved (limited), denied (only when the latest decision is the
    denial) or submitted (pending).
    """
    current = current_authorizations(auths, today)
    statuses = {a.status for a in current}
    allowed: set[str] = set()
    if AuthStatus.SUBMITTED in statuses:
        allowed.add(T.PENDING)
    kinds = set(map(ItemKind, open_kinds))
    gaps = {GAP_TEMPLATES[k] for k in kinds if k in GAP_TEMPLATES}
    # A denied claim (billing) has no message of its own, but no "approved" either.
    if gaps or kinds & set(FEED_KINDS):
        allowed |= gaps
    else:
        if AuthStatus.APPROVED in statuses:
            allowed.add(T.APPROVED)
        if AuthStatus.PARTIAL in statuses:
            allowed.add(T.LIMITED)
        decided = [a for a in current if a.decided_at is not None and a.status != "submitted"]
        latest = max(decided, key=lambda a: (a.decided_at, a.pk), default=None)
        if latest is not None and latest.status == AuthStatus.DENIED:
            allowed.add(T.DENIED)
    return [t for t in T.values if t in allowed]


def order_state(order_id: int, today: dt.date) -> list[str]:
    """allowed_templates for an order, read from the database (two queries)."""
    auths = Authorization.objects.filter(order_id=order_id).only(
        "id", "status", "end_date", "decided_at"
    )
    kinds = WorkItem.objects.open().filter(order_id=order_id).values_list("kind", flat=True)
    return allowed_templates(list(auths), list(kinds), today)


def why_not(template: str) -> str:
    label = T(template).label
    return (
        f"“{label}” does not match this item and its authorizations as they stand now; "
        "choose one of the messages offered."
    )


@dataclass(frozen=True, slots=True)
class Notice:
    template: str
    subject: str
    body: str
    financial_responsibility: bool

    @property
    def digest(self) -> str:
        """Names the exact text previewed; sending checks it is still the same text."""
        text = f"{self.template}\n{self.subject}\n{self.body}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def compose(order: Order, *, template: str, extra: str = "") -> Notice:
    """The message from templates/email/patient_<template>{_subject,}.txt."""
    context = {
        "patient": order.patient,
        "order": order,
        # One kind of line break, whatever the browser sent: the preview's digest must match.
        "extra": "\n".join(line.rstrip() for line in extra.strip().splitlines()),
        "practice": settings.AUTHQ_PRACTICE_NAME,
    }
    subject = " ".join(render_to_string(f"email/patient_{template}_subject.txt", context).split())
    body = render_to_string(f"email/patient_{template}.txt", context).strip() + "\n"
    return Notice(template, subject, body, template in FINANCIAL_TEMPLATES)


# Mail errors, told in authq's words: the server's own text may quote the address.


def describe_mail_error(exc: BaseException, backend: Any = None) -> tuple[str, bool]:
    """(reason to show and keep, whether another attempt may succeed)."""
    where = ""
    if getattr(backend, "host", None):
        where = f" at {backend.host}:{backend.port}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _m in exc.recipients.values()] or [550]
        code = int(codes[0])
        return f"The mail server refused the patient's address ({code}).", 400 <= code < 500
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (
            f"The mail server refused authq's sign-in ({exc.smtp_code}): "
            "check AUTHQ_EMAIL_USER and AUTHQ_EMAIL_PASSWORD.",
            False,
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return (
            f"The mail server refused the sender address ({exc.smtp_code}): "
            "check AUTHQ_FROM_EMAIL.",
            400 <= exc.smtp_code < 500,
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        code = int(exc.smtp_code)
        return f"The mail server answered with error {code}.", 400 <= code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"The mail server{where} closed the connection.", True
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"The mail server{where} does not support what authq asked (TLS?).", False
    if isinstance(exc, ssl.SSLError):
        return f"The secure connection to the mail server{where} failed.", False
    if isinstance(exc, ConnectionRefusedError):
        return f"The mail server{where} refused the connection.", True
    if isinstance(exc, TimeoutError):
        return f"The mail server{where} did not answer in time.", True
    if isinstance(exc, OSError):
        return f"The mail server{where} could not be reached ({type(exc).__name__}).", True
    if isinstance(exc, smtplib.SMTPException):
        return f"Sending failed ({type(exc).__name__}).", True
    return f"Sending failed with an unexpected error ({type(exc).__name__}).", False


# The printed letter.

FONT = "Helvetica"


def _latin1(text: str) -> str:
    # The PDF's built-in fonts cover Latin-1 only; other characters print as "?".
    return text.encode("latin-1", "replace").decode("latin-1")


def letter_pdf(notification: PatientNotification, when: dt.date) -> bytes:
    """A one-page (or longer) letter: practice, date, subject line, the body as kept."""
    from fpdf import FPDF  # seconds to import: only where a letter is printed

    pdf = FPDF(format="Letter")
    pdf.set_title(_latin1(notification.subject))
    pdf.set_creator("authq")
    # A letter is a few kilobytes either way; plain streams let the tests read the text.
    pdf.set_compression(False)
    pdf.set_margins(25, 25, 25)
    pdf.add_page()
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(0, 7, _latin1(settings.AUTHQ_PRACTICE_NAME), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 11)
    pdf.ln(4)
    pdf.multi_cell(0, 6, when.strftime("%B %-d, %Y"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 6, _latin1(notification.subject), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT, "", 11)
    pdf.multi_cell(0, 6, _latin1(notification.body), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
