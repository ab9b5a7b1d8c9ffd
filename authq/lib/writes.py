"""The write path every app's services share: check a record with its validators and its
model's clean(), then save it; update by a natural key; change a row re-read under lock."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction


def checked[M: models.Model](record: M) -> M:
    """The record, if its fields' validators (bounds, date window, keys) and its model's
    clean() accept it; else a ValidationError naming each field. Every write of the
    apps' services passes here, so the page, the API and the admin share one set of rules.
    Relations are not re-read (their ids come from rows already loaded)."""
    relations = [f.name for f in record._meta.concrete_fields if f.is_relation]
    errors: dict[str, Any] = {}
    try:
        record.clean_fields(exclude=relations)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    try:
        record.clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    return record


def create_checked[M: models.Model](model: type[M], **fields: Any) -> M:
    record = checked(model(**fields))
    record.save(force_insert=True)
    return record


def save_changes[M: models.Model](record: M, changes: dict[str, Any]) -> M:
    """Apply `changes` to a row re-read under lock, check it, and save only those fields."""
    with transaction.atomic():
        fresh = type(record)._default_manager.select_for_update().get(pk=record.pk)
        for name, value in changes.items():
            setattr(fresh, name, value)
        before = {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}
        checked(fresh)
        # clean() may fill a value in (an approval's payer): save that too.
        fields = set(changes) | {
            f.name
            for f in fresh._meta.concrete_fields
            if getattr(fresh, f.attname) != before[f.attname]
        }
        if any(f.name == "updated_at" for f in fresh._meta.concrete_fields):
            fields.add("updated_at")
        fresh.save(update_fields=fields)
    return fresh


def upsert_by_key[M: models.Model](
    model: type[M], key: dict[str, Any], fields: dict[str, Any]
) -> tuple[M, bool]:
    """Update the row with this unique key, or create it; both checked (see `checked`).

    Two requests creating the same key at once: the loser updates the winner's row.
    """
    manager = model._default_manager
    with transaction.atomic():
        existing = manager.select_for_update().filter(**key).first()
        if existing is not None:
            return save_changes(existing, fields), False
        record = checked(model(**key, **fields))
        try:
            with transaction.atomic():
                record.save(force_insert=True)
        except IntegrityError:
            existing = manager.select_for_update().filter(**key).first()
            if existing is None:
                raise
            return save_changes(existing, fields), False
        return record, True
