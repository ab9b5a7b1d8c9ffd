"""A bundle's entries read with the FHIR library's R4 models, then as authq's records.

Each entry is validated on its own (fhir.resources' BundleEntry, with the resource's own
model), so a bad entry costs only itself; a fault names its FHIRPath from the bundle
(`Bundle.entry[3].resource.start`). A valid resource is then read as the data the REST
API's serializer of its record takes (natural keys for references), with a map from the
serializer's fields back to the resource's paths, so the API's own 400 reads as a path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pydantic
from fhir.resources.R4B.bundle import BundleEntry

from fhirapi.faults import Fault
from patients.models import Priority, ServiceCategory

# The resources POST /fhir/ takes, in the order they are applied: a record's parents
# first (a patient before its coverages and orders, an order before its visits).
APPLY_ORDER = {
    "Patient": 0,
    "Coverage": 1,
    "ServiceRequest": 1,
    "Appointment": 2,
    "ClaimResponse": 3,
}
SUPPORTED = tuple(APPLY_ORDER)

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "urn:oid:2.16.840.1.113883.6.285"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
X12_306 = "https://codesystem.x12.org/005010/306"
CATEGORY_SYSTEM = "urn:authq:service-category"

# FHIR ServiceRequest.priority -> the order's priority.
PRIORITIES = {
    "routine": Priority.ROUTINE,
    "urgent": Priority.URGENT,
    "asap": Priority.URGENT,
    "stat": Priority.STAT,
}
# The payer's review action (X12 306, HCR01) -> the outcome a specialist records.
REVIEW_OUTCOMES = {
    "A1": "approved",
    "A2": "partial",
    "A6": "partial",
    "A3": "denied",
    "A4": "pended",
}


# Where each field of the API's serializers is read from, for a fault on a field the
# resource did not give (a required one): the readers note exact paths for the others.
FIELD_PATHS = {
    "Patient": {"mrn": "identifier", "first_name": "name", "last_name": "name",
                "birth_date": "birthDate"},
    "Coverage": {"patient": "beneficiary", "payer": "payor", "member_id": "subscriberId",
                 "start": "period.start", "end": "period.end"},
    "ServiceRequest": {"patient": "subject", "service_category": "category", "code": "code"},
    "Appointment": {"order": "basedOn", "start": "start", "status": "status"},
}  # fmt: skip


@dataclass
class Ref:
    """A reference of a resource to another record: where it stands, the type it must
    name, and the reference as given (`urn:uuid:...`, `Patient/MRN1`, or an identifier)."""

    path: str
    type: str
    reference: str
    identifier: str = ""


@dataclass
class Entry:
    index: int
    raw: Any
    resource_type: str = ""
    full_url: str = ""
    resource: Any = None
    key: str = ""  # the natural key the resource gives (mrn, external_id), once read
    data: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, Ref] = field(default_factory=dict)  # serializer field -> reference
    paths: dict[str, str] = field(default_factory=dict)  # serializer field -> resource path
    faults: list[Fault] = field(default_factory=list)
    status: str = ""
    location: str = ""
    result: str = ""  # created, updated or unchanged, once applied

    @property
    def base(self) -> str:
        return f"Bundle.entry[{self.index}]"

    @property
    def at(self) -> str:
        return f"{self.base}.resource"

    def fault(self, path: str, message: str, **kwargs: str) -> None:
        where = f"{self.at}.{path}" if path else self.at
        self.faults.append(Fault(where, message, **kwargs))

    @property
    def ok(self) -> bool:
        return not self.faults


def fhir_path(base: str, loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a FHIRPath below `base`: entry[3].resource.start."""
    path = base
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part.removesuffix('__ext')}"
    return path


def library_faults(exc: pydantic.ValidationError, base: str) -> list[Fault]:
    faults = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        faults.append(Fault(fhir_path(base, tuple(error["loc"])), message, code="structure"))
    return faults


