"""Writes to payers, their rules and authorizations.

Records are upserted against a natural key, so that an interface engine can send the
same record twice. Payers have a unique `code`. Rules and authorizations have no unique
column, so their key is looked up while the parent row (the payer, the order) is locked:
two requests for the same key queue behind each other instead of both inserting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from payers.models import AUTH_TRANSITIONS, Authorization, Payer, PayerRule

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from patients.models import Order


class TransitionNotAllowed(Exception):
    """An authorization cannot move from its status to the one asked for."""

    def __init__(self, current: str, wanted: str) -> None:
        self.current = current
        self.wanted = wanted
        allowed = ", ".join(sorted(AUTH_TRANSITIONS[current])) or "none"
        super().__init__(
            f"An authorization cannot go from {current} to {wanted} (allowed from {current}: {allowed})."
        )


class DuplicateKey(Exception):
    """Another record already has the natural key a change would give this one."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def check_transition(current: str, wanted: str) -> None:
    """Raise TransitionNotAllowed unless `wanted` is `current` or an allowed move from it."""
    if wanted != current and wanted not in AUTH_TRANSITIONS[current]:
        raise TransitionNotAllowed(current, wanted)


def save_changes[M: models.Model](record: M, changes: dict[str, Any]) -> M:
    """Apply `changes` to a row re-read under lock, and save only those fields."""
    with transaction.atomic():
        fresh = type(record)._default_manager.select_for_update().get(pk=record.pk)
        for name, value in changes.items():
            setattr(fresh, name, value)
        fields = set(changes)
        if any(f.name == "updated_at" for f in fresh._meta.concrete_fields):
            fields.add("updated_at")
        fresh.save(update_fields=fields)
    return fresh


def _lock[M: models.Model](record: M) -> None:
    type(record)._default_manager.select_for_update().filter(pk=record.pk).values_list(
        "pk", flat=True
    ).get()


# Payers


def upsert_payer(*, code: str, **fields: Any) -> tuple[Payer, bool]:
    return Payer.objects.update_or_create(code=code, defaults=fields)


def update_payer(payer: Payer, **changes: Any) -> Payer:
    return save_changes(payer, changes)


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
        rule = find_rule(payer, effective_from=effective_from, **scope)
        if rule is not None:
            return save_changes(rule, fields), False
        return PayerRule.objects.create(
            payer=payer, effective_from=effective_from, **scope, **fields
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
            return save_changes(existing, fields), False
        auth = Authorization.objects.create(
            order=order, auth_number=auth_number, created_by=by, **fields
        )
        return auth, True


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
        return save_changes(current, changes)
