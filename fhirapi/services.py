"""POST /fhir/: a batch or transaction Bundle applied through the REST API's own
serializers and the payers' decision service.

Every entry is read on its own (fhirapi.reading); the good ones are applied in the order
of their records' parents (patients, then coverages and orders, then visits, then
payers' answers), each in a transaction of its own (a savepoint, in a transaction
bundle), so a refused entry costs only itself. References
between entries (`urn:uuid:` full URLs, `Patient/<mrn>`) resolve to natural keys; a
reference to a record neither in the bundle nor in authq is refused on its own entry. A
transaction is all or nothing: any refused entry rolls the whole bundle back. The orders
the bundle touched are re-evaluated once, after its last entry is committed
(worklists.scan.apply.reevaluation_gathered).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import pydantic
from django.core.exceptions import ValidationError as ModelValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from authq.lib.exceptions import ActionRefused, TransitionNotAllowed
from authq.lib.records import constraint_errors, model_error_dict
from fhirapi.models import BundleImport, RejectedEntry
from fhirapi.reading import (
    APPLY_ORDER,
    FIELD_PATHS,
    Entry,
    Fault,
    Ref,
    library_faults,
    read_entry,
)
from patients.api import (
    AppointmentSerializer,
    CoverageSerializer,
    OrderSerializer,
    PatientSerializer,
)
from patients.models import Appointment, Order, Patient
from patients.signals import announce_orders_changed
from payers import services as payer_services
from payers.models import Authorization, Payer, SubmissionChannel
from worklists.claiming import record_event
from worklists.models import EventKind, WorkItem
from worklists.scan.apply import reevaluation_gathered

# Entries one bundle may hold (the JSON batches of the API take 10,000 records; a FHIR
# bundle is an interface engine's burst, not a go-live load).
MAX_ENTRIES = 1000

# What a person needs to write each resource: the REST API's POST permissions.
WRITE_PERMISSIONS = {
    "Patient": ("patients.add_patient", "patients.change_patient"),
    "Coverage": ("patients.add_coverage", "patients.change_coverage"),
    "ServiceRequest": ("patients.add_order", "patients.change_order"),
    "Appointment": ("patients.add_appointment", "patients.change_appointment"),
    "ClaimResponse": ("payers.change_authorization",),
}

SERIALIZERS: dict[str, Any] = {
    "Patient": PatientSerializer,
    "Coverage": CoverageSerializer,
    "ServiceRequest": OrderSerializer,
    "Appointment": AppointmentSerializer,
}
# Records a reference may name that are not in the bundle: found by natural key.
KNOWN = {
    "Patient": lambda key: Patient.objects.filter(mrn=key).exists(),
    "ServiceRequest": lambda key: Order.objects.filter(external_id=key).exists(),
}


class BundleRefused(Exception):
    """The body is not a Bundle authq takes: answered 400 as a whole, nothing applied."""

    def __init__(self, faults: list[Fault]) -> None:
        self.faults = faults
        super().__init__(faults[0].message)


class _Refused(Exception):
    """An entry's faults are noted; its savepoint rolls back."""


@dataclass
class Outcome:
    """What POST /fhir/ answers: the HTTP status and the resource (a response Bundle, or
    for a refused transaction an OperationOutcome)."""

    status: int
    resource: Any


def can_write_any(user: Any) -> bool:
    return any(all(user.has_perm(p) for p in perms) for perms in WRITE_PERMISSIONS.values())


def operation_outcome(faults: Sequence[Fault]) -> OperationOutcome:
    return OperationOutcome.model_validate(
        {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "error",
                    "code": f.code,
                    "diagnostics": f.message,
                    **({"expression": [f.path]} if f.path else {}),
                }
                for f in faults
            ],
        }
    )


def shell_faults(body: Any) -> tuple[str, list[Any]]:
    """The bundle's type and entries; BundleRefused when it is not a batch or transaction
    Bundle the library's model accepts (its entries are read one by one later)."""
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise BundleRefused([Fault("Bundle", "Send a FHIR Bundle (resourceType Bundle).")])
    kind = body.get("type")
    if kind not in ("batch", "transaction"):
        raise BundleRefused(
            [Fault("Bundle.type", f"'{kind}' is not taken; send a batch or a transaction.")]
        )
    entries = body.get("entry", [])
    if not isinstance(entries, list):
        raise BundleRefused([Fault("Bundle.entry", "Must be a list of entries.")])
    if len(entries) > MAX_ENTRIES:
        raise BundleRefused(
            [Fault("Bundle.entry", f"At most {MAX_ENTRIES} entries in one bundle.")]
        )
    try:
        Bundle.model_validate({k: v for k, v in body.items() if k != "entry"})
    except pydantic.ValidationError as exc:
        raise BundleRefused(library_faults(exc, "Bundle")) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleRefused([Fault("Bundle", f"Cannot be read: {exc}.")]) from exc
    return kind, entries


