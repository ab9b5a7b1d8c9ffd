"""Every action of the work-item page: saved + event + re-evaluated, or refused cleanly."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from authq.lib.exceptions import ActionRefused
from patients.models import Coverage
from payers.models import Appeal, Authorization, AuthStatus, Document, PeerToPeerReview
from tests import factories as f
from tests.views.conftest import HTMX
from tests.views.item_fixtures import missing_auth_item, order_of, soon
from worklists import item_actions
from worklists.models import (
    ItemKind,
    ItemStatus,
    WorkItem,
    WorkItemEvent,
    WorkItemNote,
)
from worklists.scan import apply, runs

pytestmark = pytest.mark.django_db


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def act(item, name, *args):
    return reverse(f"worklists:item-{name}", args=[item.pk, *args])


def events(item, kind):
    return WorkItemEvent.objects.filter(work_item=item, kind=kind)


def approval(**kw):
    data = {
        "decide-outcome": "approved",
        "decide-auth_number": "AUTH-77",
        "decide-start_date": soon(0).isoformat(),
        "decide-end_date": soon(60).isoformat(),
        "decide-approved_visits": "12",
        "decide-channel": "phone",
    }
    data.update(kw)
    return data


def test_recording_an_approval_at_once_resolves_the_missing_auth_item(specialist_web):
    item = missing_auth_item()
    response = specialist_web.post(act(item, "decide"), approval())
    assert response.status_code == 302
    auth = Authorization.objects.get(order_id=item.order_id)
    assert (auth.status, auth.determination_code, auth.approved_visits) == ("approved", "A1", 12)
    item.refresh_from_db()
    assert item.status == ItemStatus.RESOLVED
    assert events(item, "decided").get().data["authorization"] == auth.pk
    assert not WorkItem.objects.open().filter(order_id=item.order_id).exists()


def test_the_htmx_answer_is_the_page_body_saying_the_item_left(specialist_web):
    item = missing_auth_item()
    response = specialist_web.post(act(item, "decide"), approval(), **HTMX)
    assert response.status_code == 200
    assert 'id="item-body"' in response.text and "<html" not in response.text
    assert "left the queue" in response.text


def test_a_submission_then_a_partial_answer(specialist_web):
    item = missing_auth_item()
    response = specialist_web.post(
        act(item, "submit"),
        {
            "submit-channel": "portal",
            "submit-payer_reference": "REF-1",
            "submit-requested_visits": "12",
            "submit-expedited": "on",
        },
    )
    assert response.status_code == 302
    auth = Authorization.objects.get(order_id=item.order_id)
    assert (auth.status, auth.submission_channel, auth.expedited) == ("submitted", "portal", True)
    assert auth.submitted_at is not None
    assert events(item, "submitted").exists()
    item.refresh_from_db()
    # The visits are now pending at the payer: the missing-auth gap is closed.
    assert item.status == ItemStatus.RESOLVED
    response = specialist_web.post(
        act(item, "decide"),
        approval(
            **{
                "decide-authorization": str(auth.pk),
                "decide-outcome": "partial",
                "decide-determination_code": "A6",
                "decide-approved_visits": "1",
            }
        ),
    )
    auth.refresh_from_db()
    assert (auth.status, auth.determination_code) == ("partial", "A6")
    # One approved visit for three booked: the scan now finds a visit limit.
    assert (
        WorkItem.objects.open().filter(order_id=item.order_id, kind=ItemKind.VISIT_LIMIT).exists()
    )


def test_pended_keeps_the_request_submitted(specialist):
    item = missing_auth_item()
    auth = item_actions.submit_for_item(item, by=specialist, channel="fax")
    item_actions.decide_for_item(item, auth, by=specialist, outcome="pended")
    auth.refresh_from_db()
    assert (auth.status, auth.determination_code) == ("submitted", "A4")


def test_a_denial_needs_a_reason_and_nothing_is_saved_without_it(specialist_web):
    item = missing_auth_item()
    response = specialist_web.post(
        act(item, "decide"),
        {"decide-outcome": "denied", "decide-channel": "phone", "decide-denial_reason": "words"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Choose the payer&#x27;s reason for the denial." in response.text
    assert not Authorization.objects.filter(order_id=item.order_id).exists()
    assert not events(item, "decided").exists()


def test_a_code_that_contradicts_the_outcome_is_refused(specialist_web):
    item = missing_auth_item()
    response = specialist_web.post(
        act(item, "decide"), approval(**{"decide-determination_code": "A3"})
    )
    assert response.status_code == 400
    assert "A3 does not fit approved" in response.text
    assert not Authorization.objects.filter(order_id=item.order_id).exists()


def test_deciding_a_cancelled_authorization_is_refused_with_a_clear_message(specialist):
    item = missing_auth_item()
    auth = f.auth(order_of(item), status="cancelled")
    with pytest.raises(ActionRefused, match="cancelled authorization has no payer answer"):
        item_actions.decide_for_item(
            item,
            auth,
            by=specialist,
            outcome="approved",
            start_date=soon(0),
            end_date=soon(30),
        )
    auth.refresh_from_db()
    assert auth.status == AuthStatus.CANCELLED
    assert not events(item, "decided").exists()


def test_a_denied_item_gets_a_peer_review_and_an_appeal(specialist_web):
    item = missing_auth_item()
    order = order_of(item)
    auth = f.auth(order, status="submitted")
    item_actions.decide_for_item(
        item,
        auth,
        by=None,
        outcome="denied",
        denial_reason_code="medical_necessity",
        denial_reason="Not medically necessary",
    )
    denied_item = WorkItem.objects.open().get(order=order, kind=ItemKind.DENIED)
    response = specialist_web.post(
        act(denied_item, "peer-review"),
        {
            "p2p-authorization": str(auth.pk),
            "p2p-request_by": soon(3).isoformat(),
            "p2p-call_windows": "Tue 1-3 pm",
            "p2p-reviewing_physician": "Dr. Payer",
            "p2p-outcome": "pending",
        },
    )
    assert response.status_code == 302
    review = PeerToPeerReview.objects.get(authorization=auth)
    assert events(denied_item, "peer_review").get().data["peer_review"] == review.pk
    response = specialist_web.post(
        act(denied_item, "appeal"),
        {
            "appeal-authorization": str(auth.pk),
            "appeal-level": "1",
            "appeal-deadline": soon(60).isoformat(),
            "appeal-channel": "fax",
            "appeal-outcome": "pending",
        },
    )
    assert response.status_code == 302
    assert Appeal.objects.get(authorization=auth).level == "1"
    assert events(denied_item, "appeal").exists()


def test_peer_reviews_are_only_for_denied_authorizations(specialist):
    item = missing_auth_item()
    auth = f.auth(order_of(item), start_date=soon(0), end_date=soon(30))
    with pytest.raises(ActionRefused, match="for denied authorizations"):
        item_actions.record_item_peer_review(item, auth, by=specialist, request_by=soon(2))
    assert not PeerToPeerReview.objects.exists()


def test_benefits_verification_is_saved_with_who_and_when(specialist_web, specialist):
    item = missing_auth_item()
    coverage = Coverage.objects.get(patient_id=order_of(item).patient_id)
    prefix = f"cov{coverage.pk}"
    response = specialist_web.post(
        act(item, "benefits", coverage.pk),
        {
            f"{prefix}-copay": "25",
            f"{prefix}-coinsurance_percent": "20",
            f"{prefix}-deductible": "1000",
            f"{prefix}-deductible_met": "250",
            f"{prefix}-plan_year_visit_limit": "30",
        },
    )
    assert response.status_code == 302
    coverage.refresh_from_db()
    assert coverage.copay == 25 and coverage.plan_year_visit_limit == 30
    assert coverage.benefits_verified_by == specialist and coverage.benefits_verified_at
    assert events(item, "benefits_verified").get().data == {"coverage": coverage.pk}


def test_a_deductible_met_above_the_deductible_is_refused(specialist_web):
    item = missing_auth_item()
    coverage = Coverage.objects.get(patient_id=order_of(item).patient_id)
    prefix = f"cov{coverage.pk}"
    response = specialist_web.post(
        act(item, "benefits", coverage.pk),
        {f"{prefix}-deductible": "100", f"{prefix}-deductible_met": "250"},
        **HTMX,
    )
    assert "More than the deductible" in response.text
    coverage.refresh_from_db()
    assert coverage.benefits_verified_at is None


def test_documents_are_checked_by_content_stored_and_streamed_to_specialists_only(
    specialist_web, manager_web, scheduler_web, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    item = missing_auth_item()
    fake = SimpleUploadedFile("notes.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = specialist_web.post(
        act(item, "document"), {"doc-file": fake, "doc-kind": "clinical_note"}, **HTMX
    )
    assert "Only PDF, PNG, JPEG and TIFF" in response.text
    assert not Document.objects.exists()

    settings.AUTHQ_MAX_DOCUMENT_BYTES = 64
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 100, content_type="image/png")
    response = specialist_web.post(
        act(item, "document"), {"doc-file": big, "doc-kind": "payer_letter"}, **HTMX
    )
    assert "Larger than" in response.text or "larger than" in response.text
    assert not Document.objects.exists()

    good = SimpleUploadedFile("letter.bin", PDF, content_type="application/octet-stream")
    response = specialist_web.post(
        act(item, "document"), {"doc-file": good, "doc-kind": "payer_letter"}
    )
    assert response.status_code == 302
    doc = Document.objects.get()
    assert doc.content_type == "application/pdf" and default_storage.exists(doc.storage_name)
    assert events(item, "document").get().data["document"] == doc.pk

    download = act(item, "document-download", doc.pk)
    response = specialist_web.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert manager_web.get(download).status_code == 200
    assert scheduler_web.get(download).status_code == 403
    other = missing_auth_item()
    assert specialist_web.get(act(other, "document-download", doc.pk)).status_code == 404


def test_a_note_and_a_follow_up_date(specialist_web):
    item = missing_auth_item()
    assert (
        specialist_web.post(act(item, "note"), {"note-text": "Left a voicemail"}).status_code == 302
    )
    note = WorkItemNote.objects.get(work_item=item)
    assert events(item, "note").get().data == {"note": note.pk}
    response = specialist_web.post(act(item, "follow-up"), {"fu-follow_up_on": soon(2).isoformat()})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.follow_up_on == soon(2)
    assert specialist_web.post(act(item, "note"), {"note-text": "   "}, **HTMX).status_code == 200
    assert WorkItemNote.objects.count() == 1


def test_events_hold_no_note_text(specialist):
    item = missing_auth_item()
    item_actions.add_item_note(item, by=specialist, text="Patient Jane Roe called")
    assert "Jane" not in str(list(WorkItemEvent.objects.values_list("data", flat=True)))


def test_dismissal_closes_the_item_and_survives_rescans(specialist_web):
    item = missing_auth_item()
    response = specialist_web.post(
        act(item, "dismiss"), {"dismiss-reason": "self_pay", "dismiss-note": ""}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.resolution, item.dismissal_reason) == (
        "dismissed",
        "dismissed",
        "self_pay",
    )
    assert item.resolved_at is not None
    runs.run_scan()
    apply.reevaluate_order(item.order_id)
    assert not WorkItem.objects.open().filter(order_id=item.order_id).exists()


def test_a_dismissed_gap_with_a_new_first_visit_opens_a_new_item(specialist):
    item = missing_auth_item(visits=1)
    item_actions.dismiss_item(item, by=specialist, reason="appointments_wrong")
    order = order_of(item)
    f.visit(order, soon(1))
    apply.reevaluate_order(order)
    assert WorkItem.objects.open().filter(order=order, kind=ItemKind.MISSING_AUTH).exists()


def test_dismissing_twice_or_without_a_reason_for_other_is_refused(specialist_web, specialist):
    item = missing_auth_item()
    response = specialist_web.post(act(item, "dismiss"), {"dismiss-reason": "other"}, **HTMX)
    assert "Say why" in response.text
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN
    item_actions.dismiss_item(item, by=specialist, reason="duplicate")
    with pytest.raises(ActionRefused, match="already dismissed"):
        item_actions.dismiss_item(item, by=specialist, reason="duplicate")


@pytest.mark.parametrize("name", ["decide", "submit", "note", "dismiss", "notify", "follow-up"])
def test_managers_and_schedulers_cannot_act(manager_web, scheduler_web, name):
    item = missing_auth_item()
    assert manager_web.post(act(item, name), {}).status_code == 403
    assert scheduler_web.post(act(item, name), {}).status_code == 403


def test_get_never_acts(specialist_web):
    item = missing_auth_item()
    assert specialist_web.get(act(item, "dismiss")).status_code == 405
