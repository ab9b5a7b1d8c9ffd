"""Writes to payers, their rules and authorizations.

Records are upserted against a natural key, so that an interface engine can send the
same record twice. Payers have a unique `code`. Rules and authorizations have no unique
column, so their key is looked up while the parent row (the payer, the order) is locked:
two requests for the same key queue behind each other instead of both inserting.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone

from authq.lib.exceptions import ActionRefused, DuplicateKey, TransitionNotAllowed
from authq.lib.writes import checked, create_checked, save_changes, upsert_by_key
from patients.signals import announce_orders_changed
from payers.models import (
    AUTH_TRANSITIONS,
    STATUS_DETERMINATIONS,
    Appeal,
    Authorization,
    AuthStatus,
    DenialReason,
    Document,
    DocumentType,
    Payer,
    PayerRule,
    PeerToPeerReview,
    ReviewVendor,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from patients.models import Order


def check_transition(current: str, wanted: str) -> None:
    """Raise TransitionNotAllowed unless `wanted` is `current` or an allowed move from it."""
    if wanted != current and wanted not in AUTH_TRANSITIONS[current]:
        raise TransitionNotAllowed(
            current, wanted, AUTH_TRANSITIONS[current], record="An authorization"
        )


def _lock[M: models.Model](record: M) -> None:
    type(record)._default_manager.select_for_update().filter(pk=record.pk).values_list(
        "pk", flat=True
    ).get()


# Payers


def upsert_payer(*, code: str, **fields: Any) -> tuple[Payer, bool]:
    return upsert_by_key(Payer, {"code": code}, fields)


def update_payer(payer: Payer, **changes: Any) -> Payer:
    return save_changes(payer, changes)


# The payer directory: who reviews each service line.


def find_review_vendor(
    payer: Payer, *, service_category: str, exclude_id: int | None = None
) -> ReviewVendor | None:
    found = ReviewVendor.objects.filter(payer=payer, service_category=service_category)
    if exclude_id is not None:
        found = found.exclude(pk=exclude_id)
    return found.first()


def upsert_review_vendor(
    payer: Payer, *, service_category: str, **fields: Any
) -> tuple[ReviewVendor, bool]:
    """Name the vendor that reviews one of the payer's service lines, or replace it."""
    with transaction.atomic():
        _lock(payer)
        vendor = find_review_vendor(payer, service_category=service_category)
        if vendor is not None:
            return save_changes(vendor, fields), False
        return ReviewVendor.objects.create(
            payer=payer, service_category=service_category, **fields
        ), True


def update_review_vendor(record: ReviewVendor, **changes: Any) -> ReviewVendor:
    with transaction.atomic():
        _lock(record.payer)
        category = changes.get("service_category", record.service_category)
        if find_review_vendor(record.payer, service_category=category, exclude_id=record.pk):
            raise DuplicateKey(
                "service_category", "The payer already has a review vendor for this service."
            )
        return save_changes(record, changes)


def remove_review_vendor(record: ReviewVendor) -> None:
    """The payer reviews the service line itself again."""
    with transaction.atomic():
        _lock(record.payer)
        ReviewVendor.objects.filter(pk=record.pk).delete()


# Rules


def find_rule(
    payer: Payer,
    *,
    plan: str,
    service_category: str,
    codes: Sequence[str],
    effective_from: dt.date,
    exclude_id: int | None = None,
) -> PayerRule | None:
    """The rule with this scope from this date: same plan, category and set of codes."""
    codes = list(codes)
    found = PayerRule.objects.filter(
        payer=payer,
        plan=plan,
        service_category=service_category,
        codes__contains=codes,
        codes__contained_by=codes,
        effective_from=effective_from,
    ).order_by("id")
    if exclude_id is not None:
        found = found.exclude(pk=exclude_id)
    return found.first()


def upsert_rule(
    payer: Payer,
    *,
    effective_from: dt.date,
    plan: str = "",
    service_category: str = "",
    codes: Sequence[str] = (),
    **fields: Any,
) -> tuple[PayerRule, bool]:
    """Create a rule, or update the one with the same scope and effective_from."""
    scope = {"plan": plan, "service_category": service_category, "codes": list(codes)}
    with transaction.atomic():
        _lock(payer)
        rule = find_rule(
            payer,
            effective_from=effective_from,
            plan=plan,
            service_category=service_category,
            codes=codes,
        )
        if rule is not None:
            return save_changes(rule, fields), False
        return create_checked(
            PayerRule, payer=payer, effective_from=effective_from, **scope, **fields
        ), True


