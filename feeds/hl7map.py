"""What an HL7 v2 message says, as the REST API's records (../shared/spec/interop.md §2).

The message is parsed by the `hl7` library; this module only reads its fields into the
payloads the API's serializers take, remembering which HL7 field each value came from so
an error names it (`PID-7`). Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import hl7
from django.conf import settings

# The message types the feed applies, by MSH-9 code and trigger event.
ADT_EVENTS = {"A04", "A08", "A28", "A31"}
ORDER_TYPES = {("ORM", "O01"), ("OMG", "O19")}
SIU_STATUS = {
    "S12": "booked",
    "S13": "booked",
    "S14": None,  # modified: the status stays as it is (booked for a new visit)
    "S15": "cancelled",
    "S17": "cancelled",
    "S26": "noshow",
}
# ORC-7 / TQ1-9 priority codes (HL7 table 0027) -> authq's priorities.
PRIORITIES = {"S": "stat", "A": "urgent", "R": "routine", "P": "routine", "T": "urgent"}

_DTM = re.compile(r"^\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,4})?)?)?)?)?)?([+-]\d{4})?$")


class Unreadable(Exception):
    """The message cannot be read as HL7 at all (answered AR)."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        super().__init__(message)


class FieldError(Exception):
    """A field whose value is wrong (answered AE with an ERR segment naming it)."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        super().__init__(message)


@dataclass
class Header:
    control_id: str
    code: str  # MSH-9.1, e.g. SIU
    event: str  # MSH-9.2, e.g. S12
    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str
    version: str
    processing_id: str

    @property
    def message_type(self) -> str:
        return f"{self.code}^{self.event}"


@dataclass
class Record:
    """A payload for one of the API's serializers, and the HL7 field of each key."""

    values: dict[str, Any]
    fields: dict[str, str] = field(default_factory=dict)

    def where(self, name: str, default: str) -> str:
        return self.fields.get(name, default)


def parse(raw: str) -> hl7.Message:
    """The message, or Unreadable. Segments may end in CR, LF or CRLF."""
    text = raw.replace("\r\n", "\r").replace("\n", "\r").strip()
    if not text.startswith("MSH") or len(text) < 8:
        raise Unreadable("MSH", "The message does not begin with an MSH segment.")
    try:
        return hl7.parse(text)
    except Exception as exc:  # noqa: BLE001 - the library's refusal, whatever its kind
        raise Unreadable("MSH", f"Not an HL7 v2 message: {type(exc).__name__}.") from None


def header(message: hl7.Message) -> Header:
    msh = message.segment("MSH")
    control_id = _text(msh, 10)
    if not control_id:
        raise Unreadable("MSH-10", "The message has no control id (MSH-10).")
    if len(control_id) > 199:
        raise Unreadable("MSH-10", "The control id (MSH-10) is longer than 199 characters.")
    code, event = _text(msh, 9, 1), _text(msh, 9, 2)
    if not code or not event:
        raise Unreadable("MSH-9", "The message has no type (MSH-9).")
    return Header(
        control_id=control_id,
        code=code.upper(),
        event=event.upper(),
        sending_application=_text(msh, 3),
        sending_facility=_text(msh, 4),
        receiving_application=_text(msh, 5),
        receiving_facility=_text(msh, 6),
        version=_text(msh, 12) or "2.5.1",
        processing_id=_text(msh, 11) or "P",
    )


def supported(head: Header) -> bool:
    return (
        (head.code == "ADT" and head.event in ADT_EVENTS)
        or (head.code, head.event) in ORDER_TYPES
        or (head.code == "SIU" and head.event in SIU_STATUS)
    )


# Reading fields


def _text(segment: hl7.Segment, index: int, component: int = 1, repeat: int = 1) -> str:
    try:
        value = segment.extract_field(1, index, repeat, component, 1)
    except (IndexError, KeyError):
        return ""
    return str(value).strip()


def _repeats(segment: hl7.Segment, index: int) -> int:
    """How many repetitions a field has (0 when empty)."""
    if index >= len(segment) or not str(segment(index)):
        return 0
    return len(segment(index))


def _segment(message: hl7.Message, name: str, *, required: bool) -> hl7.Segment | None:
    try:
        return message.segment(name)
    except KeyError:
        if required:
            raise FieldError(name, f"The message has no {name} segment.") from None
        return None


