"""Claim lines a payer denied for their authorization: the `claim_denied_auth` items of
the billing queue, and why each line was denied in a specialist's words.

A feed (x12feed's 835) matches the line to an appointment and calls record_claim_denial;
the reason is computed here from authq's own records of the day of service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from authq.lib.clock import day_start
from authq.lib.clock import today as practice_today
from patients.models import USED_STATUSES, Appointment, Order
from payers.models import APPROVED_STATUSES, Authorization, Payer, PayerRule, RuleDefaults
from worklists.models import (
    ClaimDenial,
    DenialCause,
    EventKind,
    ItemKind,
    Queue,
    WorkItem,
    WorkItemEvent,
)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(value: dt.date) -> str:
    return f"{MONTHS[value.month - 1]} {value.day}"


@dataclass(frozen=True)
class Explanation:
    cause: str
    reason: str
    authorization: Authorization | None


def explain(
    order: Order, appointment: Appointment | None, *, code: str, day: dt.date
) -> Explanation:
    """Why the payer found no good authorization for `code` on `day`, from the order's
    authorizations (approved or partial) and visits as authq holds them:
    - the billed code is not the visit's order's: wrong code;
    - none approved: missing ("no authorization on file for 97110 on Mar 3");
    - approved ones, none spanning the day: expired ("authorization A1 expired Feb 28")
      or not yet started;
    - one spans the day but its approved visits were used before this one: exceeded
      ("visit 13 of 12 approved");
    - else other: authq's records show the visit covered (a payer's error to appeal).
    """
    auths = sorted(
        Authorization.objects.filter(order=order, status__in=APPROVED_STATUSES),
        key=lambda a: (a.start_date or day, a.pk),
    )
    covering = [
        a for a in auths if a.start_date and a.end_date and a.start_date <= day <= a.end_date
    ]
    if code != order.code:
        auth = covering[0] if covering else (auths[-1] if auths else None)
        held = f"authorization {auth.auth_number or auth.pk}" if auth else "the visit's order"
        return Explanation(
            DenialCause.WRONG_CODE,
            f"billed {code} on {_day(day)}; {held} is for {order.code}",
            auth,
        )
    if not auths:
        return Explanation(
            DenialCause.MISSING, f"no authorization on file for {code} on {_day(day)}", None
        )
    if not covering:
        before = [a for a in auths if a.end_date and a.end_date < day]
        if before:
            auth = max(before, key=lambda a: a.end_date or day)
            number = auth.auth_number or auth.pk
            return Explanation(
                DenialCause.EXPIRED,
                f"authorization {number} expired {_day(auth.end_date or day)} (visit on {_day(day)})",
                auth,
            )
        auth = auths[0]
        return Explanation(
            DenialCause.EXPIRED,
            f"authorization {auth.auth_number or auth.pk} starts {_day(auth.start_date or day)}, "
            f"after the visit on {_day(day)}",
            auth,
        )
    auth = covering[0]
    if auth.approved_visits is not None:
        visit = _visit_number(order, appointment, auth, day)
        if visit > auth.approved_visits:
            return Explanation(
                DenialCause.EXCEEDED,
                f"visit {visit} of {auth.approved_visits} approved "
                f"(authorization {auth.auth_number or auth.pk})",
                auth,
            )
    return Explanation(
        DenialCause.OTHER,
        f"authorization {auth.auth_number or auth.pk} covers {code} on {_day(day)} "
        "in authq's records",
        auth,
    )


def _visit_number(
    order: Order, appointment: Appointment | None, auth: Authorization, day: dt.date
) -> int:
    """Which visit of the authorization's span this one was: the used visits (and this
    one) from its start, in order of start."""
    assert auth.start_date is not None
    before = appointment.start if appointment is not None else day_start(day)
    used = Appointment.objects.filter(
        order=order,
        start__gte=day_start(auth.start_date),
        start__lt=before,
        status__in=USED_STATUSES,
    )
    return used.count() + 1


def appeal_window_days(payer: Payer, order: Order, on: dt.date) -> int:
    """The appeal window of the payer's most specific rule for the order on `on`."""
    best: tuple[int, int] | None = None
    for rule in PayerRule.objects.filter(payer=payer).effective_on(on):
        if rule.service_category and rule.service_category != order.service_category:
            continue
        if rule.codes and order.code not in rule.codes:
            continue
        score = (bool(rule.codes) + bool(rule.service_category) + bool(rule.plan), rule.pk)
        if best is None or score > best:
            best = score
            days = rule.appeal_window_days
    return days if best is not None else RuleDefaults.appeal_window_days


@dataclass(frozen=True)
class DeniedLine:
    """A claim line denied for its authorization, as the remittance says it."""

    payer: Payer
    claim_number: str
    service_date: dt.date
    code: str
    denied_amount: Decimal
    carcs: list[str]
    rarcs: list[str]
    remittance_date: dt.date


def record_claim_denial(
    order: Order, line: DeniedLine, *, appointment: Appointment | None, by: object = None
) -> tuple[ClaimDenial, bool]:
    """The denied line on its order's open `claim_denied_auth` item (opened in the billing
    queue when there is none), due at the appeal deadline; (denial, created). A line
    recorded before (same payer, claim, date and code) is returned unchanged."""
    with transaction.atomic():
        Order.objects.select_for_update(no_key=True).filter(pk=order.pk).values("pk").get()
        known = ClaimDenial.objects.filter(
            payer=line.payer,
            claim_number=line.claim_number,
            service_date=line.service_date,
            code=line.code,
        ).first()
        if known is not None:
            return known, False
        why = explain(order, appointment, code=line.code, day=line.service_date)
        window = appeal_window_days(line.payer, order, line.remittance_date)
        deadline = line.remittance_date + dt.timedelta(days=window)
        flagged = WorkItem.objects.filter(
            order=order, created_at__lt=day_start(line.service_date)
        ).exclude(kind=ItemKind.CLAIM_DENIED_AUTH)
        item = WorkItem.objects.open().filter(order=order, kind=ItemKind.CLAIM_DENIED_AUTH).first()
        if item is None:
            item = WorkItem.objects.create(
                order=order,
                kind=ItemKind.CLAIM_DENIED_AUTH,
                queue=Queue.BILLING,
                first_service_date=line.service_date,
                affected_appointments=1,
                due_date=deadline,
                last_seen_as_of=practice_today(),
            )
        else:
            item.due_date = min(item.due_date, deadline)
            item.first_service_date = min(
                item.first_service_date or line.service_date, line.service_date
            )
            item.affected_appointments += 1
            item.save(
                update_fields=[
                    "due_date",
                    "first_service_date",
                    "affected_appointments",
                    "updated_at",
                ]
            )
        denial = ClaimDenial.objects.create(
            work_item=item,
            payer=line.payer,
            appointment=appointment,
            authorization=why.authorization,
            claim_number=line.claim_number,
            service_date=line.service_date,
            code=line.code,
            denied_amount=line.denied_amount,
            carcs=line.carcs,
            rarcs=line.rarcs,
            remittance_date=line.remittance_date,
            appeal_deadline=deadline,
            cause=why.cause,
            reason=why.reason,
            flagged_before=flagged.exists(),
        )
        WorkItemEvent.objects.create(
            work_item=item,
            kind=EventKind.CLAIM_DENIED,
            actor_id=getattr(by, "pk", None),
            data={
                "claim_denial": denial.pk,
                "queue": Queue.BILLING,
                "due_date": item.due_date.isoformat(),
                "cause": why.cause,
                "codes": ", ".join([*line.carcs, *line.rarcs]),
                "claim": line.claim_number,
            },
        )
        return denial, True