def update_rule(rule: PayerRule, **changes: Any) -> PayerRule:
    with transaction.atomic():
        _lock(rule.payer)
        key = {
            name: changes.get(name, getattr(rule, name))
            for name in ("plan", "service_category", "codes", "effective_from")
        }
        if find_rule(rule.payer, exclude_id=rule.pk, **key) is not None:
            raise DuplicateKey(
                "effective_from",
                "The payer already has a rule with this plan, category and codes from this date.",
            )
        return save_changes(rule, changes)


# Authorizations


def find_authorization(
    order: Order, auth_number: str, *, exclude_id: int | None = None
) -> Authorization | None:
    """The order's authorization with this payer-issued number (blank numbers match nothing)."""
    if not auth_number:
        return None
    found = Authorization.objects.filter(order=order, auth_number=auth_number).order_by("id")
    if exclude_id is not None:
        found = found.exclude(pk=exclude_id)
    return found.first()


def upsert_authorization(
    order: Order, *, auth_number: str = "", by: User | None = None, **fields: Any
) -> tuple[Authorization, bool]:
    """Create an authorization, or update the order's one with the same auth number.

    Without an auth number (a draft, a request not yet answered) it is always created.
    An update must be an allowed status move.
    """
    with transaction.atomic():
        _lock(order)
        existing = find_authorization(order, auth_number)
        if existing is not None:
            check_transition(existing.status, fields.get("status", existing.status))
            updated = save_changes(existing, fields)
            if errors := updated.decision_errors(existing.status):
                raise ValidationError(errors)
            result = updated, False
        else:
            auth = create_checked(
                Authorization, order=order, auth_number=auth_number, created_by=by, **fields
            )
            result = auth, True
        announce_orders_changed([order.pk])
        return result


def update_authorization(auth: Authorization, **changes: Any) -> Authorization:
    """Change an authorization: record a decision, a new number, corrected dates."""
    with transaction.atomic():
        _lock(auth.order)
        current = Authorization.objects.get(pk=auth.pk)
        check_transition(current.status, changes.get("status", current.status))
        number = changes.get("auth_number", current.auth_number)
        if find_authorization(current.order, number, exclude_id=current.pk) is not None:
            raise DuplicateKey(
                "auth_number", "Another authorization of this order has this auth number."
            )
        previous = current.status
        current = save_changes(current, changes)
        # The rules of a decision, as on the work-item page (the transaction rolls back).
        if errors := current.decision_errors(previous):
            raise ValidationError(errors)
        announce_orders_changed([current.order_id])
        return current


# Working an authorization from the work-item page.

# The outcome a person records, its status, and the X12 HCR01 codes that agree with it.
OUTCOME_STATUS = {
    "approved": AuthStatus.APPROVED,
    "partial": AuthStatus.PARTIAL,
    "denied": AuthStatus.DENIED,
    "pended": AuthStatus.SUBMITTED,
}
OUTCOME_CODES = {outcome: STATUS_DETERMINATIONS[s] for outcome, s in OUTCOME_STATUS.items()}


def record_submission(
    order: Order,
    *,
    by: User | None,
    channel: str,
    payer: Payer | None = None,
    payer_reference: str = "",
    requested_visits: int | None = None,
    requested_start_date: dt.date | None = None,
    requested_end_date: dt.date | None = None,
    expedited: bool = False,
    draft: Authorization | None = None,
) -> Authorization:
    """A request sent to the payer: a new `submitted` authorization, or `draft` moved there.

    A denied authorization may be re-submitted the same way (pass it as `draft`).
    """
    values: dict[str, object] = {
        "status": AuthStatus.SUBMITTED,
        "submission_channel": channel,
        "payer_reference": payer_reference,
        "requested_visits": requested_visits,
        "requested_start_date": requested_start_date,
        "requested_end_date": requested_end_date,
        "expedited": expedited,
        "submitted_at": timezone.now(),
        "decided_at": None,
        "determination_code": "",
    }
    with transaction.atomic():
        _lock(order)
        if draft is None:
            return create_checked(Authorization, order=order, payer=payer, created_by=by, **values)
        current = Authorization.objects.select_for_update().get(pk=draft.pk, order=order)
        check_transition(current.status, AuthStatus.SUBMITTED)
        if current.status == AuthStatus.SUBMITTED:
            raise ActionRefused("This request is already submitted and waiting on the payer.")
        if payer is not None:
            values["payer"] = payer
        for name, value in values.items():
            setattr(current, name, value)
        checked(current).save(update_fields=[*values, "updated_at"])
        return current


