"""A web worker's first request loads the URLconf: it must not load the heavy lists.

simple_icd_10_cm parses the whole ICD-10-CM list when imported (10-20 s on a busy
machine), fpdf its fonts and fhir.resources its models (seconds each): every gunicorn worker and Celery worker would
pay that on its first request, and clients time out behind it.
"""

from __future__ import annotations

import os
import subprocess
import sys

HEAVY = ("simple_icd_10_cm", "fpdf", "fhir.resources")


def test_loading_the_urlconf_and_every_app_leaves_the_heavy_lists_unloaded() -> None:
    code = (
        "import sys, django; django.setup(); import authq.urls, authq.celery;"
        " from django.urls import get_resolver; get_resolver().url_patterns;"
        f" print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "authq.settings"},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert result.stdout.strip() == ""


def test_the_item_page_still_names_a_diagnosis_from_the_list() -> None:
    from worklists.selectors.item import diagnoses

    assert diagnoses(["M54.50", "NOPE"]) == [("M54.50", "Low back pain, unspecified"), ("NOPE", "")]