def apply_bundle(body: Any, *, request: Request) -> Outcome:
    """Apply a batch or transaction Bundle as `request.user`; BundleRefused if the body
    is not one."""
    kind, raw_entries = shell_faults(body)
    entries = [read_entry(i, raw) for i, raw in enumerate(raw_entries)]
    seen: dict[str, Entry] = {}
    for entry in entries:
        if entry.full_url and entry.full_url in seen:
            entry.faults.append(
                Fault(
                    f"{entry.base}.fullUrl",
                    f"Bundle.entry[{seen[entry.full_url].index}] has the same fullUrl.",
                )
            )
        elif entry.full_url:
            seen[entry.full_url] = entry
    user = request.user
    for entry in entries:
        if entry.ok and not all(user.has_perm(p) for p in WRITE_PERMISSIONS[entry.resource_type]):
            entry.faults.append(
                Fault(
                    entry.base,
                    f"You may not write {entry.resource_type} records.",
                    code="forbidden",
                    status="403 Forbidden",
                )
            )
    started = time.monotonic()
    # A transaction holds its writes until all are applied; a batch commits each entry on
    # its own (its locks held for one entry, never the bundle's length).
    whole = transaction.atomic() if kind == "transaction" else nullcontext()
    with whole:
        with reevaluation_gathered():
            todo = sorted(
                (e for e in entries if e.ok), key=lambda e: (APPLY_ORDER[e.resource_type], e.index)
            )
            index = Index(entries)
            for entry in todo:
                _apply(entry, index, request)
        refused = [e for e in entries if not e.ok]
        applied = not (kind == "transaction" and refused)
        if applied:
            outcome = Outcome(200, response_bundle(f"{kind}-response", entries))
        else:
            transaction.set_rollback(True)
            outcome = Outcome(400, operation_outcome([f for e in refused for f in e.faults]))
    record_bundle(body, kind, entries, request=request, applied=applied, started=started)
    return outcome


def record_bundle(
    body: dict[str, Any],
    kind: str,
    entries: Sequence[Entry],
    *,
    request: Request,
    applied: bool,
    started: float,
) -> BundleImport:
    """The bundle's import record, kept whether it was applied or rolled back."""
    identifier = body.get("identifier")
    source = body.get("id") or (identifier.get("value") if isinstance(identifier, dict) else "")
    results = [e.result for e in entries if e.ok] if applied else []
    refused = [e for e in entries if not e.ok]
    with transaction.atomic():
        record = BundleImport.objects.create(
            created_by=request.user if request.user.is_authenticated else None,
            kind=kind,
            source_id=str(source or "")[:200],
            entries=len(entries),
            created=results.count("created"),
            updated=results.count("updated"),
            unchanged=results.count("unchanged"),
            rejected=len(refused),
            applied=applied,
            duration_ms=round((time.monotonic() - started) * 1000),
        )
        RejectedEntry.objects.bulk_create(
            [
                RejectedEntry(
                    bundle=record,
                    index=e.index,
                    path=e.faults[0].path[:300],
                    message=" ".join(f"{f.path}: {f.message}" for f in e.faults),
                    raw=e.raw,
                )
                for e in refused
            ]
        )
    return record


def response_bundle(kind: str, entries: Sequence[Entry]) -> Bundle:
    answers: list[dict[str, Any]] = []
    for entry in entries:
        if entry.ok:
            answers.append({"response": {"status": entry.status, "location": entry.location}})
        else:
            outcome = operation_outcome(entry.faults).model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
            answers.append({"response": {"status": entry.faults[0].status, "outcome": outcome}})
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": kind,
            "timestamp": timezone.now().isoformat(),
            "entry": answers,
        }
    )


# Applying one entry