def date(value: str, where: str) -> dt.date | None:
    if not value:
        return None
    return moment(value, where).date()


def moment(value: str, where: str) -> dt.datetime:
    """An HL7 DTM; one without an offset is in the practice's time zone."""
    if not _DTM.match(value):
        raise FieldError(where, f"'{value}' is not an HL7 date/time like 20261201093000.")
    try:
        parsed = hl7.parse_datetime(value)
    except ValueError:
        raise FieldError(where, f"'{value}' is not a real date/time.") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return parsed.astimezone(dt.UTC)


def _whole(value: str, where: str) -> int | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise FieldError(where, f"'{value}' is not a number.") from None
    if not number.is_integer():
        raise FieldError(where, f"'{value}' is not a whole number.")
    return int(number)


# Records


def mrn(message: hl7.Message, authority: str) -> str:
    """PID-3: the identifier of the profile's assigning authority (CX-4), else the first."""
    pid = _segment(message, "PID", required=True)
    assert pid is not None
    given = False
    for repeat in range(1, _repeats(pid, 3) + 1):
        value = _text(pid, 3, 1, repeat)
        if not value:
            continue
        given = True
        if not authority or _text(pid, 3, 4, repeat).lower() == authority.lower():
            return value
    if given:
        raise FieldError("PID-3", f"No identifier of assigning authority {authority}.")
    raise FieldError("PID-3", "Give the patient's MRN.")


def patient(message: hl7.Message, authority: str) -> Record:
    pid = _segment(message, "PID", required=True)
    assert pid is not None
    values: dict[str, Any] = {
        "mrn": mrn(message, authority),
        "last_name": _text(pid, 5, 1),
        "first_name": _text(pid, 5, 2),
    }
    birth = date(_text(pid, 7), "PID-7")
    values["birth_date"] = birth.isoformat() if birth else None
    phone = email = ""
    for repeat in range(1, _repeats(pid, 13) + 1):
        number = _text(pid, 13, 1, repeat) or _text(pid, 13, 12, repeat)
        address = _text(pid, 13, 4, repeat)
        if address and not email:
            email = address
        elif number and not phone and "@" not in number:
            phone = number
    if _repeats(pid, 13):
        values["phone"] = phone
        values["email"] = email
    fields = {
        "mrn": "PID-3",
        "last_name": "PID-5",
        "first_name": "PID-5",
        "birth_date": "PID-7",
        "phone": "PID-13",
        "email": "PID-13",
    }
    return Record(values, fields)


def coverages(message: hl7.Message, payers: dict[str, str], mrn_value: str) -> list[Record]:
    """Each IN1 as a coverage; IN1-3 is mapped to a payer code by the profile."""
    found = []
    try:
        segments = message.segments("IN1")
    except KeyError:
        return []
    for index, in1 in enumerate(segments, start=1):
        suffix = f"[{index}]" if len(segments) > 1 else ""
        payer_id = _text(in1, 3)
        start = date(_text(in1, 12), f"IN1{suffix}-12")
        end = date(_text(in1, 13), f"IN1{suffix}-13")
        if not payer_id:
            raise FieldError(f"IN1{suffix}-3", "Give the payer id.")
        if start is None:
            raise FieldError(f"IN1{suffix}-12", "Give the coverage's effective date.")
        values: dict[str, Any] = {
            "patient": mrn_value,
            "payer": payers.get(payer_id.lower(), payer_id),
            "member_id": _text(in1, 36),
            "start": start.isoformat(),
            "end": end.isoformat() if end else None,
        }
        rank = _whole(_text(in1, 22), f"IN1{suffix}-22")
        if rank is not None:
            values["rank"] = rank
        plan = _text(in1, 8) or _text(in1, 9)
        if plan:
            values["plan"] = plan[:100]
        fields = {
            "patient": "PID-3",
            "payer": f"IN1{suffix}-3",
            "member_id": f"IN1{suffix}-36",
            "start": f"IN1{suffix}-12",
            "end": f"IN1{suffix}-13",
            "rank": f"IN1{suffix}-22",
            "plan": f"IN1{suffix}-8",
        }
        found.append(Record(values, fields))
    return found


