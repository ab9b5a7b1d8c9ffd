"""seed_demo writes sample 271, 278 and 835 files for its practice; each imports cleanly
and does what it says."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts import roles
from x12feed.models import InterchangeStatus, Outcome

pytestmark = pytest.mark.django_db


def test_seed_demo_writes_files_that_import(tmp_path, send):
    roles.ensure_roles()
    out = StringIO()
    call_command(
        "seed_demo", "--patients", "60", "--seed", "7", "--as-of", "2026-03-02",
        "--x12-dir", str(tmp_path / "x12"), stdout=out,
    )  # fmt: skip
    names = sorted(p.name for p in (tmp_path / "x12").iterdir())
    assert names == ["answers-278.x12", "benefits-271.x12", "remittance-835.x12"]
    assert "Sample X12 files to import" in out.getvalue()
    outcomes = {}
    for name in names:
        record = send((tmp_path / "x12" / name).read_text(), name=name)
        assert record.status == InterchangeStatus.DONE, record.error
        outcomes[name] = list(record.lines.values_list("subject", "outcome"))
    assert set(outcomes["benefits-271.x12"]) == {("benefits", Outcome.APPLIED)}
    assert set(outcomes["answers-278.x12"]) == {("decision", Outcome.APPLIED)}
    lines = outcomes["remittance-835.x12"]
    assert ("line", Outcome.APPLIED) in lines and lines[-1] == ("line", Outcome.UNMATCHED)
