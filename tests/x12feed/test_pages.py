"""The X12 upload on the Imports page: a manager uploads a file and reads its report;
a refused envelope shows its acknowledgment; who may see it."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.x12feed.test_envelope import DECISION
from tests.x12feed.x12 import interchange
from x12feed import services
from x12feed.models import Interchange

pytestmark = pytest.mark.django_db


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_imports_page_offers_the_x12_upload(manager):
    html = _web(manager).get("/imports/").content.decode()
    assert 'id="x12-form"' in html and 'action="/imports/x12/"' in html


def test_a_manager_uploads_an_x12_file_and_reads_its_report(
    manager,
    submitted,
    django_capture_on_commit_callbacks,
):
    web = _web(manager)
    with django_capture_on_commit_callbacks() as queued:
        answer = web.post(
            "/imports/x12/",
            {"file": SimpleUploadedFile("r.x12", interchange("278", DECISION).encode())},
        )
    record = Interchange.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/imports/x12/{record.pk}/"
    assert len(queued) == 1
    services.apply_interchange(record.pk)
    html = web.get(answer["Location"]).content.decode()
    assert "Done" in html and 'id="ak9">A<' in html
    assert "Authorization" in html and "approved (A1)" in html
    listing = web.get("/imports/x12/").content.decode()
    assert "r.x12" in listing


def test_a_refused_file_shows_its_acknowledgment(manager):
    web = _web(manager)
    broken = interchange("278", DECISION).replace("SE*15*0001", "SE*3*0001")
    answer = web.post("/imports/x12/", {"file": SimpleUploadedFile("b.x12", broken.encode())})
    html = web.get(answer["Location"]).content.decode()
    assert 'id="ak9">R<' in html and "SE count of 3" in html and "nothing was applied" in html


def test_what_is_not_text_is_refused_on_the_form(manager):
    answer = _web(manager).post(
        "/imports/x12/", {"file": SimpleUploadedFile("x.bin", b"\xff\xfe\x00garbage")}
    )
    assert answer.status_code == 400 and "not text" in answer.content.decode()


def test_only_managers_and_admins_see_the_x12_pages(specialist, scheduler, manager, send):
    record = send(interchange("278", DECISION))
    for user in (specialist, scheduler):
        web = _web(user)
        assert web.get("/imports/x12/").status_code == 403
        assert web.get(f"/imports/x12/{record.pk}/").status_code == 403
        assert 'id="x12-form"' not in web.get("/imports/").content.decode()


def test_the_pages_read_a_fixed_number_of_queries(manager, send, django_assert_max_num_queries):
    web = _web(manager)
    first = send(interchange("278", DECISION, DECISION))
    with django_assert_max_num_queries(16) as few:
        web.get("/imports/x12/")
        web.get(f"/imports/x12/{first.pk}/")
    for n in range(3):
        send(interchange("278", DECISION, DECISION, DECISION, control=f"30{n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        web.get("/imports/x12/")
        web.get(f"/imports/x12/{first.pk}/")


def test_the_rejected_and_unmatched_lines_download_as_csv(manager, send, submitted, specialist):
    unknown = ["BHT*0007*11*REQ-2*20261203*1200", "HL*1**20*1", "HCR*A1*AUTH-1", "TRN*2*NOPE"]
    record = send(interchange("278", unknown, DECISION))
    answer = _web(manager).get(f"/imports/x12/{record.pk}/rejected.csv")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    assert rows[0] == ["set", "transaction", "position", "subject", "segments", "error"]
    assert len(rows) == 2 and rows[1][:4] == ["278", "0001", "6", "decision"]
    assert rows[1][4].startswith("HL*1**20*1~") and "NOPE" in rows[1][5]
    assert _web(specialist).get(f"/imports/x12/{record.pk}/rejected.csv").status_code == 403