def record_decision(
    auth: Authorization,
    *,
    outcome: str,
    determination_code: str = "",
    auth_number: str = "",
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    approved_visits: int | None = None,
    denial_reason_code: str = "",
    denial_reason: str = "",
    payer: Payer | None = None,
) -> Authorization:
    """The payer's answer: approved (A1), partial or modified (A2/A6), denied (A3), or
    pended (A4: the request stays submitted, only the code is noted).

    The determination code defaults to the outcome's first code and must agree with it.
    A denial needs its reason code (DenialReason); the payer's words are optional.
    `payer`, when given, is the payer that answered (for a request sent without one).
    Everything Authorization.clean() requires is checked before saving: an approval
    needs its payer and span, within the bounds of the fields.
    """
    if outcome not in OUTCOME_CODES:
        raise ActionRefused(f"Unknown outcome {outcome!r}.")
    code = determination_code or OUTCOME_CODES[outcome][0]
    if code not in OUTCOME_CODES[outcome]:
        raise ActionRefused(
            f"Determination {code} does not fit the outcome {outcome} "
            f"(use {' or '.join(OUTCOME_CODES[outcome])})."
        )
    with transaction.atomic():
        _lock(auth.order)
        current = Authorization.objects.select_for_update().get(pk=auth.pk)
        wanted = OUTCOME_STATUS[outcome]
        if outcome == "pended":
            if current.status != AuthStatus.SUBMITTED:
                raise ActionRefused(
                    f"Only a submitted request can be pended; this one is {current.status}."
                )
            current.determination_code = code
            current.save(update_fields=["determination_code", "updated_at"])
            return current
        if current.status in (AuthStatus.DRAFT, AuthStatus.CANCELLED):
            raise ActionRefused(
                f"A {current.get_status_display().lower()} authorization has no payer answer "
                "to record; submit a request first."
            )
        check_transition(current.status, wanted)
        if denial_reason_code and denial_reason_code not in DenialReason.values:
            raise ActionRefused(
                f"Unknown denial reason {denial_reason_code!r}.", field="denial_reason_code"
            )
        if auth_number and find_authorization(current.order, auth_number, exclude_id=current.pk):
            raise ActionRefused(
                "Another authorization of this order has this auth number.", field="auth_number"
            )
        changes: dict[str, Any] = {
            "status": wanted,
            "determination_code": code,
            "decided_at": timezone.now(),
            "denial_reason": denial_reason.strip() if outcome == "denied" else "",
            "denial_reason_code": denial_reason_code if outcome == "denied" else "",
        }
        if auth_number:
            changes["auth_number"] = auth_number
        if payer is not None:
            changes["payer"] = payer
        if outcome != "denied":
            changes.update(
                start_date=start_date, end_date=end_date, approved_visits=approved_visits
            )
        for name, value in changes.items():
            setattr(current, name, value)
        # clean() fills the payer in from the primary coverage when none is named.
        checked(current)
        if errors := current.decision_errors():
            raise ValidationError(errors)
        current.save(update_fields=[*changes, "payer", "updated_at"])
        return current


def record_answer_at_once(
    order: Order, *, by: User | None, channel: str, payer: Payer | None, **decision: Any
) -> Authorization:
    """A request answered on the spot (a phone call, a portal that decides at once)."""
    with transaction.atomic():
        auth = record_submission(order, by=by, channel=channel, payer=payer)
        return record_decision(auth, **decision)


