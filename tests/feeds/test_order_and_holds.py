"""Messages of one patient in the order received; visits held until their order arrives;
the queue re-evaluated at once; the feed's writes in the access audit; no PHI in logs."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

import pytest
from django.conf import settings
from django.utils import timezone

from authq.lib.clock import today
from feeds import services
from feeds.listener import ListenerThread
from feeds.models import Hl7Message
from intake.models import ImportProfile
from patients.models import AccessEvent, Appointment
from payers.models import Payer
from tests import factories as f
from tests.feeds.conftest import Sender, ack_code, adt, orm, siu
from worklists.models import WorkItem

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_visit_for_an_unknown_order_is_held_then_applied_when_the_order_arrives(
    sender: Sender,
) -> None:
    ack = sender.send(siu("C1"))
    assert ack_code(ack) == "AA"
    held = Hl7Message.objects.get(control_id="C1")
    assert (held.status, held.order_key) == ("held", "ORD1")
    assert not Appointment.objects.exists()
    assert ack_code(sender.send(orm("C2"))) == "AA"
    held.refresh_from_db()
    assert held.status == "applied"
    assert Appointment.objects.get(external_id="APT1").order.external_id == "ORD1"


def test_held_messages_of_one_order_are_applied_in_the_order_received(sender: Sender) -> None:
    sender.send(siu("C1", "S12"))
    sender.send(siu("C2", "S13", department="Moved"))  # rescheduled: booked again
    sender.send(siu("C3", "S15", department="Moved"))
    sender.send(orm("C4"))
    visit = Appointment.objects.get(external_id="APT1")
    assert (visit.status, visit.department) == ("cancelled", "Moved")
    assert set(Hl7Message.objects.values_list("status", flat=True)) == {"applied"}


def test_an_order_arriving_by_another_path_releases_held_visits_first(
    sender: Sender, listener: ListenerThread
) -> None:
    sender.send(siu("C1", "S12", department="First"))
    f.order(f.patient(mrn="M0001"), external_id="ORD1")  # the API or a file brought it
    # The next message for that order applies the held one before itself.
    sender.send(siu("C2", "S15", department="First"))
    visit = Appointment.objects.get(external_id="APT1")
    assert (visit.status, visit.department) == ("cancelled", "First")
    assert Hl7Message.objects.get(control_id="C1").applied_at < (
        Hl7Message.objects.get(control_id="C2").applied_at
    )


def test_messages_of_one_patient_apply_in_order_across_connections(
    listener: ListenerThread,
) -> None:
    first, second = Sender(listener.port), Sender(listener.port)
    try:
        first.send(orm("C1"))
        second.send(siu("C2", "S12", department="A"))
        first.send(siu("C3", "S13", department="B"))
        second.send(siu("C4", "S15", department="B"))
    finally:
        first.close()
        second.close()
    visit = Appointment.objects.get(external_id="APT1")
    assert (visit.status, visit.department) == ("cancelled", "B")
    applied = list(Hl7Message.objects.order_by("applied_at").values_list("control_id", flat=True))
    assert applied == ["C1", "C2", "C3", "C4"]


def test_a_held_message_is_reported_after_the_hold_time(sender: Sender) -> None:
    sender.send(siu("C1"))
    soon = timezone.now() + dt.timedelta(minutes=settings.AUTHQ_HL7_HOLD_MINUTES - 1)
    assert services.settle_held(now=soon) == (0, 0)
    assert Hl7Message.objects.get(control_id="C1").status == "held"
    late = timezone.now() + dt.timedelta(minutes=settings.AUTHQ_HL7_HOLD_MINUTES + 1)
    assert services.settle_held(now=late) == (0, 1)
    reported = Hl7Message.objects.get(control_id="C1")
    assert (reported.status, reported.error_field) == ("rejected", "SCH-26")
    assert "ORD1" in reported.error


def test_settling_releases_a_held_visit_whose_order_came_by_file(sender: Sender) -> None:
    sender.send(siu("C1"))
    f.order(f.patient(mrn="M0001"), external_id="ORD1")
    assert services.settle_held() == (1, 0)
    assert Appointment.objects.filter(external_id="APT1").exists()


def _within_a_second(check: Callable[[], bool]) -> float | None:
    """Seconds until `check()` held, or None if it did not within one second."""
    started = time.monotonic()
    while time.monotonic() - started < 1.0:
        if check():
            return time.monotonic() - started
        time.sleep(0.02)
    return None


def test_a_booking_reaches_the_queue_within_a_second(sender: Sender) -> None:
    day = today() + dt.timedelta(days=7)
    sender.send(adt("C1"))
    f.rule(Payer.objects.get(code="JUNIPER"), auth_required=True)
    sender.send(orm("C2"))
    assert _within_a_second(lambda: not Hl7Message.objects.exclude(pending_orders=None).exists())
    assert not WorkItem.objects.filter(order__external_id="ORD1", status="open").exists()
    ack = sender.send(siu("C3", start=day.strftime("%Y%m%d") + "093000"))
    assert ack_code(ack) == "AA"
    # The ACK came after the commit; the listener's re-evaluator follows within a second.
    assert _within_a_second(lambda: WorkItem.objects.filter(order__external_id="ORD1").exists())
    assert Hl7Message.objects.get(control_id="C3").pending_orders is None


def test_orders_left_pending_by_a_stopped_listener_are_reevaluated_later(
    feed_profile: ImportProfile,
) -> None:
    day = today() + dt.timedelta(days=7)
    order = f.order(f.patient(mrn="M0001"), external_id="ORD1")
    f.coverage(order.patient, Payer.objects.get(code="JUNIPER"))
    f.rule(Payer.objects.get(code="JUNIPER"), auth_required=True)
    # Applied and acknowledged as the listener does it, and no re-evaluator ran after it.
    received = services.receive(
        siu("C1", start=day.strftime("%Y%m%d") + "093000"), defer_reevaluation=True
    )
    assert received.pending and "|AA|" in received.ack
    assert Hl7Message.objects.get(control_id="C1").pending_orders == [order.pk]
    assert not WorkItem.objects.filter(order=order).exists()
    # The pending orders were committed with the message: the next listener takes them.
    assert services.reevaluate_pending() == 1
    assert WorkItem.objects.filter(order=order).exists()
    assert Hl7Message.objects.get(control_id="C1").pending_orders is None
    assert services.reevaluate_pending() == 0


def test_the_feeds_writes_are_recorded_in_the_access_audit(sender: Sender) -> None:
    sender.send(orm("C1"))
    sender.send(siu("C2"))
    visit = Appointment.objects.get(external_id="APT1")
    event = AccessEvent.objects.get(model="patients.appointment", object_ids=[visit.pk])
    assert event.user is not None
    assert event.user.username == settings.AUTHQ_HL7_USER
    assert event.request_id == "hl7-C2"
    assert event.action == "create"


def test_no_phi_reaches_the_logs(sender: Sender, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = ["ZQMRN4471", "Quixotica", "19620317", "1962-03-17", "MEM1"]
    good = adt("C1", mrn="ZQMRN4471", last="Quixotica", birth="19620317")
    bad = adt("C2", mrn="ZQMRN4471", last="Quixotica", birth="21620317")
    assert ack_code(sender.send(good)) == "AA"
    assert ack_code(sender.send(bad)) == "AE"
    assert ack_code(sender.send(good.replace("|C1|", "|C3|").replace("ZQMRN", "|"))) in ("AE", "AR")
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "hl7" in logged  # the feed did log, by ids and codes
    for secret in secrets:
        assert secret not in logged


def test_one_patients_messages_always_go_to_the_same_applier() -> None:
    from feeds.listener import Listener

    listener = Listener("127.0.0.1", 0)
    try:
        for_patient = {
            listener.applier(m.encode())
            for m in (adt("C1"), orm("C2"), siu("C3"), siu("C4", "S15"), adt("C5", "A08"))
        }
        assert len(for_patient) == 1
        others = {listener.applier(adt(f"D{n}", mrn=f"P{n}").encode()) for n in range(40)}
        assert len(others) == len(listener.appliers) > 1
    finally:
        for applier in listener.appliers:
            applier.shutdown()