def read_entry(index: int, raw: Any) -> Entry:
    """The entry validated by the library's models; faults name their paths."""
    entry = Entry(index, raw)
    if not isinstance(raw, dict):
        entry.faults.append(Fault(entry.base, "An entry is a JSON object.", code="structure"))
        return entry
    resource = raw.get("resource")
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if not isinstance(resource, dict):
        entry.faults.append(Fault(f"{entry.base}.resource", "Give the resource to write."))
        return entry
    if kind not in SUPPORTED:
        entry.faults.append(
            Fault(
                f"{entry.base}.resource.resourceType",
                f"'{kind}' is not taken here; give one of {', '.join(SUPPORTED)}.",
                code="not-supported",
            )
        )
        return entry
    entry.resource_type = kind
    try:
        model = BundleEntry.model_validate(raw)
    except pydantic.ValidationError as exc:
        entry.faults.extend(library_faults(exc, entry.base))
        return entry
    except (KeyError, TypeError, ValueError) as exc:  # the library's own refusals
        entry.faults.append(Fault(entry.base, f"Cannot be read: {exc}.", code="structure"))
        return entry
    entry.resource = model.resource
    entry.full_url = model.fullUrl or ""
    request = model.request
    if request is None or request.method not in ("POST", "PUT"):
        entry.faults.append(
            Fault(
                f"{entry.base}.request.method",
                "Give request.method POST or PUT (authq writes by natural key; "
                "it neither deletes nor reads in a bundle).",
                code="not-supported",
            )
        )
    elif (request.url or "").split("/")[0].split("?")[0] != kind:
        entry.faults.append(
            Fault(f"{entry.base}.request.url", f"Must name the resource's type, {kind}.")
        )
    if entry.ok:
        READERS[kind](entry, model.resource)
    # PUT Type/<key> updates that record: the key must be the one the resource gives.
    named = (request.url or "").partition("?")[0].partition("/")[2] if request else ""
    keyed = kind in ("Patient", "ServiceRequest", "Appointment")
    if entry.ok and keyed and request and request.method == "PUT" and named not in ("", entry.key):
        entry.faults.append(
            Fault(
                f"{entry.base}.request.url",
                f"Names {kind}/{named}, but the resource is {kind}/{entry.key}.",
            )
        )
    return entry


# Helpers for the readers


def _codes(concept: Any) -> list[tuple[str, str, str]]:
    """(system, code, display) of a CodeableConcept's codings."""
    if concept is None:
        return []
    return [(c.system or "", c.code or "", c.display or "") for c in concept.coding or []]


def _identifier(identifiers: list[Any] | None, type_code: str) -> tuple[int, str] | None:
    """The identifier of this v2-0203 type, else the only one: (index, value)."""
    found = list(enumerate(identifiers or []))
    for i, ident in found:
        if any(code == type_code for _s, code, _d in _codes(ident.type)) and ident.value:
            return i, ident.value
    if len(found) == 1 and found[0][1].value:
        return 0, found[0][1].value
    return None


def _reference(entry: Entry, name: str, path: str, kind: str, ref: Any) -> None:
    """Note a reference the serializer's field `name` takes by the record's natural key."""
    if ref is None:
        return
    identifier = ref.identifier.value if ref.identifier is not None else ""
    if not ref.reference and not identifier:
        entry.fault(path, f"Give a reference to the {kind}.")
        return
    entry.refs[name] = Ref(f"{entry.at}.{path}", kind, ref.reference or "", identifier or "")
    entry.paths[name] = path


def _day(entry: Entry, path: str, value: Any) -> str | None:
    """A FHIR date or dateTime as a day (YYYY-MM-DD); a partial date is a fault."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        from authq.lib.clock import local_date

        return local_date(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    entry.fault(path, f"'{value}' is not a whole date; give YYYY-MM-DD.")
    return None


def _moment(entry: Entry, path: str, value: Any) -> str | None:
    """A FHIR dateTime with a time and an offset, as ISO 8601 for the serializer."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat()  # a naive one is refused by the serializer, by name
    entry.fault(path, f"'{value}' has no time of day; give a date-time with an offset.")
    return None


def _whole(entry: Entry, path: str, value: Decimal | float | int | None) -> int | None:
    if value is None:
        return None
    number = Decimal(str(value))
    if number != number.to_integral_value():
        entry.fault(path, f"{value} is not a whole number of visits.")
        return None
    return int(number)


def payer_code(ref: Any) -> str:
    """A payer named by `Organization/<code>` or by an identifier whose value is its code."""
    if ref is None:
        return ""
    if ref.identifier is not None and ref.identifier.value:
        return str(ref.identifier.value)
    kind, _, code = (ref.reference or "").partition("/")
    return code if kind == "Organization" else ""


# Readers: each fills entry.key, entry.data (the API's fields) and entry.paths.


def read_patient(entry: Entry, patient: Any) -> None:
    found = _identifier(patient.identifier, "MR")
    if found is None:
        entry.fault("identifier", "Give the MRN: an identifier of type MR (v2-0203).")
        return
    i, mrn = found
    entry.key = mrn
    data: dict[str, Any] = {"mrn": mrn}
    paths = {"mrn": f"identifier[{i}].value"}
    names = list(enumerate(patient.name or []))
    if names:
        n, name = next(((n, x) for n, x in names if x.use == "official"), names[0])
        if name.family is not None:
            data["last_name"], paths["last_name"] = name.family, f"name[{n}].family"
        if name.given:
            data["first_name"], paths["first_name"] = " ".join(name.given), f"name[{n}].given"
    if patient.birthDate is not None:
        data["birth_date"] = _day(entry, "birthDate", patient.birthDate)
        paths["birth_date"] = "birthDate"
    for t, point in enumerate(patient.telecom or []):
        name = {"phone": "phone", "email": "email"}.get(point.system or "")
        if name and name not in data and point.value:
            data[name], paths[name] = point.value, f"telecom[{t}].value"
    entry.data, entry.paths = data, paths


