"""The Imports page in a browser: a manager drops a real export file on the page, a real
Celery worker imports it, the progress bar moves, and the report and rejected rows show."""

from __future__ import annotations

import pytest
import requests
from django.db import transaction
from playwright.sync_api import expect

from intake.models import ImportRun
from patients.models import Patient
from tests.browser.conftest import shot

# The intake tests' profile and files (and their media folder), for this module too.
from tests.intake.conftest import (  # noqa: F401
    _media_in_tmp,
    csv_bytes,
    import_workers,
    payer_bcx,
    profile,
    row,
    wait_for,
)
from tests.worklists.test_faults import _waiting_backend

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_wiring]


def test_a_manager_drops_a_file_and_watches_it_import(
    signed_in_page,
    live_url,
    manager,
    profile,  # noqa: F811
    import_workers,  # noqa: F811
):
    rows = [row(n) for n in range(30)]
    rows[7] = row(7, Dx="=1+2")
    # The third chunk (rows 10..14) changes this stored patient; holding its row pauses
    # the import there, so the page can be seen mid-way.
    held = Patient.objects.create(
        mrn="M00004", first_name="Old", last_name="Name", birth_date="1970-04-15"
    )
    import_workers.start()
    # The server's first page loads the ICD-10-CM list (seconds on a busy machine).
    assert requests.get(f"{live_url}/accounts/login/", timeout=120).status_code == 200
    page = signed_in_page(manager)
    page.click("nav >> text=Imports")
    expect(page.locator("h1")).to_have_text("Imports")
    page.select_option("#id_profile", profile.name)
    text = csv_bytes(rows).decode()
    dropped = page.evaluate_handle(
        """(text) => {
            const data = new DataTransfer();
            data.items.add(new File([text], "monday.csv", {type: "text/csv"}));
            return data;
        }""",
        text,
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": dropped})
    expect(page.locator("#chosen-file")).to_have_text("Chosen: monday.csv")
    with transaction.atomic():
        Patient.objects.select_for_update().get(pk=held.pk)
        page.click("button:has-text('Import')")
        page.wait_for_url("**/imports/*/")
        wait_for(lambda: _waiting_backend() is not None, "the third chunk waits", import_workers)
        # The bar moved to 10 of 30 rows without reloading the page.
        expect(page.locator("#rows-done")).to_have_text("10", timeout=60_000)
        expect(page.locator("#rows-total")).to_have_text("30")
        expect(page.locator("#import-bar")).to_have_attribute("value", "10")
        expect(page.locator("#rate")).to_be_visible()
        shot(page, "import-running")
    expect(page.locator(".status-word")).to_have_text("Done", timeout=120_000)
    expect(page.locator("#rejected-count")).to_have_text("1")
    expect(page.locator("#rejected tbody tr")).to_have_count(1)
    expect(page.locator("#rejected tbody td").nth(1)).to_have_text("Dx")
    expect(page.locator("#report")).to_contain_text("Appointments")
    shot(page, "import-done")
    with page.expect_download() as download:
        page.click("#rejected-csv")
    with open(download.value.path(), encoding="utf-8") as saved:
        content = saved.read()
    assert content.splitlines()[0].endswith(",error")
    assert "'=1+2" in content  # a formula cell is quoted
    page.click("text=← Imports")
    expect(page.locator("#past-imports tbody tr")).to_have_count(1)
    expect(page.locator("#past-imports")).to_contain_text("monday.csv")
    run = ImportRun.objects.get()
    assert run.created_by == manager and run.rows_done == 30
