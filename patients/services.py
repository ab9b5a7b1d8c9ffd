"""Writes to patients, coverages, orders and appointments.

Patients, orders and appointments are upserted against their unique natural key
(mrn, external_id). A coverage is keyed by the card it comes from and when it starts:
(patient, payer, member_id, start), looked up while the patient row is locked.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone

from authq.lib.exceptions import DuplicateKey
from authq.lib.writes import checked, create_checked, save_changes, upsert_by_key
from patients.models import Appointment, Coverage, Order, Patient
from patients.signals import announce_orders_changed

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# A coverage's payer is a payers.Payer; patients does not import payers (docs/architecture.md).
PayerRecord = models.Model


def upsert_patient(*, mrn: str, **fields: Any) -> tuple[Patient, bool]:
    return upsert_by_key(Patient, {"mrn": mrn}, fields)


def update_patient(patient: Patient, **changes: Any) -> Patient:
    return save_changes(patient, changes)


def find_coverage(
    patient: Patient,
    *,
    payer: PayerRecord,
    member_id: str,
    start: dt.date,
    exclude_id: int | None = None,
) -> Coverage | None:
    # By id: patients cannot name payers' model, so the checker knows `payer` as a Model.
    found = Coverage.objects.filter(
        patient=patient, payer_id=payer.pk, member_id=member_id, start=start
    ).order_by("id")
    if exclude_id is not None:
        found = found.exclude(pk=exclude_id)
    return found.first()


def upsert_coverage(
    patient: Patient, *, payer: PayerRecord, member_id: str, start: dt.date, **fields: Any
) -> tuple[Coverage, bool]:
    """Create a coverage, or update the patient's one from the same card and start date."""
    key = {"payer": payer, "member_id": member_id, "start": start}
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk").get()
        coverage = find_coverage(patient, payer=payer, member_id=member_id, start=start)
        if coverage is not None:
            result = save_changes(coverage, fields), False
        else:
            result = create_checked(Coverage, patient=patient, **key, **fields), True
        _announce_patient(patient.pk)
        return result


def update_coverage(coverage: Coverage, **changes: Any) -> Coverage:
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=coverage.patient_id).values_list("pk").get()
        key = {
            name: changes.get(name, getattr(coverage, name))
            for name in ("payer", "member_id", "start")
        }
        if find_coverage(coverage.patient, exclude_id=coverage.pk, **key) is not None:
            raise DuplicateKey(
                "member_id",
                "The patient already has this payer's coverage for this member id from this date.",
            )
        coverage = save_changes(coverage, changes)
        _announce_patient(coverage.patient_id)
        return coverage


def _announce_patient(patient_id: int) -> None:
    """A coverage change touches every order of the patient."""
    announce_orders_changed(
        Order.objects.filter(patient_id=patient_id).values_list("pk", flat=True)
    )


def upsert_order(*, external_id: str, **fields: Any) -> tuple[Order, bool]:
    """Create an order, or update the one with this external_id (never moving it to
    another patient: Order.clean refuses that)."""
    with transaction.atomic():
        order, created = upsert_by_key(Order, {"external_id": external_id}, fields)
        announce_orders_changed([order.pk])
    return order, created


def update_order(order: Order, **changes: Any) -> Order:
    order = save_changes(order, changes)
    announce_orders_changed([order.pk])
    return order


def upsert_appointment(*, external_id: str, **fields: Any) -> tuple[Appointment, bool]:
    before = (
        Appointment.objects.filter(external_id=external_id)
        .values_list("order_id", flat=True)
        .first()
    )
    with transaction.atomic():
        appointment, created = upsert_by_key(Appointment, {"external_id": external_id}, fields)
    announce_orders_changed([appointment.order_id, *([before] if before else [])])
    return appointment, created


def update_appointment(appointment: Appointment, **changes: Any) -> Appointment:
    """Reschedule, complete, cancel or move an appointment."""
    before = appointment.order_id
    appointment = save_changes(appointment, changes)
    announce_orders_changed([before, appointment.order_id])
    return appointment


def verify_benefits(
    coverage: Coverage,
    *,
    by: User | None,
    copay: Decimal | None,
    coinsurance_percent: Decimal | None,
    deductible: Decimal | None,
    deductible_met: Decimal | None,
    plan_year_visit_limit: int | None,
) -> Coverage:
    """The benefits as the payer confirmed them today, by whom."""
    changes = {
        "copay": copay,
        "coinsurance_percent": coinsurance_percent,
        "deductible": deductible,
        "deductible_met": deductible_met,
        "plan_year_visit_limit": plan_year_visit_limit,
        "benefits_verified_at": timezone.now(),
        "benefits_verified_by": by,
    }
    with transaction.atomic():
        current = Coverage.objects.select_for_update().get(pk=coverage.pk)
        for name, value in changes.items():
            setattr(current, name, value)
        checked(current).save(update_fields=[*changes, "updated_at"])
        return current
