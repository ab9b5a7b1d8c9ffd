"""The Imports page: upload, the run's page with its progress and report, the rejected
rows' CSV, who may see them, and what the pages cost in queries."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts import roles
from intake import services
from intake.models import ImportRun
from tests.intake.conftest import HEADER, csv_bytes, row

pytestmark = pytest.mark.django_db


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_manager_uploads_on_the_page_and_is_sent_to_the_run(
    manager, profile, django_capture_on_commit_callbacks
):
    web = _web(manager)
    assert 'href="/imports/" aria-current="page"' in web.get("/imports/").content.decode()
    with django_capture_on_commit_callbacks() as queued:
        answer = web.post(
            "/imports/",
            {"profile": profile.name, "file": SimpleUploadedFile("mon.csv", csv_bytes([row(0)]))},
        )
    run = ImportRun.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/imports/{run.pk}/"
    assert len(queued) == 1 and run.created_by == manager
    page = web.get(answer["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page and 'class="status-word">Queued<' in page


def test_a_refused_file_is_named_on_the_page_and_nothing_is_stored(manager, profile):
    header = [h for h in HEADER if h != "Appt ID"]
    cells = [c for h, c in zip(HEADER, row(0), strict=True) if h != "Appt ID"]
    answer = _web(manager).post(
        "/imports/",
        {
            "profile": profile.name,
            "file": SimpleUploadedFile("x.csv", csv_bytes([cells], header=header)),
        },
    )
    assert answer.status_code == 400
    assert "Required columns missing: Appt ID (appointment_id)." in answer.content.decode()
    assert not ImportRun.objects.exists()


def test_a_finished_run_shows_its_report_and_rejected_rows_and_stops_polling(manager, profile):
    upload = SimpleUploadedFile("x.csv", csv_bytes([row(0), row(1, Dx="NOPE"), row(3)]))
    run = services.start_run(profile, upload=upload, name="x.csv", by=manager)
    services.run_import(run.pk)
    web = _web(manager)
    page = web.get(f"/imports/{run.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in page
    assert 'id="rejected-count">1<' in page
    assert '<td class="num">3</td><td>Dx</td>' in page
    csv_answer = web.get(f"/imports/{run.pk}/rejected.csv")
    assert csv_answer["Content-Disposition"] == f'attachment; filename="x-{run.pk}-rejected.csv"'
    assert csv_answer.content.decode().splitlines()[0].endswith(",error")


@pytest.mark.parametrize("role", [roles.SPECIALIST, roles.SCHEDULER, None])
def test_only_managers_and_admins_see_imports(make_user, manager, profile, role):
    upload = SimpleUploadedFile("x.csv", csv_bytes([row(0)]))
    run = services.start_run(profile, upload=upload, name="x.csv", by=manager)
    web = _web(make_user("someone", role))
    assert 'href="/imports/"' not in web.get("/accounts/2fa/").content.decode()
    for url in ("/imports/", f"/imports/{run.pk}/", f"/imports/{run.pk}/rejected.csv"):
        assert web.get(url).status_code == 403, url
    answer = web.post(
        "/imports/",
        {"profile": profile.name, "file": SimpleUploadedFile("y.csv", csv_bytes([row(0)]))},
    )
    assert answer.status_code == 403 and ImportRun.objects.count() == 1


def _runs(profile, user, n: int) -> None:
    for i in range(n):
        upload = SimpleUploadedFile(f"f{i}.csv", csv_bytes([row(i)]))
        services.start_run(profile, upload=upload, name=f"f{i}.csv", by=user)


def test_the_imports_page_costs_the_same_queries_for_2_or_12_past_imports(
    make_user, manager, profile, django_assert_max_num_queries
):
    admin = make_user("adm1", roles.ADMIN)
    _runs(profile, manager, 2)
    web = _web(admin)
    web.get("/imports/")  # warm: permissions
    with django_assert_max_num_queries(12) as few:
        assert web.get("/imports/").status_code == 200
    n = len(few.captured_queries)
    _runs(profile, admin, 10)
    with django_assert_max_num_queries(n):
        page = web.get("/imports/").content.decode()
    assert page.count('<tr class="row">') == 12


def test_the_run_page_costs_the_same_queries_for_1_or_30_rejected_rows(
    manager, profile, django_assert_max_num_queries
):
    def finished(bad: int) -> ImportRun:
        rows = [row(n, Dx="NOPE") if n < bad else row(n) for n in range(40)]
        upload = SimpleUploadedFile("x.csv", csv_bytes(rows))
        run = services.start_run(profile, upload=upload, name="x.csv", by=manager)
        return services.run_import(run.pk)

    web = _web(manager)
    small, large = finished(1), finished(30)
    web.get(f"/imports/{small.pk}/")
    with django_assert_max_num_queries(10) as few:
        web.get(f"/imports/{small.pk}/")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = web.get(f"/imports/{large.pk}/").content.decode()
    assert 'id="rejected-count">30<' in page


def test_an_export_larger_than_a_document_may_be_uploaded(manager, profile, settings):
    settings.AUTHQ_MAX_DOCUMENT_BYTES = 1024
    settings.AUTHQ_MAX_IMPORT_BYTES = 8 * 1024 * 1024
    data = csv_bytes([row(n) for n in range(25_000)])
    # Above what any other form takes (Django's 2.5 MB), below the import limit.
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < len(data) < 8 * 1024 * 1024
    web = _web(manager)
    answer = web.post(
        "/imports/", {"profile": profile.name, "file": SimpleUploadedFile("big.csv", data)}
    )
    assert answer.status_code == 302 and ImportRun.objects.get().size == len(data)
    settings.AUTHQ_MAX_IMPORT_BYTES = 1024
    again = web.post(
        "/imports/", {"profile": profile.name, "file": SimpleUploadedFile("big.csv", data)}
    )
    assert again.status_code == 413 and ImportRun.objects.count() == 1


def test_a_json_batch_is_listed_and_shown_like_a_file(manager):
    from intake import batches

    run = batches.start_batch("patients", [{"mrn": "B1"}, {"mrn": "B2", "first_name": "Al"}],
                              by=manager)  # fmt: skip
    services.run_import(run.pk)
    web = _web(manager)
    listing = web.get("/imports/").content.decode()
    assert "API batch of patients" in listing and "batch-patients.json" in listing
    page = web.get(f"/imports/{run.pk}/").content.decode()
    assert "API batch of patients" in page
    assert 'id="rejected-count">2<' in page  # neither has a name and a birth date
    lines = web.get(f"/imports/{run.pk}/rejected.csv").content.decode().splitlines()
    assert lines[0] == "record,error"
    assert lines[1].startswith('"{""mrn"":""B1""}",')
