"""S25: notes and documents leave audit rows like every other patient record, and behind a
trusted proxy the audit records the client's address, not the proxy's."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from patients.models import AccessEvent
from payers.models import Document
from tests.views.item_fixtures import missing_auth_item
from worklists.models import WorkItemNote

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _web(user, addr: str = "10.9.8.7") -> Client:
    web = Client(REMOTE_ADDR=addr)
    web.force_login(user)
    return web


def test_adding_a_note_leaves_an_audit_row_naming_person_and_patient(specialist) -> None:
    item = missing_auth_item()
    web = _web(specialist)
    response = web.post(reverse("worklists:item-note", args=[item.pk]), {"note-text": "Called"})
    assert response.status_code == 302
    note = WorkItemNote.objects.get(work_item=item)
    (row,) = AccessEvent.objects.filter(model="worklists.workitemnote", action="create")
    assert row.object_ids == [note.pk]
    assert row.patient_ids == [item.order.patient_id]
    assert row.user_id == specialist.pk
    assert str(row.remote_addr) == "10.9.8.7" and len(row.request_id) == 32


def test_uploading_a_document_leaves_an_audit_row(specialist, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    item = missing_auth_item()
    upload = SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf")
    response = _web(specialist).post(
        reverse("worklists:item-document", args=[item.pk]),
        {"doc-file": upload, "doc-kind": "clinical_note"},
    )
    assert response.status_code == 302
    document = Document.objects.get()
    (row,) = AccessEvent.objects.filter(model="payers.document", action="create")
    assert row.object_ids == [document.pk]
    assert row.patient_ids == [item.order.patient_id]
    assert row.user_id == specialist.pk


@pytest.mark.parametrize(
    ("remote", "forwarded", "recorded"),
    [
        # Through the trusted proxy: the client's address it appended.
        ("10.0.0.5", "203.0.113.9", "203.0.113.9"),
        # A client-supplied hop before the proxy's own: the proxy's word wins.
        ("10.0.0.5", "198.51.100.1, 203.0.113.9", "203.0.113.9"),
        # Two trusted proxies in a row are skipped.
        ("10.0.0.5", "203.0.113.9, 10.0.0.6", "203.0.113.9"),
        # Not through a trusted proxy: the header is the client's own claim, ignored.
        ("198.51.100.7", "203.0.113.9", "198.51.100.7"),
        # A malformed header: the proxy's address rather than a failed write.
        ("10.0.0.5", "not-an-address", "10.0.0.5"),
    ],
)
def test_behind_a_trusted_proxy_the_client_address_is_recorded(
    specialist, settings, remote, forwarded, recorded
) -> None:
    settings.AUTHQ_TRUSTED_PROXIES = frozenset({"10.0.0.5", "10.0.0.6"})
    item = missing_auth_item()
    web = _web(specialist, remote)
    response = web.post(
        reverse("worklists:item-note", args=[item.pk]),
        {"note-text": "Called"},
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert response.status_code == 302
    (row,) = AccessEvent.objects.filter(model="worklists.workitemnote")
    assert str(row.remote_addr) == recorded
    page = web.get(reverse("worklists:item", args=[item.pk]), HTTP_X_FORWARDED_FOR=forwarded)
    assert page.status_code == 200
    view = AccessEvent.objects.filter(action="view").latest("id")
    assert str(view.remote_addr) == recorded
