"""The shared example scenarios, loaded through the REST API and scanned with their as_of."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.scenarios import load_scenario
from worklists.models import WorkItem

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCENARIOS = sorted(FIXTURES.glob("scenario-*.json"))
FIELDS = ("queue", "first_service_date", "affected_appointments", "due_date")


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


@pytest.mark.django_db
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scan_leaves_exactly_the_expected_work_items(path, api):
    data = json.loads(path.read_text())
    load_scenario(api, data)
    call_command("scan_authorizations", "--as-of", data["as_of"])

    got = {
        (w.order.external_id, w.kind): {
            "queue": w.queue,
            "first_service_date": _iso(w.first_service_date),
            "affected_appointments": w.affected_appointments,
            "due_date": _iso(w.due_date),
        }
        for w in WorkItem.objects.open().select_related("order")
    }
    expected = {
        (e["order"], e["kind"]): {name: e[name] for name in FIELDS}
        for e in data["expected_work_items"]
    }
    assert sorted(got) == sorted(expected)
    for key, want in expected.items():
        assert got[key] == want, key


def test_both_shared_scenarios_are_in_the_suite():
    assert [p.name for p in SCENARIOS] == ["scenario-101.json", "scenario-102.json"]