class Index:
    """The bundle's entries by fullUrl and by (type, natural key), for references."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.by_url = {e.full_url: e for e in entries if e.full_url}
        self.by_key = {(e.resource_type, e.key): e for e in entries if e.key}
        for e in entries:  # an absolute fullUrl ending in Type/key names that key too
            parts = e.full_url.rstrip("/").split("/")
            if len(parts) >= 2 and not e.full_url.startswith("urn:"):
                self.by_key.setdefault((parts[-2], parts[-1]), e)


def _apply(entry: Entry, entries: Index, request: Request) -> None:
    maybe_patient = entry.refs.get("patient")
    if (
        entry.resource_type == "Appointment"
        and maybe_patient is not None
        and maybe_patient.reference.startswith("urn:")
        and getattr(entries.by_url.get(maybe_patient.reference), "resource_type", "") != "Patient"
    ):
        # A participant named by urn:uuid that is no Patient of the bundle (a practitioner,
        # a location): not the visit's patient.
        del entry.refs["patient"]
    try:
        with transaction.atomic():
            keys = {name: _resolve(entry, ref, entries) for name, ref in entry.refs.items()}
            if not entry.ok:
                raise _Refused
            if entry.resource_type == "ClaimResponse":
                _apply_claim_response(entry, keys, request.user)
            else:
                _apply_record(entry, keys, request)
            if not entry.ok:
                raise _Refused
    except _Refused:
        return


def _target_key(ref: Ref) -> tuple[str, str]:
    """(type, key) of a literal reference `Type/key` (or an absolute URL ending so)."""
    parts = ref.reference.rstrip("/").split("/")
    if ref.identifier and not ref.reference:
        return ref.type, ref.identifier
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return "", ref.reference


def _resolve(entry: Entry, ref: Ref, entries: Index) -> str:
    """The natural key a reference names; a fault on `entry` when it names nothing."""
    target: Entry | None = None
    if ref.reference.startswith("urn:"):
        target = entries.by_url.get(ref.reference)
        if target is None:
            entry.faults.append(
                Fault(
                    f"{ref.path}.reference",
                    f"{ref.reference} is no entry's fullUrl in this bundle.",
                    code="not-found",
                    status="404 Not Found",
                )
            )
            return ""
        if target.resource_type and target.resource_type != ref.type:
            entry.faults.append(
                Fault(
                    f"{ref.path}.reference",
                    f"Must refer to a {ref.type}, not a {target.resource_type}.",
                )
            )
            return ""
    else:
        kind, key = _target_key(ref)
        if kind != ref.type:
            entry.faults.append(
                Fault(f"{ref.path}.reference", f"Must refer to a {ref.type} ({ref.type}/<key>).")
            )
            return ""
        target = entries.by_key.get((kind, key))
        if target is None:
            if KNOWN[kind](key):
                return key
            entry.faults.append(
                Fault(
                    ref.path,
                    f"{kind}/{key} is neither in this bundle nor in authq.",
                    code="not-found",
                    status="404 Not Found",
                )
            )
            return ""
    if not target.ok:
        entry.faults.append(
            Fault(
                ref.path,
                f"Refers to Bundle.entry[{target.index}], which was refused.",
                code="processing",
                status="424 Failed Dependency",
            )
        )
        return ""
    return target.key


def _fault_fields(entry: Entry, errors: dict[str, Any]) -> None:
    """A serializer's or a service's errors, each on the resource's path of its field."""
    for name, messages in errors.items():
        path = entry.paths.get(name) or FIELD_PATHS.get(entry.resource_type, {}).get(name, "")
        where = f"{entry.at}.{path}" if path else entry.at
        text = _text(messages)
        # A rule of the whole record (non_field_errors) is named by its words alone.
        named = path or name in ("", "non_field_errors")
        entry.faults.append(Fault(where, text if named else f"{name}: {text}"))


def _text(messages: Any) -> str:
    if isinstance(messages, dict):
        return " ".join(_text(m) for m in messages.values())
    if isinstance(messages, list | tuple):
        return " ".join(_text(m) for m in messages)
    return str(messages)


def _apply_record(entry: Entry, keys: dict[str, str], request: Request) -> None:
    data = dict(entry.data)
    patient_key = keys.pop("patient", None) if entry.resource_type == "Appointment" else None
    data.update(keys)
    serializer = SERIALIZERS[entry.resource_type](data=data, context={"request": request})
    try:
        if not serializer.is_valid():
            _fault_fields(entry, serializer.errors)
            return
        before = _values(serializer.existing or _stored(entry))
        record = serializer.save()
    except ValidationError as exc:
        _fault_fields(entry, exc.detail if isinstance(exc.detail, dict) else {"": exc.detail})
        return
    except IntegrityError as exc:
        _fault_fields(entry, constraint_errors(exc))
        return
    if patient_key and record.order.patient.mrn != patient_key:
        # The visit's order is another patient's: a record never moves to another patient.
        entry.faults.append(
            Fault(entry.refs["patient"].path, "patient: belongs to another patient.")
        )
        return
    entry.status = "201 Created" if serializer.created else "200 OK"
    if serializer.created:
        entry.result = "created"
    else:
        entry.result = "unchanged" if _values(record) == before else "updated"
    key = entry.key or str(record.pk)
    entry.key = key
    entry.location = f"{entry.resource_type}/{key}"


