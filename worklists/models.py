"""Work items found by the scan, their history, and a record of each scan."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Func, Q, Value, When
from django.db.models.functions import Coalesce, Least
from django.db.models.lookups import GreaterThan, LessThan
from django.utils import timezone

from authq.lib.bounds import validate_date_in_window
from authq.lib.sql import Literal


class ItemKind(models.TextChoices):
    NO_COVERAGE = "no_coverage", "No coverage"
    UNKNOWN_RULE = "unknown_rule", "Unknown payer rule"
    MISSING_AUTH = "missing_auth", "Missing authorization"
    AUTH_EXPIRING = "auth_expiring", "Authorization expiring"
    VISIT_LIMIT = "visit_limit", "Visit limit"
    DENIED = "denied", "Denied"
    PENDING_FOLLOW_UP = "pending_follow_up", "Pending: follow up"
    CLAIM_DENIED_AUTH = "claim_denied_auth", "Claim denied: authorization"


# Kinds opened by a feed (an 835 remittance), not by the scan: the scan neither updates
# nor resolves them (worklists.scan.apply), a person closes them.
FEED_KINDS = (ItemKind.CLAIM_DENIED_AUTH,)


class Queue(models.TextChoices):
    STAT = "stat", "STAT"
    ROUTINE = "routine", "Routine"
    BILLING = "billing", "Billing"


class ItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING_ON_PAYER = "waiting_on_payer", "Waiting on payer"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


# Every state a person still has to act on; "open" in filters means all of these.
ACTIVE_STATUSES = (ItemStatus.OPEN, ItemStatus.IN_PROGRESS, ItemStatus.WAITING_ON_PAYER)

# Which action moves a work item from which status to which (the scan, claiming and the
# item actions change status only through this table). A status an action does
# not list is one it cannot be done in; a status listed onto itself is kept. The scan
# makes items open (an INSERT) and never reopens a closed one: a gap found again opens a
# new item.
ITEM_TRANSITIONS: dict[str, dict[str, str]] = {
    # A person takes the item (claim, claim next, the first action on an unclaimed one).
    "claim": {
        ItemStatus.OPEN: ItemStatus.IN_PROGRESS,
        ItemStatus.IN_PROGRESS: ItemStatus.IN_PROGRESS,
        ItemStatus.WAITING_ON_PAYER: ItemStatus.WAITING_ON_PAYER,
    },
    # The assignee, a manager or the lapsed lease gives it back to the queue.
    "release": {
        ItemStatus.OPEN: ItemStatus.OPEN,
        ItemStatus.IN_PROGRESS: ItemStatus.OPEN,
        ItemStatus.WAITING_ON_PAYER: ItemStatus.WAITING_ON_PAYER,
    },
    # A request went to the payer.
    "submit": dict.fromkeys(ACTIVE_STATUSES, ItemStatus.WAITING_ON_PAYER),
    # The payer answered (a pended answer moves nothing).
    "decide": dict.fromkeys(ACTIVE_STATUSES, ItemStatus.IN_PROGRESS),
    # A person decided the item needs no work.
    "dismiss": dict.fromkeys(ACTIVE_STATUSES, ItemStatus.DISMISSED),
    # The scan no longer finds the gap.
    "resolve": dict.fromkeys(ACTIVE_STATUSES, ItemStatus.RESOLVED),
}


def status_after(action: str, status: str) -> str | None:
    """The status `action` gives an item in `status`; None when it cannot be done then."""
    return ITEM_TRANSITIONS[action].get(status)


class Resolution(models.TextChoices):
    GAP_CLOSED = "gap_closed", "Resolved by the scan: the gap is no longer found"
    DISMISSED = "dismissed", "Dismissed by a person"


class DismissalReason(models.TextChoices):
    NOT_NEEDED = "not_needed", "Authorization not needed for this service"
    HANDLED_ELSEWHERE = "handled_elsewhere", "Handled outside authq"
    SELF_PAY = "self_pay", "Patient chose self-pay"
    APPOINTMENTS_WRONG = "appointments_wrong", "Appointments will be cancelled or moved"
    DUPLICATE = "duplicate", "Duplicate of another item"
    OTHER = "other", "Other (see note)"


class WorkItemQuerySet(models.QuerySet["WorkItem"]):
    def move(self, action: str, **fields: object) -> int:
        """Apply `action` to these items by ITEM_TRANSITIONS in one conditional UPDATE
        (with `fields`), skipping those it cannot apply to or would leave as they are;
        returns how many moved."""
        moves = {old: new for old, new in ITEM_TRANSITIONS[action].items() if old != new}
        if not moves:
            return 0
        targets = set(moves.values())
        status: Any = (
            Value(targets.pop())
            if len(targets) == 1
            else Case(*(When(status=old, then=Value(new)) for old, new in moves.items()))
        )
        return self.filter(status__in=list(moves)).update(status=status, **fields)

    def open(self) -> WorkItemQuerySet:
        """Items a person still has to act on (open, in progress, waiting on payer).

        The statuses are written into the SQL (Literal) so that a prepared statement's
        one plan can use the indexes whose condition is these statuses.
        """
        return self.filter(status__in=[Literal(s.value) for s in ACTIVE_STATUSES])

    def in_queue(self, queue: str) -> WorkItemQuerySet:
        return self.filter(queue=queue)

    def in_work_queue(self, today: dt.date) -> WorkItemQuerySet:
        """Not snoozed: no follow-up date, or one that has come (on or before today).

        An item whose follow-up date is still ahead waits out of the work queue (and out
        of claim next and the queue counts) until that day; it shows on the pending page.
        """
        return self.filter(Q(follow_up_on__isnull=True) | Q(follow_up_on__lte=today))

    def snoozed(self, today: dt.date) -> WorkItemQuerySet:
        """Items whose follow-up date is after today: out of the work queue until then."""
        return self.filter(follow_up_on__gt=today)

    def overdue(self, as_of: dt.date) -> WorkItemQuerySet:
        """Overdue means the due date is before as_of."""
        return self.filter(due_date__lt=as_of)

    def in_queue_order(self) -> WorkItemQuerySet:
        """STAT before routine, then the effective due date (the due date, or the follow-up
        date when that is earlier), then first service date (empty last), then id."""
        return self.order_by(*queue_key())

    def after_in_queue(self, key: tuple[int, dt.date, dt.date, int]) -> WorkItemQuerySet:
        """Items after `key` (a queue_key_of tuple) in queue order: one range of the index."""
        return self.filter(GreaterThan(Row(*queue_key()), Row(*map(Value, key))))

    def before_in_queue(self, key: tuple[int, dt.date, dt.date, int]) -> WorkItemQuerySet:
        """Items before `key` in queue order, nearest first (for the previous page)."""
        return self.filter(LessThan(Row(*queue_key()), Row(*map(Value, key)))).order_by(
            *(term.desc() for term in queue_key())
        )


# No first service date sorts after every date: the index and row comparisons need a
# value where ORDER BY ... NULLS LAST had none.
NO_SERVICE_DATE = dt.date.max


def queue_key() -> tuple[Any, ...]:
    """The terms of queue order: STAT first, effective due date, first service date, id.
    The index worklists_item_queue_rank is on exactly these; keyset paging compares them
    as a row.

    The effective due date is the earlier of the due date and the follow-up date
    (PostgreSQL's LEAST skips a NULL): an item snoozed to a follow-up date comes back on
    that day with it as its due date, so it sorts at the top of its queue, after only
    items already overdue before that day.
    """
    return (
        Case(When(queue=Literal(Queue.STAT.value), then=Literal(0)), default=Literal(1)),
        Least("due_date", "follow_up_on"),
        Coalesce("first_service_date", Literal(NO_SERVICE_DATE)),
        F("id"),
    )


def queue_key_of(
    queue: str, due: dt.date, first: dt.date | None, pk: int, follow_up: dt.date | None = None
) -> tuple:
    """An item's place in queue order, as queue_key() computes it in SQL."""
    due = min(due, follow_up) if follow_up else due
    return (0 if queue == Queue.STAT else 1, due, first or NO_SERVICE_DATE, pk)


class Row(Func):
    """A row constructor, (a, b, c): compared as a whole, left to right."""

    template = "(%(expressions)s)"
    output_field = models.BooleanField()  # only ever compared, never selected


class WorkItem(models.Model):
    """One gap of one order that someone has to work: one active item per (order, kind)."""

    order = models.ForeignKey("patients.Order", on_delete=models.CASCADE, related_name="work_items")
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    queue = models.CharField(max_length=8, choices=Queue.choices)
    status = models.CharField(max_length=20, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    first_service_date = models.DateField(null=True, blank=True)
    affected_appointments = models.PositiveIntegerField(default=0)
    due_date = models.DateField()
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_items",
    )
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True, default="")
    # When the assignee last claimed or acted on it: their claim lapses
    # AUTHQ_CLAIM_LEASE_MINUTES later (worklists.claiming.release_lapsed_claims).
    claim_active_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_seen_as_of = models.DateField(
        help_text="as_of of the last scan that opened or changed this item."
    )
    follow_up_on = models.DateField(
        null=True,
        blank=True,
        help_text="A person's follow-up date: while it is ahead, the item is snoozed out of "
        "the work queue; on that day it comes back with it as its due date.",
        validators=[validate_date_in_window],
    )
    # db_default: the scan inserts items with raw SQL that names only its own columns.
    dismissal_reason = models.CharField(
        max_length=24, choices=DismissalReason.choices, blank=True, default="", db_default=""
    )
    dismissal_note = models.CharField(max_length=500, blank=True, default="", db_default="")

    objects = WorkItemQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="worklists_workitem_one_active_per_order_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ItemKind.values), name="worklists_workitem_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(queue__in=Queue.values), name="worklists_workitem_queue_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ItemStatus.values), name="worklists_workitem_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ACTIVE_STATUSES) | Q(resolved_at__isnull=False),
                name="worklists_workitem_closed_has_time",
            ),
        ]
        permissions = [
            # Managers' dashboards (reports/views.py) and their CSV exports.
            ("view_dashboard", "Can see the managers' dashboards and export their tables"),
            # worklists.claiming.release and assign of an item a colleague has claimed.
            ("reassign_workitem", "Can release or reassign an item a colleague has claimed"),
        ]
        indexes = [
            # Serves release_lapsed_claims: claimed active items by their last activity.
            models.Index(
                fields=["claim_active_at"],
                condition=Q(assignee__isnull=False, status__in=ACTIVE_STATUSES),
                name="worklists_workitem_claim_lease",
            ),
            # Serves in_queue_order() over open items: the queue pages (page 1 and deep
            # pages walk it, a queue filter and in_work_queue() are checked on the way)
            # and claim next (an index probe). Its expressions must stay those of
            # in_queue_order().
            models.Index(
                *queue_key(),
                name="worklists_item_queue_rank",
                condition=Q(status__in=ACTIVE_STATUSES),
            ),
            # Serves "my items" and the assignee filter.
            models.Index(
                fields=["assignee", "due_date"],
                name="worklists_item_assignee",
                condition=Q(status__in=ACTIVE_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def due_standing(self, today: dt.date) -> str:
        """due_standing() of this item on `today`; "" once it is closed."""
        if not self.is_active:
            return ""
        found_on = self.created_at.astimezone(ZoneInfo(settings.AUTHQ_TIME_ZONE)).date()
        return due_standing(self.due_date, found_on, today)


# How an open item's due date stands (see due_standing).
ON_TIME, DUE_AT_ONCE, LATE, AT_ONCE_LATE = "", "at_once", "late", "at_once_late"


def due_standing(due_date: dt.date, found_on: dt.date, today: dt.date) -> str:
    """How an open item's due date stands on `today`, given the day it was found.

    The contract calls an item overdue when its due date is before today. Overdue comes
    in two kinds, because a scan may find a gap only after its due date has passed (a
    visit booked at short notice, a denial recorded days before the visit, the first
    scan of a practice):
    - *due at once* (DUE_AT_ONCE): the due date is before the day the item was found
      (`found_on`, the local date of its creation); nobody was late, it is to be worked
      now, and it is shown as "due at once since <found_on>";
    - *late* (LATE): the due date passed after the item was found and it is still open;
    - an item due at once that is still open after the day it was found is late too
      (AT_ONCE_LATE): the day it had to be worked, the day it was found, is over.
    Otherwise (due today or later) ON_TIME.
    """
    if due_date < found_on:
        return AT_ONCE_LATE if found_on < today else DUE_AT_ONCE
    return LATE if due_date < today else ON_TIME


class EventKind(models.TextChoices):
    """Every kind of work-item event, with the label pages show (event_label). The values
    are what WorkItemEvent.kind stores: never change one."""

    OPENED = "opened", "Opened by the scan"
    UPDATED = "updated", "Updated by the scan"
    RESOLVED = "resolved", "Resolved by the scan"
    BENEFITS_VERIFIED = "benefits_verified", "Benefits verified"
    SUBMITTED = "submitted", "Request submitted"
    DECIDED = "decided", "Payer answer recorded"
    PEER_REVIEW = "peer_review", "Peer-to-peer review recorded"
    APPEAL = "appeal", "Appeal recorded"
    DOCUMENT = "document", "Document attached"
    NOTE = "note", "Note added"
    FOLLOW_UP = "follow_up", "Follow-up date set"
    NOTIFIED = "notified", "Patient notified"
    NOTIFICATION_SENT = "notification_sent", "Patient email sent"
    NOTIFICATION_FAILED = "notification_failed", "Patient email failed"
    NOTIFICATION_RESENT = "notification_resent", "Patient email queued again"
    DISMISSED = "dismissed", "Dismissed"
    CLAIMED = "claimed", "Claimed"
    RELEASED = "released", "Released"
    ASSIGNED = "assigned", "Assigned"
    AUTH_REQUESTED = "auth_requested", "Authorization requested (scheduler)"
    PEER_REVIEW_OUTCOME = "peer_review_outcome", "Peer-to-peer outcome recorded"
    APPEAL_OUTCOME = "appeal_outcome", "Appeal outcome recorded"
    CLAIM_DENIED = "claim_denied", "Claim line denied by the payer (835)"


def event_label(kind: str) -> str:
    """An event kind as pages show it (a kind no longer known: its words)."""
    try:
        return str(EventKind(kind).label)
    except ValueError:
        return kind.replace("_", " ").capitalize()


class WorkItemEvent(models.Model):
    """Append-only history of a work item. Holds ids and codes, never PHI text."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["work_item", "at"], name="worklists_event_item_at")]

    def __str__(self) -> str:
        return f"{self.kind} on item {self.work_item_id}"


class ScanRun(models.Model):
    """One run of the scan, for operators: when, for which day, and what it changed."""

    as_of = models.DateField()
    trigger = models.CharField(max_length=16)  # "beat", "command", "order"
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A chunked run: when its last chunk finished, and when a later scan gave it up because
    # no chunk had finished for AUTHQ_SCAN_STALE_MINUTES (its chunks were lost).
    progressed_at = models.DateTimeField(null=True, blank=True)
    abandoned_at = models.DateTimeField(null=True, blank=True)
    orders_scanned = models.PositiveIntegerField(default=0)
    items_opened = models.PositiveIntegerField(default=0)
    items_updated = models.PositiveIntegerField(default=0)
    items_resolved = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"scan {self.as_of} ({self.trigger})"


class ScanRunChunk(models.Model):
    """A chunk of a chunked run that has been counted: a chunk delivered twice finds its
    row and counts nothing more (worklists.scan.runs.scan_chunk)."""

    run = models.ForeignKey(ScanRun, on_delete=models.CASCADE, related_name="chunks")
    first_id = models.BigIntegerField()
    orders = models.PositiveIntegerField()
    done_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "first_id"], name="worklists_scanrunchunk_once_per_run"
            )
        ]

    def __str__(self) -> str:
        return f"chunk from order {self.first_id} of run {self.run_id}"


class WorkItemNote(models.Model):
    """A specialist's free-text note on an item. The text may hold PHI: it stays here,
    never in events or logs."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(max_length=4000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"note {self.pk} on item {self.work_item_id}"


class NotificationTemplate(models.TextChoices):
    """The messages a patient can be sent; which ones fit an item is decided by
    worklists.notices.allowed_templates from the item and its authorizations."""

    REQUESTING = "requesting", "Authorization needed: we are requesting it"
    NO_COVERAGE = "no_coverage", "No active coverage found: you may be responsible"
    PENDING = "pending", "Request sent, waiting on the payer"
    APPROVED = "approved", "Authorization approved"
    LIMITED = "limited", "Coverage limited: financial responsibility"
    DENIED = "denied", "Coverage denied: financial responsibility"


class NotificationChannel(models.TextChoices):
    EMAIL = "email", "Email"
    LETTER = "letter", "Printed letter"
    PHONE = "phone", "Phone call"


class NotificationStatus(models.TextChoices):
    """Queued: an email waiting for (another) attempt. Sent: the mail server took the
    email, the letter was produced for printing, or the call reached the patient or
    their voicemail. Failed: it did not reach the patient; failure_reason says why."""

    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class PhoneOutcome(models.TextChoices):
    REACHED = "reached", "Spoke with the patient"
    VOICEMAIL = "voicemail", "Left a voicemail asking to call back"
    NO_ANSWER = "no_answer", "No answer"
    WRONG_NUMBER = "wrong_number", "Wrong or disconnected number"


# Outcomes of a call that told the patient nothing: the notification failed.
PHONE_FAILURES = (PhoneOutcome.NO_ANSWER, PhoneOutcome.WRONG_NUMBER)


class PatientNotification(models.Model):
    """A message to a patient about an item, by email, printed letter or phone call:
    the text as composed, how it went out, and whether it reached them."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="notifications")
    template = models.CharField(max_length=16, choices=NotificationTemplate.choices)
    channel = models.CharField(
        max_length=8, choices=NotificationChannel.choices, default=NotificationChannel.EMAIL
    )
    status = models.CharField(
        max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED
    )
    to_address = models.EmailField(blank=True, default="")
    phone_outcome = models.CharField(
        max_length=16, choices=PhoneOutcome.choices, blank=True, default=""
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    financial_responsibility = models.BooleanField(default=False)
    # Email delivery: attempts made so far, and why the last one failed (no PHI: the
    # reason is written by authq, never the mail server's text, which may hold the address).
    attempts = models.PositiveSmallIntegerField(default=0)
    failure_reason = models.CharField(max_length=300, blank=True, default="")
    # When the task queue took the email. Empty while it waits for the queue (the broker
    # could not be reached): the beat's queue_waiting_emails hands it over again.
    handed_over_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(template__in=NotificationTemplate.values),
                name="worklists_patientnotification_template_valid",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=NotificationChannel.values),
                name="worklists_patientnotification_channel_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=NotificationStatus.values),
                name="worklists_patientnotification_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(channel=NotificationChannel.EMAIL) | ~Q(to_address=""),
                name="worklists_patientnotification_email_has_address",
            ),
            models.CheckConstraint(
                condition=~Q(channel=NotificationChannel.PHONE)
                | Q(phone_outcome__in=PhoneOutcome.values),
                name="worklists_patientnotification_phone_has_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(status=NotificationStatus.FAILED) | ~Q(failure_reason=""),
                name="worklists_patientnotification_failed_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=NotificationStatus.SENT) | Q(sent_at__isnull=False),
                name="worklists_patientnotification_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"notification {self.pk} ({self.channel}, {self.template}, {self.status})"


class QueueCount(models.Model):
    """Changes in the number of active work items, by queue, kind, due date, claimed and
    follow-up date (the work queue counts only rows whose follow-up date has come).

    Rows are written by a trigger on worklists_workitem (migration 0007) in the same
    transaction as the change, so the sum of the rows a transaction sees is exactly the
    number of active items it sees: the queue overview reads a few hundred rows instead of
    every open item. `compact_queue_counts` folds the rows into one per key now and then.
    """

    queue = models.CharField(max_length=8, choices=Queue.choices)
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    due_date = models.DateField()
    claimed = models.BooleanField()
    follow_up_on = models.DateField(null=True, blank=True)
    n = models.IntegerField(help_text="Items added (or, negative, removed) for this key.")

    def __str__(self) -> str:
        return f"{self.queue}/{self.kind} {self.due_date} {self.n:+d}"


class ParkedTask(models.Model):
    """A Celery task that failed for good (AUTHQ_TASK_MAX_ATTEMPTS attempts, or an error
    that is not worth retrying), set aside for an administrator instead of retried in a
    loop. Tasks carry ids only, so its arguments hold no PHI; the error is its type, its
    SQLSTATE for a database error, and where it was raised, never its message."""

    task_name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    attempts = models.PositiveIntegerField()
    error_type = models.CharField(max_length=200)
    error_code = models.CharField(max_length=5, blank=True, default="")
    error_where = models.CharField(max_length=300, blank=True, default="")
    parked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-parked_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["task_id"], name="worklists_parkedtask_once_per_task")
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.task_id}"


class DenialCause(models.TextChoices):
    """Why a claim line was denied for its authorization, as authq's records of the day of
    service tell it (worklists.claim_denials.explain)."""

    MISSING = "missing", "No authorization"
    EXPIRED = "expired", "Authorization expired or not yet started"
    EXCEEDED = "exceeded", "Approved visits exceeded"
    WRONG_CODE = "wrong_code", "Billed code not the authorized one"
    OTHER = "other", "Other"


class ClaimDenial(models.Model):
    """A claim line a payer denied because of its authorization (an 835's CARC 15, 39,
    197, 198, 243 or RARC N54, M62), held by its order's `claim_denied_auth` work item.

    Holds codes, dates, amounts and ids; `reason` is authq's own words about its records
    (codes and dates, no names)."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="denials")
    payer = models.ForeignKey("payers.Payer", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "patients.Appointment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    authorization = models.ForeignKey(
        "payers.Authorization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    claim_number = models.CharField(max_length=50)
    service_date = models.DateField(validators=[validate_date_in_window])
    code = models.CharField(max_length=16)
    denied_amount = models.DecimalField(max_digits=11, decimal_places=2)
    carcs = models.JSONField(default=list, help_text="The line's CARCs, e.g. ['CO-197'].")
    rarcs = models.JSONField(default=list, help_text="The line's RARCs, e.g. ['N54'].")
    remittance_date = models.DateField(validators=[validate_date_in_window])
    appeal_deadline = models.DateField(validators=[validate_date_in_window])
    cause = models.CharField(max_length=16, choices=DenialCause.choices)
    reason = models.CharField(max_length=300)
    flagged_before = models.BooleanField(
        help_text="authq had an item open on this order before the day of service."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["service_date", "id"]
        constraints = [
            # A remittance sent again (another interchange) denies the same line once.
            models.UniqueConstraint(
                fields=["payer", "claim_number", "service_date", "code"],
                name="worklists_claimdenial_once_per_line",
            ),
            models.CheckConstraint(
                condition=Q(cause__in=DenialCause.values), name="worklists_claimdenial_cause_valid"
            ),
            models.CheckConstraint(
                condition=Q(denied_amount__gte=0) & Q(denied_amount__lt=10**9),
                name="worklists_claimdenial_amount_bounded",
            ),
        ]
        indexes = [
            # Serves the dashboard's denials by month of service.
            models.Index(fields=["service_date"], name="worklists_denial_service_date"),
        ]

    def __str__(self) -> str:
        return f"claim {self.claim_number} {self.code} {self.service_date}"