def read_coverage(entry: Entry, coverage: Any) -> None:
    _reference(entry, "patient", "beneficiary", "Patient", coverage.beneficiary)
    code = payer_code(coverage.payor[0] if coverage.payor else None)
    if not code:
        entry.fault("payor[0]", "Give the payer as Organization/<payer code> or its identifier.")
        return
    data: dict[str, Any] = {"payer": code}
    paths = {"payer": "payor[0]"}
    member = coverage.subscriberId
    member_path = "subscriberId"
    if not member:
        found = _identifier(coverage.identifier, "MB")
        if found is not None:
            member_path, member = f"identifier[{found[0]}].value", found[1]
    data["member_id"], paths["member_id"] = member or "", member_path
    for c, cls in enumerate(coverage.class_fhir or []):
        if any(code == "plan" for _s, code, _d in _codes(cls.type)):
            data["plan"], paths["plan"] = cls.value, f"class[{c}].value"
            break
    if coverage.order is not None:
        data["rank"], paths["rank"] = coverage.order, "order"
    period = coverage.period
    start = _day(entry, "period.start", period.start if period else None)
    if start is None and entry.ok:
        entry.fault("period.start", "Give the date the coverage starts.")
    data["start"], paths["start"] = start, "period.start"
    if period is not None and period.end is not None:
        data["end"], paths["end"] = _day(entry, "period.end", period.end), "period.end"
    entry.data.update(data)
    entry.paths.update(paths)


def _external_id(entry: Entry, identifiers: Any, type_code: str, what: str) -> bool:
    """The record's external_id from its identifier of this type; False (a fault) if none."""
    found = _identifier(identifiers, type_code)
    if found is None:
        entry.fault("identifier", f"Give the {what} id: an identifier of type {type_code}.")
        return False
    i, entry.key = found
    entry.data["external_id"] = entry.key
    entry.paths["external_id"] = f"identifier[{i}].value"
    return True


def read_service_request(entry: Entry, request: Any) -> None:
    if not _external_id(entry, request.identifier, "PLAC", "order"):
        return
    data: dict[str, Any] = {}
    paths: dict[str, str] = {}
    _reference(entry, "patient", "subject", "Patient", request.subject)
    codes = _codes(request.code)
    if codes:
        data["code"], paths["code"] = codes[0][1], "code.coding[0].code"
    for c, concept in enumerate(request.category or []):
        found_category = [
            code for _s, code, _d in _codes(concept) if code in ServiceCategory.values
        ]
        if found_category:
            data["service_category"] = found_category[0]
            paths["service_category"] = f"category[{c}]"
            break
    else:
        if request.category:
            entry.fault(
                "category",
                f"Give a category coded as one of {', '.join(ServiceCategory.values)}.",
            )
    diagnoses = [
        code
        for concept in request.reasonCode or []
        for system, code, _d in _codes(concept)
        if system == ICD10CM
    ]
    if request.reasonCode is not None:
        data["diagnosis_codes"], paths["diagnosis_codes"] = diagnoses, "reasonCode"
    if request.priority is not None:
        data["priority"], paths["priority"] = PRIORITIES[request.priority], "priority"
    quantity = request.quantityQuantity
    if quantity is not None:
        data["visits_ordered"] = _whole(entry, "quantityQuantity.value", quantity.value)
        paths["visits_ordered"] = "quantityQuantity.value"
    if request.requester is not None and request.requester.display:
        data["ordering_provider"] = request.requester.display
        paths["ordering_provider"] = "requester.display"
    if request.authoredOn is not None:
        data["ordered_at"] = _moment(entry, "authoredOn", request.authoredOn)
        paths["ordered_at"] = "authoredOn"
    entry.data.update(data)
    entry.paths.update(paths)


def read_appointment(entry: Entry, appointment: Any) -> None:
    if not _external_id(entry, appointment.identifier, "FILL", "appointment"):
        return
    data: dict[str, Any] = {"status": appointment.status}
    paths = {"status": "status"}
    if not appointment.basedOn:
        entry.fault("basedOn", "Give the order: basedOn a ServiceRequest.")
        return
    _reference(entry, "order", "basedOn[0]", "ServiceRequest", appointment.basedOn[0])
    if appointment.start is not None:
        data["start"], paths["start"] = _moment(entry, "start", appointment.start), "start"
    for p, participant in enumerate(appointment.participant or []):
        actor = participant.actor
        if actor is None:
            continue
        if (actor.reference or "").startswith("Location/") or actor.type == "Location":
            if actor.display:
                data["department"] = actor.display
                paths["department"] = f"participant[{p}].actor.display"
        elif (actor.reference or "").startswith(("Patient/", "urn:")) or actor.type == "Patient":
            # The visit's patient: checked against the order's (a visit never moves).
            _reference(entry, "patient", f"participant[{p}].actor", "Patient", actor)
    entry.data.update(data)
    entry.paths.update(paths)


