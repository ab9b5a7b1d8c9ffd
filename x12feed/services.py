"""Receiving an X12 interchange (stored, its envelope checked, refused whole when that
fails) and applying it: each transaction in its own savepoint, reported on its own."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from x12feed import parse, t271, t278, t835
from x12feed.models import Interchange, InterchangeStatus, ReportLine
from x12feed.report import Report

HANDLERS = {"271": t271.apply, "278": t278.apply, "835": t835.apply}


class NotX12(ValueError):
    """The upload is not text an X12 interchange can be (the message says why)."""


def _text(content: bytes) -> str:
    try:
        return content.decode("ascii")
    except UnicodeDecodeError:
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotX12("The file is not text (X12 is ASCII or UTF-8).") from exc


def receive(content: bytes, *, name: str, by: Any) -> tuple[Interchange, bool]:
    """Keep the file as an interchange record; (record, created). The same file, or the
    same interchange (sender and ISA13) already accepted, is the record it was before.
    One whose envelope fails is recorded `refused` with its 999-style acknowledgment."""
    text = _text(content)
    digest = hashlib.sha256(content).hexdigest()
    known = Interchange.objects.filter(sha256=digest).first()
    if known is not None:
        return known, False
    found = parse.read(text)
    if found.envelope_ok:
        same = (
            Interchange.objects.exclude(status=InterchangeStatus.REFUSED)
            .filter(sender=found.sender, control_number=found.control_number)
            .first()
        )
        if same is not None:
            return same, False
    record = Interchange(
        file_name=name[:200],
        sha256=digest,
        size=len(content),
        sender=found.sender[:15],
        control_number=found.control_number[:9],
        ack=parse.acknowledgment(found),
        created_by=by if getattr(by, "pk", None) else None,
    )
    if not found.envelope_ok:
        record.status = InterchangeStatus.REFUSED
        record.error = "The envelope failed its checks: " + "; ".join(
            p.message for p in found.problems if p.level != "segment"
        )
        record.finished_at = timezone.now()
    record.file.save(f"{digest[:16]}.x12", ContentFile(content), save=False)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        # Another upload of the same file or interchange got there first.
        again = Interchange.objects.filter(sha256=digest).first() or (
            Interchange.objects.exclude(status=InterchangeStatus.REFUSED)
            .filter(sender=record.sender, control_number=record.control_number)
            .first()
        )
        if again is None:
            raise
        return again, False
    return record, True


def enqueue(record: Interchange) -> None:
    from x12feed.tasks import apply_interchange as task

    if record.status == InterchangeStatus.QUEUED:
        transaction.on_commit(lambda: task.delay(record.pk))


def apply_interchange(pk: int, *, by: Any = None) -> Interchange | None:
    """Apply a queued interchange's transactions; None when it is not queued (applied
    already, refused, or taken by another worker)."""
    with transaction.atomic():
        record = (
            Interchange.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, status=InterchangeStatus.QUEUED)
            .first()
        )
        if record is None:
            return None
        record.status = InterchangeStatus.RUNNING
        record.started_at = timezone.now()
        record.save(update_fields=["status", "started_at"])
    actor = by or record.created_by
    with record.file.open("rb") as handle:
        found = parse.read(_text(handle.read()))
    report = Report(record)
    ack = parse.acknowledgment(found)
    try:
        for tx in found.transactions:
            _apply_transaction(tx, report, actor)
    except Exception as exc:
        # What was applied stays (each transaction commits on its own) and is reported;
        # the rest waits for a person: the error's type only, its text may hold PHI.
        _finish(
            record, report, ack, InterchangeStatus.FAILED, f"{type(exc).__name__} while applying"
        )
        raise
    _finish(record, report, ack, InterchangeStatus.DONE)
    return record


def _apply_transaction(tx: parse.Transaction, report: Report, actor: Any) -> None:
    if tx.problems:
        report.rejected(tx, "; ".join(p.message for p in tx.problems))
        return
    handler = HANDLERS.get(tx.set_id)
    if handler is None or not tx.version.startswith(parse.VERSION):
        report.rejected(
            tx,
            f"Transaction {tx.set_id} version {tx.version or '?'}: authq reads 271, 278 "
            "and 835 of 5010 (005010).",
        )
        return
    handler(tx, report, by=actor)


def _finish(
    record: Interchange, report: Report, ack: dict[str, Any], status: str, error: str = ""
) -> None:
    with transaction.atomic():
        ReportLine.objects.bulk_create(report.lines)
        record.status = status
        record.error = error
        record.finished_at = timezone.now()
        record.counts = dict(sorted(report.counts.items()))
        record.ack = ack
        record.save(update_fields=["status", "error", "finished_at", "counts", "ack"])
