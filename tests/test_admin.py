"""The admin site: every record reachable, pages that stay cheap, and PHI kept off lists."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import formats

from accounts import roles
from patients.models import AccessAction, AccessEvent, Appointment, Coverage, Order, Patient
from payers.models import (
    Appeal,
    Authorization,
    AuthStatus,
    Document,
    Payer,
    PayerRule,
    PeerToPeerReview,
)
from tests import mfa
from worklists.models import (
    EventKind,
    ParkedTask,
    PatientNotification,
    ScanRun,
    WorkItem,
    WorkItemEvent,
    WorkItemNote,
)

AS_OF = dt.date(2026, 3, 2)

MODELS = [
    Patient,
    Coverage,
    Order,
    Appointment,
    Payer,
    PayerRule,
    Authorization,
    WorkItem,
    WorkItemEvent,
    ScanRun,
    ParkedTask,
    AccessEvent,
    PeerToPeerReview,
    Appeal,
    Document,
    WorkItemNote,
    PatientNotification,
]
# List pages that could show a patient's record.
PATIENT_LISTS = [m for m in MODELS if m not in (Payer, PayerRule, ScanRun, ParkedTask)]
# Pages of patient data that record what they show, with the path to the patient.
AUDITED = {
    Patient: "pk",
    Coverage: "patient",
    Order: "patient",
    Appointment: "order__patient",
    Authorization: "order__patient",
    Document: "order__patient",
    WorkItemNote: "work_item__order__patient",
    PatientNotification: "work_item__order__patient",
}
# Records other services write: never added, changed or deleted in the admin.
VIEW_ONLY = [
    WorkItem,
    WorkItemEvent,
    ScanRun,
    ParkedTask,
    AccessEvent,
    PeerToPeerReview,
    Appeal,
    Document,
    WorkItemNote,
    PatientNotification,
]


def admin_url(model: type, view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def practice(db: None, settings: Any) -> None:
    """A small seeded practice, with work items and the records of working them."""
    roles.ensure_roles()
    settings.DEBUG = True  # the demo's sign-ins, as `make run` makes them
    call_command(
        "seed_demo", "--patients", "30", "--seed", "3", "--as-of", AS_OF.isoformat(),
        stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip
    settings.DEBUG = False  # the pages as served
    ScanRun.objects.create(as_of=AS_OF, trigger="command", orders_scanned=10)
    ParkedTask.objects.create(
        task_name="worklists.tasks.scan_chunk", task_id="t-1", args=[1, 2, 3], attempts=5,
        error_type="django.db.utils.OperationalError", error_code="57P01",
    )  # fmt: skip
    for index, order in enumerate(Order.objects.order_by("id")[:40]):
        item = WorkItem.objects.create(
            order=order,
            kind="missing_auth",
            queue="routine" if index % 3 else "stat",
            due_date=AS_OF + dt.timedelta(days=index % 9),
            first_service_date=AS_OF + dt.timedelta(days=7 + index % 9),
            affected_appointments=1,
            last_seen_as_of=AS_OF,
        )
        WorkItemEvent.objects.create(work_item=item, kind=EventKind.OPENED, data={"n": index})
        # Free text that names the patient, as notes, emails and file names may.
        patient = order.patient
        name = f"{patient.first_name} {patient.last_name}"
        WorkItemNote.objects.create(work_item=item, text=f"Called {name}")
        PatientNotification.objects.create(
            work_item=item, template="approved", to_address=f"p{index}@example.com",
            subject=f"For {name}", body=f"Dear {name}", sent_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        )  # fmt: skip
        Document.objects.create(
            order=order, kind="clinical_note", content_type="application/pdf", size=1000,
            storage_name=f"documents/{index}", original_name=f"{patient.last_name} notes.pdf",
        )  # fmt: skip
    denied = Authorization.objects.filter(status=AuthStatus.DENIED).first()
    PeerToPeerReview.objects.create(authorization=denied, request_by=AS_OF + dt.timedelta(days=3))
    Appeal.objects.create(
        authorization=denied, level="1", deadline=AS_OF + dt.timedelta(days=60), channel="portal"
    )


@pytest.fixture
def admin_client(practice: None) -> Client:
    client = Client()
    admin = User.objects.get(username="admin-demo")
    mfa.enrol(admin)  # the demo's admin, after enrolling on first sign-in
    client.force_login(admin)
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label_lower)
def test_each_changelist_loads_with_a_bounded_number_of_queries(
    admin_client, model, django_assert_max_num_queries
):
    assert model.objects.count() >= 1
    with django_assert_max_num_queries(12):
        response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label_lower)
def test_each_change_page_loads(admin_client, model, django_assert_max_num_queries):
    obj = model.objects.order_by("id").first()
    with django_assert_max_num_queries(40):
        response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200


@pytest.mark.parametrize("model", PATIENT_LISTS, ids=lambda m: m._meta.label_lower)
def test_list_pages_show_no_names_birth_dates_or_member_ids(admin_client, model):
    page = admin_client.get(admin_url(model, "changelist")).content.decode()

    for patient in Patient.objects.all():
        assert patient.last_name not in page
        assert patient.birth_date.isoformat() not in page
        assert formats.date_format(patient.birth_date) not in page
    for member_id in Coverage.objects.values_list("member_id", flat=True):
        assert member_id not in page


def views_recorded(model: type) -> AccessEvent:
    return AccessEvent.objects.filter(
        action=AccessAction.VIEW, model=model._meta.label_lower
    ).latest("id")


@pytest.mark.parametrize("model", list(AUDITED), ids=lambda m: m._meta.label_lower)
def test_list_pages_record_the_rows_they_show_in_the_access_audit(admin_client, model):
    response = admin_client.get(admin_url(model, "changelist"))

    shown = list(response.context["cl"].result_list)
    event = views_recorded(model)
    assert event.user.username == "admin-demo"
    assert event.object_ids == sorted(row.pk for row in shown)
    patients = model.objects.filter(pk__in=event.object_ids).values_list(AUDITED[model], flat=True)
    assert event.patient_ids == sorted(set(patients))


def test_a_patients_page_records_the_patient_and_the_rows_of_its_inlines(admin_client):
    patient = Patient.objects.get(mrn="DM0000002")

    admin_client.get(admin_url(Patient, "change", patient.pk))

    assert views_recorded(Patient).object_ids == [patient.pk]
    assert views_recorded(Coverage).object_ids == sorted(
        patient.coverages.values_list("pk", flat=True)
    )
    assert views_recorded(Order).object_ids == sorted(patient.orders.values_list("pk", flat=True))
    assert views_recorded(Order).patient_ids == [patient.pk]


def test_patients_are_found_by_mrn(admin_client):
    response = admin_client.get(admin_url(Patient, "changelist"), {"q": "DM0000007"})

    assert list(response.context["cl"].result_list) == [Patient.objects.get(mrn="DM0000007")]


def test_the_patient_picker_offers_mrns_only(admin_client):
    patient = Patient.objects.get(mrn="DM0000002")
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "patients",
            "model_name": "coverage",
            "field_name": "patient",
            "term": "DM0000002",
        },
    )

    assert response.json()["results"] == [{"id": str(patient.pk), "text": "DM0000002"}]


def test_the_patients_own_page_shows_the_demographics(admin_client):
    patient = Patient.objects.get(mrn="DM0000001")

    page = admin_client.get(admin_url(Patient, "change", patient.pk)).content.decode()

    assert patient.last_name in page


def test_payer_rules_are_found_by_code(admin_client):
    response = admin_client.get(admin_url(PayerRule, "changelist"), {"q": "72148"})

    rules = list(response.context["cl"].result_list)
    assert rules
    assert all("72148" in rule.codes for rule in rules)


@pytest.mark.parametrize("model", VIEW_ONLY, ids=lambda m: m._meta.label_lower)
def test_records_written_by_other_services_cannot_be_added_changed_or_deleted(admin_client, model):
    obj = model.objects.first()
    before = model.objects.count()

    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.post(admin_url(model, "change", obj.pk), {}).status_code == 403
    assert admin_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.count() == before


def test_work_items_are_listed_by_kind_queue_status_and_due_date(admin_client):
    response = admin_client.get(admin_url(WorkItem, "changelist"), {"queue__exact": "stat"})

    items = list(response.context["cl"].result_list)
    assert items
    assert {item.queue for item in items} == {"stat"}
    assert [item.due_date for item in items] == sorted(item.due_date for item in items)
    page = response.content.decode()
    for heading in ("Kind", "Queue", "Status", "Due date"):
        assert heading in page


def auth_form(auth: Authorization, **changes: object) -> dict[str, object]:
    """The fields the authorization page posts, from the record, with changes."""
    data: dict[str, object] = {
        "order": auth.order_id,
        "payer": auth.payer_id or "",
        "status": auth.status,
        "submission_channel": auth.submission_channel,
        "requested_visits": auth.requested_visits or "",
        "requested_start_date": auth.requested_start_date or "",
        "requested_end_date": auth.requested_end_date or "",
        "determination_code": auth.determination_code,
        "auth_number": auth.auth_number,
        "payer_reference": auth.payer_reference,
        "start_date": auth.start_date or "",
        "end_date": auth.end_date or "",
        "approved_visits": auth.approved_visits or "",
        "denial_reason": auth.denial_reason,
        "submitted_at_0": "2026-02-20",
        "submitted_at_1": "10:00",
        "decided_at_0": "",
        "decided_at_1": "",
    }
    if auth.expedited:
        data["expedited"] = "on"
    data.update(changes)
    return data


def test_an_authorization_cannot_be_moved_to_a_status_its_state_does_not_allow(admin_client):
    auth = Authorization.objects.filter(status=AuthStatus.DRAFT).first()

    response = admin_client.post(
        admin_url(Authorization, "change", auth.pk),
        auth_form(auth, status="approved", start_date="2026-03-01", end_date="2026-03-31",
                  decided_at_0="2026-02-25", decided_at_1="09:00"),
    )  # fmt: skip

    assert response.status_code == 200
    assert "cannot go from draft to approved" in response.content.decode()
    auth.refresh_from_db()
    assert auth.status == AuthStatus.DRAFT


def test_an_allowed_status_change_is_saved(admin_client):
    auth = Authorization.objects.filter(status=AuthStatus.DRAFT).first()

    response = admin_client.post(
        admin_url(Authorization, "change", auth.pk), auth_form(auth, status="submitted")
    )

    assert response.status_code == 302
    auth.refresh_from_db()
    assert auth.status == AuthStatus.SUBMITTED
    assert auth.submitted_at is not None


def test_a_role_without_admin_access_is_kept_out(practice):
    client = Client()
    specialist = User.objects.get(username="specialist")
    mfa.enrol(specialist)
    client.force_login(specialist)

    response = client.get(admin_url(Patient, "changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_patient_added_in_the_admin_is_saved(admin_client):
    response = admin_client.post(
        admin_url(Patient, "add"),
        {"mrn": "NEW-0001", "first_name": "Tamsin", "last_name": "Quill-Heron",
         "birth_date": "1980-04-02", "phone": "", "email": ""},
    )  # fmt: skip

    assert response.status_code == 302
    assert Patient.objects.get(mrn="NEW-0001").last_name == "Quill-Heron"


def test_a_second_coverage_from_the_same_card_and_start_is_refused(admin_client):
    coverage = Coverage.objects.order_by("id").first()

    response = admin_client.post(
        admin_url(Coverage, "add"),
        {"patient": coverage.patient_id, "payer": coverage.payer_id, "plan": coverage.plan,
         "member_id": coverage.member_id, "rank": 1, "start": coverage.start.isoformat(),
         "end": "", "benefits_verified_at_0": "", "benefits_verified_at_1": ""},
    )  # fmt: skip

    assert response.status_code == 200
    assert (
        "already has this payer's coverage"
        in response.context["adminform"].form.errors["member_id"][0]
    )
    assert Coverage.objects.filter(member_id=coverage.member_id).count() == 1


# Bounds and spans in the admin forms (issue points 5 and 7)


def rule_form(payer: Payer, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "payer": payer.pk,
        "plan": "",
        "service_category": "",
        "codes": "",
        "effective_from": "2026-01-01",
        "effective_to": "",
        "auth_required": "on",
        "lead_time_days": 7,
        "renewal_window_days": 14,
        "visit_threshold": 2,
        "standard_turnaround_days": 7,
        "expedited_turnaround_hours": 72,
        "appeal_window_days": 60,
    }
    data.update(changes)
    return data


def test_rule_codes_typed_with_spaces_are_stored_one_by_one(admin_client):
    payer = Payer.objects.first()

    response = admin_client.post(
        admin_url(PayerRule, "add"),
        rule_form(payer, codes="95910 95911,  95912", effective_from="2026-05-04"),
    )

    assert response.status_code == 302
    rule = PayerRule.objects.get(payer=payer, effective_from=dt.date(2026, 5, 4))
    assert rule.codes == ["95910", "95911", "95912"]


def test_a_rule_ending_before_it_starts_names_effective_to_in_words(admin_client):
    payer = Payer.objects.first()
    before = PayerRule.objects.count()

    response = admin_client.post(
        admin_url(PayerRule, "add"),
        rule_form(payer, effective_from="2026-05-04", effective_to="2026-05-01"),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["effective_to"]
    assert errors["effective_to"] == ["Must be on or after effective_from (2026-05-04)."]
    assert "payers_payerrule_span_ordered" not in response.content.decode()
    assert PayerRule.objects.count() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("lead_time_days", 740_000), ("expedited_turnaround_hours", 4294967295)],
)
def test_a_rule_count_past_its_bound_is_a_form_error(admin_client, field, value):
    payer = Payer.objects.first()
    before = PayerRule.objects.count()

    response = admin_client.post(
        admin_url(PayerRule, "add"), rule_form(payer, effective_from="2026-05-04", **{field: value})
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert PayerRule.objects.count() == before


def test_a_date_outside_the_window_is_a_form_error_in_the_admin(admin_client):
    payer = Payer.objects.first()

    response = admin_client.post(
        admin_url(PayerRule, "add"), rule_form(payer, effective_from="9999-12-31")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["effective_from"] == [
        "Give a date from 1900-01-01 to 2100-12-31."
    ]


def test_an_approval_in_the_admin_without_a_payer_or_coverage_is_refused(admin_client):
    auth = Authorization.objects.filter(status=AuthStatus.SUBMITTED).first()
    Coverage.objects.filter(patient_id=auth.order.patient_id).delete()
    Authorization.objects.filter(pk=auth.pk).update(payer=None)
    auth.refresh_from_db()

    response = admin_client.post(
        admin_url(Authorization, "change", auth.pk),
        auth_form(auth, status="approved", start_date="2026-03-01", end_date="2026-03-31",
                  decided_at_0="2026-02-25", decided_at_1="09:00"),
    )  # fmt: skip

    assert response.status_code == 200
    assert "An approval needs the payer" in response.context["adminform"].form.errors["payer"][0]
    auth.refresh_from_db()
    assert auth.status == AuthStatus.SUBMITTED


# The rules of a decision are the work-item page's and the API's
# (Authorization.decision_errors): each refusal is a form error on its field.
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"status": "approved", "start_date": "2026-03-01", "end_date": "2026-03-31",
             "decided_at_0": "2026-02-19", "decided_at_1": "09:00"},
            "decided_at",
        ),
        (
            {"status": "denied", "denial_reason_code": "", "denial_reason": "no",
             "decided_at_0": "2026-03-01", "decided_at_1": "09:00"},
            "denial_reason_code",
        ),
    ],
    ids=["dated-before-submission", "denial-without-reason-code"],
)  # fmt: skip
def test_a_decision_the_item_page_refuses_is_a_form_error_in_the_admin(
    admin_client, changes, field
):
    auth = Authorization.objects.filter(status=AuthStatus.SUBMITTED, payer__isnull=False).first()

    response = admin_client.post(
        admin_url(Authorization, "change", auth.pk), auth_form(auth, **changes)
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    auth.refresh_from_db()
    assert auth.status == AuthStatus.SUBMITTED