def _denied_authorization(auth: Authorization) -> Authorization:
    current = Authorization.objects.select_for_update().get(pk=auth.pk)
    if current.status != AuthStatus.DENIED:
        raise ActionRefused("Peer-to-peer reviews and appeals are for denied authorizations.")
    return current


def record_peer_review(
    auth: Authorization,
    *,
    by: User | None,
    request_by: dt.date,
    window_start: dt.datetime | None = None,
    window_end: dt.datetime | None = None,
    call_windows: str = "",
    reviewing_physician: str = "",
    outcome: str = "pending",
) -> PeerToPeerReview:
    with transaction.atomic():
        current = _denied_authorization(auth)
        if window_start and window_end and window_end < window_start:
            raise ActionRefused("The call window ends before it starts.")
        return create_checked(
            PeerToPeerReview,
            authorization=current,
            request_by=request_by,
            window_start=window_start,
            window_end=window_end,
            call_windows=call_windows,
            reviewing_physician=reviewing_physician,
            outcome=outcome,
            created_by=by,
        )


def record_appeal(
    auth: Authorization,
    *,
    by: User | None,
    level: str,
    deadline: dt.date,
    channel: str,
    outcome: str = "pending",
) -> Appeal:
    with transaction.atomic():
        current = _denied_authorization(auth)
        if current.appeals.filter(level=level).exists():
            raise ActionRefused("This authorization already has an appeal at this level.")
        return create_checked(
            Appeal,
            authorization=current,
            level=level,
            deadline=deadline,
            channel=channel,
            outcome=outcome,
            filed_at=timezone.now(),
            created_by=by,
        )


def set_review_outcome[R: PeerToPeerReview | Appeal](review: R, *, outcome: str) -> R:
    """The result of a peer-to-peer review or an appeal, once known."""
    with transaction.atomic():
        current = type(review).objects.select_for_update().get(pk=review.pk)
        if current.outcome != "pending":
            raise ActionRefused(f"The outcome is already recorded ({current.outcome}).")
        current.outcome = outcome
        current.save(update_fields=["outcome", "updated_at"])
        return cast(R, current)  # the row of review's own model


# Magic bytes of the file types we keep; the extension a browser sends proves nothing.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", DocumentType.PDF, "pdf"),
    (b"\x89PNG\r\n\x1a\n", DocumentType.PNG, "png"),
    (b"\xff\xd8\xff", DocumentType.JPEG, "jpg"),
    (b"II*\x00", DocumentType.TIFF, "tif"),
    (b"MM\x00*", DocumentType.TIFF, "tif"),
)


def sniff_document_type(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from a file's first bytes, or None for other types."""
    for magic, content_type, ext in _SIGNATURES:
        if head.startswith(magic):
            return content_type, ext
    return None


def max_document_bytes() -> int:
    return int(settings.AUTHQ_MAX_DOCUMENT_BYTES)


def attach_document(
    order: Order,
    *,
    by: User | None,
    content: bytes,
    kind: str,
    original_name: str = "",
    authorization: Authorization | None = None,
) -> Document:
    """Keep a document for an order in default_storage, under a name we make.

    Refused: more than AUTHQ_MAX_DOCUMENT_BYTES, or bytes that are not PDF, PNG, JPEG
    or TIFF whatever the file is called.
    """
    limit = max_document_bytes()
    if len(content) > limit:
        raise ActionRefused(f"The file is larger than {limit // (1024 * 1024)} MB.")
    if not content:
        raise ActionRefused("The file is empty.")
    sniffed = sniff_document_type(content[:16])
    if sniffed is None:
        raise ActionRefused("Only PDF, PNG, JPEG and TIFF files can be attached.")
    content_type, ext = sniffed
    if authorization is not None and authorization.order_id != order.pk:
        raise ActionRefused("That authorization belongs to another order.")
    name = default_storage.save(
        f"documents/{order.pk}/{uuid.uuid4().hex}.{ext}", ContentFile(content)
    )
    try:
        with transaction.atomic():
            return Document.objects.create(
                order=order,
                authorization=authorization,
                kind=kind,
                content_type=content_type,
                size=len(content),
                storage_name=name,
                original_name=original_name[-200:],
                uploaded_by=by,
            )
    except Exception:
        default_storage.delete(name)
        raise
