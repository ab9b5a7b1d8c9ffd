"""`manage.py seed_demo`: the synthetic practice for demos and benchmarks."""

from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from accounts import roles
from patients.models import Appointment, Coverage, Order, Patient, ServiceCategory
from patients.validators import is_icd10cm_code
from payers.models import (
    Authorization,
    AuthStatus,
    Payer,
    PayerKind,
    PayerRule,
    ReviewVendor,
    SubmissionChannel,
)
from worklists.models import FEED_KINDS, ItemKind, WorkItem

AS_OF = dt.date(2026, 3, 2)


def seed_demo(*args: str, patients: int = 40, seed: int = 7) -> str:
    roles.ensure_roles()
    out = StringIO()
    call_command(
        "seed_demo",
        "--patients",
        str(patients),
        "--seed",
        str(seed),
        "--as-of",
        AS_OF.isoformat(),
        *args,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue()


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(ZoneInfo(settings.AUTHQ_TIME_ZONE)).date()


def fingerprint() -> dict[str, str]:
    """A digest per table of every seeded value that does not depend on database ids."""

    def digest(rows: Any) -> str:
        return hashlib.sha256(repr(list(rows)).encode()).hexdigest()[:16]

    return {
        "payers": digest(Payer.objects.order_by("code").values_list("code", "name", "kind")),
        "rules": digest(
            PayerRule.objects.order_by("payer__code", "effective_from", "plan", "service_category", "codes")
            .values_list("payer__code", "plan", "service_category", "codes", "effective_from",
                         "effective_to", "auth_required", "lead_time_days", "visit_threshold")
        ),
        "patients": digest(
            Patient.objects.order_by("mrn").values_list("mrn", "first_name", "last_name", "birth_date", "phone")
        ),
        "coverages": digest(
            Coverage.objects.order_by("patient__mrn", "rank", "start", "member_id")
            .values_list("patient__mrn", "payer__code", "member_id", "plan", "rank", "start", "end", "copay")
        ),
        "orders": digest(
            Order.objects.order_by("external_id")
            .values_list("external_id", "patient__mrn", "code", "diagnosis_codes", "priority", "visits_ordered")
        ),
        "appointments": digest(
            Appointment.objects.order_by("external_id")
            .values_list("external_id", "order__external_id", "start", "status", "department")
        ),
        "authorizations": digest(
            Authorization.objects.order_by("order__external_id", "requested_start_date", "submitted_at", "status")
            .values_list("order__external_id", "payer__code", "status", "auth_number", "start_date",
                         "end_date", "approved_visits", "determination_code", "submitted_at",
                         "decided_at", "created_by__username")
        ),
    }  # fmt: skip


def empty_the_practice() -> None:
    Patient.objects.all().delete()
    Payer.objects.all().delete()


def test_seed_demo_builds_every_record_type_and_category(db):
    seed_demo()

    assert Payer.objects.count() == 12
    assert set(Payer.objects.values_list("kind", flat=True)) == set(PayerKind.values)
    assert Patient.objects.count() == 40
    assert set(Order.objects.values_list("service_category", flat=True)) == set(
        ServiceCategory.values
    )
    for model in (PayerRule, Coverage, Appointment, Authorization):
        assert model.objects.exists(), model.__name__
    # Rules: broad and specific, some not requiring auth, some replaced by a successor.
    assert PayerRule.objects.filter(service_category="", codes=[]).exists()
    assert PayerRule.objects.exclude(codes=[]).exists()
    assert PayerRule.objects.exclude(plan="").exists()
    assert PayerRule.objects.filter(auth_required=False).exists()
    ended = PayerRule.objects.filter(effective_to__isnull=False).first()
    assert ended is not None
    assert PayerRule.objects.filter(
        payer=ended.payer,
        service_category=ended.service_category,
        effective_from=ended.effective_to + dt.timedelta(days=1),
    ).exists()
    # Coverage: secondary, lapsed and not yet started.
    assert Coverage.objects.filter(rank=2).exists()
    assert Coverage.objects.filter(rank=1, end__lt=AS_OF).exists()
    assert Coverage.objects.filter(rank=1, start__gt=AS_OF).exists()
    # Every diagnosis is on the ICD-10-CM list.
    codes = {
        code for codes in Order.objects.values_list("diagnosis_codes", flat=True) for code in codes
    }
    assert codes and all(is_icd10cm_code(code) for code in codes)


def test_seed_demo_dates_appointments_around_as_of(db):
    seed_demo()

    local = {(local_date(a.start), a.status) for a in Appointment.objects.all()}
    past = {status for day, status in local if day < AS_OF}
    assert {"fulfilled", "cancelled", "noshow"} <= past
    booked = [day for day, status in local if status == "booked"]
    assert all(day >= AS_OF for day in booked)
    assert any(day <= AS_OF + dt.timedelta(days=30) for day in booked)
    assert any(day > AS_OF + dt.timedelta(days=30) for day in booked)


def test_seed_demo_writes_authorizations_in_every_state_with_their_details(db):
    seed_demo()

    auths = Authorization.objects.all()
    assert set(auths.values_list("status", flat=True)) == set(AuthStatus.values)
    assert {"A1", "A2", "A3", "A4", "A6"} <= set(auths.values_list("determination_code", flat=True))
    assert set(SubmissionChannel.values) <= set(auths.values_list("submission_channel", flat=True))
    assert not auths.filter(status="submitted", submitted_at__isnull=True).exists()
    denied = auths.filter(status="denied")
    assert not denied.filter(decided_at__isnull=True).exists()
    assert not denied.filter(denial_reason="").exists()
    assert not denied.filter(denial_reason_code="").exists()
    assert not auths.exclude(status="denied").exclude(denial_reason_code="").exists()
    approved = auths.filter(status__in=["approved", "partial"])
    assert not approved.filter(start_date__isnull=True).exists()
    assert approved.filter(approved_visits__isnull=True).exists()  # unlimited
    assert approved.filter(approved_visits__isnull=False).exists()
    # No decision or submission after the day the demo is built around.
    latest = max(a.decided_at or a.submitted_at for a in auths.exclude(submitted_at=None))
    assert local_date(latest) <= AS_OF


def test_seed_demo_gives_payers_a_directory_and_review_vendors(db):
    seed_demo()

    for payer in Payer.objects.all():
        assert payer.phone and payer.fax and payer.hours
        assert payer.portal_url.startswith("https://") and payer.portal_url.endswith("/prior-auth")
        assert "Appeals" in payer.appeal_address
    vendors = ReviewVendor.objects.select_related("payer")
    imaging = {v.vendor for v in vendors.filter(service_category=ServiceCategory.IMAGING)}
    assert {"eviCore healthcare", "Carelon Medical Benefits Management"} <= imaging
    assert vendors.filter(service_category=ServiceCategory.PHYSICAL_THERAPY).exists()
    # Some payers review therapy themselves: the page then shows the payer's own contacts.
    delegating = set(
        vendors.filter(service_category="physical_therapy").values_list("payer", flat=True)
    )
    assert Payer.objects.exclude(pk__in=delegating).exists()


def test_seed_demo_creates_a_user_per_role_with_the_demo_password(db, monkeypatch, settings):
    settings.DEBUG = True  # as in `make run`
    monkeypatch.delenv("AUTHQ_DEMO_PASSWORD", raising=False)
    out = seed_demo()

    expected = {
        "specialist": roles.SPECIALIST,
        "specialist2": roles.SPECIALIST,
        "scheduler": roles.SCHEDULER,
        "manager": roles.MANAGER,
        "admin-demo": roles.ADMIN,
        "integration": roles.INTEGRATION,
    }
    for username, role in expected.items():
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.check_password("authq-demo-2026")
        assert username in out
    admin = User.objects.get(username="admin-demo")
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.get(username="specialist").is_staff
    assert "authq-demo-2026" in out


def test_seed_demo_takes_the_password_from_the_environment_without_printing_it(
    db, monkeypatch, settings
):
    settings.DEBUG = True
    monkeypatch.setenv("AUTHQ_DEMO_PASSWORD", "a-private-demo-secret")
    out = seed_demo(patients=3)

    assert User.objects.get(username="manager").check_password("a-private-demo-secret")
    assert "a-private-demo-secret" not in out
    assert "AUTHQ_DEMO_PASSWORD" in out


def test_without_debug_the_practice_is_seeded_but_no_demo_sign_in(db, settings):
    """The demo's shared sign-ins with a known password exist only with DJANGO_DEBUG on."""
    settings.DEBUG = False
    out = seed_demo(patients=10)

    assert Patient.objects.count() == 10 and Authorization.objects.exists()
    assert not User.objects.exists()
    assert not Authorization.objects.exclude(created_by=None).exists()
    assert "No demo sign-ins: DJANGO_DEBUG is off" in out
    assert "authq-demo-2026" not in out


def test_the_practice_is_the_same_with_or_without_the_demo_sign_ins(db, settings):
    settings.DEBUG = False
    seed_demo(patients=12, seed=5)
    without = fingerprint()
    empty_the_practice()
    settings.DEBUG = True
    seed_demo(patients=12, seed=5)
    with_users = fingerprint()
    # Only who made each authorization differs.
    assert {k: v for k, v in with_users.items() if k != "authorizations"} == {
        k: v for k, v in without.items() if k != "authorizations"
    }


def test_seed_demo_prints_counts_but_never_patient_names(db):
    out = seed_demo()

    assert "40 patients" in out
    for first, last in Patient.objects.values_list("first_name", "last_name"):
        assert last not in out
        assert f"{first} {last}" not in out


def test_the_same_seed_on_an_empty_database_gives_the_same_practice(db):
    seed_demo(seed=11)
    first = fingerprint()
    empty_the_practice()
    seed_demo(seed=11)
    assert fingerprint() == first

    empty_the_practice()
    seed_demo(seed=12)
    other = fingerprint()
    assert other["patients"] != first["patients"]
    assert other["appointments"] != first["appointments"]


def test_records_added_after_the_seed_get_fresh_ids(db):
    seed_demo(patients=5)
    seeded = {
        model: max(model.objects.values_list("id", flat=True))
        for model in (Patient, Coverage, Order, Appointment, Authorization)
    }

    patient = Patient.objects.create(mrn="NEW-1", first_name="N", last_name="Ew", birth_date=AS_OF)
    order = Order.objects.create(
        external_id="NEW-ORD", patient=patient, service_category="imaging", code="72148"
    )
    new = [
        patient,
        order,
        Coverage.objects.create(patient=patient, payer=Payer.objects.first(), member_id="X", start=AS_OF),
        Appointment.objects.create(external_id="NEW-APT", order=order, start=dt.datetime(2026, 3, 3, 15, tzinfo=dt.UTC)),
        Authorization.objects.create(order=order),
    ]  # fmt: skip
    for record in new:
        assert record.pk > seeded[type(record)]


def test_if_empty_does_nothing_on_a_seeded_database(db):
    seed_demo(patients=10)
    before = fingerprint()

    out = seed_demo("--if-empty", patients=20, seed=99)

    assert "nothing seeded" in out
    assert fingerprint() == before
    assert Patient.objects.count() == 10


def test_without_if_empty_a_seeded_database_is_refused(db):
    seed_demo(patients=3)
    with pytest.raises(CommandError, match="already holds"):
        seed_demo(patients=3)
    assert Patient.objects.count() == 3


def test_the_scan_finds_every_kind_of_work_item_in_the_demo(db):
    seed_demo(patients=60)

    call_command("scan_authorizations", "--as-of", AS_OF.isoformat(), stdout=StringIO())

    kinds = set(WorkItem.objects.open().values_list("kind", flat=True))
    # Every kind the scan makes; billing items come from remittances (x12feed).
    assert kinds == set(ItemKind.values) - set(FEED_KINDS)


def test_the_demo_gives_honest_due_dates_on_its_first_day(db):
    """authq finds every item of a fresh demo on its first day: few may be due before it
    (due at once: visits at short notice, a payer rule missing), none is late."""
    seed_demo(patients=300)
    call_command("scan_authorizations", "--as-of", AS_OF.isoformat(), stdout=StringIO())

    items = list(WorkItem.objects.open())
    before = [i for i in items if i.due_date < AS_OF]
    assert len(items) >= 50 and len(before) <= len(items) // 3, (len(before), len(items))
    # Requests wait at most the payer's turnaround: a follow-up is due on the day found.
    follow_ups = [i for i in items if i.kind == ItemKind.PENDING_FOLLOW_UP]
    assert follow_ups and {i.due_date for i in follow_ups} == {AS_OF}
    # The showcase denial can still be appealed in time.
    denied = WorkItem.objects.get(order__patient__mrn="DM0000004", kind=ItemKind.DENIED)
    assert denied.due_date >= AS_OF
