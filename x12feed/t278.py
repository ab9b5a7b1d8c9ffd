"""278 responses: the payer's decision on a submitted request, recorded through the same
service as a specialist's "record the payer's answer" (worklists.item_actions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from authq.lib.exceptions import ActionRefused
from payers import services as payer_services
from payers.models import Authorization, AuthStatus, DenialReason
from worklists import item_actions
from worklists.models import ItemKind, WorkItem
from worklists.scan.apply import reevaluate_order
from x12feed.dates import BadDate, quantity, span
from x12feed.models import Outcome
from x12feed.parse import Segment, Transaction
from x12feed.report import Report, error_text

# HCR01 -> the outcome a specialist records (A4: pended, the request stays submitted).
OUTCOMES = {"A1": "approved", "A2": "partial", "A6": "partial", "A3": "denied", "A4": "pended"}
# HCR03 decision reason codes authq has a denial reason for; others are "other".
DENIAL_REASONS = {"35": DenialReason.MEDICAL_NECESSITY}
# The item a decision is recorded on, when an order has several open.
ITEM_PREFERENCE = (ItemKind.PENDING_FOLLOW_UP, ItemKind.MISSING_AUTH, ItemKind.DENIED)


@dataclass
class Decision:
    """One HCR with what its HL level (and the levels above it) says."""

    hcr: Segment
    references: list[str] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    auth_number: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    visits: int | None = None


def decisions(tx: Transaction) -> Iterator[Decision]:
    """Each HCR of the transaction, with the trace numbers (TRN02) and payer references
    (REF*NT) of its HL and the HLs above it, and its REF*BB, DTP*AAH/472 and HSD."""
    refs_by_hl: dict[str, list[str]] = {}
    parent_of: dict[str, str] = {}
    hl = ""
    groups: dict[str, list[Segment]] = {}
    for seg in tx.body():
        if seg.id == "HL":
            hl = seg.get("HL01")
            parent_of[hl] = seg.get("HL02")
            refs_by_hl[hl] = []
        groups.setdefault(hl, []).append(seg)
        if seg.id == "TRN" and seg.get("TRN02"):
            refs_by_hl.setdefault(hl, []).append(seg.get("TRN02"))
        if seg.id == "REF" and seg.get("REF01") == "NT" and seg.get("REF02"):
            refs_by_hl.setdefault(hl, []).append(seg.get("REF02"))
    for level, segments in groups.items():
        hcrs = [s for s in segments if s.id == "HCR"]
        if not hcrs:
            continue
        found = Decision(hcr=hcrs[0], segments=segments)
        up, seen = level, set()
        while up and up not in seen:
            seen.add(up)
            found.references.extend(refs_by_hl.get(up, []))
            up = parent_of.get(up, "")
        found.auth_number = hcrs[0].get("HCR02")
        for seg in segments:
            if seg.id == "REF" and seg.get("REF01") == "BB" and not found.auth_number:
                found.auth_number = seg.get("REF02")
            elif seg.id == "DTP" and seg.get("DTP01") in ("AAH", "472"):
                found.start, found.end = span(seg.get("DTP02"), seg.get("DTP03"))
            elif seg.id == "HSD" and seg.get("HSD02"):
                found.visits = quantity(seg.get("HSD02"), "HSD02")
        yield found


def _authorization(references: list[str]) -> Authorization | None:
    """The request these references name: a submitted (or answered) authorization whose
    payer reference is one of them; the newest first."""
    if not references:
        return None
    return (
        Authorization.objects.filter(payer_reference__in=references)
        .exclude(status__in=(AuthStatus.DRAFT, AuthStatus.CANCELLED))
        .select_related("order")
        .order_by("-submitted_at", "-id")
        .first()
    )


def _item(auth: Authorization) -> WorkItem | None:
    items = list(WorkItem.objects.open().filter(order_id=auth.order_id))
    items.sort(key=lambda i: ITEM_PREFERENCE.index(i.kind) if i.kind in ITEM_PREFERENCE else 9)
    return items[0] if items else None


def apply(tx: Transaction, report: Report, *, by: Any) -> None:
    try:
        found = list(decisions(tx))
    except BadDate as exc:
        report.rejected(tx, str(exc))
        return
    if not found:
        report.add(tx, "transaction", Outcome.IGNORED, "No HCR (decision) in this 278.")
        return
    for decision in found:
        _apply_one(tx, decision, report, by=by)


def _apply_one(tx: Transaction, d: Decision, report: Report, *, by: Any) -> None:
    code = d.hcr.get("HCR01")
    auth = _authorization(d.references)
    if auth is None:
        report.add(
            tx,
            "decision",
            Outcome.UNMATCHED,
            f"No submitted request has the payer reference or trace number "
            f"{', '.join(d.references) or '(none given)'}.",
            at=d.hcr,
            raw=d.segments,
        )
        return
    try:
        with transaction.atomic():
            message = _record(auth, d, code, by=by)
    except (ActionRefused, ValidationError) as exc:
        text = error_text(exc) if isinstance(exc, ValidationError) else str(exc)
        report.add(
            tx, "decision", Outcome.REJECTED, f"HCR01 {code}: {text}", at=d.hcr, raw=d.segments
        )
        return
    if message is None:
        report.add(
            tx,
            "decision",
            Outcome.UNCHANGED,
            f"Authorization {auth.pk} already has decision {code}.",
            at=d.hcr,
        )
    else:
        report.add(tx, "decision", Outcome.APPLIED, message, at=d.hcr)


def _record(auth: Authorization, d: Decision, code: str, *, by: Any) -> str | None:
    """Record the decision; its report message, or None when it was recorded before."""
    current = Authorization.objects.get(pk=auth.pk)
    if current.determination_code == code and (
        code in ("A4", "CT", "NA") or current.status != AuthStatus.SUBMITTED
    ):
        return None
    if code in OUTCOMES:
        outcome = OUTCOMES[code]
        decision: dict[str, Any] = {"outcome": outcome, "determination_code": code}
        if outcome == "denied":
            reason = d.hcr.get("HCR03")
            decision["denial_reason_code"] = DENIAL_REASONS.get(reason, DenialReason.OTHER)
            decision["denial_reason"] = f"HCR03 {reason}" if reason else ""
        elif outcome != "pended":
            decision.update(
                auth_number=d.auth_number,
                start_date=d.start or current.requested_start_date,
                end_date=d.end or current.requested_end_date,
                approved_visits=d.visits,
            )
        if outcome == "denied" and d.auth_number:
            decision["auth_number"] = d.auth_number
        item = _item(current)
        if item is not None:
            item_actions.decide_for_item(item, current, by=by, **decision)
        else:
            payer_services.record_decision(current, **decision)
            reevaluate_order(current.order_id)
        return f"Authorization {current.pk}: {outcome} ({code})."
    if code == "C":
        payer_services.update_authorization(
            current, status=AuthStatus.CANCELLED, determination_code="C"
        )
        reevaluate_order(current.order_id)
        return f"Authorization {current.pk}: cancelled by the payer (C)."
    if code in ("CT", "NA"):
        payer_services.update_authorization(current, determination_code=code)
        what = "contact the payer" if code == "CT" else "the payer says no action is required"
        return f"Authorization {current.pk}: {what} ({code}); still {current.status}."
    raise ActionRefused(f"Unknown action code {code!r} (A1, A2, A3, A4, A6, C, CT, NA).")
