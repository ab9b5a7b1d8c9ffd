"""The migrations describe the models exactly (worklists 0009 changes only the state)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration() -> None:
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # --check exits non-zero when a migration is missing
        pytest.fail(f"makemigrations would write a migration ({exc.code}):\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue()
