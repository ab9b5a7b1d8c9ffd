"""Applying HL7 v2 messages: one message, one transaction, one ACK.

A message is read (hl7map), then written through the REST API's serializers and the
services behind them (the same validation, natural keys and re-evaluation as the API and
the file imports), and stored with its status and ACK in the same transaction. A visit
(SIU), the feed's most frequent message, skips the serializer for speed: it is checked by
the Appointment model's own rules (authq.lib.writes.checked: its fields' validators and
clean(), which the API's serializer also asks) and written in one statement. Its control
id (MSH-10) is unique: a message sent again is answered with the ACK it got the first
time and not applied again. The listener stores the orders a message changed with it and
re-evaluates them right after the ACK (`reevaluate_pending`); other callers re-evaluate
them when the message commits. A visit for an order not known yet is held, applied
when the order arrives, and reported (rejected) after AUTHQ_HL7_HOLD_MINUTES.

Nothing here logs a message's content or its error (PHI): only ids, types and ACK codes.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import hl7
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as ModelValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.exceptions import ValidationError as ApiValidationError

from authq.lib.exceptions import ActionRefused
from authq.lib.records import model_error_dict
from authq.lib.writes import checked
from feeds import hl7map
from feeds.hl7map import FieldError, Header, Record, Unreadable
from feeds.models import AckCode, Hl7Message, MessageStatus
from intake.models import ImportProfile
from patients.api import (
    CoverageSerializer,
    OrderSerializer,
    PatientSerializer,
)
from patients.models import Appointment, AppointmentStatus, Order, Patient
from patients.services import update_appointment
from patients.signals import announce_orders_changed, collect_orders_changed
from worklists.scan.apply import reevaluate_in_chunks

if TYPE_CHECKING:
    from django.contrib.auth.models import User

log = logging.getLogger(__name__)


# The feed's settings: the import profile's payer ids and assigning authority


@dataclass(frozen=True)
class FeedProfile:
    authority: str
    payers: dict[str, str]


_PROFILE_SECONDS = 2.0
_profile_cache: tuple[float, FeedProfile] | None = None


def forget_profile() -> None:
    """Read the profile (and the feed's account) again on the next message (tests, after
    editing the profile or emptying the database)."""
    global _profile_cache, _user_cache
    _profile_cache = None
    _user_cache = None


def feed_profile(*, fresh: bool = False) -> FeedProfile:
    """The import profile named AUTHQ_HL7_PROFILE (read again every 2 seconds: an admin's
    edit reaches the listener at once); without one, payer ids are payer codes and the
    MRN is PID-3's first identifier."""
    global _profile_cache
    now = time.monotonic()
    if not fresh and _profile_cache and now - _profile_cache[0] < _PROFILE_SECONDS:
        return _profile_cache[1]
    found = (
        ImportProfile.objects.filter(name=settings.AUTHQ_HL7_PROFILE)
        .values_list("assigning_authority", "payers")
        .first()
    )
    authority, payers = found if found else ("", {})
    profile = FeedProfile(authority, {k.strip().lower(): v for k, v in payers.items()})
    _profile_cache = (now, profile)
    return profile


_user_cache: User | None = None