def _extensions(element: Any) -> list[Any]:
    return list(getattr(element, "extension", None) or [])


def _sub(extension: Any, *names: str) -> Any:
    """A sub-extension by its url (PAS names some by a short word, some by a full URL)."""
    for ext in _extensions(extension):
        url = ext.url or ""
        if url in names or any(url == PAS + n for n in names):
            return ext
    return None


def read_claim_response(entry: Entry, response: Any) -> None:
    """The payer's answer to a PAS request: its review action (X12 306 code), the auth
    number, the approved span and quantity, and the reason of a denial."""
    request = response.request
    if request is None or not request.reference:
        entry.fault("request", "Give the request answered: request = Claim/<authorization id>.")
        return
    kind, _, key = request.reference.partition("/")
    if kind != "Claim" or not key.isdigit():
        entry.fault("request", "Must be Claim/<authorization id>, as GET /fhir/Claim/ gives it.")
        return
    entry.key = key
    _reference(entry, "patient", "patient", "Patient", response.patient)
    action = None
    action_path = ""
    for i, item in enumerate(response.item or []):
        spots = [(f"item[{i}]", item)] + [
            (f"item[{i}].adjudication[{a}]", adj) for a, adj in enumerate(item.adjudication or [])
        ]
        for path, element in spots:
            for e, ext in enumerate(_extensions(element)):
                if ext.url == PAS + "extension-reviewAction":
                    action, action_path = ext, f"{path}.extension[{e}]"
                    break
            if action is not None:
                break
        if action is not None:
            break
    if action is None:
        entry.fault(
            "item",
            "Give the payer's decision: an item's reviewAction extension with an X12 306 "
            "code (A1, A2, A3, A4, A6).",
        )
        return
    code_ext = _sub(action, "code", "extension-reviewActionCode")
    codes = _codes(code_ext.valueCodeableConcept) if code_ext is not None else []
    code = codes[0][1] if codes else ""
    if code not in REVIEW_OUTCOMES:
        entry.fault(
            action_path,
            f"'{code}' is not a decision authq records; give A1, A2, A3, A4 or A6.",
        )
        return
    data: dict[str, Any] = {"outcome": REVIEW_OUTCOMES[code], "determination_code": code}
    paths = {"outcome": action_path, "determination_code": action_path, "status": action_path}
    number_ext = _sub(action, "number")
    number = response.preAuthRef or (number_ext.valueString if number_ext is not None else "")
    data["auth_number"] = number or ""
    paths["auth_number"] = "preAuthRef"
    period = response.preAuthPeriod
    if period is not None:
        data["start_date"] = _day(entry, "preAuthPeriod.start", period.start)
        data["end_date"] = _day(entry, "preAuthPeriod.end", period.end)
    paths.update(start_date="preAuthPeriod.start", end_date="preAuthPeriod.end")
    for i, item in enumerate(response.item or []):
        for e, ext in enumerate(_extensions(item)):
            if ext.url == PAS + "extension-itemAuthorizedDetail":
                quantity = _sub(ext, "quantity")
                if quantity is not None and quantity.valueQuantity is not None:
                    where = f"item[{i}].extension[{e}]"
                    data["approved_visits"] = _whole(entry, where, quantity.valueQuantity.value)
                    paths["approved_visits"] = where
    reason_ext = _sub(action, "reasonCode")
    if reason_ext is not None and reason_ext.valueCodeableConcept is not None:
        reasons = _codes(reason_ext.valueCodeableConcept)
        words = reason_ext.valueCodeableConcept.text or ""
        reason = reasons[0][1] if reasons else ""
        data["denial_reason_code"] = reason if reason in _denial_reasons() else "other"
        data["denial_reason"] = words or (reasons[0][2] if reasons else "") or reason
        paths["denial_reason_code"] = paths["denial_reason"] = f"{action_path}"
    code_of_payer = payer_code(response.insurer)
    if code_of_payer:
        data["payer"], paths["payer"] = code_of_payer, "insurer"
    entry.data.update(data)
    entry.paths.update(paths)


def _denial_reasons() -> list[str]:
    from payers.models import DenialReason

    return list(DenialReason.values)


READERS = {
    "Patient": read_patient,
    "Coverage": read_coverage,
    "ServiceRequest": read_service_request,
    "Appointment": read_appointment,
    "ClaimResponse": read_claim_response,
}