def _apply_claim_response(entry: Entry, keys: dict[str, str], by: Any) -> None:
    """The payer's decision, through the service a specialist records it with."""
    auth = Authorization.objects.select_related("order__patient").filter(pk=int(entry.key)).first()
    if auth is None:
        entry.fault(
            "request",
            f"Claim/{entry.key} is no authorization request of authq.",
            code="not-found",
            status="404 Not Found",
        )
        return
    patient_key = keys.get("patient")
    if patient_key and auth.order.patient.mrn != patient_key:
        entry.fault("patient", "patient: the authorization belongs to another patient.")
        return
    decision = {
        k: v
        for k, v in entry.data.items()
        if k not in ("payer",) and (v is not None or k in ("start_date", "end_date"))
    }
    decision.setdefault("start_date", None)
    decision.setdefault("end_date", None)
    payer = None
    if "payer" in entry.data:
        payer = Payer.objects.filter(code=entry.data["payer"]).first()
        if payer is None:
            entry.fault("insurer", f"No payer with code '{entry.data['payer']}'.")
            return
    entry.location = f"Claim/{auth.pk}"
    if _already_recorded(auth, decision):
        entry.status, entry.result = "200 OK", "unchanged"
        return
    try:
        decided = payer_services.record_decision(auth, payer=payer, **_decision_arguments(decision))
    except TransitionNotAllowed as exc:
        _fault_fields(entry, {"status": [str(exc)]})
    except ActionRefused as exc:
        _fault_fields(entry, {exc.field or "": [str(exc)]})
    except ModelValidationError as exc:
        _fault_fields(entry, model_error_dict(exc))
    else:
        entry.status, entry.result = "200 OK", "updated"
        _note_decision(decided, outcome=decision["outcome"], by=by)


def _note_decision(auth: Authorization, *, outcome: str, by: Any) -> None:
    """The answer in the order's timeline, as the item page records it (on the order's
    first active item, without claiming it), and the order re-evaluated with the bundle's."""
    item = WorkItem.objects.open().filter(order_id=auth.order_id).in_queue_order().first()
    if item is not None:
        record_event(
            item,
            EventKind.DECIDED,
            by,
            authorization=auth.pk,
            outcome=outcome,
            status=auth.status,
            determination=auth.determination_code,
            approved_visits=auth.approved_visits,
            denial_reason=auth.denial_reason_code,
            channel=SubmissionChannel.ELECTRONIC,
        )
    announce_orders_changed([auth.order_id])


def _stored(entry: Entry) -> models.Model | None:
    """The record a resource keyed by mrn or external_id would update, if any."""
    model = {"Patient": Patient, "ServiceRequest": Order, "Appointment": Appointment}.get(
        entry.resource_type
    )
    if model is None or not entry.key:
        return None
    key = "mrn" if model is Patient else "external_id"
    found: models.Model | None = model._default_manager.filter(**{key: entry.key}).first()
    return found


def _values(record: models.Model | None) -> dict[str, Any] | None:
    """A record's stored values, but for its timestamps: what an update may change."""
    if record is None:
        return None
    return {
        f.attname: getattr(record, f.attname)
        for f in record._meta.concrete_fields
        if f.name not in ("created_at", "updated_at")
    }


def _decision_arguments(decision: dict[str, Any]) -> dict[str, Any]:
    import datetime as dt

    arguments = dict(decision)
    for name in ("start_date", "end_date"):
        if arguments.get(name):
            arguments[name] = dt.date.fromisoformat(arguments[name])
    return arguments


def _already_recorded(auth: Authorization, decision: dict[str, Any]) -> bool:
    """The same answer sent again: the authorization already holds it."""
    wanted = payer_services.OUTCOME_STATUS[decision["outcome"]]
    if auth.status != wanted or auth.determination_code != decision["determination_code"]:
        return False
    if decision["outcome"] == "pended":
        return True
    if decision.get("auth_number") and auth.auth_number != decision["auth_number"]:
        return False
    if decision["outcome"] == "denied":
        return auth.denial_reason_code == decision.get("denial_reason_code", "")
    start, end = (auth.start_date, auth.end_date)
    return (
        (start.isoformat() if start else None) == decision.get("start_date")
        and (end.isoformat() if end else None) == decision.get("end_date")
        and auth.approved_visits == decision.get("approved_visits")
    )
