"""Each message type over a real MLLP socket, and what it wrote."""

from __future__ import annotations

import datetime as dt

import pytest

from feeds.models import Hl7Message
from patients.models import Appointment, Coverage, Order, Patient
from tests.feeds.conftest import Sender, ack_code, adt, err_location, orm, siu

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("event", ["A04", "A08", "A28", "A31"])
def test_adt_creates_or_updates_the_patient_and_coverage(sender: Sender, event: str) -> None:
    ack = sender.send(adt("C1", event))
    assert ack_code(ack) == "AA"
    assert str(ack.extract_field("MSA", 1, 2)) == "C1"
    patient = Patient.objects.get(mrn="M0001")
    assert (patient.last_name, patient.first_name) == ("Doe", "Jane")
    assert patient.birth_date == dt.date(1970, 4, 15)
    assert (patient.phone, patient.email) == ("555-0100", "jane@example.org")
    coverage = Coverage.objects.get(patient=patient)
    assert (coverage.payer.code, coverage.member_id, coverage.rank) == ("JUNIPER", "MEM1", 1)
    assert (coverage.start, coverage.end) == (dt.date(2026, 1, 1), dt.date(2027, 12, 31))
    sender.send(adt("C2", "A08", last="Roe"))
    assert Patient.objects.get(mrn="M0001").last_name == "Roe"
    assert Coverage.objects.count() == 1


@pytest.mark.parametrize("kind", ["ORM^O01", "OMG^O19"])
def test_an_order_message_creates_the_order_and_its_patient(sender: Sender, kind: str) -> None:
    assert ack_code(sender.send(orm("C1", kind=kind))) == "AA"
    order = Order.objects.get(external_id="ORD1")
    assert order.patient.mrn == "M0001"
    assert (order.code, order.service_category) == ("97110", "physical_therapy")
    assert (order.visits_ordered, order.priority) == (12, "routine")
    assert order.diagnosis_codes == ["M54.50"]
    assert order.ordering_provider == "John Smith"


@pytest.mark.parametrize(
    ("event", "status"),
    [("S12", "booked"), ("S13", "booked"), ("S14", "booked"), ("S15", "cancelled"),
     ("S17", "cancelled"), ("S26", "noshow")],
)  # fmt: skip
def test_siu_messages_book_move_and_cancel_visits(sender: Sender, event: str, status: str) -> None:
    sender.send(orm("C1"))
    assert ack_code(sender.send(siu("C2", "S12"))) == "AA"
    ack = sender.send(siu("C3", event, start="20261211140000", department="PT West"))
    assert ack_code(ack) == "AA"
    visit = Appointment.objects.get(external_id="APT1")
    assert visit.order.external_id == "ORD1"
    assert visit.status == status
    assert visit.department == "PT West"
    assert visit.start.astimezone(dt.UTC) == dt.datetime(2026, 12, 11, 19, 0, tzinfo=dt.UTC)


def test_orc_ca_cancels_the_orders_booked_visits(sender: Sender) -> None:
    sender.send(orm("C1"))
    sender.send(siu("C2", appointment_id="APT1"))
    sender.send(siu("C3", appointment_id="APT2", start="20261217093000"))
    sender.send(siu("C4", "S26", appointment_id="APT3", start="20261203093000"))
    assert ack_code(sender.send(orm("C5", control="CA"))) == "AA"
    statuses = dict(Appointment.objects.values_list("external_id", "status"))
    assert statuses == {"APT1": "cancelled", "APT2": "cancelled", "APT3": "noshow"}


def test_wrong_data_is_answered_ae_naming_the_field(sender: Sender) -> None:
    ack = sender.send(adt("C1", birth="20991301"))
    assert ack_code(ack) == "AE"
    assert err_location(ack) == "PID-7"
    assert not Patient.objects.exists()
    stored = Hl7Message.objects.get(control_id="C1")
    assert (stored.status, stored.ack_code, stored.error_field) == ("rejected", "AE", "PID-7")


def test_a_birth_date_in_the_future_is_refused_by_the_apis_own_rule(sender: Sender) -> None:
    ack = sender.send(adt("C1", birth="20990101"))
    assert ack_code(ack) == "AE"
    assert err_location(ack) == "PID-7"
    assert "birth_date" in str(ack.extract_field("ERR", 1, 8))


def test_an_unknown_payer_id_is_named_in_in1_3(sender: Sender) -> None:
    message = adt("C1").replace("|1001|", "|7777|")
    ack = sender.send(message)
    assert ack_code(ack) == "AE"
    assert err_location(ack) == "IN1-3"
    # The group is one transaction: the patient of the rejected message is not kept.
    assert not Patient.objects.exists()


def test_a_bad_diagnosis_is_named_in_dg1_3(sender: Sender) -> None:
    ack = sender.send(orm("C1", dx="XYZ"))
    assert (ack_code(ack), err_location(ack)) == ("AE", "DG1-3")
    assert not Order.objects.exists()


def test_unparseable_and_unsupported_messages_are_answered_ar(sender: Sender) -> None:
    ack = sender.send("this is not HL7")
    assert ack_code(ack) == "AR"
    ack = sender.send(adt("C9").replace("ADT^A04", "ADT^A99"))
    assert ack_code(ack) == "AR"
    assert err_location(ack) == "MSH-9"
    assert Hl7Message.objects.filter(ack_code="AR", status="rejected").count() == 2


def test_a_resent_message_is_acknowledged_and_not_applied_twice(sender: Sender) -> None:
    sender.send(orm("C1"))
    first = sender.send(siu("C2"))
    Appointment.objects.filter(external_id="APT1").update(department="moved by hand")
    again = sender.send(siu("C2"))
    assert ack_code(again) == "AA"
    assert str(again.extract_field("MSA", 1, 2)) == "C2"
    assert str(again) == str(first)
    assert Appointment.objects.get(external_id="APT1").department == "moved by hand"
    stored = Hl7Message.objects.get(control_id="C2")
    assert stored.times_received == 2


def test_a_visit_cannot_move_to_another_patients_order(sender: Sender) -> None:
    sender.send(orm("C1"))
    sender.send(orm("C2", "ORD2", mrn="M0002"))
    assert ack_code(sender.send(siu("C3"))) == "AA"
    # The same visit id, now under another patient's order: the Appointment model's rule.
    ack = sender.send(siu("C4", "S13", order_id="ORD2", mrn="M0002"))
    assert (ack_code(ack), err_location(ack)) == ("AE", "SCH-26")
    assert "another patient" in str(ack.extract_field("ERR", 1, 8))
    assert Appointment.objects.get(external_id="APT1").order.external_id == "ORD1"


def test_a_visit_outside_the_years_authq_takes_is_named_in_sch_11(sender: Sender) -> None:
    sender.send(orm("C1"))
    ack = sender.send(siu("C2", start="18991210093000"))
    assert (ack_code(ack), err_location(ack)) == ("AE", "SCH-11")
    assert "start" in str(ack.extract_field("ERR", 1, 8))
    assert not Appointment.objects.exists()
    assert Hl7Message.objects.get(control_id="C2").status == "rejected"


def test_a_resent_rejected_message_gets_its_first_ae_and_one_row(sender: Sender) -> None:
    first = sender.send(adt("C1", birth="20991301"))
    again = sender.send(adt("C1", birth="20991301"))
    assert ack_code(again) == "AE"
    assert str(again) == str(first)
    stored = Hl7Message.objects.get(control_id="C1")
    assert (stored.status, stored.times_received) == ("rejected", 2)
    assert not Patient.objects.exists()
