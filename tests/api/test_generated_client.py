"""A client generated from the served schema by openapi-python-client works unchanged:
it creates, changes and reads records on a live server with a token, and reads a 400."""

from __future__ import annotations

import datetime as dt
import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from accounts.tokens import issue_token

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "authq_api_client"


def _generate(base: str, key: str, target: Path) -> None:
    response = requests.get(
        f"{base}/api/schema/",
        headers={"Authorization": f"Token {key}", "Accept": "application/vnd.oai.openapi+json"},
        timeout=30,
    )
    assert response.status_code == 200
    schema = target / "schema.json"
    schema.write_bytes(response.content)
    config = target / "config.yaml"
    # No formatter run after generating: the code is used as generated.
    config.write_text(f"post_hooks: []\npackage_name_override: {PACKAGE}\n")
    generator = Path(sys.executable).parent / "openapi-python-client"
    subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(target / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


def test_a_generated_client_works_unchanged(live_server, integration, tmp_path, monkeypatch):
    _token, key = issue_token(integration)
    _generate(live_server.url, key, tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith(PACKAGE)]:
        del sys.modules[name]
    client_module = importlib.import_module(PACKAGE)
    v1 = importlib.import_module(f"{PACKAGE}.api.v1")
    models = importlib.import_module(f"{PACKAGE}.models")
    api = {
        name: importlib.import_module(f"{v1.__name__}.v1_{name}")
        for name in (
            "payers_create",
            "payers_retrieve",
            "payers_partial_update",
            "patients_create",
            "patients_retrieve",
            "orders_create",
            "orders_retrieve",
            "orders_list",
            "work_items_list",
        )
    }
    client = client_module.AuthenticatedClient(base_url=live_server.url, token=key, prefix="Token")

    created = api["payers_create"].sync_detailed(
        client=client,
        body=models.PayerRequest(
            code="ACME", name="Acme Health", kind=models.PayerKindEnum.COMMERCIAL
        ),
    )
    assert created.status_code == 201
    assert created.parsed.code == "ACME"
    changed = api["payers_partial_update"].sync(
        client=client, code="ACME", body=models.PatchedPayerRequest(name="Acme Health Plan")
    )
    assert changed.name == "Acme Health Plan"
    payer = api["payers_retrieve"].sync(client=client, code="ACME")
    assert (payer.code, payer.name, payer.kind) == ("ACME", "Acme Health Plan", "commercial")

    patient = api["patients_create"].sync(
        client=client,
        body=models.PatientRequest(
            mrn="MRN-1", first_name="Pat", last_name="Example", birth_date=dt.date(1970, 5, 1)
        ),
    )
    assert patient.mrn == "MRN-1"
    read_patient = api["patients_retrieve"].sync(client=client, mrn="MRN-1")
    assert read_patient.birth_date == dt.date(1970, 5, 1)

    ordered_at = dt.datetime(2026, 10, 4, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    order = api["orders_create"].sync(
        client=client,
        body=models.OrderRequest(
            external_id="ORD-1",
            patient="MRN-1",
            service_category=models.ServiceCategoryEnum.PHYSICAL_THERAPY,
            code="97110",
            diagnosis_codes=["M54.50"],
            priority=models.PriorityEnum.ROUTINE,
            visits_ordered=12,
            ordered_at=ordered_at,
        ),
    )
    assert order.external_id == "ORD-1"
    read_order = api["orders_retrieve"].sync(client=client, external_id="ORD-1")
    assert read_order.patient == "MRN-1"
    assert read_order.diagnosis_codes == ["M54.50"]
    assert read_order.ordered_at == ordered_at
    listed = api["orders_list"].sync(client=client, patient="MRN-1")
    assert listed.count == 1 and listed.results[0].external_id == "ORD-1"
    assert api["work_items_list"].sync(client=client).count == 0

    # Bad input: a 400 the client parses, naming the field; nothing saved.
    refused = api["patients_create"].sync_detailed(
        client=client,
        body=models.PatientRequest(
            mrn="MRN-2", first_name="Al", last_name="Old", birth_date=dt.date(1800, 1, 1)
        ),
    )
    assert refused.status_code == 400
    assert isinstance(refused.parsed, models.ValidationError)
    assert set(refused.parsed.additional_properties) == {"birth_date"}
    missing = api["patients_retrieve"].sync_detailed(client=client, mrn="MRN-2")
    assert missing.status_code == 404
    assert missing.parsed.detail
