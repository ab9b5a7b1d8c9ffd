"""Small builders for records in tests. Dates are local dates in the practice time zone."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from patients.models import Appointment, Coverage, Order, Patient
from payers.models import Authorization, Payer, PayerRule

_seq = itertools.count(1)


def d(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def at(day: str | dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An aware datetime at a local wall-clock time of the practice."""
    if isinstance(day, str):
        day = d(day)
    return dt.datetime.combine(
        day, dt.time(hour, minute), tzinfo=ZoneInfo(settings.AUTHQ_TIME_ZONE)
    )


def payer(code: str | None = None, **kw: Any) -> Payer:
    code = code or f"P{next(_seq)}"
    return Payer.objects.create(code=code, name=kw.pop("name", f"Payer {code}"), **kw)


def rule(payer_: Payer, **kw: Any) -> PayerRule:
    kw.setdefault("effective_from", d("2025-01-01"))
    kw.setdefault("auth_required", True)
    return PayerRule.objects.create(payer=payer_, **kw)


def patient(**kw: Any) -> Patient:
    n = next(_seq)
    kw.setdefault("mrn", f"MRN{n:07d}")
    kw.setdefault("first_name", f"Pat{n}")
    kw.setdefault("last_name", "Synthetic")
    kw.setdefault("birth_date", d("1970-01-01"))
    return Patient.objects.create(**kw)


def coverage(patient_: Patient, payer_: Payer, **kw: Any) -> Coverage:
    kw.setdefault("member_id", f"M{next(_seq)}")
    kw.setdefault("start", d("2025-01-01"))
    kw.setdefault("rank", 1)
    return Coverage.objects.create(patient=patient_, payer=payer_, **kw)


def order(patient_: Patient | None = None, **kw: Any) -> Order:
    kw.setdefault("external_id", f"ORD-{next(_seq)}")
    kw.setdefault("service_category", "physical_therapy")
    kw.setdefault("code", "97110")
    kw.setdefault("priority", "routine")
    return Order.objects.create(patient=patient_ or patient(), **kw)


def visit(
    order_: Order, day: str | dt.date, status: str = "booked", hour: int = 10, **kw: Any
) -> Appointment:
    kw.setdefault("external_id", f"APT-{next(_seq)}")
    return Appointment.objects.create(order=order_, start=at(day, hour), status=status, **kw)


def auth(order_: Order, status: str = "approved", **kw: Any) -> Authorization:
    """An authorization; approved ones need start/end, decided ones get decided_at."""
    if status in ("approved", "partial", "denied"):
        kw.setdefault("decided_at", at("2026-10-01", 12))
    if status == "submitted":
        kw.setdefault("submitted_at", at("2026-11-20", 9))
    for name in ("start_date", "end_date"):
        if isinstance(kw.get(name), str):
            kw[name] = d(kw[name])
    return Authorization.objects.create(order=order_, status=status, **kw)


def practice(code: str | None = None, plan: str = "", **rule_kw: Any) -> tuple[Payer, Patient]:
    """A payer with one catch-all rule (defaults unless overridden) and a covered patient."""
    payer_ = payer(code)
    rule(payer_, **rule_kw)
    patient_ = patient()
    coverage(patient_, payer_, plan=plan)
    return payer_, patient_
