"""Load a scenario (../shared/spec/examples/README.md) through the REST API, as an integrator would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rest_framework.test import APIClient

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# (key in the scenario file, collection under /api/v1/), in load order: references first.
LOAD_ORDER = (
    ("payers", "payers"),
    ("rules", "payer-rules"),
    ("patients", "patients"),
    ("coverages", "coverages"),
    ("orders", "orders"),
    ("appointments", "appointments"),
    ("authorizations", "authorizations"),
)


class ScenarioLoadError(AssertionError):
    pass


def read_scenario(name: str) -> dict[str, Any]:
    """A scenario file from tests/fixtures, e.g. read_scenario("scenario-101")."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def load_scenario(client: APIClient, data: dict[str, Any]) -> None:
    """POST every record of `data` in load order; any answer but 201 or 200 raises."""
    for key, collection in LOAD_ORDER:
        for record in data.get(key, []):
            response = client.post(f"/api/v1/{collection}/", record, format="json")
            if response.status_code not in (200, 201):
                raise ScenarioLoadError(
                    f"POST /api/v1/{collection}/ answered {response.status_code}: "
                    f"{response.content.decode()}\nfor {json.dumps(record)}"
                )
