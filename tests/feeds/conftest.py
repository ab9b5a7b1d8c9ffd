"""The HL7 feed's tests: a listener started in the test, and messages built field by field.

The listener applies messages on a thread of its own, with its own database connection,
so these tests commit (django_db(transaction=True)).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hl7
import pytest
from hl7.client import MLLPClient

from feeds import services
from feeds.listener import ListenerThread
from intake.models import ImportProfile
from tests import factories as f


def segment(name: str, fields: dict[int, str]) -> str:
    """A segment with these fields (1-based); MSH's fields start at MSH-3."""
    if name == "MSH":
        cells = ["MSH", "^~\\&"] + [""] * (max(fields) - 2)
        for index, value in fields.items():
            cells[index - 1] = value
        return "|".join(cells)
    cells = [name] + [""] * max(fields)
    for index, value in fields.items():
        cells[index] = value
    return "|".join(cells)


def msh(kind: str, control_id: str) -> str:
    return segment(
        "MSH",
        {3: "EPIC", 4: "CLINIC", 5: "AUTHQ", 6: "PRACTICE", 7: "20261201090000", 9: kind,
         10: control_id, 11: "P", 12: "2.5.1"},
    )  # fmt: skip


def pid(mrn: str = "M0001", *, birth: str = "19700415", last: str = "Doe") -> str:
    return segment(
        "PID",
        {1: "1", 3: f"{mrn}^^^CLINIC^MR~X{mrn}^^^OTHER^PI", 5: f"{last}^Jane", 7: birth,
         8: "F", 13: "555-0100^PRN^PH~^NET^Internet^jane@example.org"},
    )  # fmt: skip


def in1(payer_id: str = "1001", member: str = "MEM1", start: str = "20260101") -> str:
    return segment("IN1", {1: "1", 3: payer_id, 12: start, 13: "20271231", 22: "1", 36: member})


def adt(control_id: str, event: str = "A04", *, mrn: str = "M0001", **pid_kw: Any) -> str:
    return "\r".join([msh(f"ADT^{event}^ADT_A01", control_id), pid(mrn, **pid_kw), in1()])


def orm(
    control_id: str,
    order_id: str = "ORD1",
    *,
    mrn: str = "M0001",
    control: str = "NW",
    kind: str = "ORM^O01",
    dx: str = "M54.50",
) -> str:
    return "\r".join(
        [
            msh(kind, control_id),
            pid(mrn),
            segment("ORC", {1: control, 2: order_id, 7: "12^^^^^R", 12: "1234^Smith^John"}),
            segment(
                "OBR",
                {1: "1", 2: order_id, 4: "97110^Therapeutic exercise^CPT4", 24: "Physical Therapy"},
            ),  # fmt: skip
            segment("DG1", {1: "1", 3: f"{dx}^Low back pain^I10"}),
        ]
    )


def siu(
    control_id: str,
    event: str = "S12",
    *,
    appointment_id: str = "APT1",
    order_id: str = "ORD1",
    start: str = "20261210093000",
    mrn: str = "M0001",
    department: str = "PT East",
) -> str:
    return "\r".join(
        [
            msh(f"SIU^{event}^SIU_S12", control_id),
            segment(
                "SCH",
                {1: f"REQ-{appointment_id}", 2: appointment_id, 11: f"^^^{start}^^", 26: order_id},
            ),  # fmt: skip
            pid(mrn),
            segment("AIS", {1: "1", 3: "97110^Therapeutic exercise^CPT4"}),
            segment("AIL", {1: "1", 3: department}),
        ]
    )


class Sender:
    """The hl7 library's MLLP client over a real socket; send() returns the parsed ACK."""

    def __init__(self, port: int) -> None:
        self.client = MLLPClient("127.0.0.1", port)

    def send(self, message: str) -> hl7.Message:
        return hl7.parse(self.client.send_message(message))

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def feed_profile(transactional_db: None) -> ImportProfile:
    """The feed's import profile: payer id 1001 is JUNIPER, the MRN is CLINIC's."""
    f.payer("JUNIPER")
    services.forget_profile()
    profile = ImportProfile.objects.create(
        name="hl7", kind="schedule", payers={"1001": "JUNIPER"}, assigning_authority="CLINIC"
    )
    yield profile
    services.forget_profile()


@pytest.fixture
def listener(feed_profile: ImportProfile) -> Iterator[ListenerThread]:
    running = ListenerThread().start()
    yield running
    running.stop()


@pytest.fixture
def sender(listener: ListenerThread) -> Iterator[Sender]:
    client = Sender(listener.port)
    yield client
    client.close()


def ack_code(ack: hl7.Message) -> str:
    return str(ack.extract_field("MSA", 1, 1))


def err_location(ack: hl7.Message) -> str:
    """ERR-2 as `PID-7`."""
    segment_id = str(ack.extract_field("ERR", 1, 2, 1, 1))
    position = str(ack.extract_field("ERR", 1, 2, 1, 3))
    return f"{segment_id}-{position}" if position else segment_id