@dataclass
class OrderMessage:
    record: Record
    cancel: bool  # ORC-1 CA: the order's booked visits are cancelled


def order(message: hl7.Message, mrn_value: str) -> OrderMessage:
    orc = _segment(message, "ORC", required=True)
    assert orc is not None
    obr = _segment(message, "OBR", required=False)
    tq1 = _segment(message, "TQ1", required=False)
    external_id = _text(orc, 2) or (_text(obr, 2) if obr else "")
    if not external_id:
        raise FieldError("ORC-2", "Give the placer order number.")
    values: dict[str, Any] = {"external_id": external_id, "patient": mrn_value}
    fields = {"external_id": "ORC-2", "patient": "PID-3"}
    if obr is not None:
        code = _text(obr, 4)
        if code:
            values["code"] = code
        fields["code"] = "OBR-4"
        category = _text(obr, 24)
        if category:
            values["service_category"] = "_".join(category.lower().split())
        fields["service_category"] = "OBR-24"
    provider = " ".join(p for p in (_text(orc, 12, 3), _text(orc, 12, 2)) if p)
    if provider or _text(orc, 12):
        values["ordering_provider"] = (provider or _text(orc, 12))[:200]
    fields["ordering_provider"] = "ORC-12"
    # Quantity and priority: TQ1 (v2.5+) when sent, else ORC-7 (TQ).
    if tq1 is not None:
        quantity, quantity_at = _text(tq1, 2), "TQ1-2"
        priority, priority_at = _text(tq1, 9), "TQ1-9"
    else:
        quantity, quantity_at = _text(orc, 7, 1), "ORC-7"
        priority, priority_at = _text(orc, 7, 6), "ORC-7"
    visits = _whole(quantity, quantity_at)
    if visits is not None:
        values["visits_ordered"] = visits
    fields["visits_ordered"] = quantity_at
    if priority:
        word = PRIORITIES.get(priority.upper())
        if word is None:
            raise FieldError(priority_at, f"'{priority}' is not a priority (S, A, R).")
        values["priority"] = word
    fields["priority"] = priority_at
    diagnoses = []
    try:
        dg1s = message.segments("DG1")
    except KeyError:
        dg1s = []
    for dg1 in dg1s:
        code = _text(dg1, 3)
        if code:
            diagnoses.append(code)
    if dg1s:
        values["diagnosis_codes"] = diagnoses
    fields["diagnosis_codes"] = "DG1-3"
    ordered = _text(orc, 9)
    if ordered:
        values["ordered_at"] = moment(ordered, "ORC-9").isoformat()
    fields["ordered_at"] = "ORC-9"
    return OrderMessage(Record(values, fields), cancel=_text(orc, 1).upper() == "CA")


def appointment(message: hl7.Message, event: str) -> tuple[Record, str]:
    """The SIU's appointment and the placer order number it belongs to (SCH-26)."""
    sch = _segment(message, "SCH", required=True)
    assert sch is not None
    external_id = _text(sch, 2) or _text(sch, 1)
    if not external_id:
        raise FieldError("SCH-2", "Give the filler appointment id.")
    order_key = _text(sch, 26)
    if not order_key:
        raise FieldError("SCH-26", "Give the placer order number the visit belongs to.")
    values: dict[str, Any] = {"external_id": external_id, "order": order_key}
    fields = {"external_id": "SCH-2", "order": "SCH-26", "status": "MSH-9"}
    tq1 = _segment(message, "TQ1", required=False)
    start_text, start_at = "", "SCH-11"
    if tq1 is not None and _text(tq1, 7):
        start_text, start_at = _text(tq1, 7), "TQ1-7"
    else:
        start_text = _text(sch, 11, 4)
    if start_text:
        values["start"] = moment(start_text, start_at).isoformat()
    fields["start"] = start_at
    status = SIU_STATUS[event]
    if status:
        values["status"] = status
    ail = _segment(message, "AIL", required=False)
    if ail is not None and _text(ail, 3):
        values["department"] = _text(ail, 3)[:100]
    fields["department"] = "AIL-3"
    return Record(values, fields), order_key


def service_code(message: hl7.Message) -> str:
    ais = _segment(message, "AIS", required=False)
    return _text(ais, 3) if ais is not None else ""
