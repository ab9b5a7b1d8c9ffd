"""The shared example scenarios load through the API as an integrator would, and reload cleanly."""

from __future__ import annotations

import pytest

from patients.models import Appointment, Coverage, Order, Patient
from payers.models import Authorization, Payer, PayerRule
from tests.scenarios import FIXTURES, LOAD_ORDER, ScenarioLoadError, load_scenario, read_scenario

pytestmark = pytest.mark.django_db

SCENARIOS = ["scenario-101", "scenario-102"]
MODELS = {
    "payers": Payer,
    "rules": PayerRule,
    "patients": Patient,
    "coverages": Coverage,
    "orders": Order,
    "appointments": Appointment,
    "authorizations": Authorization,
}


def _counts() -> dict[str, int]:
    return {key: model.objects.count() for key, model in MODELS.items()}


def test_both_scenarios_are_copied_into_the_suite():
    assert sorted(p.stem for p in FIXTURES.glob("scenario-*.json")) == SCENARIOS


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_scenario_loads_fully_through_the_api(api, name):
    data = read_scenario(name)
    load_scenario(api, data)
    assert _counts() == {key: len(data[key]) for key, _ in LOAD_ORDER}
    # Spot-check that references by natural key landed on the right rows.
    first = data["authorizations"][0]
    stored = Authorization.objects.select_related("order").get(auth_number=first["auth_number"])
    assert (stored.order.external_id, stored.status) == (first["order"], first["status"])


@pytest.mark.parametrize("name", SCENARIOS)
def test_loading_a_scenario_twice_creates_nothing_new_and_answers_200(api, name):
    data = read_scenario(name)
    load_scenario(api, data)
    before = _counts()
    for key, collection in LOAD_ORDER:
        for record in data[key]:
            response = api.post(f"/api/v1/{collection}/", record, format="json")
            assert response.status_code == 200, (collection, record, response.content)
    assert _counts() == before


def test_a_refused_record_stops_the_load_with_the_response_body(api):
    data = read_scenario("scenario-101")
    data["orders"][0]["diagnosis_codes"] = ["NOT.ACODE"]
    with pytest.raises(ScenarioLoadError) as refused:
        load_scenario(api, data)
    assert "POST /api/v1/orders/ answered 400" in str(refused.value)
    assert "NOT.ACODE" in str(refused.value)