def feed_user() -> User:
    """The account the feed's writes are recorded under (it cannot sign in); looked up
    once per process."""
    global _user_cache
    if _user_cache is not None:
        return _user_cache
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=settings.AUTHQ_HL7_USER, defaults={"first_name": "HL7 feed"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    _user_cache = user
    return user


# Receiving


@dataclass
class Outcome:
    status: str
    ack_code: str
    error_field: str = ""
    error: str = ""
    order_key: str = ""


@dataclass
class Received:
    message_id: int | None
    ack: str
    duplicate: bool = False
    pending: bool = False  # orders wait for reevaluate_pending()


class _Duplicate(Exception):
    """The control id is stored already: what this transaction wrote is rolled back."""


def receive(raw: str, *, user: User | None = None, defer_reevaluation: bool = False) -> Received:
    """Apply one message as received by the listener and answer its ACK.

    `defer_reevaluation` (the listener): the orders the message changed are stored with it
    (`pending_orders`, in the same transaction) instead of re-evaluated before the ACK;
    the listener's re-evaluator takes them within a second (`reevaluate_pending`)."""
    try:
        message = hl7map.parse(raw)
        head = hl7map.header(message)
    except Unreadable as exc:
        return _store_unreadable(raw, None, exc.where, str(exc))
    if not hl7map.supported(head):
        return _store_unreadable(
            raw, head, "MSH-9", f"{head.message_type} is not a message type this feed takes."
        )
    user = user or feed_user()
    pending: list[int] | None = None
    try:
        try:
            with transaction.atomic():
                _act_as(user, f"hl7-{head.control_id}"[:64])
                with collect_orders_changed() as changed:
                    outcome = _apply(message, head, user, True)
                if changed and defer_reevaluation:
                    pending = sorted(changed)
                text = ack(head, outcome)
                stored_id = _store(raw, head, outcome, text, pending)
                if stored_id is None:
                    raise _Duplicate
                if changed and not defer_reevaluation:
                    ids = sorted(changed)
                    transaction.on_commit(lambda: reevaluate_in_chunks(ids))
        except FieldError as exc:
            # The whole transaction was rolled back: nothing of the message is kept but
            # its row, stored rejected in a transaction of its own.
            pending = None
            outcome = Outcome(MessageStatus.REJECTED, AckCode.AE, exc.where, str(exc))
            text = ack(head, outcome)
            with transaction.atomic():
                stored_id = _store(raw, head, outcome, text, None)
                if stored_id is None:
                    raise _Duplicate from None
    except _Duplicate:
        known = Hl7Message.objects.filter(control_id=head.control_id).first()
        assert known is not None
        return _again(known)
    except IntegrityError:
        # Another listener stored this control id meanwhile: nothing of ours was kept.
        known = Hl7Message.objects.filter(control_id=head.control_id).first()
        if known is None:
            raise
        return _again(known)
    log.info("hl7 %s %s: %s", stored_id, head.message_type, outcome.ack_code)
    return Received(stored_id, text, pending=bool(pending))


# One statement stores the message: a control id stored already (a resend, or another
# listener's copy committed meanwhile) inserts nothing, and the caller rolls back.
_STORE = """
INSERT INTO feeds_hl7message
    (control_id, message_type, received_at, status, ack_code, error_field, error, raw, ack,
     order_key, pending_orders, times_received, applied_at, replays)
VALUES (%s, %s, now(), %s, %s, %s, %s, %s, %s, %s, %s, 1, %s, 0)
ON CONFLICT (control_id) WHERE control_id IS NOT NULL DO NOTHING
RETURNING id
"""


def _store(
    raw: str, head: Header, outcome: Outcome, text: str, pending: list[int] | None
) -> int | None:
    applied_at = timezone.now() if outcome.status == MessageStatus.APPLIED else None
    with connection.cursor() as cursor:
        cursor.execute(
            _STORE,
            [
                head.control_id,
                head.message_type,
                outcome.status,
                outcome.ack_code,
                outcome.error_field,
                outcome.error,
                raw,
                text,
                outcome.order_key,
                pending,
                applied_at,
            ],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _again(known: Hl7Message) -> Received:
    Hl7Message.objects.filter(pk=known.pk).update(times_received=F("times_received") + 1)
    log.info("hl7 %s received again: answered its first ACK", known.pk)
    return Received(known.pk, known.ack, duplicate=True)


def _store_unreadable(raw: str, head: Header | None, where: str, error: str) -> Received:
    outcome = Outcome(MessageStatus.REJECTED, AckCode.AR, where, error)
    text = ack(head, outcome)
    control_id = head.control_id if head else None
    try:
        with transaction.atomic():
            if control_id is not None:
                known = Hl7Message.objects.filter(control_id=control_id).first()
                if known is not None:
                    return _again(known)
            stored = Hl7Message.objects.create(
                control_id=control_id,
                message_type=head.message_type[:16] if head else "",
                raw=raw,
                status=outcome.status,
                ack_code=outcome.ack_code,
                error_field=where,
                error=error,
                ack=text,
            )
    except IntegrityError:
        known = Hl7Message.objects.filter(control_id=control_id).first()
        if known is None:
            raise
        return _again(known)
    log.info("hl7 %s unreadable: AR", stored.pk)
    return Received(stored.pk, text)


def _act_as(user: User, request_id: str) -> None:
    """The access audit's triggers record this account (and the message) as the actor
    of this transaction's writes, as the API's middleware does for a person."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('authq.user_id', %s, true), "
            "set_config('authq.request_id', %s, true)",
            [str(user.pk), request_id],
        )


# Applying


def apply(message: hl7.Message, head: Header, *, user: User, release: bool = True) -> Outcome:
    """Write what the message says, all or nothing (a savepoint), and say how it went.
    `release`: first apply the messages held for the same order (not while releasing)."""
    try:
        with transaction.atomic():
            return _apply(message, head, user, release)
    except FieldError as exc:
        return Outcome(MessageStatus.REJECTED, AckCode.AE, exc.where, str(exc))


def _apply(message: hl7.Message, head: Header, user: User, release: bool) -> Outcome:
    profile = feed_profile()
    context = {"request": SimpleNamespace(user=user)}
    if head.code == "ADT":
        person = hl7map.patient(message, profile.authority)
        _save(PatientSerializer, person, "PID-3", context)
        for coverage in hl7map.coverages(message, profile.payers, person.values["mrn"]):
            _save(CoverageSerializer, coverage, "IN1", context)
        return Outcome(MessageStatus.APPLIED, AckCode.AA)
    mrn = hl7map.mrn(message, profile.authority)
    if head.code in ("ORM", "OMG"):
        ordered = hl7map.order(message, mrn)
        external_id = ordered.record.values["external_id"]
        if ordered.cancel:
            found = Order.objects.filter(external_id=external_id).select_related("patient").first()
            if found is None:
                raise FieldError("ORC-2", f"No order {external_id} to cancel.")
            _check_owner(found, mrn, "ORC-2")
            for booked in found.appointments.filter(status=AppointmentStatus.BOOKED):
                update_appointment(booked, status=AppointmentStatus.CANCELLED)
            return Outcome(MessageStatus.APPLIED, AckCode.AA)
        _ensure_patient(message, mrn, profile, context)
        _save(OrderSerializer, ordered.record, "ORC-2", context)
        release_held(external_id, user=user)
        return Outcome(MessageStatus.APPLIED, AckCode.AA)
    # SIU
    visit, order_key = hl7map.appointment(message, head.event)
    with connection.cursor() as cursor:
        cursor.execute(_ORDER_OF_VISIT, [order_key])
        known = cursor.fetchone()
    if known is None:
        return Outcome(
            MessageStatus.HELD,
            AckCode.AA,
            "SCH-26",
            f"Held until order {order_key} arrives.",
            order_key=order_key,
        )
    order_id, owner, waiting = known
    _check_mrn(owner, mrn, order_key, "SCH-26")
    # Messages held for this order go first: a patient's messages apply in order.
    if release and waiting:
        release_held(order_key, user=user)
    _save_visit(visit, order_id)
    return Outcome(MessageStatus.APPLIED, AckCode.AA)


# The order of a visit, its patient's MRN and whether visits are held for it.
_ORDER_OF_VISIT = """
SELECT o.id, p.mrn, EXISTS (
    SELECT 1 FROM feeds_hl7message h WHERE h.status = 'held' AND h.order_key = o.external_id
)
FROM patients_order o JOIN patients_patient p ON p.id = o.patient_id
WHERE o.external_id = %s
"""

# A new visit in one statement; an external_id stored already inserts nothing.
_NEW_VISIT = """
INSERT INTO patients_appointment
    (external_id, order_id, start, status, department, created_at, updated_at)
VALUES (%s, %s, %s, %s, %s, now(), now())
ON CONFLICT (external_id) DO NOTHING
RETURNING id
"""


def _save_visit(visit: Record, order_id: int) -> None:
    """The visit created or updated by its external_id, checked by the Appointment model's
    own rules (its fields' validators and clean(): the API's rules): a new visit in one
    statement, a known one re-read under lock and updated."""
    values = dict(visit.values)
    external_id = values.pop("external_id")
    values.pop("order")
    if "start" in values:
        values["start"] = dt.datetime.fromisoformat(values["start"])
    new = Appointment(external_id=external_id, order_id=order_id, **values)
    refused: ModelValidationError | None = None
    try:
        checked(new)
    except ModelValidationError as exc:
        refused = exc  # as a new visit; it may be a change of a known one
    if refused is None:
        with connection.cursor() as cursor:
            cursor.execute(
                _NEW_VISIT, [external_id, order_id, new.start, new.status, new.department]
            )
            if cursor.fetchone() is not None:
                announce_orders_changed([order_id])
                return
    current = Appointment.objects.select_for_update().filter(external_id=external_id).first()
    try:
        if current is None:
            raise refused or ModelValidationError(
                {"external_id": "Stored and removed meanwhile; send the message again."}
            )
        before = current.order_id
        current.order_id = order_id
        for name, value in values.items():
            setattr(current, name, value)
        checked(current)
        current.save(update_fields=[*values, "order", "updated_at"])
    except ModelValidationError as exc:
        name, messages = next(iter(model_error_dict(exc).items()))
        raise FieldError(visit.where(name, "SCH-2"), f"{name}: {' '.join(messages)}") from None
    announce_orders_changed([before, order_id])


def _check_owner(order: Order, mrn: str, where: str) -> None:
    _check_mrn(order.patient.mrn, mrn, order.external_id, where)


def _check_mrn(owner: str, mrn: str, external_id: str, where: str) -> None:
    if owner != mrn:
        raise FieldError(
            where,
            f"Belongs to another patient: order {external_id} is stored under another "
            "MRN; a record never moves to another patient.",
        )


def _ensure_patient(
    message: hl7.Message, mrn: str, profile: FeedProfile, context: dict[str, Any]
) -> None:
    """An order's patient from its PID when authq does not know the MRN yet (ADT messages
    keep a known patient's details; an order message does not overwrite them)."""
    if Patient.objects.filter(mrn=mrn).exists():
        return
    _save(PatientSerializer, hl7map.patient(message, profile.authority), "PID-3", context)


def _save(serializer_class: Any, record: Record, default: str, context: dict[str, Any]) -> Any:
    """One record through its API serializer; its first fault as a FieldError."""
    serializer = serializer_class(data=record.values, context=context, partial=True)
    try:
        if serializer.is_valid():
            return serializer.save()
        errors = serializer.errors
    except ApiValidationError as exc:
        errors = exc.detail
    except ActionRefused as exc:
        raise FieldError(record.where(exc.field or "", default), str(exc)) from None
    name, messages = next(iter(errors.items()))
    where = record.where(name, default)
    raise FieldError(where, f"{name}: {_flatten(messages)}")


def _flatten(messages: Any) -> str:
    if isinstance(messages, dict):
        return " ".join(_flatten(v) for v in messages.values())
    if isinstance(messages, list | tuple):
        return " ".join(_flatten(m) for m in messages)
    return str(messages)


# Held messages


def release_held(order_key: str, *, user: User) -> int:
    """Apply the messages held for this order, in the order received; how many."""
    held = list(Hl7Message.objects.held_for(order_key).select_for_update())
    for each in held:
        _reapply(each, user=user)
    return len(held)


def _reapply(stored: Hl7Message, *, user: User) -> Hl7Message:
    """Apply a stored message again (released, or replayed); its new status is saved."""
    try:
        message = hl7map.parse(stored.raw)
        head = hl7map.header(message)
    except Unreadable as exc:
        outcome = Outcome(MessageStatus.REJECTED, AckCode.AR, exc.where, str(exc))
    else:
        if not hl7map.supported(head):
            outcome = Outcome(MessageStatus.REJECTED, AckCode.AR, "MSH-9", "Not supported.")
        else:
            outcome = apply(message, head, user=user, release=False)
    stored.status = outcome.status
    stored.error_field = outcome.error_field
    stored.error = outcome.error
    stored.order_key = outcome.order_key
    fields = ["status", "error_field", "error", "order_key"]
    if outcome.status == MessageStatus.APPLIED:
        stored.applied_at = timezone.now()
        fields.append("applied_at")
    stored.save(update_fields=fields)
    return stored


def settle_held(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Release held messages whose order arrived by another path (a file, the API), and
    report (reject) those that waited AUTHQ_HL7_HOLD_MINUTES in vain: (released, expired).
    The listener runs this every 30 seconds."""
    now = now or timezone.now()
    released = expired = 0
    keys = (
        Hl7Message.objects.filter(status=MessageStatus.HELD)
        .values_list("order_key", flat=True)
        .distinct()
    )
    arrived = set(
        Order.objects.filter(external_id__in=list(keys)).values_list("external_id", flat=True)
    )
    user = feed_user()
    for key in sorted(arrived):
        with transaction.atomic():
            _act_as(user, f"hl7-release-{key}"[:64])
            released += release_held(key, user=user)
    cutoff = now - dt.timedelta(minutes=settings.AUTHQ_HL7_HOLD_MINUTES)
    with transaction.atomic():
        for stale in Hl7Message.objects.select_for_update().filter(
            status=MessageStatus.HELD, received_at__lt=cutoff
        ):
            stale.status = MessageStatus.REJECTED
            stale.error_field = "SCH-26"
            stale.error = (
                f"Order {stale.order_key} did not arrive within "
                f"{settings.AUTHQ_HL7_HOLD_MINUTES} minutes; replay this message once it has."
            )
            stale.save(update_fields=["status", "error_field", "error"])
            expired += 1
    if released or expired:
        log.info("hl7 held messages: %s released, %s reported", released, expired)
    return released, expired


# Re-evaluating the queue after the ACK

# Applied messages whose orders wait, oldest first; taken by one re-evaluator at a time.
_TAKE_PENDING = """
WITH taken AS (
    SELECT id, pending_orders FROM feeds_hl7message WHERE pending_orders IS NOT NULL
    ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
)
UPDATE feeds_hl7message m SET pending_orders = NULL FROM taken WHERE m.id = taken.id
RETURNING taken.pending_orders
"""


def reevaluate_pending(*, batch: int = 500) -> int:
    """Re-evaluate the orders of the messages applied with `defer_reevaluation`, a batch of
    messages at a time, each batch's orders once (the scan's set-based chunks), in the
    transaction that empties their `pending_orders`: a crash leaves them for the next
    call. How many orders."""
    total = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(_TAKE_PENDING, [batch])
                rows = cursor.fetchall()
            ids = sorted({order_id for (pending,) in rows for order_id in pending or ()})
            if ids:
                reevaluate_in_chunks(ids)
        total += len(ids)
        if len(rows) < batch:
            return total


# Replaying


class NotReplayable(ActionRefused):
    pass


def replay(stored: Hl7Message, *, by: User) -> Hl7Message:
    """Apply a rejected message again, after its cause was fixed; recorded as `by`'s."""
    with transaction.atomic():
        current = Hl7Message.objects.select_for_update().get(pk=stored.pk)
        if current.status != MessageStatus.REJECTED:
            raise NotReplayable("status", "Only a rejected message can be replayed.")
        _act_as(by, f"hl7-replay-{current.pk}")
        current = _reapply(current, user=by)
        current.replays += 1
        current.replayed_at = timezone.now()
        current.replayed_by = by
        current.save(update_fields=["replays", "replayed_at", "replayed_by"])
    log.info("hl7 %s replayed: %s", current.pk, current.status)
    return current


# ACKs


def _escape(text: str) -> str:
    """A text for an ACK field, in the ACK's own encoding characters (^~\\&)."""
    out = text.replace("\\", "\\E\\").replace("|", "\\F\\").replace("^", "\\S\\")
    out = out.replace("&", "\\T\\").replace("~", "\\R\\")
    return " ".join(out.split())[:500]


def _location(where: str) -> str:
    """ERR-2 (segment^sequence^field) for `PID-7` or `IN1[2]-12`."""
    segment, _, position = where.partition("-")
    sequence = "1"
    if "[" in segment:
        segment, _, rest = segment.partition("[")
        sequence = rest.rstrip("]")
    if not position:
        return f"{_escape(segment)}^{sequence}"
    return f"{_escape(segment)}^{sequence}^{_escape(position)}"


# HL7 table 0357: the error code an ERR segment gives.
_ERROR_CODES = {
    AckCode.AE: "207^Application internal error^HL70357",
    AckCode.AR: "200^Unsupported message type^HL70357",
}


def ack(head: Header | None, outcome: Outcome) -> str:
    """The ACK message (original mode) for a message and how it went."""
    stamp = timezone.now().astimezone(dt.UTC).strftime("%Y%m%d%H%M%S+0000")
    event = head.event if head else ""
    msh = "|".join(
        [
            "MSH",
            "^~\\&",
            _escape(head.receiving_application) if head else "AUTHQ",
            _escape(head.receiving_facility) if head else "",
            _escape(head.sending_application) if head else "",
            _escape(head.sending_facility) if head else "",
            stamp,
            "",
            f"ACK^{_escape(event)}^ACK" if event else "ACK",
            uuid.uuid4().hex[:20],
            _escape(head.processing_id) if head else "P",
            _escape(head.version) if head else "2.5.1",
        ]
    )
    text = "Applied" if outcome.ack_code == AckCode.AA else outcome.error
    if outcome.status == MessageStatus.HELD:
        text = outcome.error
    msa = f"MSA|{outcome.ack_code}|{_escape(head.control_id) if head else ''}|{_escape(text)}"
    segments = [msh, msa]
    if outcome.ack_code != AckCode.AA:
        message = (
            f"{outcome.error_field}: {outcome.error}" if outcome.error_field else outcome.error
        )
        segments.append(
            f"ERR||{_location(outcome.error_field) if outcome.error_field else ''}|"
            f"{_ERROR_CODES[AckCode(outcome.ack_code)]}|E||||{_escape(message)}"
        )
    return "\r".join(segments)
